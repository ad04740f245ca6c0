// `npm run build`: the published package in dist/ — ESM JavaScript and .d.ts
// types compiled from src/ by tsconfig.build.json, then checked.
//
//   npx tsx scripts/build.ts
//
// Steps, and why each is here rather than in tsc:
// - tsc rewrites `./x.ts` to `./x.js` in the JavaScript it emits
//   (rewriteRelativeImportExtensions) but leaves `.ts` in the .d.ts files.
//   TypeScript 7 resolves those, but tools that read .d.ts without being
//   TypeScript ≥ 5 need not; rewritten here, the types name the same files
//   as the JavaScript beside them.
// - dist/bin/qmix.js launches the CLI. npm links a bin on POSIX as a symlink,
//   and cli.ts runs main() only when process.argv[1] is itself, which the
//   symlinked path never is; the launcher calls main() directly.
// - Finally every relative import in dist/ must name a file that exists and
//   none may end in `.ts`: a broken specifier fails here, not in a user's app.

import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]);
}

// `from "./x.ts"`, `import("./x.ts")`, `import "./x.ts"` — relative specifiers only.
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"']+)\2/g;

const t0 = performance.now();
rmSync(DIST, { recursive: true, force: true });
const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json")], { stdio: "inherit" });

const files = walk(DIST);
for (const f of files.filter((f) => f.endsWith(".d.ts"))) {
  const text = readFileSync(f, "utf8");
  const out = text.replace(SPECIFIER, (_m, pre: string, q: string, spec: string) =>
    `${pre}${q}${spec.replace(/\.ts$/, ".js")}${q}`);
  if (out !== text) writeFileSync(f, out);
}

mkdirSync(join(DIST, "bin"), { recursive: true });
const launcher = join(DIST, "bin", "qmix.js");
// --max-semi-space-size=2 keeps V8's young generation at 2 MB per semispace:
// training allocates small objects fast enough that the default (16 MB)
// grows to its limit and stays resident, about 65 MB more over a long run
// on two learner threads, at no measurable cost in speed (README, Performance).
writeFileSync(launcher, `#!/usr/bin/env -S node --max-semi-space-size=2
// The qmix command (package.json "bin"). Written by scripts/build.ts.
import { main } from "../node/cli.js";
process.exitCode = await main(process.argv.slice(2));
`);
chmodSync(launcher, 0o755);

const problems: string[] = [];
for (const f of walk(DIST).filter((f) => f.endsWith(".js") || f.endsWith(".d.ts"))) {
  for (const m of readFileSync(f, "utf8").matchAll(SPECIFIER)) {
    const spec = m[3]!;
    const where = relative(ROOT, f);
    if (spec.endsWith(".ts")) problems.push(`${where}: import "${spec}" still ends in .ts`);
    else if (!existsSync(join(dirname(f), spec))) problems.push(`${where}: import "${spec}" names no file`);
  }
}
if (problems.length) {
  process.stderr.write(`build: ${problems.length} broken import(s) in dist/:\n  ${problems.join("\n  ")}\n`);
  process.exit(1);
}
const js = walk(DIST).filter((f) => f.endsWith(".js")).length;
process.stdout.write(`build: dist/ has ${js} .js files with types, imports checked (${Math.round(performance.now() - t0)} ms)\n`);
