// Workload: the QMIX paper's two-step game (2 agents, 2 actions, obs and
// state 4) through the process bridge (bridges/python/toy_env.py, one
// `python3` child) against the same game in TypeScript (src/envs/two_step.ts).
//   1. Stepping alone: one call = one episode (reset + 2 steps, joint action
//      (1, 1)), so 3 request/reply round trips through the bridge. Also with
//      100 zeros appended to every observation and the state (--pad 100 on
//      the Python side, a padded twin here), and with arrays as JSON lists
//      instead of base64 Float32. Interleaved samples; µs per env step.
//   2. Training: the two-step preset (presets/two_step.json: feed-forward
//      agents, an update after every episode) for --steps N (4000) env steps,
//      alternating bridge and TypeScript runs (--rounds R, 3); env steps/s of
//      trainLoop, process start-up excluded; and the bridge's added µs per
//      env step from part 1 as a share of a training step.
// Prints figures only; never asserts.
//
//   npx tsx bench/bridge.ts [--steps N] [--rounds R] [--samples S] [--json]

import { readFileSync } from "node:fs";
import { join } from "node:path";
import "../src/envs/index.ts";
import type { MultiAgentEnv, StepResult } from "../src/envs/env.ts";
import { TwoStepEnv } from "../src/envs/two_step.ts";
import { makeEnvWithProcess, ProcessEnv } from "../src/node/process_env.ts";
import { resolveConfig } from "../src/train/config.ts";
import { trainLoop } from "../src/train/loop.ts";
import { Trainer } from "../src/train/trainer.ts";
import { environment, fixed, hasFlag, measureInterleaved, option, table } from "./util.ts";

const ROOT = join(import.meta.dirname, "..");
const TOY = join(ROOT, "bridges", "python", "toy_env.py");
const steps = option("--steps", 4000), rounds = option("--rounds", 3), samples = option("--samples", 15);

/** The two-step game with `pad` zeros after each observation and the state: the TypeScript twin of toy_env.py --pad. */
class PaddedTwoStep implements MultiAgentEnv {
  readonly name = "two_step_padded";
  readonly nAgents = 2; readonly nActions = 2; readonly episodeLimit = 2;
  readonly obsDim: number; readonly stateDim: number;
  private readonly inner = new TwoStepEnv();
  constructor(readonly pad: number) { this.obsDim = this.stateDim = 4 + pad; }
  reset(seed?: number): void { this.inner.reset(seed); }
  step(a: ArrayLike<number>): StepResult { return this.inner.step(a); }
  getObs(): Float32Array {
    const o = new Float32Array(2 * this.obsDim), src = this.inner.getObs();
    for (let i = 0; i < 2; i++) o.set(src.subarray(4 * i, 4 * i + 4), i * this.obsDim);
    return o;
  }
  getState(): Float32Array { const s = new Float32Array(this.stateDim); s.set(this.inner.getState()); return s; }
  getAvailActions(): Uint8Array { return this.inner.getAvailActions(); }
}

/** One episode, reading everything the runner reads at every step. */
function episode(env: MultiAgentEnv): void {
  env.reset(0);
  const joint = [1, 1];
  for (let t = 0; t < env.episodeLimit; t++) {
    env.getObs(); env.getState(); env.getAvailActions();
    if (env.step(joint).terminated) break;
  }
}

const variants: Array<{ label: string; env: MultiAgentEnv }> = [
  { label: "TypeScript two_step", env: new TwoStepEnv() },
  { label: "bridge, base64", env: new ProcessEnv({ command: ["python3", TOY] }) },
  { label: "bridge, JSON lists", env: new ProcessEnv({ command: ["python3", TOY], encoding: "json" }) },
  { label: "TypeScript, pad 100", env: new PaddedTwoStep(100) },
  { label: "bridge, base64, pad 100", env: new ProcessEnv({ command: ["python3", TOY, "--pad", "100"] }) },
  { label: "bridge, JSON lists, pad 100", env: new ProcessEnv({ command: ["python3", TOY, "--pad", "100"], encoding: "json" }) },
];
const stats = measureInterleaved(variants.map((v) => () => episode(v.env)), { samples, sampleMs: 50 });
for (const v of variants) v.env.close?.();
// Every episode of this game is 2 env steps.
const perStep = stats.map((s) => (s.median * 1000) / 2);
const baseline = (i: number) => (i < 3 ? perStep[0]! : perStep[3]!);

const presetFile = JSON.parse(readFileSync(join(ROOT, "presets", "two_step.json"), "utf8")) as Record<string, unknown>;
delete presetFile._about;
function trainRate(env: string): number {
  const trainer = new Trainer(resolveConfig(["preset", presetFile], ["bench", { env, tMax: steps, testNEpisode: 0, saveInterval: 0 }]), makeEnvWithProcess);
  const t0 = performance.now();
  trainLoop(trainer);
  const secs = (performance.now() - t0) / 1000;
  for (const e of [...trainer.envs, trainer.testEnv]) e.close?.();
  return trainer.tEnv / secs;
}
const rates = { ts: [] as number[], bridge: [] as number[] };
for (let r = 0; r < rounds; r++) {
  rates.bridge.push(trainRate(`process:python3 ${TOY}`));
  rates.ts.push(trainRate("two_step"));
}
const median = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s[s.length >> 1]!; };
const train = { ts: median(rates.ts), bridge: median(rates.bridge) };
// The bridge's added cost per env step (fastest samples, the least disturbed by
// other load) as a share of a TypeScript training step: a steadier estimate of
// the slowdown than two noisy wall-clock rates.
const addedUs = ((stats[1]!.min - stats[0]!.min) * 1000) / 2;
const expectedShare = addedUs / (1e6 / train.ts);

if (hasFlag("--json")) {
  console.log(JSON.stringify({
    env_step_us: Object.fromEntries(variants.map((v, i) => [v.label, +perStep[i]!.toFixed(2)])),
    train_steps_per_sec: { typescript: Math.round(train.ts), bridge: Math.round(train.bridge), ratio: +(train.bridge / train.ts).toFixed(3) },
    added_us_per_env_step: +addedUs.toFixed(1), expected_train_slowdown: +expectedShare.toFixed(3),
    steps, rounds, runtime: environment(),
  }));
} else {
  console.log(`Process bridge vs TypeScript on the two-step game, ${environment()}, python3 child\n`);
  console.log(table(["stepping alone", "µs/env step", "min", "max", "env steps/s", "× TypeScript"], variants.map((v, i) => [
    v.label, fixed(perStep[i]!, 2), fixed((stats[i]!.min * 1000) / 2, 2), fixed((stats[i]!.max * 1000) / 2, 2),
    Math.round(1e6 / perStep[i]!).toLocaleString("en"), fixed(perStep[i]! / baseline(i), 1),
  ])));
  console.log(`\ntraining (presets/two_step.json, ${steps} env steps, median of ${rounds}):`);
  console.log(`  TypeScript ${Math.round(train.ts)} env steps/s, bridge ${Math.round(train.bridge)} env steps/s: the bridge runs at ${fixed((100 * train.bridge) / train.ts, 1)}% of the speed`);
  console.log(`  (runs: TypeScript ${rates.ts.map(Math.round).join(", ")}; bridge ${rates.bridge.map(Math.round).join(", ")})`);
  console.log(`  the bridge adds ${fixed(addedUs, 1)} µs per env step (fastest samples), ${fixed(100 * expectedShare, 1)}% of a TypeScript training step`);
}
