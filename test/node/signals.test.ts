// Stopping a run through `npm run qmix`, as a user's terminal or script
// does: SIGINT (Ctrl-C) and SIGTERM (timeout, kill) reach the trainer through
// npm and npm returns only once the run folder is complete; SIGHUP (a closed
// terminal) ends npm itself at once (npm neither handles nor passes it on),
// and the trainer still saves, because its parent going away counts as a
// hang-up. The installed `qmix` binary's cases are in test/runtime/pack.test.ts.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { complete, sleep, started } from "../util/run_folder.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "qmix-signals-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// npm run from `npm test` exports npm_* variables that would describe this run to the inner npm.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));

const TRAIN = ["train", "--env", "two_step", "--steps", "100000000", "--quiet"];

describe("stopping `npm run qmix`", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} to npm: npm returns after the trainer saved a complete run folder`, async () => {
      const out = join(dir, signal);
      const npm = spawn("npm", ["run", "--silent", "qmix", "--", ...TRAIN, "--out", out], { cwd: ROOT, env: cleanEnv, stdio: "ignore" });
      await started(out);
      npm.kill(signal);
      const code = await new Promise<number | null>((r) => npm.on("exit", (c) => r(c)));
      expect(complete(out)).toEqual([]);
      expect(code).toBe(130);
    });
  }

  it("SIGHUP to npm alone: npm ends at once, the trainer notices its parent gone and saves", async () => {
    const out = join(dir, "SIGHUP");
    const npm = spawn("npm", ["run", "--silent", "qmix", "--", ...TRAIN, "--out", out], { cwd: ROOT, env: cleanEnv, stdio: "ignore" });
    await started(out);
    npm.kill("SIGHUP");
    await new Promise((r) => npm.on("exit", r));
    for (let k = 0; k < 300 && complete(out).length > 0; k++) await sleep(100);
    expect(complete(out)).toEqual([]);
  });
});
