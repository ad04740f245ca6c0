// Workload: the matrix products of one "qmix-spread" update, as in
// bench/matmul.ts (rows 96 = one step of 32 episodes × 3 agents, 800 = the
// mixer's batch, 2496 = 26 steps fused), each Linear rows×in → out in its
// three layouts:
//   forward  NT  y[rows,out]  += x[rows,in] · W[out,in]ᵀ
//   backward NN  dx[rows,in]  += g[rows,out] · W[out,in]
//   backward TN  dW[out,in]   += g[rows,out]ᵀ · x[rows,in]
// Three variants run interleaved per shape: the JS kernels of
// src/tensor/backends/js/matmul.ts, the wasm SIMD kernels through their
// JS-signature wrappers (copies in and out included), and the bare wasm
// kernel on operands already in wasm memory (what the copies cost is the gap
// between the two).
// Then small cubes m = k = n, to show where the per-call overhead makes JS
// the better choice. Figures: GFLOP/s (2·m·k·n per product) from the median
// sample and from the best one (on a shared machine the best is the steadier
// figure), wasm / JS as a ratio of medians, and the copies' share of the
// wrapper's best time.
//
//   npx tsx bench/wasm.ts [--json] [--samples N]

import { jsMatmulNN as matmulNN, jsMatmulNT as matmulNT, jsMatmulTN as matmulTN } from "../src/tensor/backends/js/matmul.ts";
import { wasmMatmulNN, wasmMatmulNT, wasmMatmulTN } from "../src/tensor/backends/wasm/matmul.ts";
import { type WasmKernelExports, wasmAvailable, wasmKernelExports, wasmStatus } from "../src/tensor/backends/wasm/module.ts";
import { HOT_LINEAR_SHAPES, type Layout, linearDims, type Stats, environment, fixed, gflops, hasFlag, measureInterleaved, option, randomArray, table } from "./util.ts";

type Kernel = typeof matmulNN;

const js: Record<Layout, Kernel> = { NT: matmulNT, NN: matmulNN, TN: matmulTN };
const wasm: Record<Layout, Kernel> = { NT: wasmMatmulNT, NN: wasmMatmulNN, TN: wasmMatmulTN };

const shapes = HOT_LINEAR_SHAPES;
const dims = linearDims;

/** The bare kernel on operands placed in wasm memory once (same layout as the backend uses). */
function bare(ex: WasmKernelExports, layout: Layout, A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number): () => void {
  const al = (x: number) => (x + 15) & ~15;
  const aP = 0, bP = al(4 * m * k), cP = al(bP + 4 * k * n + 16), tP = al(cP + 4 * m * n + 16), end = tP + 4 * k * n + 16;
  const have = ex.memory.buffer.byteLength;
  if (end > have) ex.memory.grow(Math.ceil((end - have) / 65536));
  const heap = new Float32Array(ex.memory.buffer);
  heap.set(A, aP / 4); heap.set(B, bP / 4); heap.set(C, cP / 4);
  if (layout === "NN") return () => ex.nn(aP, bP, cP, m, k, n);
  if (layout === "TN") return () => ex.tn(aP, bP, cP, m, k, n);
  return () => ex.nt(aP, bP, cP, m, k, n, tP);
}

const json = hasFlag("--json");
const samples = option("--samples", 15);

if (!wasmAvailable()) {
  console.log(`bench/wasm.ts: nothing to compare, the wasm backend is ${wasmStatus()}`);
} else {
  const ex = wasmKernelExports()!;
  const rows: string[][] = [];
  const record = (r: Record<string, unknown>) => { if (json) console.log(JSON.stringify({ bench: "wasm", ...r })); };

  for (const s of shapes) {
    for (const layout of ["NT", "NN", "TN"] as const) {
      const [m, k, n] = dims(layout, s.rows, s.inp, s.out);
      const A = randomArray(m * k, 1), B = randomArray(k * n, 2), C = randomArray(m * n, 3);
      const [tj, tw, tb] = measureInterleaved([
        () => js[layout](A, B, C, m, k, n),
        () => wasm[layout](A, B, C, m, k, n),
        bare(ex, layout, A, B, C, m, k, n),
      ], { samples }) as [Stats, Stats, Stats];
      const flops = 2 * m * k * n;
      const g = (t: Stats) => gflops(flops, t.median), best = (t: Stats) => gflops(flops, t.min);
      const ratio = tj.median / tw.median, copies = 1 - tb.min / tw.min;
      record({
        shape: s.name, layout, m, k, n, ratio, copyShare: copies,
        js: { gflops: g(tj), best: best(tj), worst: gflops(flops, tj.max) },
        wasm: { gflops: g(tw), best: best(tw), worst: gflops(flops, tw.max) },
        bare: { gflops: g(tb), best: best(tb), worst: gflops(flops, tb.max) },
      });
      rows.push([
        layout === "NT" ? `${s.name} ${s.rows}×${s.inp}→${s.out}` : "", layout, `${m}×${k}×${n}`,
        fixed(g(tj)), fixed(best(tj)), fixed(g(tw)), fixed(best(tw)), fixed(best(tb)), `${fixed(ratio)}×`, `${fixed(100 * copies, 0)}%`,
      ]);
    }
  }

  // Small cubes: where the copies and the call stop paying.
  const small: string[][] = [];
  for (const size of [4, 8, 12, 16, 24, 32, 48]) {
    const m = size, k = size, n = size;
    const A = randomArray(m * k, 4), B = randomArray(k * n, 5), C = randomArray(m * n, 6);
    const cells: string[] = [`${m}×${k}×${n}`];
    for (const layout of ["NT", "NN", "TN"] as const) {
      const [tj, tw] = measureInterleaved([() => js[layout](A, B, C, m, k, n), () => wasm[layout](A, B, C, m, k, n)], { samples }) as [Stats, Stats];
      record({ shape: `cube ${size}`, layout, m, k, n, jsUs: tj.median * 1e3, wasmUs: tw.median * 1e3, ratio: tj.median / tw.median });
      cells.push(`${fixed(tj.median * 1e3)} / ${fixed(tw.median * 1e3)}`, `${fixed(tj.median / tw.median)}×`);
    }
    small.push(cells);
  }

  if (!json) {
    console.log(`wasm SIMD vs JS matmul kernels, ${environment()}, ${samples} samples each, GFLOP/s\n`);
    console.log(table(["Linear rows×in→out", "layout", "m×k×n", "JS med", "best", "wasm med", "best", "bare best", "wasm/JS", "copies"], rows));
    console.log("\nsmall cubes, median µs per call JS / wasm (with copies), and wasm/JS speed\n");
    console.log(table(["m×k×n", "NT µs", "NT", "NN µs", "NN", "TN µs", "TN"], small));
  }
}
