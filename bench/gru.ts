// Workload: the QMIX agent's GRU (QMIX.md §7: R = 32 episodes × 3 agents = 96
// rows, input = hidden = 64), forward + backward with every input and
// parameter requiring grad, as in training:
//   gruCell      one step: x [96, 64], h [96, 64] → h' [96, 64]
//   gruSequence  26 steps of the recurrence over precomputed input
//                projections gi [26, 96, 192] from h0 [96, 64]
// GFLOP/s counts matrix-product flops only (forward 2·R·in·3H + 2·R·H·3H
// per step, backward twice that); the gate arithmetic rides along in the time.
//
//   npx tsx bench/gru.ts [--json] [--samples N]

import { backward } from "../src/autograd/tape.ts";
import { gruCell, gruSequence } from "../src/nn/functional.ts";
import { randUniform } from "../src/tensor/create.ts";
import { Rng } from "../src/tensor/random.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { type Stats, environment, fixed, gflops, hasFlag, measure, option, table } from "./util.ts";

const R = 96, IN = 64, H = 64, T = 26;
const json = hasFlag("--json");
const samples = option("--samples", 15);
const rng = new Rng(0);
const bound = 1 / Math.sqrt(H); // PyTorch's GRUCell init range
const param = (shape: number[]): Tensor => {
  const t = randUniform(shape, rng, -bound, bound);
  t.requiresGrad = true;
  return t;
};

const wIH = param([3 * H, IN]), wHH = param([3 * H, H]), bIH = param([3 * H]), bHH = param([3 * H]);
const x = param([R, IN]), h = param([R, H]);
const gi = param([T, R, 3 * H]);
const gStep = randUniform([R, H], rng, -1, 1), gSeq = randUniform([T, R, H], rng, -1, 1);
const leaves = [wIH, wHH, bIH, bHH, x, h, gi];
const clearGrads = () => { for (const t of leaves) t.grad = null; };

const cases: { name: string; flops: number; fn: () => void }[] = [
  {
    name: `gruCell ${R}×${IN}→${H}, fwd+bwd`,
    flops: 3 * (2 * R * IN * 3 * H + 2 * R * H * 3 * H),
    fn: () => { clearGrads(); backward(gruCell(x, h, wIH, wHH, bIH, bHH), gStep); },
  },
  {
    name: `gruCell ${R}×${IN}→${H}, fwd only`,
    flops: 2 * R * IN * 3 * H + 2 * R * H * 3 * H,
    fn: () => { gruCell(x, h, wIH, wHH, bIH, bHH); },
  },
  {
    name: `gruSequence T=${T} ${R}×${H}, fwd+bwd`,
    flops: 3 * T * 2 * R * H * 3 * H,
    fn: () => { clearGrads(); backward(gruSequence(gi, h, wHH, bHH), gSeq); },
  },
  {
    name: `gruSequence T=${T} ${R}×${H}, fwd only`,
    flops: T * 2 * R * H * 3 * H,
    fn: () => { gruSequence(gi, h, wHH, bHH); },
  },
];

const rows: string[][] = [];
for (const c of cases) {
  const st: Stats = measure(c.fn, { samples });
  const g = { median: gflops(c.flops, st.median), min: gflops(c.flops, st.max), max: gflops(c.flops, st.min) };
  if (json) console.log(JSON.stringify({ bench: "gru", case: c.name, flops: c.flops, ms: { median: st.median, min: st.min, max: st.max }, gflops: g }));
  rows.push([c.name, fixed(st.median, 3), fixed(st.min, 3), fixed(st.max, 3), fixed(g.median), fixed(g.min), fixed(g.max)]);
}
if (!json) {
  console.log(`GRU forward/backward, ${environment()}, ${samples} samples each\n`);
  console.log(table(["case", "ms med", "min", "max", "GFLOP/s med", "min", "max"], rows));
}
