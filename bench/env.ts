// Workload: one environment stepped with uniformly random available actions
// (our seeded generator), as a runner drives it: reset, then every step the
// available actions, the joint action, step(), the observations and the
// state, until the episode ends. Default smaclite/2s3z; any registered name.
// Prints environment steps per second (median of --rounds timed runs of
// --steps steps each) and where the time goes: world ticks (step), the
// observations, the state and the available actions, each timed apart.
// With --vs-smaclite, SMAClite itself (bench/smaclite_env.py, run with
// SMACLITE_PATH and GYM_PATH set as ../shared/tools/gen_smaclite_traces.py
// says) is timed the same way in rounds interleaved with ours, and the ratio
// printed. Prints figures only; never asserts.
//
//   npx tsx bench/env.ts [--env NAME] [--steps N] [--rounds R] [--json] [--vs-smaclite]

import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { makeEnv } from "../src/envs/index.ts";
import { Rng } from "../src/tensor/random.ts";
import { environment, fixed, hasFlag, option, table } from "./util.ts";

const args = process.argv.slice(2);
const envName = args[args.indexOf("--env") + 1] && args.includes("--env") ? args[args.indexOf("--env") + 1]! : "smaclite/2s3z";
const steps = option("--steps", 20000);
const rounds = option("--rounds", 5);
const json = hasFlag("--json");
const vsSmaclite = hasFlag("--vs-smaclite");

interface Run {
  stepsPerSec: number;
  ms: { step: number; obs: number; state: number; avail: number; reset: number };
  episodes: number;
}

function run(n: number, seed: number): Run {
  const env = makeEnv(envName, { seed });
  const rng = new Rng(seed);
  const actions = new Int32Array(env.nAgents);
  const ms = { step: 0, obs: 0, state: 0, avail: 0, reset: 0 };
  let episodes = 0;
  let t = performance.now();
  env.reset(seed);
  ms.reset += performance.now() - t;
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    t = performance.now();
    const avail = env.getAvailActions();
    const t1 = performance.now();
    ms.avail += t1 - t;
    for (let i = 0; i < env.nAgents; i++) {
      let count = 0;
      for (let a = 0; a < env.nActions; a++) count += avail[i * env.nActions + a]!;
      let pick = rng.int(count);
      for (let a = 0; a < env.nActions; a++) if (avail[i * env.nActions + a] && pick-- === 0) actions[i] = a;
    }
    const t2 = performance.now();
    const r = env.step(actions);
    const t3 = performance.now();
    env.getObs();
    const t4 = performance.now();
    env.getState();
    const t5 = performance.now();
    ms.step += t3 - t2;
    ms.obs += t4 - t3;
    ms.state += t5 - t4;
    if (r.terminated || r.truncated) {
      episodes++;
      env.reset();
      ms.reset += performance.now() - t5;
    }
  }
  const total = performance.now() - t0;
  env.close?.();
  return { stepsPerSec: (n / total) * 1000, ms, episodes };
}

function smaclite(n: number, seed: number): number {
  const out = execFileSync("/usr/bin/python3", [join(import.meta.dirname, "smaclite_env.py"), "--map", envName.replace(/^smaclite\//, ""), "--steps", String(n), "--seed", String(seed)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return (JSON.parse(out.trim().split("\n").pop()!) as { steps_per_sec: number }).steps_per_sec;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

run(Math.min(steps, 2000), 999); // warm-up: let the JIT compile the hot paths
const ours: Run[] = [];
const theirs: number[] = [];
// SMAClite is about 300x slower: it gets fewer steps per round, so a round of both takes comparable time
const theirSteps = Math.max(200, Math.round(steps / 100));
for (let r = 0; r < rounds; r++) {
  ours.push(run(steps, r));
  if (vsSmaclite) theirs.push(smaclite(theirSteps, r));
}
const sps = median(ours.map((r) => r.stepsPerSec));
const share = (k: keyof Run["ms"]) => ours.reduce((a, r) => a + r.ms[k], 0) / ours.reduce((a, r) => a + Object.values(r.ms).reduce((x, y) => x + y, 0), 0);
const perStepUs = (k: keyof Run["ms"]) => (ours.reduce((a, r) => a + r.ms[k], 0) / (steps * rounds)) * 1000;
const result: Record<string, unknown> = {
  env: envName, steps_per_sec: Math.round(sps), steps, rounds,
  min_steps_per_sec: Math.round(Math.min(...ours.map((r) => r.stepsPerSec))), max_steps_per_sec: Math.round(Math.max(...ours.map((r) => r.stepsPerSec))),
  us_per_step: { step: perStepUs("step"), obs: perStepUs("obs"), state: perStepUs("state"), avail: perStepUs("avail"), reset: perStepUs("reset") },
};
if (vsSmaclite) Object.assign(result, { smaclite_steps_per_sec: median(theirs), smaclite_steps: theirSteps, ratio: sps / median(theirs) });
if (json) process.stdout.write(JSON.stringify(result) + "\n");
else {
  process.stdout.write(`${envName}: random available actions, ${steps} steps a round, ${rounds} rounds (${environment()})\n`);
  process.stdout.write(`steps/s median ${fixed(sps, 0)} (min ${result.min_steps_per_sec}, max ${result.max_steps_per_sec})\n`);
  process.stdout.write(table(["part", "µs/step", "share"], (["step", "obs", "state", "avail", "reset"] as const).map((k) => [k, fixed(perStepUs(k), 1), `${fixed(100 * share(k), 1)}%`])) + "\n");
  if (vsSmaclite) process.stdout.write(`SMAClite: ${fixed(median(theirs), 1)} steps/s (median of ${rounds} interleaved rounds of ${theirSteps} steps); ours / SMAClite = ${fixed(sps / median(theirs), 0)}x\n`);
}
