// The checker and arbitraries themselves: the numeric gradient agrees with
// closed forms, inputs come back untouched, and the arbitraries keep the
// promises the gradient properties rely on.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mul, sigmoid } from "../../src/autograd/elementwise.ts";
import { broadcastShapes } from "../../src/tensor/broadcast.ts";
import { randNormal } from "../../src/tensor/create.ts";
import { Rng } from "../../src/tensor/random.ts";
import { Tensor, shapeSize } from "../../src/tensor/tensor.ts";
import {
  DEFAULT_H, GRAD_TOL, GRID, KINK_MARGIN, arbBroadcastShapes, arbBroadcastTriple, arbDistinctTensor, arbShape, arbTensor,
  broadcastResult, gradCheck, gradCheckDetailed,
} from "./gradcheck.ts";

const RUNS = { seed: 0x6c62272e, numRuns: 100 };

describe("gradCheckDetailed", () => {
  it("the numeric gradient of Σ w·x³ is 3x²·w to float32 rounding", () => {
    fc.assert(
      fc.property(arbShape(2, 12).chain((s) => arbTensor(s)), (x) => {
        const r = gradCheckDetailed((t) => mul(mul(t, t), t), x, { seed: 3 });
        const w = new Rng(3);
        r.numeric[0]!.forEach((n, i) => {
          const xi = x.data[i]!, wi = Math.fround(w.uniform(-1, 1));
          expect(Math.abs(n - 3 * xi * xi * wi)).toBeLessThan(1e-4 * Math.max(1, 3 * xi * xi));
        });
        expect(r.error).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("restores every input element bit for bit, and the inputs' grad flags", () => {
    const a = randNormal([3, 4], new Rng(1)), b = randNormal([4], new Rng(2)).requireGrad();
    const da = a.data.slice(), db = b.data.slice();
    gradCheck((x, y) => sigmoid(mul(x, y)), [a, b]);
    expect(a.data).toEqual(da);
    expect(b.data).toEqual(db);
    expect([a.requiresGrad, b.requiresGrad]).toEqual([false, true]);
    expect([a.grad, b.grad]).toEqual([null, null]);
  });

  it("values off the 2⁻⁸ grid take the central difference over the steps actually stored", () => {
    // randNormal values are arbitrary float32s, so x ± h is rounded.
    const x = randNormal([20], new Rng(5), 0, 3);
    expect(gradCheck((t) => sigmoid(mul(t, t)), x)).toBeLessThan(GRAD_TOL);
  });

  it("checks only the inputs in wrt", () => {
    const a = randNormal([3], new Rng(1)), b = randNormal([3], new Rng(2));
    const r = gradCheckDetailed(mul, [a, b], { wrt: [1] });
    expect(Number.isNaN(r.errors[0]!)).toBe(true);
    expect(r.errors[1]).toBeLessThan(GRAD_TOL);
    // ∂(Σ w·a·b)/∂b = w·a, with w the checker's weights for seed 12345.
    const w = new Rng(12345);
    r.analytic[1]!.forEach((g, i) => expect(g).toBeCloseTo(Math.fround(w.uniform(-1, 1)) * a.data[i]!, 6));
  });

  it("says so when the output does not depend on any checked input", () => {
    const a = randNormal([3], new Rng(1)), b = randNormal([3], new Rng(2));
    expect(() => gradCheck((x) => sigmoid(x), [a, b], { wrt: [1] })).toThrow(/does not depend on any checked input/);
  });
});

describe("arbitraries", () => {
  it("arbShape respects the dimension and size limits", () => {
    fc.assert(
      fc.property(arbShape(4, 30), (s) => {
        expect(s.length).toBeGreaterThanOrEqual(1);
        expect(s.length).toBeLessThanOrEqual(4);
        expect(s.every((d) => Number.isInteger(d) && d >= 1)).toBe(true);
        expect(shapeSize(s)).toBeLessThanOrEqual(30);
      }),
      RUNS,
    );
  });

  it("arbTensor puts values on the grid, in range, and out of the kink bands", () => {
    const kinks = [-0.5, 1];
    fc.assert(
      fc.property(arbShape(3, 24).chain((s) => arbTensor(s, { awayFrom: kinks })), (t) => {
        for (const v of t.data) {
          expect(Number.isInteger(v / GRID)).toBe(true);
          for (const k of kinks) expect(Math.abs(v - k)).toBeGreaterThanOrEqual(KINK_MARGIN - GRID / 2);
          // Exact perturbations for the default step.
          expect(Math.fround(v + 2 * DEFAULT_H)).toBe(v + 2 * DEFAULT_H);
        }
      }),
      RUNS,
    );
  });

  it("arbDistinctTensor keeps every pair at least the gap apart", () => {
    fc.assert(
      fc.property(arbShape(3, 40).chain((s) => arbDistinctTensor(s)), (t) => {
        const v = Array.from(t.data).sort((a, b) => a - b);
        for (let i = 1; i < v.length; i++) expect(v[i]! - v[i - 1]!).toBeGreaterThanOrEqual(2 ** -4);
      }),
      RUNS,
    );
  });

  it("broadcast pairs and triples broadcast, to the shape broadcastResult predicts", () => {
    fc.assert(
      fc.property(arbBroadcastShapes(4, 24), arbBroadcastTriple(3, 12), ([a, b], [c, d, e]) => {
        expect(broadcastShapes(a, b, "test")).toEqual(broadcastResult(a, b));
        expect(broadcastShapes(broadcastShapes(c, d, "test"), e, "test")).toEqual(broadcastResult(broadcastResult(c, d), e));
      }),
      RUNS,
    );
  });

  it("arbTensor builds a Tensor of the requested shape", () => {
    fc.assert(fc.property(arbTensor([2, 3]), (t) => { expect(t).toBeInstanceOf(Tensor); expect(t.shape).toEqual([2, 3]); }), RUNS);
  });
});
