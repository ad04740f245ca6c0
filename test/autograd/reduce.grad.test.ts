// Backward of sum, mean and max against finite differences: along a random
// axis (positive or negative) with keepdim both ways, and over all elements.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { max, mean, sum } from "../../src/autograd/reduce.ts";
import type { Tensor } from "../../src/tensor/tensor.ts";
import { GRAD_TOL, arbDistinctTensor, arbShape, arbTensor, gradCheck } from "../util/gradcheck.ts";

const RUNS = { seed: 0x2545f491, numRuns: 60 };

type Reduce = (x: Tensor, axis?: number, keepdim?: boolean) => Tensor;

/** A tensor (values from `values`), an axis in [-ndim, ndim) and keepdim. */
const withAxis = (values: (s: number[]) => fc.Arbitrary<Tensor>) =>
  arbShape(4, 36).chain((s) =>
    fc.tuple(values(s), fc.integer({ min: -s.length, max: s.length - 1 }), fc.boolean()));

// max gets pairwise-distinct values 2⁻⁴ apart and a step of 2⁻⁷, so no two
// candidates come within reach of the stencil.
const H_MAX = { h: 2 ** -7 };
const reductions: Array<[string, Reduce, (s: number[]) => fc.Arbitrary<Tensor>, { h?: number }]> = [
  ["sum", sum, (s) => arbTensor(s), {}],
  ["mean", mean, (s) => arbTensor(s), {}],
  ["max", max, (s) => arbDistinctTensor(s), H_MAX],
];

describe("reductions: backward matches finite differences", () => {
  it.each(reductions)("%s along a random axis, keepdim both ways", (_name, f, values, opts) => {
    fc.assert(
      fc.property(withAxis(values), ([x, axis, keepdim]) => {
        expect(gradCheck((t) => f(t, axis, keepdim), x, opts)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it.each(reductions)("%s over all elements", (_name, f, values, opts) => {
    fc.assert(
      fc.property(arbShape(4, 36, 0).chain(values), (x) => {
        expect(gradCheck((t) => f(t), x, opts)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it.each(reductions.slice(0, 2))("%s over all elements with keepdim", (_name, f, values) => {
    fc.assert(
      fc.property(arbShape(4, 36).chain(values), (x) => {
        const y = f(x, undefined, true);
        expect(y.shape).toEqual(x.shape.map(() => 1));
        expect(gradCheck((t) => f(t, undefined, true), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("composed reductions (sum of mean of max) chain their gradients", () => {
    const arb = fc.tuple(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 }))
      .chain(([a, b, c]) => arbDistinctTensor([a, b, c]));
    fc.assert(
      fc.property(arb, (x) => {
        expect(gradCheck((t) => sum(mean(max(t, 1, true), 2), 0), x, H_MAX)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});
