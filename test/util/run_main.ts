// The command line's main() in this process, with its output captured, so a
// CLI case costs milliseconds instead of a process start.

import { vi } from "vitest";
import { main } from "../../src/node/cli.ts";

export async function runMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "", stderr = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => { stdout += String(s); return true; });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => { stderr += String(s); return true; });
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
