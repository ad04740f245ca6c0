// Every TypeScript block in README.md and docs/*.md type-checks under
// `tsc --strict`, as a user's file would: each block is its own module in a
// temporary folder, "qmix-ts" and "qmix-ts/node" mapped to src/ (and a
// block written for the repository's root, importing "./src/…", pointed at
// the same files), and one tsc
// run checks them all (running them is test/readme.test.ts's and
// test/node/xuance_api.test.ts's job; tsx alone never checks types).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "qmix-doc-snippets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The ```ts blocks of the README and the docs, each named by its file and line. */
function snippets(): Array<{ where: string; code: string }> {
  const files = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => join("docs", f))];
  return files.flatMap((f) => {
    const text = readFileSync(join(ROOT, f), "utf8");
    return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => ({
      where: `${f}:${text.slice(0, m.index).split("\n").length}`,
      code: m[1]!,
    }));
  });
}

describe("documentation snippets", () => {
  it("every ```ts block in README.md and docs/ type-checks with tsc --strict", () => {
    const all = snippets();
    expect(all.length).toBeGreaterThanOrEqual(6);
    const names = all.map((s, i) => {
      const name = `snippet_${i}.ts`;
      // `export {}` makes each block a module (top-level await, no shared names).
      // Blocks written for the repository's root import "./src/…": the same files from here.
      const code = s.code.replace(/(from\s*|import\s*\(\s*)(["'])\.\/src\//g, (_m, pre: string, q: string) => `${pre}${q}${join(ROOT, "src")}/`);
      writeFileSync(join(dir, name), `// ${s.where}\n${code}\nexport {};\n`);
      return name;
    });
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "ES2022", module: "ESNext", moduleResolution: "Bundler", lib: ["ES2022", "DOM"], types: ["node"], typeRoots: [join(ROOT, "node_modules", "@types")],
        strict: true, noEmit: true, skipLibCheck: true, allowImportingTsExtensions: true, isolatedModules: true,
        paths: { "qmix-ts": [join(ROOT, "src", "index.ts")], "qmix-ts/node": [join(ROOT, "src", "node", "index.ts")] },
      },
      files: names,
    }));
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", dir], { cwd: dir, encoding: "utf8", timeout: 120_000 });
    // Name each failure by the document and line of its block.
    const report = (r.stdout + r.stderr).replace(/snippet_(\d+)\.ts\((\d+)/g, (_m, i: string, line: string) => {
      const [f, start] = all[Number(i)]!.where.split(":");
      return `${f}:${Number(start) + Number(line) - 1}`;
    });
    expect(r.status, report).toBe(0);
  });
});
