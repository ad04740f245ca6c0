// The portable core under Deno and Bun: each runs test/runtime/two_step_train.ts
// straight from the TypeScript sources (both execute .ts natively) and must
// train the two-step game (presets/two_step.json) to the optimal greedy
// return 8 with the paper's Q_tot for state 2B. The runtimes are the npm packages `deno` and `bun`
// (dev dependencies that ship their binaries).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const NM = join(ROOT, "node_modules");
const SCRIPT = join("test", "runtime", "two_step_train.ts");

function runs(bin: string): boolean {
  return existsSync(bin) && spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 30_000 }).status === 0;
}

function inScope(scope: string, ...rest: string[]): string[] {
  const dir = join(NM, scope);
  return existsSync(dir) ? readdirSync(dir).map((p) => join(dir, p, ...rest)) : [];
}

/**
 * The binary comes in the platform package (@deno/linux-x64-glibc,
 * @oven/bun-linux-x64, …), an optional dependency of `deno` / `bun`. Their
 * postinstall scripts hard-link (deno) or move (bun) it into the main
 * package; npm may or may not run those scripts (allowScripts), so both
 * places are tried, and PATH last.
 */
function findBinary(name: "deno" | "bun"): string | null {
  const exe = process.platform === "win32" ? ".exe" : "";
  const candidates = name === "deno"
    ? [...inScope("@deno", `deno${exe}`), join(NM, "deno", `deno${exe}`)]
    : [...inScope("@oven", "bin", `bun${exe}`), join(NM, "bun", "bin", "bun.exe")];
  for (const c of candidates) if (runs(c)) return c;
  return spawnSync(name, ["--version"], { encoding: "utf8" }).status === 0 ? name : null;
}

interface Result { runtime: string; tEnv: number; greedyReturn: number; qtot2B: number[][]; seconds: number }

function train(cmd: string, args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let out = "", err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${err}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!) as Result);
    });
  });
}

const TMAX = (JSON.parse(readFileSync(join(ROOT, "presets", "two_step.json"), "utf8")) as { tMax: number }).tMax;

function expectSolved(r: Result, runtime: RegExp) {
  expect(r.runtime).toMatch(runtime);
  expect(r.tEnv).toBe(TMAX);
  expect(r.greedyReturn).toBe(8);
  // QMIX paper Table 1, state 2B: [[0, 1], [1, 8]].
  const q = r.qtot2B.flat();
  [0, 1, 1, 8].forEach((want, i) => expect(Math.abs(q[i]! - want), `Q_tot(2B)[${i}] = ${q[i]}`).toBeLessThan(0.1));
}

const deno = findBinary("deno");
const bun = findBinary("bun");
// Skipped tests' names are not shown by the default reporter; say it here.
if (!deno) console.warn("SKIPPING the Deno smoke test: no deno binary in node_modules/@deno/*, node_modules/deno or on PATH (the npm package `deno` installs it)");
if (!bun) console.warn("SKIPPING the Bun smoke test: no bun binary in node_modules/@oven/*, node_modules/bun or on PATH (the npm package `bun` installs it)");

describe("other runtimes", () => {
  // --no-config: read no deno.json/package.json (the script imports only
  // relative .ts paths); the one permission is reading the preset.
  it.skipIf(!deno)(`Deno trains two_step from the .ts sources to greedy return 8${deno ? "" : " — SKIPPED: no deno binary (npm package `deno` not installed for this platform)"}`, async () => {
    expectSolved(await train(deno!, ["run", "--no-config", "--no-prompt", "--allow-read=presets", SCRIPT]), /^Deno\//);
  });

  it.skipIf(!bun)(`Bun trains two_step from the .ts sources to greedy return 8${bun ? "" : " — SKIPPED: no bun binary (npm package `bun` not installed for this platform)"}`, async () => {
    expectSolved(await train(bun!, ["run", SCRIPT]), /^Bun\//);
  });

  // getRunner fetches the preset itself (no loaders given), as it would in a browser.
  const RUNNER = join("test", "runtime", "get_runner_two_step.ts");
  const expectRun = (r: unknown) => expect(r).toMatchObject({ tEnv: TMAX, tMax: TMAX, mixingEmbedDim: 8, best: 8 });
  it.skipIf(!deno)("Deno runs getRunner({ method, env, envId }).run() with the preset fetched beside the sources", async () => {
    expectRun(await train(deno!, ["run", "--no-config", "--no-prompt", "--allow-read=presets", RUNNER]));
  });
  it.skipIf(!bun)("Bun runs getRunner({ method, env, envId }).run() with the preset fetched beside the sources", async () => {
    expectRun(await train(bun!, ["run", RUNNER]));
  });
});
