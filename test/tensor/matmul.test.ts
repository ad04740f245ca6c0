// The matrix kernels against a naive triple loop in float64: every layout
// (NN, NT, TN), random shapes including odd sizes and empty ones (the 2-row
// and 2×2 register blocks have tails), operands at offsets inside larger
// buffers, and accumulation into a non-zero C. Elements outside the target
// block must be left alone.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backend } from "../../src/tensor/backends/active.ts";
import { addColumnSums, addRowVector, jsMatmulNN, jsMatmulNT, jsMatmulTN } from "../../src/tensor/backends/js/matmul.ts";
import { Rng } from "../../src/tensor/random.ts";

const RUNS = { seed: 0x165667b1, numRuns: 150 };

// The active backend's kernels (WebAssembly SIMD for large products where available) and the plain JS ones.
const { matmulNN, matmulNT, matmulTN } = backend();
type Kernel = typeof matmulNN;
type Layout = "NN" | "NT" | "TN";

/** A[i,p] and B[p,j] as each layout stores them. */
const aAt = (layout: Layout, A: Float32Array, off: number, m: number, k: number, i: number, p: number): number =>
  layout === "TN" ? A[off + p * m + i]! : A[off + i * k + p]!;
const bAt = (layout: Layout, B: Float32Array, off: number, k: number, n: number, p: number, j: number): number =>
  layout === "NT" ? B[off + j * k + p]! : B[off + p * n + j]!;

const kernels: Array<[Layout, Kernel]> = [["NN", matmulNN], ["NT", matmulNT], ["TN", matmulTN], ["NN", jsMatmulNN], ["NT", jsMatmulNT], ["TN", jsMatmulTN]];

const arbCase = fc.record({
  m: fc.integer({ min: 0, max: 9 }),
  k: fc.integer({ min: 0, max: 9 }),
  n: fc.integer({ min: 0, max: 9 }),
  aOff: fc.integer({ min: 0, max: 5 }),
  bOff: fc.integer({ min: 0, max: 5 }),
  cOff: fc.integer({ min: 0, max: 5 }),
  seed: fc.integer({ min: 0, max: 1e6 }),
  sparse: fc.boolean(),
});

const fill = (n: number, rng: Rng, sparse = false): Float32Array => {
  const a = new Float32Array(n);
  // Sparse inputs take TN's skip-zero branch.
  for (let i = 0; i < n; i++) a[i] = sparse && rng.next() < 0.5 ? 0 : rng.uniform(-2, 2);
  return a;
};

describe("matmul kernels vs a float64 triple loop", () => {
  it.each(kernels)("%s over random shapes, offsets and a non-zero C", (layout, kernel) => {
    fc.assert(
      fc.property(arbCase, ({ m, k, n, aOff, bOff, cOff, seed, sparse }) => {
        const rng = new Rng(seed);
        const pad = 3;
        const A = fill(aOff + m * k + pad, rng, sparse), B = fill(bOff + k * n + pad, rng, sparse);
        const C = fill(cOff + m * n + pad, rng);
        const C0 = C.slice();
        kernel(A, B, C, m, k, n, aOff, bOff, cOff);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let ref = C0[cOff + i * n + j]!, mag = Math.abs(ref);
            for (let p = 0; p < k; p++) {
              const t = aAt(layout, A, aOff, m, k, i, p) * bAt(layout, B, bOff, k, n, p, j);
              ref += t;
              mag += Math.abs(t);
            }
            // float32 accumulation: a few ulps per term at most.
            expect(Math.abs(C[cOff + i * n + j]! - ref)).toBeLessThanOrEqual(1e-6 * (k + 2) * mag + 1e-30);
          }
        }
        for (let q = 0; q < C.length; q++) {
          if (q < cOff || q >= cOff + m * n) expect(C[q]).toBe(C0[q]);
        }
      }),
      RUNS,
    );
  });

  it("exact small products, hand-computed", () => {
    const A = Float32Array.of(1, 2, 3, 4, 5, 6); // [2,3]
    const B = Float32Array.of(7, 8, 9, 10, 11, 12); // [3,2]
    const C = new Float32Array(4);
    matmulNN(A, B, C, 2, 3, 2);
    expect(Array.from(C)).toEqual([58, 64, 139, 154]);
    // NT with B stored as [n,k] = Bᵀ of the above.
    const Bt = Float32Array.of(7, 9, 11, 8, 10, 12);
    const C2 = new Float32Array(4);
    matmulNT(A, Bt, C2, 2, 3, 2);
    expect(Array.from(C2)).toEqual([58, 64, 139, 154]);
    // TN with A stored as [k,m] = Aᵀ.
    const At = Float32Array.of(1, 4, 2, 5, 3, 6);
    const C3 = Float32Array.of(1, 1, 1, 1);
    matmulTN(At, B, C3, 2, 3, 2);
    expect(Array.from(C3)).toEqual([59, 65, 140, 155]);
  });

  it("the three layouts agree with each other through explicit transposes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), fc.integer(), (m, k, n, seed) => {
        const rng = new Rng(seed);
        const A = fill(m * k, rng), B = fill(k * n, rng);
        const At = new Float32Array(k * m), Bt = new Float32Array(n * k);
        for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) At[p * m + i] = A[i * k + p]!;
        for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) Bt[j * k + p] = B[p * n + j]!;
        const c1 = new Float32Array(m * n), c2 = new Float32Array(m * n), c3 = new Float32Array(m * n);
        matmulNN(A, B, c1, m, k, n);
        matmulNT(A, Bt, c2, m, k, n);
        matmulTN(At, B, c3, m, k, n);
        for (let q = 0; q < m * n; q++) {
          expect(c2[q]).toBeCloseTo(c1[q]!, 4);
          expect(c3[q]).toBeCloseTo(c1[q]!, 4);
        }
      }),
      RUNS,
    );
  });
});

describe("bias helpers", () => {
  it("addColumnSums adds Σ_i X[i, j] (with an offset) and addRowVector adds b to every row", () => {
    const X = Float32Array.of(99, 1, 2, 3, 4, 5, 6); // offset 1: [[1,2,3],[4,5,6]]
    const out = Float32Array.of(10, 20, 30);
    addColumnSums(X, out, 2, 3, 1);
    expect(Array.from(out)).toEqual([15, 27, 39]);
    const Y = Float32Array.of(1, 2, 3, 4, 5, 6);
    addRowVector(Y, Float32Array.of(1, -1, 0.5), 2, 3);
    expect(Array.from(Y)).toEqual([2, 1, 3.5, 5, 4, 6.5]);
  });
});
