// The fused WebAssembly GRU (src/tensor/backends/wasm/gru.ts, emitted by
// scripts/build-wasm.ts) against gruSequence's JS path, which forms the gates
// in float64: forward hidden states and every gradient over random T, R, H
// (H not a multiple of 4 exercises the partial-vector columns, odd R the
// matmul's row tails, T = 1 the single step of gruCell), with gradients
// already present or not; saturating pre-activations (|a| up to ~100) must
// give finite results and the exact limits 0, 1, ±1; and the vector exp, σ
// and tanh are swept densely against Math. The wasm memory is filled with NaN
// before each run, so a lane read past a row that leaked into a result would
// show. A mutant proves the comparison can fail.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.ts";
import { gruSequence } from "../../src/nn/functional.ts";
import { Rng } from "../../src/tensor/random.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import type { GruGates } from "../../src/tensor/backend.ts";
import { backend, backendStatus, jsBackend, wasmBackend, withBackend } from "../../src/tensor/backends/active.ts";
import { wasmGruForward, wasmVectorMath } from "../../src/tensor/backends/wasm/gru.ts";
import { wasmKernelExports } from "../../src/tensor/backends/wasm/module.ts";

const RUNS = { seed: 0x6a09e667, numRuns: 60 };

interface Case {
  T: number; R: number; H: number; seed: number;
  /** Which of gi, h0, weight_hh, bias_hh require grad (a bitmask; 0 = forward only). */
  wrt: number;
  /** Whether gradient buffers hold values before the backward (they must be added to, not replaced). */
  preset: boolean;
  /** Scale of gi and of weight_hh: 1 for ordinary values, large to saturate the gates. */
  giScale: number; wScale: number;
}

interface Run { hs: Float32Array; grads: (Float32Array | null)[] }

const fill = (n: number, rng: Rng, scale: number): Float32Array => {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-scale, scale);
  return a;
};

function poison(): void {
  const ex = wasmKernelExports();
  if (ex) new Float32Array(ex.memory.buffer).fill(NaN);
}

/** gruSequence on one case with the given backend; the inputs depend only on the case. */
function run(c: Case, which: "js" | "wasm", mutate?: (b: Float32Array) => void): Run {
  const { T, R, H } = c, rng = new Rng(c.seed);
  const gi = new Tensor(fill(T * R * 3 * H, rng, c.giScale), [T, R, 3 * H]);
  const h0 = new Tensor(fill(R * H, rng, 1), [R, H]);
  const W = new Tensor(fill(3 * H * H, rng, c.wScale), [3 * H, H]);
  const b = new Tensor(fill(3 * H, rng, 1), [3 * H]);
  const G = fill(T * R * H, rng, 1);
  const inputs = [gi, h0, W, b];
  inputs.forEach((t, i) => {
    if (c.wrt & (1 << i)) {
      t.requireGrad();
      if (c.preset) t.grad = fill(t.size, rng, 1);
    }
  });
  mutate?.(b.data);
  return withBackend(which === "wasm" ? wasmBackend()! : jsBackend, () => {
    poison();
    const hs = gruSequence(gi, h0, W, b);
    if (c.wrt) backward(hs, G);
    return { hs: hs.data, grads: inputs.map((t) => t.grad) };
  });
}

/** Largest |got − want| over max(1, max|want|), or Infinity on a NaN or length mismatch. */
function relErr(got: Float32Array | null, want: Float32Array | null): number {
  if (got === null || want === null) return got === want ? 0 : Infinity;
  if (got.length !== want.length) return Infinity;
  let scale = 1, err = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (!(d <= err)) err = Number.isNaN(d) ? Infinity : d;
  }
  return err / scale;
}

// The wasm gates are float32 (σ ≤ 2.5 ulp, tanh ≤ 1.5 ulp) where the JS path
// rounds float64 gates once, and its matmul sums in float32 where JS sums in
// float64. Over 2,000 random cases and the fixed shapes below the worst
// differences are 6.4e-7 (forward) and 2.3e-6 (gradients, which sum over
// steps): these bounds leave 8×. Saturating cases (gi up to ±100, weights up
// to ±10) differ by up to 6.6e-6 and 2e-5, because a pre-activation near 100
// already carries ~6e-6 of float32 rounding that the gates' slopes pass on;
// their bounds leave 7–10×.
const TOL = { fwd: 5e-6, grad: 2e-5 }, SATURATED_TOL = { fwd: 5e-5, grad: 2e-4 };

/** The first disagreement between the wasm and JS paths, or null. */
function mismatch(c: Case, mutate?: (b: Float32Array) => void, tol = TOL): string | null {
  const js = run(c, "js"), wasm = run(c, "wasm", mutate);
  const e = relErr(wasm.hs, js.hs);
  if (!(e <= tol.fwd)) return `hs differs by ${e} (case ${JSON.stringify(c)})`;
  for (const [i, name] of ["gi", "h0", "weight_hh", "bias_hh"].entries()) {
    const g = relErr(wasm.grads[i]!, js.grads[i]!);
    if (!(g <= tol.grad)) return `grad of ${name} differs by ${g} (case ${JSON.stringify(c)})`;
  }
  return null;
}

const arbCase = (maxT: number, maxR: number, maxH: number): fc.Arbitrary<Case> => fc.record({
  T: fc.integer({ min: 1, max: maxT }),
  R: fc.integer({ min: 1, max: maxR }),
  H: fc.integer({ min: 1, max: maxH }),
  seed: fc.integer({ min: 0, max: 1e6 }),
  wrt: fc.integer({ min: 0, max: 15 }),
  preset: fc.boolean(),
  giScale: fc.constant(3),
  wScale: fc.constant(1),
});

// Run where the wasm backend is in use (not under QMIX_BACKEND=js).
const simd = backend() !== jsBackend;
if (!simd) console.warn(`test/tensor/wasm_gru.test.ts: skipping, the wasm backend is ${backendStatus()}`);

describe.skipIf(!simd)("fused wasm GRU vs gruSequence's JS path", () => {
  it("is what gruSequence runs with the wasm backend", () => {
    expect(backend()).toBe(wasmBackend());
    expect(backend().name).toMatch(/^wasm-simd/);
  });

  it("forward and every gradient over random T ≤ 6, R ≤ 9, H ≤ 13", () => {
    fc.assert(fc.property(arbCase(6, 9, 13), (c) => mismatch(c) === null), RUNS);
  });

  it.each([
    ["the standard workload", 26, 96, 64],
    ["one step (gruCell)", 1, 96, 64],
    ["H = 1, one row", 3, 1, 1],
    ["H ≡ 3 mod 4, odd R", 5, 7, 23],
    ["H past the matmul's k chunk", 2, 5, 150],
  ])("%s: T = %i, R = %i, H = %i", (_name, T, R, H) => {
    for (const preset of [false, true]) {
      expect(mismatch({ T, R, H, seed: T * R + H, wrt: 15, preset, giScale: 3, wScale: 1 / Math.sqrt(H) })).toBeNull();
    }
  });

  it("saturating pre-activations: finite, the same as JS, and |h| ≤ 1", () => {
    const arbSat = arbCase(5, 6, 10).map((c) => ({ ...c, giScale: 100, wScale: 10, wrt: 15 }));
    fc.assert(fc.property(arbSat, (c) => {
      const w = run(c, "wasm");
      for (const x of w.hs) if (!(Math.abs(x) <= 1)) return false;
      for (const g of w.grads) for (const x of g!) if (!Number.isFinite(x)) return false;
      return mismatch(c, undefined, SATURATED_TOL) === null;
    }), { ...RUNS, numRuns: 30 });
  });

  it("gates reach exactly 0, 1 and ±1 where the float32 result is that limit", () => {
    // T = 1 and h0 = 0, so the pre-activations are exactly gi + b: a_r, a_z = gi + b, a_n = gi_n + r·b_n.
    const H = 7, R = 40, rng = new Rng(5);
    const gi = new Float32Array(R * 3 * H), b = new Float32Array(3 * H);
    for (let i = 0; i < gi.length; i++) gi[i] = rng.uniform(-100, 100);
    for (let j = 0; j < 3 * H; j++) b[j] = rng.uniform(-1, 1);
    const gates: GruGates = { r: new Float32Array(R * H), z: new Float32Array(R * H), n: new Float32Array(R * H), ghn: new Float32Array(R * H) };
    const hs = new Float32Array(R * H);
    poison();
    wasmGruForward(gi, new Float32Array(R * H), new Float32Array(3 * H * H), b, 1, R, H, hs, gates);
    const sigmoid = (a: number, got: number) => {
      if (a >= 17.5) expect(got).toBe(1); // 1 + e^−a rounds to 1
      else if (a <= -89) expect(got).toBe(0); // e^−a overflows
      else expect(Math.abs(got - 1 / (1 + Math.exp(-a)))).toBeLessThanOrEqual(3e-7 * (1 / (1 + Math.exp(-a))) + 1e-44);
    };
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < H; j++) {
        const o = i * H + j, q = i * 3 * H + j;
        const r = gates.r[o]!, z = gates.z[o]!, n = gates.n[o]!;
        sigmoid(Math.fround(gi[q]! + b[j]!), r);
        sigmoid(Math.fround(gi[q + H]! + b[H + j]!), z);
        expect(gates.ghn[o]).toBe(b[2 * H + j]);
        const an = Math.fround(gi[q + 2 * H]! + Math.fround(r * b[2 * H + j]!));
        if (Math.abs(an) >= 10) expect(n).toBe(Math.sign(an));
        else expect(Math.abs(n - Math.tanh(an))).toBeLessThanOrEqual(2e-7 * Math.abs(Math.tanh(an)));
        expect(hs[o]).toBe(Math.fround(Math.fround(1 - z) * n) + 0); // h0 = 0, and −0 + 0 = +0
      }
    }
  });

  it("NaN in gives NaN out, only where it flows", () => {
    const R = 3, H = 5, gi = new Float32Array(R * 3 * H).fill(0.5), hs = new Float32Array(R * H);
    gi[3 * H + 2] = NaN; // row 1, column 2 of the r block
    wasmGruForward(gi, new Float32Array(R * H), new Float32Array(3 * H * H), new Float32Array(3 * H), 1, R, H, hs, null);
    hs.forEach((x, k) => expect(Number.isNaN(x)).toBe(k === H + 2));
  });

  it("a mutant with one bias off by 1e-4 fails the comparison", () => {
    const out = fc.check(fc.property(arbCase(4, 5, 9), (c) => mismatch(c, (b) => { b[0]! += 1e-4; }) === null), RUNS);
    expect(out.failed).toBe(true);
  });

  it("operands of the wrong length are refused, naming the op and the operand", () => {
    const f = (n: number) => new Float32Array(n);
    expect(() => wasmGruForward(f(72), f(12), f(48), f(12), 2, 3, 4, f(24), null)).not.toThrow();
    expect(() => wasmGruForward(f(71), f(12), f(48), f(12), 2, 3, 4, f(24), null))
      .toThrow(/wasmGruForward: gi \[2, 3, 12\] has 71 elements, expected 72/);
    expect(() => wasmGruForward(f(72), f(12), f(48), f(12), 2, 3, 4, f(25), null))
      .toThrow(/wasmGruForward: hs \[2, 3, 4\] has 25 elements, expected 24/);
  });
});

describe.skipIf(!simd)("the vector exp, σ and tanh the gates use", () => {
  /** Max relative error of fn over n + 1 evenly spaced float32 points in [lo, hi], against a float64 reference. */
  function sweep(fn: "exp" | "sigmoid" | "tanh", ref: (x: number) => number, lo: number, hi: number, n = 1 << 20): number {
    const x = new Float32Array(n + 1);
    for (let i = 0; i <= n; i++) x[i] = lo + ((hi - lo) * i) / n;
    poison();
    const y = wasmVectorMath(fn, x);
    let worst = 0;
    for (let i = 0; i <= n; i++) {
      const want = ref(x[i]!), err = want === 0 ? Math.abs(y[i]!) : Math.abs(y[i]! - want) / Math.abs(want);
      if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
    }
    return worst;
  }

  // Float32 has 2⁻²³ ≈ 1.19e-7 relative spacing at most: a bound of 1.2e-7 is
  // within 1 ulp, 2.4e-7 within 2. Measured: exp 8.1e-8 on the normal range
  // and 1.7e-7 with the subnormal results below −87.3 (a subnormal's rounding
  // is coarser); σ 1.5e-7; tanh 1.4e-7.
  it("exp is within 2 ulp over [−88, 88] (1 ulp where the result is normal)", () => {
    expect(sweep("exp", Math.exp, -88, 88)).toBeLessThan(2.4e-7);
    expect(sweep("exp", Math.exp, -87.3, 88.7)).toBeLessThan(1.2e-7);
    expect(sweep("exp", Math.exp, -1, 1, 1 << 16)).toBeLessThan(1.2e-7);
  });

  it("σ and tanh are within 2.5 ulp", () => {
    expect(sweep("sigmoid", (a) => 1 / (1 + Math.exp(-a)), -88, 88)).toBeLessThan(3e-7);
    expect(sweep("tanh", Math.tanh, -10, 10)).toBeLessThan(3e-7);
    expect(sweep("tanh", Math.tanh, -1, 1)).toBeLessThan(3e-7); // the polynomial branch and the switch at |a| = 0.625
  });

  it("limits, specials and the range ends", () => {
    const x = Float32Array.of(0, Infinity, -Infinity, NaN, 88.73, 89, 1e4, -103, -104, -1e4, 1e-30, -1e-40);
    const at = (y: Float32Array) => Array.from(y);
    expect(at(wasmVectorMath("exp", x))).toEqual([1, Infinity, 0, NaN, Infinity, Infinity, Infinity, Math.fround(Math.exp(-103)), 0, 0, 1, 1]);
    expect(at(wasmVectorMath("sigmoid", x))).toEqual([0.5, 1, 0, NaN, 1, 1, 1, 0, 0, 0, 0.5, 0.5]);
    expect(at(wasmVectorMath("tanh", x))).toEqual([0, 1, -1, NaN, 1, 1, 1, -1, -1, -1, Math.fround(1e-30), Math.fround(-1e-40)]);
  });

  it("any length, including 1–3 leftover lanes", () => {
    for (let n = 0; n <= 9; n++) {
      const x = Float32Array.from({ length: n }, (_, i) => (i - 4) / 3);
      const y = wasmVectorMath("tanh", x);
      expect(y.length).toBe(n);
      y.forEach((v, i) => expect(Math.abs(v - Math.tanh(x[i]!))).toBeLessThanOrEqual(2e-7 * Math.abs(Math.tanh(x[i]!))));
    }
  });
});
