// How a trained team plays: on greedy episodes of the team in a weights file
// (best.safetensors, a checkpoint, or the shipped
// models/simple_spread_v3-qmix.safetensors), the mean team reward at each
// step, the return split into the approach (steps 0–7) and the rest, how
// often agents choose no-op or change action, and collisions per episode.
// On simple_spread it tells a team that is slow to reach the landmarks from
// one that reaches them and then hovers too far off.
//
//   npx tsx scripts/behaviour.ts [WEIGHTS ...] [--episodes N]   (default: the shipped team, 200 episodes)

import { readFileSync } from "node:fs";
import "../src/envs/index.ts";
import { makeEnv } from "../src/envs/registry.ts";
import { wrapTimestep } from "../src/envs/timestep.ts";
import { readConfig } from "../src/qmix/checkpoint.ts";
import { DecentralisedPolicy } from "../src/qmix/policy.ts";
import { Rng } from "../src/tensor/random.ts";

const args = process.argv.slice(2);
const at = args.indexOf("--episodes");
const episodes = at >= 0 ? Number(args[at + 1]) : 200;
if (!Number.isInteger(episodes) || episodes < 1) throw new RangeError(`--episodes must be a positive integer, got ${args[at + 1]}`);
const files = args.filter((a, i) => !a.startsWith("--") && (at < 0 || i !== at + 1));
if (files.length === 0) files.push("models/simple_spread_v3-qmix.safetensors");

for (const file of files) {
  const bytes = new Uint8Array(readFileSync(file));
  const config = readConfig(bytes);
  const policy = DecentralisedPolicy.fromBytes(bytes);
  const env = wrapTimestep(makeEnv(config.env, { ...config.envArgs, seed: 1 }), config);
  const rng = new Rng(3);
  const T = env.episodeLimit;
  const perStep = new Float64Array(T);
  let noop = 0, changes = 0, choices = 0, collisions = 0;
  for (let e = 0; e < episodes; e++) {
    env.reset(5000 + e);
    policy.reset(1);
    let prev: Int32Array | null = null;
    for (let t = 0; t < T; t++) {
      const a = Int32Array.from(policy.act(env.getObs(), env.getAvailActions(), 0, rng));
      for (let i = 0; i < a.length; i++) {
        if (a[i] === 0) noop++;
        if (prev && prev[i] !== a[i]) changes++;
        choices++;
      }
      prev = a;
      const r = env.step(a);
      perStep[t]! += r.reward / episodes;
      collisions += Number(r.info?.collisions ?? 0) / episodes;
      if (r.terminated || r.truncated) break;
    }
  }
  const sum = (a: number, b: number) => perStep.slice(a, b).reduce((x, y) => x + y, 0);
  const pct = (x: number) => `${((100 * x) / choices).toFixed(0)}%`;
  process.stdout.write(
    `${file}: return ${sum(0, T).toFixed(2)} over ${episodes} greedy episodes (steps 0–7 ${sum(0, 8).toFixed(2)}, 8–${T - 1} ${sum(8, T).toFixed(2)}); ` +
      `no-op ${pct(noop)}, action changes ${pct(changes)}, collisions per episode ${collisions.toFixed(2)}\n` +
      `  mean reward per step: ${Array.from(perStep, (x) => x.toFixed(2)).join(" ")}\n`,
  );
}
