// The WebAssembly SIMD kernels against a naive float64 triple loop: every
// layout over random shapes 0..70 (the 4-row and 8/4/partial-column tiles all
// get tails), shared dimensions that cross the kernels' k chunks, the hot
// QMIX shapes, operands at offsets inside larger buffers, and accumulation
// into a non-zero C. Elements outside the target block must be left alone,
// and the wasm memory is filled with NaN first, so a lane read past a row
// that leaked into a result would show. Mutants prove the check can fail.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildKernels, DEFAULTS, generatedSource } from "../../scripts/build-wasm.ts";
import { backend, backendStatus, jsBackend } from "../../src/tensor/backends/active.ts";
import { decodeBase64 } from "../../src/tensor/backends/wasm/base64.ts";
import { wasmMatmulNN, wasmMatmulNT, wasmMatmulTN } from "../../src/tensor/backends/wasm/matmul.ts";
import { wasmKernelExports } from "../../src/tensor/backends/wasm/module.ts";
import { Rng } from "../../src/tensor/random.ts";

const RUNS = { seed: 0x5eed_a5a5, numRuns: 120 };

type Kernel = typeof wasmMatmulNN;
type Layout = "NN" | "NT" | "TN";
interface Case { m: number; k: number; n: number; aOff: number; bOff: number; cOff: number; seed: number }

const kernels: Array<[Layout, Kernel]> = [["NN", wasmMatmulNN], ["NT", wasmMatmulNT], ["TN", wasmMatmulTN]];

const fill = (n: number, rng: Rng): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-2, 2);
  return a;
};

/** Poisons the kernels' memory so stale or out-of-row lanes would surface as NaN. */
function poison(): void {
  const ex = wasmKernelExports();
  if (ex) new Float32Array(ex.memory.buffer).fill(NaN);
}

/**
 * Runs `kernel` on one case and returns the first problem, or null. The bar
 * is float32 accumulation: 1e-5 of the magnitude |C0| + Σ|a·b| per output.
 */
function mismatch(layout: Layout, kernel: Kernel, { m, k, n, aOff, bOff, cOff, seed }: Case, poisonMemory = poison): string | null {
  const rng = new Rng(seed), pad = 5;
  const A = fill(aOff + m * k + pad, rng), B = fill(bOff + k * n + pad, rng), C = fill(cOff + m * n + pad, rng);
  const C0 = C.slice();
  poisonMemory();
  kernel(A, B, C, m, k, n, aOff, bOff, cOff);
  const ref = new Float64Array(n), mag = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) { ref[j] = C0[cOff + i * n + j]!; mag[j] = Math.abs(ref[j]!); }
    for (let p = 0; p < k; p++) {
      const a = layout === "TN" ? A[aOff + p * m + i]! : A[aOff + i * k + p]!;
      for (let j = 0; j < n; j++) {
        const t = a * (layout === "NT" ? B[bOff + j * k + p]! : B[bOff + p * n + j]!);
        ref[j]! += t;
        mag[j]! += Math.abs(t);
      }
    }
    for (let j = 0; j < n; j++) {
      const got = C[cOff + i * n + j]!;
      if (!(Math.abs(got - ref[j]!) <= 1e-5 * mag[j]! + 1e-30)) {
        return `${layout} ${m}×${k}×${n}: C[${i},${j}] = ${got}, want ${ref[j]} (magnitude ${mag[j]})`;
      }
    }
  }
  for (let q = 0; q < C.length; q++) {
    if ((q < cOff || q >= cOff + m * n) && !Object.is(C[q], C0[q])) return `${layout}: C[${q}] outside the block changed`;
  }
  return null;
}

const arbCase = (maxM: number, maxK: number, maxN: number, minK = 0): fc.Arbitrary<Case> => fc.record({
  m: fc.integer({ min: 0, max: maxM }),
  k: fc.integer({ min: minK, max: maxK }),
  n: fc.integer({ min: 0, max: maxN }),
  aOff: fc.integer({ min: 0, max: 7 }),
  bOff: fc.integer({ min: 0, max: 7 }),
  cOff: fc.integer({ min: 0, max: 7 }),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

// Run where the wasm backend is in use (not under QMIX_BACKEND=js).
const simd = backend() !== jsBackend;
if (!simd) console.warn(`test/tensor/wasm.test.ts: skipping the kernel properties, the wasm backend is ${backendStatus()}`);

describe.skipIf(!simd)("wasm SIMD kernels vs a float64 triple loop", () => {
  it.each(kernels)("%s over random shapes 0..70, offsets and a non-zero C", (layout, kernel) => {
    fc.assert(fc.property(arbCase(70, 70, 70), (c) => mismatch(layout, kernel, c) === null), RUNS);
  });

  it.each(kernels)("%s with a shared dimension across k chunks", (layout, kernel) => {
    fc.assert(fc.property(arbCase(9, 600, 19, 200), (c) => mismatch(layout, kernel, c) === null), { ...RUNS, numRuns: 25 });
  });

  // The QMIX shapes (bench/wasm.ts): linear forward NT, backward NN and TN.
  const hot: Array<[Layout, number, number, number]> = [
    ["NT", 96, 26, 64], ["NT", 96, 64, 192], ["NT", 800, 54, 64], ["NT", 2496, 26, 64],
    ["NN", 2496, 192, 64], ["NN", 96, 192, 64], ["NN", 2496, 64, 26],
    ["TN", 192, 2496, 64], ["TN", 64, 2496, 26], ["TN", 96, 800, 64],
  ];
  it.each(hot)("%s at %i×%i×%i", (layout, m, k, n) => {
    const kernel = kernels.find(([l]) => l === layout)![1];
    expect(mismatch(layout, kernel, { m, k, n, aOff: 3, bOff: 1, cOff: 2, seed: m + k + n })).toBeNull();
  });

  it("exact small products, hand-computed", () => {
    const A = Float32Array.of(1, 2, 3, 4, 5, 6); // [2,3]
    const B = Float32Array.of(7, 8, 9, 10, 11, 12); // [3,2]
    const C = Float32Array.of(1, 1, 1, 1);
    wasmMatmulNN(A, B, C, 2, 3, 2);
    expect(Array.from(C)).toEqual([59, 65, 140, 155]);
    C.fill(0);
    wasmMatmulNT(A, Float32Array.of(7, 9, 11, 8, 10, 12), C, 2, 3, 2);
    expect(Array.from(C)).toEqual([58, 64, 139, 154]);
    C.fill(0);
    wasmMatmulTN(Float32Array.of(1, 4, 2, 5, 3, 6), B, C, 2, 3, 2);
    expect(Array.from(C)).toEqual([58, 64, 139, 154]);
  });

  it("empty and negative sizes leave C alone", () => {
    const C = Float32Array.of(1, 2, 3);
    for (const [, kernel] of kernels) {
      kernel(new Float32Array(0), new Float32Array(0), C, 0, 5, 3);
      kernel(new Float32Array(4), new Float32Array(0), C, 1, 4, 0);
      kernel(new Float32Array(0), new Float32Array(0), C, 1, 0, 3);
      kernel(new Float32Array(0), new Float32Array(0), C, -1, 2, 3);
    }
    expect(Array.from(C)).toEqual([1, 2, 3]);
  });

  it("operands too short for their offset and shape are refused, naming the op", () => {
    expect(() => wasmMatmulNT(new Float32Array(5), new Float32Array(6), new Float32Array(4), 2, 3, 2))
      .toThrow(/wasmMatmulNT: A \[2×3\] at offset 0 needs elements \[0, 6\) but has length 5/);
    expect(() => wasmMatmulTN(new Float32Array(6), new Float32Array(6), new Float32Array(4), 2, 3, 2, 0, 0, 1))
      .toThrow(/wasmMatmulTN: C \[2×2\] at offset 1/);
  });

  it("mutants fail the property: C not read in, last column dropped", () => {
    const forgetsC: Kernel = (A, B, C, m, k, n, aOff = 0, bOff = 0, cOff = 0) => {
      const tmp = new Float32Array(C.length);
      wasmMatmulNN(A, B, tmp, m, k, n, aOff, bOff, cOff);
      C.set(tmp.subarray(cOff, cOff + m * n), cOff);
    };
    const dropsLastColumn: Kernel = (A, B, C, m, k, n, aOff = 0, bOff = 0, cOff = 0) => {
      const before = C.slice();
      wasmMatmulNN(A, B, C, m, k, n, aOff, bOff, cOff);
      for (let i = 0; i < m; i++) C[cOff + i * n + n - 1] = before[cOff + i * n + n - 1]!;
    };
    for (const mutant of [forgetsC, dropsLastColumn]) {
      const out = fc.check(fc.property(arbCase(70, 70, 70, 1), (c) => mismatch("NN", mutant, c) === null), RUNS);
      expect(out.failed).toBe(true);
    }
  });
});

describe("wasm module and loader", () => {
  it("kernels.generated.ts is what scripts/build-wasm.ts emits now", () => {
    const path = new URL("../../src/tensor/backends/wasm/kernels.generated.ts", import.meta.url);
    expect(readFileSync(path, "utf8")).toBe(generatedSource(buildKernels(), buildKernels({ ...DEFAULTS, fma: true })));
  });

  it("the base64 decoder round-trips any bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      expect(decodeBase64(Buffer.from(bytes).toString("base64"))).toEqual(bytes);
    }), { seed: 7, numRuns: 200 });
    expect(() => decodeBase64("ab$d")).toThrow(/bad character "\$" at 2/);
    expect(() => decodeBase64("abc")).toThrow(/multiple of 4/);
  });

  describe("QMIX_BACKEND", () => {
    const saved = process.env["QMIX_BACKEND"];
    afterEach(() => {
      if (saved === undefined) delete process.env["QMIX_BACKEND"]; else process.env["QMIX_BACKEND"] = saved;
      vi.resetModules();
    });
    const fresh = async () => {
      vi.resetModules();
      return import("../../src/tensor/backends/active.ts");
    };

    it("js chooses the JS backend and says so", async () => {
      process.env["QMIX_BACKEND"] = "js";
      const b = await fresh();
      expect(b.backend()).toBe(b.jsBackend);
      expect(b.backend().name).toBe("js");
      expect(b.backendStatus()).toBe("disabled by QMIX_BACKEND=js");
    });

    it("an unknown value names the key and the allowed values", async () => {
      process.env["QMIX_BACKEND"] = "gpu";
      const b = await fresh();
      expect(() => b.backend()).toThrow(/QMIX_BACKEND="gpu" is not a backend; allowed: "js", "wasm"/);
    });

    it("unset, the wasm backend where it compiles; chosen once, and withBackend switches only inside its call", async () => {
      delete process.env["QMIX_BACKEND"];
      const b = await fresh();
      const chosen = b.backend();
      expect(chosen).toBe(b.wasmBackend() ?? b.jsBackend);
      expect(b.withBackend(b.jsBackend, () => b.backend())).toBe(b.jsBackend);
      expect(b.backend()).toBe(chosen);
      process.env["QMIX_BACKEND"] = "js";
      expect(b.backend()).toBe(chosen);
    });
  });
});

// The fused ReLU of a Linear (vrelu on the output, vrelu_mask on the
// upstream gradient) at the edges: NaN stays NaN and −0 becomes +0 forward,
// as the JS relu; backward a switched-off unit passes nothing, even an
// infinite or NaN gradient (a select, as PyTorch's threshold_backward).
describe("wasm Linear with a fused ReLU", () => {
  it.runIf(simd)("keeps NaN, turns −0 into +0 and masks gradients by the output's sign, every lane of a partial vector included", async () => {
    const { wasmLinearBackward, wasmLinearForward } = await import("../../src/tensor/backends/wasm/linear.ts");
    // 7 outputs per row: one full f32x4 and a partial one of 3 lanes.
    const m = 2, k = 1, n = 7;
    const x = Float32Array.of(1, 1), W = new Float32Array(n).fill(1);
    const bias = Float32Array.of(NaN, -1, -2, 0.5, -1, 2, -3); // pre-activations: bias + 1
    const y = new Float32Array(m * n);
    wasmLinearForward(x, W, bias, y, m, k, n, true);
    const row = [NaN, 0, 0, 1.5, 0, 3, 0];
    for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) {
      if (Number.isNaN(row[j]!)) expect(y[r * n + j]).toBeNaN();
      else expect(Object.is(y[r * n + j], row[j])).toBe(true); // +0, not −0 (bias −1 + 1 = 0 for j = 1, 4)
    }
    const g = Float32Array.from({ length: m * n }, (_, i) => (i % n === 2 ? Infinity : i % n === 6 ? NaN : 1));
    const dW = new Float32Array(n * k), db = new Float32Array(n);
    wasmLinearBackward(g, x, W, m, k, n, { dx: { into: null, fresh: false }, dW: { into: dW, fresh: true }, db: { into: db, fresh: true } }, y);
    // Only units 3 and 5 are on: each row passes g = 1 there, summed over 2 rows.
    expect(Array.from(db)).toEqual([0, 0, 0, 2, 0, 2, 0]);
    expect(Array.from(dW)).toEqual([0, 0, 0, 2, 0, 2, 0]);
  });
});

// The relaxed-SIMD build (f32x4.relaxed_madd in the matmul tiles), which the
// backend prefers where the runtime validates it: src/node/wasm_features.ts
// turns on the V8 flag Node 20 needs, and a freshly imported backend picks
// the fused kernels up unless QMIX_WASM_FMA=0. The same float64 bar as above.
describe("wasm kernels with relaxed SIMD's fused multiply-add", () => {
  const saved = process.env["QMIX_WASM_FMA"];
  afterEach(() => {
    if (saved === undefined) delete process.env["QMIX_WASM_FMA"]; else process.env["QMIX_WASM_FMA"] = saved;
    vi.resetModules();
  });
  const fresh = async () => {
    vi.resetModules();
    await import("../../src/node/wasm_features.ts");
    return { ...await import("../../src/tensor/backends/wasm/module.ts"), ...await import("../../src/tensor/backends/wasm/matmul.ts") };
  };
  type Backend = Awaited<ReturnType<typeof fresh>>;
  /** Every layout's property on a freshly loaded backend's kernels, its own memory poisoned before each case. */
  const holdsEveryLayout = (b: Backend): void => {
    const poisonIt = () => { new Float32Array(b.wasmKernelExports()!.memory.buffer).fill(NaN); };
    const layouts: Array<[Layout, Kernel]> = [["NN", b.wasmMatmulNN], ["NT", b.wasmMatmulNT], ["TN", b.wasmMatmulTN]];
    for (const [layout, kernel] of layouts) {
      fc.assert(fc.property(arbCase(70, 70, 70), (c) => mismatch(layout, kernel, c, poisonIt) === null), RUNS);
      fc.assert(fc.property(arbCase(9, 600, 19, 200), (c) => mismatch(layout, kernel, c, poisonIt) === null), { ...RUNS, numRuns: 25 });
    }
  };

  it.runIf(simd)("are used where relaxed SIMD validates, and pass every layout's property", async () => {
    delete process.env["QMIX_WASM_FMA"];
    const { relaxedSimdValidates } = await import("../../src/node/wasm_features.ts");
    const b = await fresh();
    if (!relaxedSimdValidates()) {
      expect(b.wasmStatus()).toBe("available");
      expect(b.wasmFused()).toBe(false);
      return;
    }
    expect(b.wasmStatus()).toBe("available (relaxed SIMD fused multiply-add)");
    expect(b.wasmFused()).toBe(true);
    holdsEveryLayout(b);
    const dropsLastColumn: Kernel = (A, B, C, m, k, n, aOff = 0, bOff = 0, cOff = 0) => {
      const before = C.slice();
      b.wasmMatmulNN(A, B, C, m, k, n, aOff, bOff, cOff);
      for (let i = 0; i < m; i++) C[cOff + i * n + n - 1] = before[cOff + i * n + n - 1]!;
    };
    expect(fc.check(fc.property(arbCase(70, 70, 70, 1), (c) => mismatch("NN", dropsLastColumn, c, () => new Float32Array(b.wasmKernelExports()!.memory.buffer).fill(NaN)) === null), RUNS).failed).toBe(true);
  });

  it.runIf(simd)("QMIX_WASM_FMA=0 keeps the core SIMD kernels, which pass every layout's property too", async () => {
    process.env["QMIX_WASM_FMA"] = "0";
    const b = await fresh();
    expect(b.wasmStatus()).toBe("available");
    expect(b.wasmFused()).toBe(false);
    holdsEveryLayout(b);
  });

  it("any other QMIX_WASM_FMA value is refused, naming it and the allowed values", async () => {
    process.env["QMIX_WASM_FMA"] = "yes";
    const b = await fresh();
    expect(() => b.wasmAvailable()).toThrow(/QMIX_WASM_FMA="yes" is not a switch; allowed: "0" \(core SIMD kernels\), "1" or unset/);
  });
});
