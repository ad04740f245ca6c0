// The npm package as a user gets it: build from the sources, `npm pack`,
// install the tarball into an empty folder, and use it there — an ESM import
// of "qmix-ts" that trains the two-step game to the optimal return 8, the
// consumer's TypeScript check against the shipped .d.ts, and the installed
// `qmix` command (its help, a shipped team by pretrained:NAME, a custom
// environment through node --import, and SIGINT, SIGTERM and SIGHUP each
// leaving a complete run folder before it returns). The build runs in a temporary copy of the package inputs,
// so the repository's own dist/ (which the browser test serves) is never
// rewritten under another test.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { complete, started } from "../util/run_folder.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "qmix-pack-"));
const pkg = join(work, "pkg"), app = join(work, "app");
afterAll(() => rmSync(work, { recursive: true, force: true }));

// npm run from `npm test` exports npm_* variables (lifecycle, package paths)
// that would describe this repository to the inner npm; start it clean.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("npm_")));

function npm(cwd: string, ...args: string[]): string {
  return execFileSync("npm", args, { cwd, env: cleanEnv, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
}

interface PackResult { filename: string; files: Array<{ path: string }> }
let packed: PackResult;

beforeAll(() => {
  mkdirSync(pkg);
  for (const f of ["package.json", "tsconfig.json", "tsconfig.build.json", "README.md", "LICENSE", "src", "presets", "models", "scripts/build.ts"]) {
    cpSync(join(ROOT, f), join(pkg, f), { recursive: true });
  }
  symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"), "dir");
  // The build is run here rather than by pack's prepack script, whose output
  // would land in the middle of pack's JSON.
  npm(pkg, "run", "build");
  packed = (JSON.parse(npm(pkg, "pack", "--ignore-scripts", "--json", "--pack-destination", work)) as PackResult[])[0]!;
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  npm(app, "install", "--no-audit", "--no-fund", join(work, packed.filename));
}, 120_000);

describe("npm package", () => {
  it("ships only dist/, presets/, models/, LICENSE, README and package.json", () => {
    const tops = new Set(packed.files.map((f) => f.path.split("/")[0]));
    expect([...tops].sort()).toEqual(["LICENSE", "README.md", "dist", "models", "package.json", "presets"]);
    const paths = packed.files.map((f) => f.path);
    for (const p of ["dist/index.js", "dist/index.d.ts", "dist/node/cli.js", "dist/bin/qmix.js", "presets/two_step.json", "models/simple_spread_v3-qmix.safetensors", "models/smaclite_2s3z-qmix.safetensors"]) expect(paths).toContain(p);
    expect(paths.filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))).toEqual([]);
  });

  it("installs into an empty folder without pulling a dependency", () => {
    const installed = readdirSync(join(app, "node_modules")).filter((d) => !d.startsWith("."));
    expect(installed).toEqual(["qmix-ts"]);
  });

  it('`import { … } from "qmix-ts"` trains two_step (its shipped preset) to greedy return 8 and saves/restores bytes', () => {
    writeFileSync(join(app, "train.js"), `
import { DecentralisedPolicy, encodeModel, qtotTables, resolveConfig, restore, Trainer, trainLoop, twoStepStates } from "qmix-ts";
import { main } from "qmix-ts/node";
import preset from "qmix-ts/presets/two_step.json" with { type: "json" };
// The QMIX paper's two-step setup, as shipped; "_" keys are comments.
const config = resolveConfig(["two_step", Object.fromEntries(Object.entries(preset).filter(([k]) => !k.startsWith("_")))]);
const trainer = new Trainer(config);
let evals = 0;
const loop = trainLoop(trainer, { onEvaluate: () => evals++ });
// Checkpoints are bytes: restore into a fresh trainer, load the team alone.
const bytes = encodeModel(trainer, loop);
const restored = new Trainer(config);
restore(restored, bytes);
const policy = DecentralisedPolicy.fromBytes(bytes);
console.log(JSON.stringify({
  tEnv: trainer.tEnv, tMax: preset.tMax, greedy: trainer.evaluate(1).returnMean, restoredGreedy: restored.evaluate(1).returnMean, evals,
  qtot2B: qtotTables(trainer.learner, twoStepStates())[2].qtot,
  bytes: bytes.length, policyAgents: policy.spec.nAgents, cliMain: typeof main,
}));
`);
    const r = spawnSync(process.execPath, ["train.js"], { cwd: app, encoding: "utf8", timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tEnv: number; tMax: number; greedy: number; restoredGreedy: number; evals: number; qtot2B: number[][]; bytes: number; policyAgents: number; cliMain: string };
    expect(out.tEnv).toBe(out.tMax);
    expect(out.greedy).toBe(8);
    expect(out.restoredGreedy).toBe(8);
    expect(out.evals).toBeGreaterThan(1);
    expect(out.qtot2B[1]![1]!).toBeCloseTo(8, 0);
    expect(out.bytes).toBeGreaterThan(0);
    expect(out.policyAgents).toBe(2);
    expect(out.cliMain).toBe("function");
  });

  it("type-checks a consumer under moduleResolution nodenext against the shipped .d.ts", () => {
    writeFileSync(join(app, "check.ts"), `
import { resolveConfig, Trainer, type Metrics, type MultiAgentEnv } from "qmix-ts";
import { main } from "qmix-ts/node";
const t: Trainer = new Trainer(resolveConfig(["x", { env: "two_step" }]));
const m: Partial<Metrics> = { t_env: t.tEnv };
const code: number = await main(["envs"]);
export type { MultiAgentEnv };
export { m, code };
`);
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
      compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, skipLibCheck: false, types: [] },
      files: ["check.ts"],
    }));
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", app], { cwd: app, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it("the installed `qmix` command runs", () => {
    const bin = join(app, "node_modules", ".bin", "qmix");
    expect(existsSync(bin)).toBe(true);
    const r = spawnSync(bin, ["envs"], { cwd: app, encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^two_step\s/m);
    expect(r.stdout).toMatch(/^simple_spread_v3\s/m);
    // The preset is read from the installed package, not from the caller's folder.
    const t = spawnSync(bin, ["train", "--env", "two_step", "--steps", "200", "--out", "run", "--quiet"], { cwd: app, encoding: "utf8", timeout: 60_000 });
    expect(t.status, t.stderr).toBe(0);
    const config = JSON.parse(readFileSync(join(app, "run", "config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ env: "two_step", agent: "ff", mixingEmbedDim: 8, bufferSize: 500, tMax: 200 });
    // Updates shared with a worker thread load the compiled worker (dist/node/learner_worker.js).
    const p = spawnSync(bin, ["train", "--env", "simple_spread_v3", "--steps", "1200", "--set", "learnerThreads=2", "--out", "run2", "--quiet"], { cwd: app, encoding: "utf8", timeout: 120_000 });
    expect(p.status, p.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(app, "run2", "config.json"), "utf8"))).toMatchObject({ learnerThreads: 2, tMax: 1200 });
  });

  it("evaluates a shipped team by pretrained:NAME from the installed package, and explains its options", () => {
    const bin = join(app, "node_modules", ".bin", "qmix");
    const e = spawnSync(bin, ["eval", "--checkpoint", "pretrained:smaclite_2s3z-qmix", "--episodes", "1", "--json"], { cwd: app, encoding: "utf8", timeout: 60_000 });
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ env: "smaclite/2s3z", episodes: 1, win_rate: 1 });
    const h = spawnSync(bin, ["train", "--help"], { cwd: app, encoding: "utf8" });
    expect(h.stdout).toMatch(/^ {2}--steps N +.*\[default: /m);
  });

  it("trains a custom environment through the CLI: node --import ./my_env.js …/qmix.js train --env mine", () => {
    // The route docs/usage.md describes: the file registers the environment in
    // the package's registry, which the CLI then finds by name.
    writeFileSync(join(app, "my_env.js"), `
import { registerEnv } from "qmix-ts";
class Agree {
  name = "mine"; nAgents = 2; nActions = 2; obsDim = 1; stateDim = 1; episodeLimit = 1;
  reset() {}
  getObs() { return new Float32Array(2); }
  getState() { return new Float32Array(1); }
  getAvailActions() { return new Uint8Array([1, 1, 1, 1]); }
  step(a) { return { reward: a[0] === a[1] ? 1 : 0, terminated: true, truncated: false }; }
}
registerEnv("mine", () => new Agree(), { description: "two agents paid for agreeing" });
`);
    const r = spawnSync(process.execPath, ["--import", "./my_env.js", join("node_modules", "qmix-ts", "dist", "bin", "qmix.js"), "train", "--env", "mine", "--steps", "300", "--out", "mine", "--quiet"], { cwd: app, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(app, "mine", "config.json"), "utf8"))).toMatchObject({ env: "mine", tMax: 300 });
    const l = spawnSync(process.execPath, ["--import", "./my_env.js", join("node_modules", "qmix-ts", "dist", "bin", "qmix.js"), "envs"], { cwd: app, encoding: "utf8" });
    expect(l.stdout).toMatch(/^mine\s+agents 2, actions 2, obs 1, state 1, limit 1/m);
  });

  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    it(`${signal} to the installed qmix: it returns after saving a complete run folder, exit 130`, async () => {
      const out = join(app, `stop-${signal}`);
      const child = spawn(join(app, "node_modules", ".bin", "qmix"), ["train", "--env", "two_step", "--steps", "100000000", "--quiet", "--out", out], { cwd: app, stdio: "ignore" });
      await started(out);
      child.kill(signal);
      const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
      expect(complete(out)).toEqual([]);
      expect(code).toBe(130);
    });
  }
});
