// How a trained team plays: on greedy episodes of the team in a weights file
// (best.safetensors, a checkpoint, or the shipped
// models/simple_spread_v3-qmix.safetensors), the mean team reward at each
// step, the return split into the approach (steps 0–7) and the rest, how
// often agents choose no-op or change action, collisions per episode, and
// how far each landmark's nearest agent is at the middle and the end of the
// episode. On simple_spread it tells a team that is slow to reach the
// landmarks from one that reaches them and then hovers too far off.
//
// `planner` in place of a file plays a hand-written controller on the same
// episodes, for scale: at the first step it gives each agent a landmark (the
// assignment with the least total distance), then every step each agent
// picks the first action of the H-step action sequence (5^H searched) that
// keeps it closest to its landmark under simple_spread's own dynamics
// (position += v·dt, v ← 0.75 v + 0.5 · direction; collisions ignored).
// Everything it uses is in each agent's observation.
//
//   npx tsx scripts/behaviour.ts [WEIGHTS | planner ...] [--episodes N] [--horizon H]
//   (default: the shipped team, 200 episodes; planner horizon 4)

import { readFileSync } from "node:fs";
import "../src/envs/index.ts";
import { makeEnv } from "../src/envs/registry.ts";
import type { MultiAgentEnv } from "../src/envs/env.ts";
import { SimpleSpreadEnv } from "../src/envs/simple_spread.ts";
import { wrapTimestep } from "../src/envs/timestep.ts";
import { readConfig } from "../src/train/checkpoint.ts";
import { DecentralisedPolicy } from "../src/qmix/policy.ts";
import { Rng } from "../src/tensor/random.ts";

function option(name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const v = Number(args[at + 1]);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${args[at + 1]}`);
  return v;
}
const args = process.argv.slice(2);
const episodes = option("--episodes", 200);
const horizon = option("--horizon", 4);
const files = args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--"));
if (files.length === 0) files.push("models/simple_spread_v3-qmix.safetensors");

interface Team {
  env: MultiAgentEnv;
  world: SimpleSpreadEnv;
  reset(): void;
  act(): Int32Array;
}

/** The innermost environment under the time wrappers. */
function unwrap(env: MultiAgentEnv): SimpleSpreadEnv {
  let e: MultiAgentEnv = env;
  while ("inner" in e) e = (e as { inner: MultiAgentEnv }).inner;
  if (!(e instanceof SimpleSpreadEnv)) throw new Error(`behaviour: needs simple_spread, got ${e.name}`);
  return e;
}

function learnedTeam(file: string): Team {
  const bytes = new Uint8Array(readFileSync(file));
  const config = readConfig(bytes);
  const policy = DecentralisedPolicy.fromBytes(bytes);
  const env = wrapTimestep(makeEnv(config.env, { ...config.envArgs, seed: 1 }), config);
  const rng = new Rng(3);
  return {
    env,
    world: unwrap(env),
    reset: () => policy.reset(1),
    act: () => Int32Array.from(policy.act(env.getObs(), env.getAvailActions(), 0, rng)),
  };
}

const DIRS = [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]] as const;

function plannerTeam(H: number): Team {
  const world = new SimpleSpreadEnv({ seed: 1 });
  const n = world.nAgents;
  let target: number[] = [];
  // Sum of distances to (lx, ly) over the steps the sequence moves the agent, plus 3 steps of coasting.
  const cost = (px: number, py: number, vx: number, vy: number, lx: number, ly: number, seq: number[]): number => {
    let c = 0;
    for (let k = 0; k < seq.length + 3; k++) {
      px += vx * 0.1; py += vy * 0.1; vx *= 0.75; vy *= 0.75;
      const d = DIRS[k < seq.length ? seq[k]! : 0]!;
      vx += d[0] * 0.5; vy += d[1] * 0.5;
      if (k > 0) c += Math.hypot(px - lx, py - ly);
    }
    return c;
  };
  const permutations = (k: number): number[][] => (k === 0 ? [[]] : permutations(k - 1).flatMap((p) => Array.from({ length: k }, (_, i) => [...p.slice(0, i), k - 1, ...p.slice(i)])));
  const perms = permutations(n);
  return {
    env: world,
    world,
    reset: () => {
      const w = world.getWorldState();
      let best = Infinity;
      for (const p of perms) {
        const s = p.reduce((acc, l, i) => acc + Math.hypot(w.agentPos[i]![0]! - w.landmarkPos[l]![0]!, w.agentPos[i]![1]! - w.landmarkPos[l]![1]!), 0);
        if (s < best) { best = s; target = p; }
      }
    },
    act: () => {
      const w = world.getWorldState();
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const [px, py] = w.agentPos[i]! as [number, number];
        const [vx, vy] = w.agentVel[i]! as [number, number];
        const [lx, ly] = w.landmarkPos[target[i]!]! as [number, number];
        let bestCost = Infinity;
        for (let s = 0; s < 5 ** H; s++) {
          const seq: number[] = [];
          for (let k = 0, x = s; k < H; k++, x = Math.floor(x / 5)) seq.push(x % 5);
          const c = cost(px, py, vx, vy, lx, ly, seq);
          if (c < bestCost - 1e-12) { bestCost = c; out[i] = seq[0]!; }
        }
      }
      return out;
    },
  };
}

const quantile = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(p * (a.length - 1))]!;

for (const file of files) {
  const team = file === "planner" ? plannerTeam(horizon) : learnedTeam(file);
  const { env, world } = team;
  const T = env.episodeLimit;
  const perStep = new Float64Array(T);
  const mid: number[] = [], end: number[] = [];
  let noop = 0, changes = 0, choices = 0, collisions = 0, uncovered = 0;
  for (let e = 0; e < episodes; e++) {
    env.reset(5000 + e);
    team.reset();
    let prev: Int32Array | null = null;
    for (let t = 0; t < T; t++) {
      const a = team.act();
      for (let i = 0; i < a.length; i++) {
        if (a[i] === 0) noop++;
        if (prev && prev[i] !== a[i]) changes++;
        choices++;
      }
      prev = a;
      const r = env.step(a);
      perStep[t]! += r.reward / episodes;
      collisions += Number(r.info?.collisions ?? 0) / episodes;
      if (t === Math.floor(T / 2) || t === T - 1) {
        const w = world.getWorldState();
        const d = w.landmarkPos.map((l) => Math.min(...w.agentPos.map((p) => Math.hypot(p[0]! - l[0]!, p[1]! - l[1]!))));
        (t === T - 1 ? end : mid).push(...d);
        if (t === T - 1 && Math.max(...d) > 0.4) uncovered++;
      }
      if (r.terminated || r.truncated) break;
    }
  }
  const sum = (a: number, b: number) => perStep.slice(a, b).reduce((x, y) => x + y, 0);
  const pct = (x: number) => `${((100 * x) / choices).toFixed(0)}%`;
  const dist = (d: number[]) => `median ${quantile(d, 0.5).toFixed(3)}, 90th percentile ${quantile(d, 0.9).toFixed(3)}`;
  process.stdout.write(
    `${file === "planner" ? `planner (horizon ${horizon})` : file}: return ${sum(0, T).toFixed(2)} over ${episodes} greedy episodes (steps 0–7 ${sum(0, 8).toFixed(2)}, 8–${T - 1} ${sum(8, T).toFixed(2)}); ` +
      `no-op ${pct(noop)}, action changes ${pct(changes)}, collisions per episode ${collisions.toFixed(2)}\n` +
      `  nearest agent to each landmark: at step ${Math.floor(T / 2)} ${dist(mid)}; at the end ${dist(end)}; episodes ending with a landmark over 0.4 away: ${uncovered}\n` +
      `  mean reward per step: ${Array.from(perStep, (x) => x.toFixed(2)).join(" ")}\n`,
  );
}
