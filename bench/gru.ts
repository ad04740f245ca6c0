// Workload: the QMIX agent's GRU (the "qmix-spread update" of bench/README.md: R = 32 episodes × 3 agents = 96
// rows, input = hidden = 64), with every input and parameter requiring grad
// except in the no-grad case:
//   gruCell      one step: x [96, 64], h [96, 64] → h' [96, 64], fwd+bwd
//   gruSequence  26 steps of the recurrence over precomputed input
//                projections gi [26, 96, 192] from h0 [96, 64]:
//                fwd, no grad      (the target network's unroll)
//                fwd, saving gates (the online network's unroll)
//                fwd+bwd           (the online unroll and its backward)
// Three backends run interleaved per case (one sample of each per round):
//   js      the JS loops and JS matmul (what QMIX_BACKEND=js runs)
//   hybrid  JS gate loops with the wasm SIMD matmul, one call per step
//           (the JS backend's recurrence over the wasm products: gruSequence
//           before the fused kernels)
//   wasm    the fused recurrence, one wasm call for the forward and one for
//           the backward (src/tensor/backends/wasm/gru.ts)
// Figures: ms per call (median, min, max), GFLOP/s from the median counting
// matrix-product flops only (forward 2·R·in·3H + 2·R·H·3H per step, backward
// twice that; the gate arithmetic rides along in the time), and each
// backend's median over the wasm median.
//
//   npx tsx bench/gru.ts [--json] [--samples N]

import { backward, noGrad } from "../src/autograd/tape.ts";
import { gruCell, gruSequence } from "../src/nn/functional.ts";
import { randUniform } from "../src/tensor/create.ts";
import { Rng } from "../src/tensor/random.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import type { Backend } from "../src/tensor/backend.ts";
import { jsBackend, wasmBackend, withBackend } from "../src/tensor/backends/active.ts";
import { gruBackwardWith, gruForwardWith } from "../src/tensor/backends/js/gru.ts";
import { wasmStatus } from "../src/tensor/backends/wasm/index.ts";
import { type Stats, environment, fixed, gflops, hasFlag, measureInterleaved, option, table } from "./util.ts";

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

const stepFlops = 2 * R * IN * 3 * H + 2 * R * H * 3 * H, seqFlops = T * 2 * R * H * 3 * H;
const cases: { name: string; flops: number; fn: () => void }[] = [
  {
    name: `gruCell ${R}×${IN}→${H}, fwd+bwd`,
    flops: 3 * stepFlops,
    fn: () => { clearGrads(); backward(gruCell(x, h, wIH, wHH, bIH, bHH), gStep); },
  },
  {
    name: `gruSequence T=${T} ${R}×${H}, fwd no grad`,
    flops: seqFlops,
    fn: () => { noGrad(() => gruSequence(gi, h, wHH, bHH)); },
  },
  {
    name: `gruSequence T=${T} ${R}×${H}, fwd saving gates`,
    flops: seqFlops,
    fn: () => { gruSequence(gi, h, wHH, bHH); },
  },
  {
    name: `gruSequence T=${T} ${R}×${H}, fwd+bwd`,
    flops: 3 * seqFlops,
    fn: () => { clearGrads(); backward(gruSequence(gi, h, wHH, bHH), gSeq); },
  },
];

type Variant = "js" | "hybrid" | "wasm";
const wasm = wasmBackend();
const kernels: Record<Variant, Backend | null> = {
  js: jsBackend,
  hybrid: wasm && {
    ...wasm,
    gruForward: (...a) => gruForwardWith(wasm, ...a),
    gruBackward: (...a) => gruBackwardWith(wasm, ...a),
  },
  wasm,
};
const backends: Variant[] = wasm ? ["js", "hybrid", "wasm"] : ["js"];
if (!json && backends.length === 1) console.log(`(the wasm backend is ${wasmStatus()}: JS figures only)\n`);

const rows: string[][] = [];
for (const c of cases) {
  const stats: Stats[] = measureInterleaved(backends.map((b) => () => withBackend(kernels[b]!, c.fn)), { samples });
  const ref = stats[backends.indexOf("wasm")];
  backends.forEach((b, v) => {
    const st = stats[v]!, ratio = ref ? st.median / ref.median : NaN;
    if (json) {
      console.log(JSON.stringify({
        bench: "gru", case: c.name, backend: b, flops: c.flops,
        ms: { median: st.median, min: st.min, max: st.max }, gflops: gflops(c.flops, st.median), vs_wasm: ratio,
      }));
    }
    rows.push([v === 0 ? c.name : "", b, fixed(st.median, 3), fixed(st.min, 3), fixed(st.max, 3), fixed(gflops(c.flops, st.median)), fixed(ratio)]);
  });
}
if (!json) {
  console.log(`GRU forward/backward, ${environment()}, ${samples} samples each, backends interleaved\n`);
  console.log(table(["case", "backend", "ms med", "min", "max", "GFLOP/s", "× wasm"], rows));
}
