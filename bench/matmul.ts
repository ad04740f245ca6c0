// Workload: the matrix products of one "qmix-spread" update (bench/README.md:
// B = 32 episodes, n = 3 agents, 26 steps, agent input 26, H = 64, state 54,
// hypernet hidden 64, embed 32). Each shape is a Linear rows×in → out, timed
// in the three layouts `linear` and `gruSequence` call:
//   forward  NT  y[rows,out]  += x[rows,in] · W[out,in]ᵀ
//   backward NN  dx[rows,in]  += g[rows,out] · W[out,in]
//   backward TN  dW[out,in]   += g[rows,out]ᵀ · x[rows,in]
// Rows: 96 = 32 episodes × 3 agents (one step), 800 = 32 × 25 (mixer over a
// batch), 2496 = 26 steps × 96 (all steps fused into one product).
// The mixer's batched products (800 × [1×3]·[3×32], 800 × [1×32]·[32×1]) are
// timed too: there per-call overhead, not arithmetic, is what counts.
// Figures are GFLOP/s (2·m·k·n per product) as median, min, max over samples,
// and the ratio to a plain-loop reference run interleaved with the kernel.
//
//   npx tsx bench/matmul.ts [--json] [--samples N]

import { jsMatmulNN as matmulNN, jsMatmulNT as matmulNT, jsMatmulTN as matmulTN } from "../src/tensor/backends/js/matmul.ts";
import { HOT_LINEAR_SHAPES, type Layout, linearDims, type Stats, environment, fixed, gflops, hasFlag, measureInterleaved, option, randomArray, table } from "./util.ts";

type Kernel = (A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number, aOff?: number, bOff?: number, cOff?: number) => void;

// Reference: the plainest loop for each layout (STYLE.md's i-k-j; a dot
// product per output; p-i-j), so the ratio says what the blocking buys.
const reference: Record<Layout, Kernel> = {
  NN(A, B, C, m, k, n) {
    for (let i = 0; i < m; i++) { const ci = i * n;
      for (let p = 0; p < k; p++) { const a = A[i * k + p]!, bp = p * n;
        for (let j = 0; j < n; j++) C[ci + j]! += a * B[bp + j]!; } }
  },
  NT(A, B, C, m, k, n) {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p]! * B[j * k + p]!;
      C[i * n + j]! += s;
    }
  },
  TN(A, B, C, m, k, n) {
    for (let p = 0; p < k; p++) for (let i = 0; i < m; i++) { const a = A[p * m + i]!, ci = i * n, bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j]! += a * B[bp + j]!; }
  },
};
const kernels: Record<Layout, Kernel> = { NT: matmulNT, NN: matmulNN, TN: matmulTN };

const shapes = HOT_LINEAR_SHAPES;
const dims = linearDims;

const json = hasFlag("--json");
const samples = option("--samples", 15);
const layouts: Layout[] = ["NT", "NN", "TN"];
const rows: string[][] = [];

for (const s of shapes) {
  const record: Record<string, unknown> = { bench: "matmul", shape: s.name, rows: s.rows, in: s.inp, out: s.out };
  for (const layout of layouts) {
    const [m, k, n] = dims(layout, s.rows, s.inp, s.out);
    const A = randomArray(m * k, 1), B = randomArray(k * n, 2), C = new Float32Array(m * n);
    const f = kernels[layout], ref = reference[layout];
    const [st, rs] = measureInterleaved([() => f(A, B, C, m, k, n), () => ref(A, B, C, m, k, n)], { samples }) as [Stats, Stats];
    const flops = 2 * m * k * n;
    const g = { median: gflops(flops, st.median), min: gflops(flops, st.max), max: gflops(flops, st.min) };
    const ratio = rs.median / st.median;
    record[layout] = { m, k, n, gflops: g, ms: { median: st.median, min: st.min, max: st.max }, refGflops: gflops(flops, rs.median), ratioToRef: ratio };
    rows.push([
      layout === "NT" ? `${s.name} ${s.rows}×${s.inp}→${s.out}` : "", layout, `${m}×${k}×${n}`,
      fixed(g.median), fixed(g.min), fixed(g.max), fixed(gflops(flops, rs.median)), `${fixed(ratio)}×`,
    ]);
  }
  if (json) console.log(JSON.stringify(record));
}

// The mixer's batched products, called once per batch element as src/autograd/matmul.ts does.
const batch = 800;
const bmmRows: string[][] = [];
for (const [m, k, n] of [[1, 3, 32], [1, 32, 1]] as const) {
  const A = randomArray(batch * m * k, 3), B = randomArray(batch * k * n, 4), C = randomArray(batch * m * n, 5);
  const gA = new Float32Array(batch * m * k), gB = new Float32Array(batch * k * n);
  const calls: Record<Layout, () => void> = {
    NN: () => { for (let i = 0; i < batch; i++) matmulNN(A, B, C, m, k, n, i * m * k, i * k * n, i * m * n); },
    NT: () => { for (let i = 0; i < batch; i++) matmulNT(C, B, gA, m, n, k, i * m * n, i * k * n, i * m * k); },
    TN: () => { for (let i = 0; i < batch; i++) matmulTN(A, C, gB, k, m, n, i * m * k, i * m * n, i * k * n); },
  };
  const name = `bmm ${batch}×[${m}×${k}]·[${k}×${n}]`;
  const record: Record<string, unknown> = { bench: "matmul", shape: name, batch, m, k, n };
  for (const layout of ["NN", "NT", "TN"] as const) {
    const [st] = measureInterleaved([calls[layout]], { samples }) as [Stats];
    record[layout] = { us: { median: st.median * 1e3, min: st.min * 1e3, max: st.max * 1e3 } };
    bmmRows.push([layout === "NN" ? name : "", layout, fixed(st.median * 1e3, 1), fixed(st.min * 1e3, 1), fixed(st.max * 1e3, 1)]);
  }
  if (json) console.log(JSON.stringify(record));
}

if (!json) {
  console.log(`matmul kernels, ${environment()}, ${samples} samples each\n`);
  console.log(table(["Linear rows×in→out", "layout", "m×k×n", "GFLOP/s med", "min", "max", "ref GFLOP/s", "vs ref"], rows));
  console.log("\nmixer batched products (800 kernel calls; forward NN, backward NT and TN)\n");
  console.log(table(["product", "layout", "µs med", "min", "max"], bmmRows));
}
