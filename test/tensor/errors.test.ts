// Errors that teach: each bad call fails at the door with the error class
// and a message naming the op, what came in and what was expected.

import { describe, expect, it } from "vitest";
import {
  add, backward, concat, gather, linear, matmul, maskedFill, mean, mul, permute, reshape, select, slice, stack, sub, sum,
  maskedMeanSquare, mseLoss, gruSequence, argmax, max, clamp, where, transpose,
} from "../../src/index.ts";
import { ones, tensor, zeros } from "../../src/tensor/create.ts";
import { ShapeError } from "../../src/tensor/tensor.ts";

/** Expects fn to throw an instance of cls whose message contains every fragment. */
function throwsWith(fn: () => unknown, cls: new (...args: never[]) => Error, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(cls);
  const msg = (caught as Error).message;
  for (const f of fragments) expect(msg).toContain(f);
}

describe("broadcasting errors", () => {
  it("add with incompatible shapes names the op and both shapes", () => {
    throwsWith(() => add(zeros([2, 3]), zeros([4])), ShapeError, "add:", "[2, 3]", "[4]", "cannot be broadcast");
    throwsWith(() => sub(zeros([2, 1, 3]), zeros([4, 2])), ShapeError, "sub:", "[2, 1, 3]", "[4, 2]");
    throwsWith(() => mul(zeros([5]), zeros([3, 4])), ShapeError, "mul:", "[5]", "[3, 4]", "dimension 1");
  });

  it("the message names the op even when a gradient is wanted", () => {
    throwsWith(() => add(zeros([2, 3]).requireGrad(), zeros([3, 2]).requireGrad()), ShapeError, "add:", "[2, 3]", "[3, 2]");
  });

  it("where and maskedFill", () => {
    throwsWith(() => where(ones([2]), zeros([3]), zeros([3])), ShapeError, "where:", "[2]", "[3]");
    throwsWith(() => maskedFill(zeros([3]), ones([2, 3]), 0), ShapeError, "maskedFill", "[2, 3]", "[3]");
  });
});

describe("matmul errors", () => {
  it("inner size mismatch names both shapes and the rule", () => {
    throwsWith(() => matmul(zeros([2, 3]), zeros([4, 5])), ShapeError, "matmul: inner sizes differ", "[2, 3]", "[4, 5]", "a[-1] == b[-2]");
    throwsWith(() => matmul(zeros([7, 2, 3]), zeros([7, 2, 3])), ShapeError, "matmul: inner sizes differ");
  });

  it("batch mismatch and bad ranks", () => {
    throwsWith(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 4])), ShapeError, "matmul: batch sizes differ", "[2, 2, 3]", "[3, 3, 4]");
    throwsWith(() => matmul(zeros([3]), zeros([3, 4])), ShapeError, "matmul: expected 2-D or 3-D operands", "[3]");
    throwsWith(() => matmul(zeros([1, 1, 2, 3]), zeros([3, 4])), ShapeError, "matmul");
  });
});

describe("shape op errors", () => {
  it("reshape with a size mismatch names both shapes and both sizes", () => {
    throwsWith(() => reshape(zeros([2, 3]), [4, 2]), ShapeError, "reshape", "[2, 3]", "6 elements", "[4, 2]", "8 elements");
    throwsWith(() => reshape(zeros([2, 3]), [-1, 4]), ShapeError, "reshape: cannot infer -1", "[-1, 4]");
    throwsWith(() => reshape(zeros([2, 3]), [-1, -1]), ShapeError, "only one dimension may be -1");
  });

  it("permute, transpose, concat, stack, slice, select", () => {
    throwsWith(() => permute(zeros([2, 3]), [0, 0]), ShapeError, "permute", "[0, 0]", "[2, 3]");
    throwsWith(() => permute(zeros([2, 3]), [0]), ShapeError, "permute");
    throwsWith(() => transpose(zeros([2, 3]), 0, 2), ShapeError, "transpose: axis 2 is out of range");
    throwsWith(() => concat([zeros([2, 3]), zeros([3, 3])], 1), ShapeError, "concat: tensor 1 has shape [3, 3]", "[2, 3]", "axis 1");
    throwsWith(() => concat([]), ShapeError, "concat: needs at least one tensor");
    throwsWith(() => stack([zeros([2]), zeros([3])]), ShapeError, "stack: tensor 1 has shape [3] but tensor 0 has [2]");
    throwsWith(() => slice(zeros([4, 5]), 1, 2, 7), ShapeError, "slice: range [2, 7) is invalid for axis 1 of size 5", "[4, 5]");
    throwsWith(() => slice(zeros([4, 5]), 0, 3, 1), ShapeError, "slice");
    throwsWith(() => select(zeros([4, 5]), 1, 5), ShapeError, "select: index 5 is out of range for axis 1 of size 5");
    throwsWith(() => select(zeros([4, 5]), -3, 0), ShapeError, "axis -3 is out of range for a tensor with 2 dimensions");
  });

  it("gather with an index out of range names the index, its position and the range", () => {
    const x = zeros([2, 3]);
    throwsWith(() => gather(x, 1, tensor([[0], [3]])), RangeError, "gather: index 3 at position 1", "[0, 3)", "axis 1", "[2, 3]");
    throwsWith(() => gather(x, 1, tensor([[-1], [0]])), RangeError, "index -1 at position 0");
    throwsWith(() => gather(x, 1, tensor([[0.5], [0]])), RangeError, "index 0.5");
    throwsWith(() => gather(x, 1, tensor([[0, 1, 2]])), ShapeError, "gather: index shape [1, 3] must equal input shape [2, 3] except along axis 1");
  });
});

describe("reduction errors", () => {
  it("bad axes and empty reductions", () => {
    throwsWith(() => sum(zeros([2, 3]), 2), ShapeError, "sum: axis 2 is out of range for a tensor with 2 dimensions");
    throwsWith(() => mean(zeros([0])), ShapeError, "mean: cannot average over zero elements", "[0]");
    throwsWith(() => max(zeros([2, 0]), 1), ShapeError, "max: axis 1 of shape [2, 0] is empty");
    throwsWith(() => argmax(zeros([0, 2]), 0), ShapeError, "argmax");
  });
});

describe("tape errors", () => {
  it("backward from a non-scalar without a gradient", () => {
    const x = zeros([2, 3]).requireGrad();
    throwsWith(() => backward(mul(x, x)), ShapeError, "backward", "[2, 3]", "without a gradient", "one-element");
  });

  it("backward with a gradient of the wrong size", () => {
    const x = zeros([2, 3]).requireGrad();
    throwsWith(() => backward(mul(x, x), new Float32Array(5)), ShapeError, "backward: gradient has 5 elements", "[2, 3] (6 elements)");
  });

  it("backward on a tensor that does not require grad", () => {
    throwsWith(() => backward(sum(zeros([3]))), Error, "backward", "does not require grad");
  });
});

describe("nn errors", () => {
  it("linear with the wrong input size names the input, the in-size and the weight", () => {
    throwsWith(() => linear(zeros([4, 5]), zeros([3, 6])), ShapeError, "linear: input [4, 5] does not end in the weight's in-size 6", "[3, 6]");
    throwsWith(() => linear(zeros([4, 6]), zeros([3, 6]), zeros([4])), ShapeError, "linear: bias must be [3]", "[4]");
    throwsWith(() => linear(zeros([4, 6]), zeros([6])), ShapeError, "linear: weight must be 2-D");
  });

  it("gru shape checks", () => {
    throwsWith(() => gruSequence(zeros([1, 2, 9]), zeros([2, 3]), zeros([9, 2]), zeros([9])), ShapeError, "weight_hh must be [3H, H]", "[9, 2]");
    throwsWith(() => gruSequence(zeros([1, 2, 9]), zeros([2, 3]), zeros([9, 3]), zeros([3])), ShapeError, "bias_hh must be [9]");
    throwsWith(() => gruSequence(zeros([1, 2, 9]), zeros([2, 4]), zeros([9, 3]), zeros([9])), ShapeError, "hidden state must be [rows, 3]");
    throwsWith(() => gruSequence(zeros([1, 3, 9]), zeros([2, 3]), zeros([9, 3]), zeros([9])), ShapeError, "input projections must be [T, 2, 9]", "[1, 3, 9]");
  });

  it("losses", () => {
    throwsWith(() => mseLoss(zeros([2]), zeros([3])), ShapeError, "mseLoss: prediction [2] and target [3] differ");
    throwsWith(() => maskedMeanSquare(zeros([2]), zeros([2, 1])), ShapeError, "maskedMeanSquare");
    throwsWith(() => maskedMeanSquare(ones([3]), zeros([3])), RangeError, "the mask is all zeros");
  });

  it("clamp with inverted bounds", () => {
    throwsWith(() => clamp(zeros([2]), 1, 0), RangeError, "clamp: lower bound 1 is above upper bound 0");
  });
});
