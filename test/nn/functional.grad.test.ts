// Backward of the fused nn ops and losses against finite differences:
// linear (with and without bias, 1-D/2-D/3-D inputs), the GRU recurrence
// over random T, rows and H (gradients to gi, h0, weight_hh, bias_hh), one
// GRUCell step (also weight_ih, bias_ih), maskedMeanSquare and mseLoss.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { add, mulScalar } from "../../src/autograd/elementwise.ts";
import { select } from "../../src/autograd/shape.ts";
import { gruCell, gruLayer, gruSequence, linear, linearRelu } from "../../src/nn/functional.ts";
import { relu } from "../../src/autograd/elementwise.ts";
import { backward } from "../../src/autograd/tape.ts";
import { Rng } from "../../src/tensor/random.ts";
import { maskedMeanSquare, maskedMeanSquareComposed, mseLoss } from "../../src/nn/loss.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import { GRAD_TOL, arbMask, arbShape, arbTensor, gradCheck } from "../util/gradcheck.ts";

const RUNS = { seed: 0x27d4eb2f, numRuns: 40 };
const small = fc.integer({ min: 1, max: 4 });
const W = { min: -1, max: 1 };

describe("linear: backward matches finite differences", () => {
  const arb = fc
    .tuple(fc.integer({ min: 0, max: 2 }), small, small, fc.tuple(small, small))
    .chain(([lead, inp, out, [r1, r2]]) => {
      const xShape = [r1, r2].slice(0, lead).concat([inp]);
      return fc.tuple(arbTensor(xShape), arbTensor([out, inp], W), arbTensor([out], W));
    });

  it("with bias, on 1-D, 2-D and 3-D inputs", () => {
    fc.assert(
      fc.property(arb, ([x, w, b]) => {
        expect(gradCheck(linear, [x, w, b])).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("without bias (undefined and null)", () => {
    fc.assert(
      fc.property(arb, ([x, w]) => {
        expect(gradCheck((a, b) => linear(a, b), [x, w])).toBeLessThan(GRAD_TOL);
        expect(gradCheck((a, b) => linear(a, b, null), [x, w])).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("with only the input, or only the parameters, requiring grad", () => {
    fc.assert(
      fc.property(arb, ([x, w, b]) => {
        expect(gradCheck(linear, [x, w, b], { wrt: [0] })).toBeLessThan(GRAD_TOL);
        expect(gradCheck(linear, [x, w, b], { wrt: [1, 2] })).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});

// linearRelu: the ReLU's kink sits in the pre-activation x·Wᵀ + b, which a
// finite-difference step on x, W or b moves. Keeping |x·Wᵀ| well below |b|
// (small x and W, |b| ≥ 1.5) fixes every unit's side, on or off by b's sign,
// so the stencil never straddles the kink while both sides are exercised.
// Where the kink is reachable, the fused op is compared with the composition
// relu(linear(·)), each checked against finite differences on its own.
describe("linearRelu: backward matches finite differences", () => {
  const awayB = { min: -2, max: 2, awayFrom: [0], margin: 1.5 };
  const arbSized = (rows: fc.Arbitrary<number>, inp: fc.Arbitrary<number>, out: fc.Arbitrary<number>, xw: { min: number; max: number }) =>
    fc.tuple(rows, inp, out).chain(([r, i, o]) => fc.tuple(arbTensor([r, i], xw), arbTensor([o, i], xw), arbTensor([o], awayB)));

  it("small layers (the JS path)", () => {
    fc.assert(
      fc.property(arbSized(small, small, small, { min: -0.5, max: 0.5 }), ([x, w, b]) => {
        expect(gradCheck(linearRelu, [x, w, b])).toBeLessThan(GRAD_TOL);
        expect(gradCheck(linearRelu, [x, w, b], { wrt: [0] })).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("layers that take the fused WebAssembly path (rows·in·out ≥ 1024)", () => {
    const big = arbSized(fc.integer({ min: 24, max: 40 }), fc.integer({ min: 6, max: 9 }), fc.integer({ min: 8, max: 12 }), { min: -0.25, max: 0.25 });
    fc.assert(
      fc.property(big, ([x, w, b]) => {
        expect(gradCheck(linearRelu, [x, w, b])).toBeLessThan(GRAD_TOL);
        expect(gradCheck((a, c, d) => add(linearRelu(a, c, d), mulScalar(linearRelu(a, c, d), 2)), [x, w, b])).toBeLessThan(GRAD_TOL);
      }),
      { numRuns: 12 },
    );
  });

  it("equals relu(linear(·)), output and gradients, with units on both sides of the kink", () => {
    const shapes = fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 1e6 }));
    fc.assert(
      fc.property(shapes, ([rows, inp, out, seed]) => {
        const rng = new Rng(seed);
        const t = (shape: number[]) => { const v = new Float32Array(shape.reduce((a, c) => a * c, 1)); for (let i = 0; i < v.length; i++) v[i] = rng.uniform(-1, 1); return new Tensor(v, shape); };
        const x = t([rows, inp]), w = t([out, inp]), b = t([out]), g = t([rows, out]);
        const run = (f: (a: Tensor, c: Tensor, d: Tensor) => Tensor) => {
          for (const p of [x, w, b]) { p.grad = null; p.requiresGrad = true; }
          const y = f(x, w, b);
          backward(y, g);
          return [y.data, x.grad!, w.grad!, b.grad!].map((a) => Array.from(a));
        };
        const fused = run(linearRelu), composed = run((a, c, d) => relu(linear(a, c, d)));
        fused.forEach((a, k) => a.forEach((v, i) => expect(v).toBeCloseTo(composed[k]![i]!, 5)));
      }),
      { seed: 0x51ed270b, numRuns: 40 },
    );
  });
});

describe("linear at sizes that take the fused WebAssembly path (rows·in·out ≥ 1024)", () => {
  const arbBig = fc
    .tuple(fc.integer({ min: 24, max: 40 }), fc.integer({ min: 6, max: 9 }), fc.integer({ min: 8, max: 12 }), fc.boolean())
    .chain(([rows, inp, out, threeD]) =>
      fc.tuple(arbTensor(threeD ? [2, rows / 2 | 0, inp] : [rows, inp]), arbTensor([out, inp], W), arbTensor([out], W)));

  it("fresh gradients, with and without bias", () => {
    fc.assert(
      fc.property(arbBig, ([x, w, b]) => {
        expect(gradCheck(linear, [x, w, b])).toBeLessThan(GRAD_TOL);
        expect(gradCheck((a, c) => linear(a, c), [x, w])).toBeLessThan(GRAD_TOL);
      }),
      { numRuns: 12 },
    );
  });

  it("accumulating into gradients that already hold values (input and weights used twice)", () => {
    fc.assert(
      fc.property(arbBig, ([x, w, b]) => {
        expect(gradCheck((a, c, d) => add(linear(a, c, d), mulScalar(linear(a, c, d), 2)), [x, w, b])).toBeLessThan(GRAD_TOL);
      }),
      { numRuns: 12 },
    );
  });
});

/** gi [T, R, 3H], h0 [R, H], weight_hh [3H, H], bias_hh [3H]. */
const arbGru = fc
  .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), small)
  .chain(([T, R, H]) =>
    fc.tuple(arbTensor([T, R, 3 * H]), arbTensor([R, H], W), arbTensor([3 * H, H], W), arbTensor([3 * H], W)));

describe("gruSequence: backward matches finite differences", () => {
  it("w.r.t. gi, h0, weight_hh and bias_hh over random T, rows and H", () => {
    fc.assert(
      fc.property(arbGru, (xs) => {
        expect(gradCheck(gruSequence, xs)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("w.r.t. each input alone (the others constant)", () => {
    fc.assert(
      fc.property(arbGru, (xs) => {
        for (const i of [0, 1, 2, 3]) expect(gradCheck(gruSequence, xs, { wrt: [i] })).toBeLessThan(GRAD_TOL);
      }),
      { ...RUNS, numRuns: 15 },
    );
  });

  it("through the last hidden state only (gradients flow back through every step)", () => {
    fc.assert(
      fc.property(arbGru, (xs) => {
        expect(gradCheck((gi, h0, w, b) => select(gruSequence(gi, h0, w, b), 0, -1), xs)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});

/** x [T, R, I], weight_ih [3H, I], bias_ih [3H], h0 [R, H], weight_hh [3H, H], bias_hh [3H]. */
const arbGruLayer = fc
  .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), small, small)
  .chain(([T, R, I, H]) =>
    fc.tuple(arbTensor([T, R, I]), arbTensor([3 * H, I], W), arbTensor([3 * H], W), arbTensor([R, H], W), arbTensor([3 * H, H], W), arbTensor([3 * H], W)));

describe("gruLayer (input projection + recurrence, fused in WebAssembly): backward matches finite differences", () => {
  it("w.r.t. x, weight_ih, bias_ih, h0, weight_hh and bias_hh", () => {
    fc.assert(
      fc.property(arbGruLayer, (xs) => {
        expect(gradCheck(gruLayer, xs)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("w.r.t. the parameters only, and accumulating into gradients that hold values (x used twice)", () => {
    fc.assert(
      fc.property(arbGruLayer, ([x, wi, bi, h0, wh, bh]) => {
        expect(gradCheck(gruLayer, [x, wi, bi, h0, wh, bh], { wrt: [1, 2, 4, 5] })).toBeLessThan(GRAD_TOL);
        const twice = (a: Tensor, b: Tensor, c: Tensor, d: Tensor, e: Tensor, f: Tensor) => add(gruLayer(a, b, c, d, e, f), gruLayer(mulScalar(a, 0.5), b, c, d, e, f));
        expect(gradCheck(twice, [x, wi, bi, h0, wh, bh])).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("equals gruSequence(linear(x, W_ih, b_ih), …) forward", () => {
    fc.assert(
      fc.property(arbGruLayer, ([x, wi, bi, h0, wh, bh]) => {
        const a = gruLayer(x, wi, bi, h0, wh, bh).data, b = gruSequence(linear(x, wi, bi), h0, wh, bh).data;
        for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!)).toBeLessThan(1e-6);
      }),
      RUNS,
    );
  });
});

describe("gruCell: backward matches finite differences", () => {
  it("w.r.t. x, h, weight_ih, weight_hh, bias_ih and bias_hh", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 3 }), small, small).chain(([R, I, H]) =>
      fc.tuple(
        arbTensor([R, I]), arbTensor([R, H], W), arbTensor([3 * H, I], W), arbTensor([3 * H, H], W),
        arbTensor([3 * H], W), arbTensor([3 * H], W),
      ));
    fc.assert(
      fc.property(arb, (xs) => {
        expect(gradCheck(gruCell, xs)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});

describe("losses: backward matches finite differences", () => {
  it("maskedMeanSquare over random shapes and masks", () => {
    const arb = arbShape(3, 24).chain((s) =>
      fc.tuple(arbTensor(s), arbMask(s)).filter(([, m]) => m.data.some((v) => v !== 0)));
    fc.assert(
      fc.property(arb, ([x, mask]) => {
        expect(gradCheck((t) => maskedMeanSquare(t, mask), x)).toBeLessThan(GRAD_TOL);
        expect(gradCheck((t) => maskedMeanSquareComposed(t, mask), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("mseLoss w.r.t. prediction and target", () => {
    const arb = arbShape(3, 24).chain((s) => fc.tuple(arbTensor(s), arbTensor(s)));
    fc.assert(
      fc.property(arb, (xs) => {
        expect(gradCheck(mseLoss, xs)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});
