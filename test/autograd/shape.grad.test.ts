// Backward of the ops that move elements (reshape, permute, transpose,
// concat, stack, slice, select, gather) against finite differences. The
// outputs are linear in the inputs, so any misplaced gradient shows as an
// O(1) error.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concat, gather, permute, reshape, select, slice, stack, transpose } from "../../src/autograd/shape.ts";
import type { Tensor } from "../../src/tensor/tensor.ts";
import { GRAD_TOL, arbIndex, arbShape, arbTensor, gradCheck } from "../util/gradcheck.ts";

const RUNS = { seed: 0x1b873593, numRuns: 60 };

/** A shape and a valid axis of it (non-negative or negative). */
const arbShapeAxis = (maxDims = 4, maxSize = 36) =>
  arbShape(maxDims, maxSize).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -s.length, max: s.length - 1 })));

const norm = (axis: number, nd: number): number => (axis < 0 ? axis + nd : axis);

describe("shape ops: backward matches finite differences", () => {
  it("reshape to a random factorisation (with and without -1)", () => {
    const arb = arbShape(4, 36).chain((s) =>
      fc.tuple(arbTensor(s), arbShape(4, 36), fc.boolean()));
    fc.assert(
      fc.property(arb, ([x, target, infer]) => {
        // Turn the random target into one with x.size elements: its dims in
        // order, then the remainder as the last dim.
        const size = x.size;
        const dims: number[] = [];
        let rest = size;
        for (const d of target) if (rest % d === 0) { dims.push(d); rest /= d; }
        dims.push(rest);
        const shape = infer ? dims.map((d, i) => (i === dims.length - 1 ? -1 : d)) : dims;
        const y = reshape(x, shape);
        expect(y.shape).toEqual(dims);
        expect(gradCheck((t) => reshape(t, shape), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("permute by a random permutation", () => {
    const arb = arbShape(4, 36).chain((s) =>
      fc.tuple(arbTensor(s), fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length })));
    fc.assert(
      fc.property(arb, ([x, perm]) => {
        expect(gradCheck((t) => permute(t, perm), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("transpose of two random axes (negative allowed), and the default last two", () => {
    const arb = arbShapeAxis().chain(([s, a]) =>
      fc.tuple(arbTensor(s), fc.constant(a), fc.integer({ min: -s.length, max: s.length - 1 })));
    fc.assert(
      fc.property(arb, ([x, a, b]) => {
        expect(gradCheck((t) => transpose(t, a, b), x)).toBeLessThan(GRAD_TOL);
        if (x.ndim >= 2) expect(gradCheck((t) => transpose(t), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("concat of 1–4 tensors of varying widths along a random axis", () => {
    const arb = arbShapeAxis(3, 24).chain(([s, axis]) =>
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }).chain((widths) =>
        fc.tuple(
          fc.constant(axis),
          fc.tuple(...widths.map((w) => arbTensor(s.map((d, i) => (i === norm(axis, s.length) ? w : d))))),
        )));
    fc.assert(
      fc.property(arb, ([axis, xs]) => {
        expect(gradCheck((...ts) => concat(ts, axis), xs)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("concat where only some inputs require grad", () => {
    const arb = arbShape(3, 24).chain((s) => fc.tuple(arbTensor(s), arbTensor(s), arbTensor(s)));
    fc.assert(
      fc.property(arb, ([a, b, c]) => {
        expect(gradCheck((x, y, z) => concat([x, y, z], 0), [a, b, c], { wrt: [1] })).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("stack of 1–4 equal tensors along a random new axis", () => {
    const arb = arbShape(3, 24).chain((s) =>
      fc.tuple(
        fc.integer({ min: -(s.length + 1), max: s.length }),
        fc.integer({ min: 1, max: 4 }).chain((k) => fc.array(arbTensor(s), { minLength: k, maxLength: k })),
      ));
    fc.assert(
      fc.property(arb, ([axis, xs]) => {
        expect(gradCheck((...ts) => stack(ts, axis), xs)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("slice of a random range (negative indices allowed)", () => {
    const arb = arbShapeAxis().chain(([s, axis]) => {
      const n = s[norm(axis, s.length)]!;
      return fc.tuple(arbTensor(s), fc.constant(axis), fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n }), fc.boolean())
        .map(([x, ax, a, len, negative]) => {
          const start = a, end = Math.min(n, a + len);
          return [x, ax, negative ? start - n : start, negative && end < n ? end - n : end] as const;
        });
    });
    fc.assert(
      fc.property(arb, ([x, axis, start, end]) => {
        expect(gradCheck((t) => slice(t, axis, start, end), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("select of a random index (negative allowed)", () => {
    const arb = arbShapeAxis().chain(([s, axis]) => {
      const n = s[norm(axis, s.length)]!;
      return fc.tuple(arbTensor(s), fc.constant(axis), fc.integer({ min: -n, max: n - 1 }));
    });
    fc.assert(
      fc.property(arb, ([x, axis, index]) => {
        expect(gradCheck((t) => select(t, axis, index), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("gather along a random axis, repeated indices included", () => {
    const arb = arbShapeAxis().chain(([s, axis]) => {
      const ax = norm(axis, s.length), n = s[ax]!;
      return fc.integer({ min: 1, max: 4 }).chain((m) =>
        fc.tuple(arbTensor(s), fc.constant(axis), arbIndex(s.map((d, i) => (i === ax ? m : d)), n)));
    });
    fc.assert(
      fc.property(arb, ([x, axis, index]) => {
        expect(gradCheck((t) => gather(t, axis, index), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("gather with an Int32Array index and explicit shape", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }))
      .chain(([r, n]) => fc.tuple(arbTensor([r, n]), arbIndex([r, 1], n)));
    fc.assert(
      fc.property(arb, ([x, index]) => {
        const idx = Int32Array.from(index.data);
        expect(gradCheck((t: Tensor) => gather(t, 1, idx, [x.shape[0]!, 1]), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});
