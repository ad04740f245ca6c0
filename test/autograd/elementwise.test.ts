// Forward values of the elementwise ops against hand-computed results, and
// broadcasting against a reference that indexes each operand directly.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  abs, add, addScalar, clamp, div, elu, eq, exp, ge, gt, le, log, lt, maskedFill, maximum, minimum, mul, mulScalar, ne,
  neg, relu, sigmoid, sqrt, square, sub, tanh, where,
} from "../../src/autograd/elementwise.ts";
import { backward, noGrad } from "../../src/autograd/tape.ts";
import { tensor } from "../../src/tensor/create.ts";
import { Tensor, shapeSize, stridesOf } from "../../src/tensor/tensor.ts";
import { arbBroadcastShapes, arbTensor, broadcastResult } from "../util/gradcheck.ts";

const RUNS = { seed: 0x7f4a7c15, numRuns: 100 };
const values = (t: Tensor): number[] => Array.from(t.data);
const f32 = (xs: number[]): number[] => xs.map(Math.fround);

describe("unary forward values", () => {
  const x = tensor([-2, -0.5, 0, 0.5, 3]);

  it("neg, square, abs, relu, mulScalar, addScalar", () => {
    expect(values(neg(x))).toEqual([2, 0.5, -0, -0.5, -3]);
    expect(values(square(x))).toEqual([4, 0.25, 0, 0.25, 9]);
    expect(values(abs(x))).toEqual([2, 0.5, 0, 0.5, 3]);
    expect(values(relu(x))).toEqual([0, 0, 0, 0.5, 3]);
    expect(values(mulScalar(x, -2))).toEqual([4, 1, -0, -1, -6]);
    expect(values(addScalar(x, 1.5))).toEqual([-0.5, 1, 1.5, 2, 4.5]);
  });

  it("exp, log, sqrt, tanh, sigmoid round the float64 result to float32", () => {
    expect(values(exp(x))).toEqual(f32([-2, -0.5, 0, 0.5, 3].map(Math.exp)));
    expect(values(tanh(x))).toEqual(f32([-2, -0.5, 0, 0.5, 3].map(Math.tanh)));
    expect(values(sigmoid(x))).toEqual(f32([-2, -0.5, 0, 0.5, 3].map((v) => 1 / (1 + Math.exp(-v)))));
    const p = tensor([0.25, 1, 4, 9]);
    expect(values(sqrt(p))).toEqual([0.5, 1, 2, 3]);
    expect(values(log(p))).toEqual(f32([0.25, 1, 4, 9].map(Math.log)));
    expect(values(sigmoid(tensor([-1000, 1000])))).toEqual([0, 1]);
  });

  it("elu with α = 1 and α = 2; expm1 keeps small negatives accurate", () => {
    expect(values(elu(x))).toEqual(f32([Math.expm1(-2), Math.expm1(-0.5), 0, 0.5, 3]));
    expect(values(elu(x, 2))).toEqual(f32([2 * Math.expm1(-2), 2 * Math.expm1(-0.5), 0, 0.5, 3]));
    expect(elu(tensor([-1e-10])).data[0]).toBe(Math.fround(-1e-10));
  });

  it("clamp, including one-sided and a point interval", () => {
    expect(values(clamp(x, -1, 1))).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(values(clamp(x, 0))).toEqual([0, 0, 0, 0.5, 3]);
    expect(values(clamp(x, -Infinity, 0))).toEqual([-2, -0.5, 0, 0, 0]);
    expect(values(clamp(x, 0.5, 0.5))).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it("keeps the input's shape, and scalars stay scalars", () => {
    expect(relu(tensor([[1, -1], [2, -2]])).shape).toEqual([2, 2]);
    expect(exp(tensor(0)).shape).toEqual([]);
  });
});

describe("binary forward values and broadcasting", () => {
  it("[2,1,3] + [4,1] → [2,4,3], hand-computed", () => {
    const a = tensor([[[1, 2, 3]], [[10, 20, 30]]]);
    const b = tensor([[100], [200], [300], [400]]);
    const y = add(a, b);
    expect(y.shape).toEqual([2, 4, 3]);
    expect(y.toArray()).toEqual([
      [[101, 102, 103], [201, 202, 203], [301, 302, 303], [401, 402, 403]],
      [[110, 120, 130], [210, 220, 230], [310, 320, 330], [410, 420, 430]],
    ]);
    // The same pair the other way round, through sub.
    expect(sub(b, a).toArray()).toEqual([
      [[99, 98, 97], [199, 198, 197], [299, 298, 297], [399, 398, 397]],
      [[90, 80, 70], [190, 180, 170], [290, 280, 270], [390, 380, 370]],
    ]);
  });

  it("row-vector and scalar operands", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(mul(a, tensor([1, 10, 100])).toArray()).toEqual([[1, 20, 300], [4, 50, 600]]);
    expect(add(a, tensor(1)).toArray()).toEqual([[2, 3, 4], [5, 6, 7]]);
    const q = div(tensor(12), a);
    expect(q.shape).toEqual([2, 3]);
    expect(values(q)).toEqual(f32([12, 6, 4, 3, 2.4, 2]));
    expect(sub(a, tensor([[1], [2]])).toArray()).toEqual([[0, 1, 2], [2, 3, 4]]);
  });

  it("maximum and minimum, ties included", () => {
    const a = tensor([1, 5, -2, 3]), b = tensor([2, 4, -2, 3]);
    expect(values(maximum(a, b))).toEqual([2, 5, -2, 3]);
    expect(values(minimum(a, b))).toEqual([1, 4, -2, 3]);
    expect(maximum(tensor([[0], [2]]), tensor([1, -1, 3])).toArray()).toEqual([[1, 0, 3], [2, 2, 3]]);
  });

  it("on ties maximum's and minimum's gradient goes to the left operand", () => {
    for (const op of [maximum, minimum]) {
      const a = tensor([1, 2]).requireGrad(), b = tensor([1, 3]).requireGrad();
      const y = op(a, b);
      backward(y, Float32Array.of(1, 1));
      expect(values(new Tensor(a.grad!, [2]))).toEqual(op === maximum ? [1, 0] : [1, 1]);
      expect(values(new Tensor(b.grad!, [2]))).toEqual(op === maximum ? [0, 1] : [0, 0]);
    }
  });

  const binaryOps: Array<[string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number]> = [
    ["add", add, (x, y) => x + y],
    ["sub", sub, (x, y) => x - y],
    ["mul", mul, (x, y) => x * y],
    ["div", div, (x, y) => x / y],
    ["maximum", maximum, (x, y) => Math.max(x, y)],
    ["minimum", minimum, (x, y) => Math.min(x, y)],
  ];

  it.each(binaryOps)("%s matches a direct-indexing broadcast reference over random shape pairs", (_n, op, ref) => {
    const arb = arbBroadcastShapes(4, 48).chain(([sa, sb]) => fc.tuple(arbTensor(sa), arbTensor(sb, { awayFrom: [0], margin: 0.25 })));
    fc.assert(
      fc.property(arb, fc.boolean(), ([a, b], grad) => {
        if (grad) b.requireGrad(); // off the fast path
        const y = op(a, b);
        const expected = referenceBroadcast(a, b, ref);
        expect(y.shape).toEqual(expected.shape);
        expect(values(y)).toEqual(values(expected));
      }),
      RUNS,
    );
  });
});

describe("comparisons, where, maskedFill", () => {
  it("comparisons give 0/1, broadcast, and are not on the tape", () => {
    const a = tensor([1, 2, 3]).requireGrad(), b = tensor([2, 2, 2]);
    expect(values(eq(a, b))).toEqual([0, 1, 0]);
    expect(values(ne(a, b))).toEqual([1, 0, 1]);
    expect(values(gt(a, b))).toEqual([0, 0, 1]);
    expect(values(ge(a, b))).toEqual([0, 1, 1]);
    expect(values(lt(a, b))).toEqual([1, 0, 0]);
    expect(values(le(a, b))).toEqual([1, 1, 0]);
    expect(gt(tensor([[1], [3]]), tensor([0, 2, 4])).toArray()).toEqual([[1, 0, 0], [1, 1, 0]]);
    expect(gt(a, b).requiresGrad).toBe(false);
  });

  it("where picks per element and broadcasts all three", () => {
    const cond = tensor([[1], [0]]);
    expect(where(cond, tensor([1, 2, 3]), tensor(-1)).toArray()).toEqual([[1, 2, 3], [-1, -1, -1]]);
    expect(where(tensor([1, 0, 1]), tensor([1, 2, 3]), tensor([4, 5, 6])).toArray()).toEqual([1, 5, 3]);
  });

  it("maskedFill writes the value where the mask is non-zero", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(maskedFill(x, tensor([0, 1, 0]), -9).toArray()).toEqual([[1, -9, 3], [4, -9, 6]]);
    expect(maskedFill(x, tensor([[1], [0]]), -Infinity).toArray()).toEqual([[-Infinity, -Infinity, -Infinity], [4, 5, 6]]);
  });

  it("nothing is recorded under noGrad", () => {
    const a = tensor([1, 2]).requireGrad();
    const y = noGrad(() => add(mul(a, a), tensor(1)));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });
});

/** Broadcast by explicit multi-indices: out[idx] = f(a[idx'], b[idx'']). */
function referenceBroadcast(a: Tensor, b: Tensor, f: (x: number, y: number) => number): Tensor {
  const shape = broadcastResult(a.shape, b.shape), n = shape.length, size = shapeSize(shape);
  const sa = stridesOf(a.shape), sb = stridesOf(b.shape);
  const out = new Float32Array(size);
  const idx = new Array<number>(n).fill(0);
  for (let k = 0; k < size; k++) {
    let r = k;
    for (let d = n - 1; d >= 0; d--) { idx[d] = r % shape[d]!; r = Math.floor(r / shape[d]!); }
    let ia = 0, ib = 0;
    for (let d = 0; d < a.ndim; d++) ia += (a.shape[d] === 1 ? 0 : idx[n - a.ndim + d]!) * sa[d]!;
    for (let d = 0; d < b.ndim; d++) ib += (b.shape[d] === 1 ? 0 : idx[n - b.ndim + d]!) * sb[d]!;
    out[k] = f(a.data[ia]!, b.data[ib]!);
  }
  return new Tensor(out, shape);
}
