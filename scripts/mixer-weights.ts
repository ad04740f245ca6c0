// How a trained QMIX mixer combines its agents: on greedy episodes of the
// team in a weights file (best.safetensors, a checkpoint, or the shipped
// models/simple_spread_v3-qmix.safetensors), the mixing weights
// ∂Q_tot/∂Qᵢ of the chosen actions at every step, how far apart the agents'
// weights are within a step, and how much of Q_tot the agents' Qs carry
// against the state term. A mixer that has learned VDN's sum shows weights
// near one constant; monotonicity is the promise that none is negative.
//
//   npx tsx scripts/mixer-weights.ts [WEIGHTS] [--episodes N]   (default: the shipped team, 32 episodes)

import { readFileSync } from "node:fs";
import { backward, noGrad } from "../src/autograd/tape.ts";
import "../src/envs/index.ts";
import { decodeSafetensors } from "../src/nn/safetensors.ts";
import { readConfig } from "../src/train/checkpoint.ts";
import { buildBatchInputs } from "../src/qmix/inputs.ts";
import { Trainer } from "../src/train/trainer.ts";
import { Rng } from "../src/tensor/random.ts";
import { Tensor } from "../src/tensor/tensor.ts";

const args = process.argv.slice(2);
const at = args.indexOf("--episodes");
const episodes = at >= 0 ? Number(args[at + 1]) : 32;
const file = args.find((a, i) => !a.startsWith("--") && (at < 0 || i !== at + 1)) ?? "models/simple_spread_v3-qmix.safetensors";
if (!Number.isInteger(episodes) || episodes < 1) throw new RangeError(`--episodes must be a positive integer, got ${args[at + 1]}`);

const bytes = readFileSync(file);
const config = readConfig(bytes);
if (config.mixer !== "qmix") throw new RangeError(`${file}: a ${config.mixer} team has no mixing network to inspect (need mixer "qmix")`);
const trainer = new Trainer({ ...config, batchSizeRun: episodes, learnerThreads: 1 });
const { tensors } = decodeSafetensors(bytes);
const part = (prefix: string) => new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
const { agent, mixer } = trainer.learner;
agent.loadStateDict(part("agent."));
mixer!.loadStateDict(part("mixer."));

// Greedy episodes with test-style seeds, then Q of each chosen action.
const run = trainer.runner.run(0, new Rng(1), Array.from({ length: episodes }, (_, e) => 1_000_000 + e));
const b = run.batch, { B, T, nAgents: n, nActions: A, obsDim: O, stateDim: S } = b;
const qs = noGrad(() => agent.unroll(new Tensor(buildBatchInputs(b.obs, b.actions, B, T + 1, n, O, A, trainer.learner.config.inputs), [T + 1, B * n, agent.inputDim]))).data;
const rows: number[] = [];
for (let e = 0; e < B; e++) for (let t = 0; t < T; t++) if (b.filled[e * (T + 1) + t]) rows.push(e * (T + 1) + t);
const R = rows.length, q = new Float32Array(R * n), states = new Float32Array(R * S);
rows.forEach((row, r) => {
  const e = Math.floor(row / (T + 1)), t = row % (T + 1);
  for (let i = 0; i < n; i++) q[r * n + i] = qs[((t * B + e) * n + i) * A + b.actions[row * n + i]!]!;
  states.set(b.state.subarray(row * S, (row + 1) * S), r * S);
});
const qt = new Tensor(q, [R, n]);
qt.requiresGrad = true;
const qTot = mixer!.forward(qt, new Tensor(states, [R, S]));
backward(qTot, new Float32Array(R).fill(1));
const w = qt.grad!;

const quantiles = (xs: number[]) => {
  const s = xs.slice().sort((x, y) => x - y), m = s.reduce((a, x) => a + x, 0) / s.length;
  const p = (f: number) => s[Math.min(s.length - 1, Math.floor(f * s.length))]!.toFixed(3);
  return `mean ${m.toFixed(3)}  p10 ${p(0.1)}  median ${p(0.5)}  p90 ${p(0.9)}  min ${s[0]!.toFixed(3)}`;
};
const spread: number[] = [], weighted: number[] = [], rest: number[] = [];
for (let r = 0; r < R; r++) {
  const ws = Array.from(w.subarray(r * n, r * n + n));
  spread.push(Math.max(...ws) / Math.max(1e-9, Math.min(...ws)));
  let s = 0;
  for (let i = 0; i < n; i++) s += ws[i]! * q[r * n + i]!;
  weighted.push(s);
  rest.push(qTot.data[r]! - s);
}
let ret = 0;
for (const x of run.returns) ret += x;
console.log(`${file}: ${B} greedy episodes (mean return ${(ret / B).toFixed(2)}), ${R} steps, ${n} agents`);
console.log(`mixing weight ∂Q_tot/∂Qᵢ          ${quantiles(Array.from(w))}`);
console.log(`largest / smallest weight in a step ${quantiles(spread)}`);
console.log(`Q_tot                               ${quantiles(Array.from(qTot.data))}`);
console.log(`Σᵢ wᵢ·Qᵢ (the agents' part)         ${quantiles(weighted)}`);
console.log(`Q_tot − Σᵢ wᵢ·Qᵢ (state terms)      ${quantiles(rest)}`);
