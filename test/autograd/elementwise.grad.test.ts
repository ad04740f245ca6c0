// Backward of every elementwise op against finite differences, over random
// shapes and values; binary ops over random broadcast shape pairs, which
// also checks that gradients reduce back to each operand's shape.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  abs, add, addScalar, clamp, div, elu, exp, log, maskedFill, maximum, minimum, mul, mulScalar, neg, relu,
  sigmoid, sqrt, square, sub, tanh, where,
} from "../../src/autograd/elementwise.ts";
import { reshape } from "../../src/autograd/shape.ts";
import { Tensor, shapeSize } from "../../src/tensor/tensor.ts";
import {
  GRAD_TOL, GRID, type TensorOptions, arbBroadcastShapes, arbBroadcastTriple, arbMask, arbOperandShape,
  arbShape, arbTensor, gradCheck,
} from "../util/gradcheck.ts";

const RUNS = { seed: 0x9e3779b9, numRuns: 40 };

type Unary = (x: Tensor) => Tensor;

const unaries: Array<[string, Unary, TensorOptions]> = [
  ["neg", neg, {}],
  ["exp", exp, {}],
  ["log (positive inputs)", log, { min: 0.5, max: 4 }],
  ["sqrt (positive inputs)", sqrt, { min: 0.5, max: 4 }],
  ["tanh", tanh, {}],
  ["sigmoid", sigmoid, { min: -4, max: 4 }],
  ["square", square, {}],
  ["relu", relu, { awayFrom: [0] }],
  ["elu", (x) => elu(x), { awayFrom: [0] }],
  ["elu α=0.5", (x) => elu(x, 0.5), { awayFrom: [0] }],
  ["elu α=2", (x) => elu(x, 2), { awayFrom: [0] }],
  ["abs", abs, { awayFrom: [0] }],
  ["clamp [-0.5, 1]", (x) => clamp(x, -0.5, 1), { awayFrom: [-0.5, 1] }],
  ["clamp [0, ∞)", (x) => clamp(x, 0), { awayFrom: [0] }],
  ["clamp (-∞, 0.25]", (x) => clamp(x, -Infinity, 0.25), { awayFrom: [0.25] }],
  ["mulScalar", (x) => mulScalar(x, -1.75), {}],
  ["addScalar", (x) => addScalar(x, 0.625), {}],
];

describe("unary ops: backward matches finite differences", () => {
  it.each(unaries)("%s", (_name, f, opts) => {
    fc.assert(
      fc.property(arbShape(3, 24).chain((s) => arbTensor(s, opts)), (x) => {
        expect(gradCheck(f, x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("clamp with random bounds", () => {
    const arbBounds = fc
      .tuple(fc.integer({ min: -64, max: 0 }), fc.integer({ min: 48, max: 128 }))
      .map(([l, w]) => [(l * 4) * GRID, (l + w) * 4 * GRID] as const);
    const arb = fc.tuple(arbBounds, arbShape(3, 24)).chain(([[lo, hi], s]) =>
      fc.tuple(fc.constant([lo, hi] as const), arbTensor(s, { awayFrom: [lo, hi] })));
    fc.assert(
      fc.property(arb, ([[lo, hi], x]) => {
        expect(gradCheck((t) => clamp(t, lo, hi), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});

type Binary = (a: Tensor, b: Tensor) => Tensor;

// div keeps the divisor away from 0; maximum/minimum put a and b on
// interleaved lattices (a ∈ ½ℤ, b ∈ ½ℤ + ¼) so no pair is within 2h of a tie.
const binaries: Array<[string, Binary, TensorOptions, TensorOptions]> = [
  ["add", add, {}, {}],
  ["sub", sub, {}, {}],
  ["mul", mul, {}, {}],
  ["div", div, {}, { awayFrom: [0], margin: 0.5 }],
];

const lattice = (shape: readonly number[], offset: number): fc.Arbitrary<Tensor> =>
  fc
    .array(fc.integer({ min: -4, max: 4 }), { minLength: shapeSize(shape), maxLength: shapeSize(shape) })
    .map((ks) => new Tensor(Float32Array.from(ks, (k) => k / 2 + offset), shape));

describe("binary ops with broadcasting: backward matches finite differences", () => {
  it.each(binaries)("%s over random broadcast shape pairs", (_name, f, oa, ob) => {
    const arb = arbBroadcastShapes(4, 24).chain(([sa, sb]) => fc.tuple(arbTensor(sa, oa), arbTensor(sb, ob)));
    fc.assert(
      fc.property(arb, ([a, b]) => {
        expect(gradCheck(f, [a, b])).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it.each([["maximum", maximum], ["minimum", minimum]] as Array<[string, Binary]>)(
    "%s over random broadcast shape pairs (no near-ties)",
    (_name, f) => {
      const arb = arbBroadcastShapes(4, 24).chain(([sa, sb]) => fc.tuple(lattice(sa, 0), lattice(sb, 0.25)));
      fc.assert(
        fc.property(arb, ([a, b]) => {
          expect(gradCheck(f, [a, b])).toBeLessThan(GRAD_TOL);
          expect(gradCheck(f, [b, a])).toBeLessThan(GRAD_TOL);
        }),
        RUNS,
      );
    },
  );

  // A right operand that is a trailing-dims suffix and needs no gradient takes
  // the fused row-vector path (x + bias); check it on its own.
  it.each(binaries.slice(0, 3))("%s with a constant suffix operand (fast path)", (_name, f) => {
    const arb = arbShape(3, 24).chain((s) =>
      fc.integer({ min: 0, max: s.length }).chain((k) => fc.tuple(arbTensor(s), arbTensor(s.slice(k)))));
    fc.assert(
      fc.property(arb, ([a, b]) => {
        expect(gradCheck(f, [a, b], { wrt: [0] })).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it.each(binaries)("%s with the same tensor as both operands", (_name, f) => {
    fc.assert(
      fc.property(arbShape(3, 24).chain((s) => arbTensor(s, { awayFrom: [0], margin: 0.5 })), (x) => {
        expect(gradCheck((t) => f(t, t), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});

describe("selection ops: backward matches finite differences", () => {
  it("where over random broadcast triples", () => {
    const arb = arbBroadcastTriple(4, 24).chain(([sc, sa, sb]) => fc.tuple(arbMask(sc), arbTensor(sa), arbTensor(sb)));
    fc.assert(
      fc.property(arb, ([cond, a, b]) => {
        expect(gradCheck((x, y) => where(cond, x, y), [a, b])).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("maskedFill with a mask broadcast to x", () => {
    const arb = arbShape(4, 24).chain((s) => fc.tuple(arbTensor(s), arbOperandShape(s).chain(arbMask), fc.integer({ min: -8, max: 8 })));
    fc.assert(
      fc.property(arb, ([x, mask, v]) => {
        expect(gradCheck((t) => maskedFill(t, mask, v / 4), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});

// Backward hands the upstream gradient to an input without copying when the
// input has none yet (accumulateGrad, and relu/elu/abs in place). These
// graphs reuse one tensor along several paths, so a handed-over array is
// later accumulated into, and two inputs may be the same tensor.
describe("gradient hand-over: tensors reused along several paths", () => {
  const graphs: Array<[string, (x: Tensor) => Tensor]> = [
    ["add(x, x)", (x) => add(x, x)],
    ["sub(x, x) + x", (x) => add(sub(x, x), x)],
    ["relu(x) + relu(x)·2", (x) => add(relu(x), mulScalar(relu(x), 2))],
    ["abs(x) + elu(x) − x", (x) => sub(add(abs(x), elu(x)), x)],
    ["elu(relu(x) + x) + x", (x) => add(elu(add(relu(x), x)), x)],
    ["reshape(relu(x)) + reshape(x)", (x) => add(reshape(relu(x), [x.size]), reshape(mulScalar(x, 3), [x.size]))],
  ];
  for (const [name, f] of graphs) {
    it(name, () => {
      fc.assert(
        fc.property(arbShape(3, 24).chain((s) => arbTensor(s, { awayFrom: [0] })), (x) => {
          expect(gradCheck(f, x)).toBeLessThan(GRAD_TOL);
        }),
        RUNS,
      );
    });
  }
});
