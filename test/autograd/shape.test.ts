// Forward values of the element-moving ops against hand-computed results
// and a multi-index reference for permute.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concat, gather, permute, reshape, select, slice, stack, transpose } from "../../src/autograd/shape.ts";
import { arange, tensor } from "../../src/tensor/create.ts";
import { shapeSize, stridesOf } from "../../src/tensor/tensor.ts";
import { arbShape, arbTensor } from "../util/gradcheck.ts";

const RUNS = { seed: 0x5bd1e995, numRuns: 100 };
const x = reshape(arange(6), [2, 3]); // [[0,1,2],[3,4,5]]

describe("reshape", () => {
  it("keeps row-major order, infers -1 and shares storage", () => {
    expect(reshape(x, [3, 2]).toArray()).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(reshape(x, [-1]).shape).toEqual([6]);
    expect(reshape(x, [1, -1, 2]).shape).toEqual([1, 3, 2]);
    expect(reshape(tensor([5]), []).shape).toEqual([]);
    expect(reshape(x, [6]).data).toBe(x.data);
  });
});

describe("permute and transpose", () => {
  it("hand-computed", () => {
    expect(transpose(x).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    const y = reshape(arange(24), [2, 3, 4]);
    const p = permute(y, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    expect((p.toArray() as number[][][])[1]![0]).toEqual([1, 5, 9]);
    expect(permute(y, [-1, 0, 1]).toArray()).toEqual(p.toArray());
    expect(transpose(y, 0, 2).shape).toEqual([4, 3, 2]);
    expect(transpose(y, 1, 1).toArray()).toEqual(y.toArray());
  });

  it("out[i₀…] = x[i_perm…] over random shapes and permutations", () => {
    const arb = arbShape(4, 60).chain((s) =>
      fc.tuple(arbTensor(s), fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length })));
    fc.assert(
      fc.property(arb, ([t, perm]) => {
        const y = permute(t, perm);
        expect(y.shape).toEqual(perm.map((p) => t.shape[p]));
        const ys = stridesOf(y.shape), xs = stridesOf(t.shape);
        for (let k = 0; k < shapeSize(y.shape); k++) {
          let src = 0;
          for (let d = 0; d < perm.length; d++) src += (Math.floor(k / ys[d]!) % y.shape[d]!) * xs[perm[d]!]!;
          expect(y.data[k]).toBe(t.data[src]);
        }
        // Permuting back restores the input.
        const inv = perm.map((_, i) => perm.indexOf(i));
        expect(permute(y, inv).data).toEqual(t.data);
      }),
      RUNS,
    );
  });
});

describe("concat and stack", () => {
  it("hand-computed along each axis", () => {
    const a = tensor([[1, 2]]), b = tensor([[3, 4], [5, 6]]);
    expect(concat([a, b], 0).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(concat([b, tensor([[7], [8]])], 1).toArray()).toEqual([[3, 4, 7], [5, 6, 8]]);
    expect(concat([b, tensor([[7], [8]])], -1).shape).toEqual([2, 3]);
    expect(concat([a]).toArray()).toEqual([[1, 2]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], -1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([tensor(1), tensor(2)]).toArray()).toEqual([1, 2]);
  });

  it("slicing a concat gives the parts back", () => {
    const arb = arbShape(3, 24).chain((s) =>
      fc.tuple(fc.integer({ min: 0, max: s.length - 1 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
        .chain(([ax, w1, w2]) =>
          fc.tuple(fc.constant(ax), arbTensor(s.map((d, i) => (i === ax ? w1 : d))), arbTensor(s.map((d, i) => (i === ax ? w2 : d))))));
    fc.assert(
      fc.property(arb, ([ax, a, b]) => {
        const c = concat([a, b], ax);
        const w1 = a.shape[ax]!;
        expect(slice(c, ax, 0, w1).data).toEqual(a.data);
        expect(slice(c, ax, w1).data).toEqual(b.data);
      }),
      RUNS,
    );
  });
});

describe("slice, select, gather", () => {
  it("hand-computed, negative indices included", () => {
    expect(slice(x, 1, 1).toArray()).toEqual([[1, 2], [4, 5]]);
    expect(slice(x, 1, -2, -1).toArray()).toEqual([[1], [4]]);
    expect(slice(x, 0, 1, 2).toArray()).toEqual([[3, 4, 5]]);
    expect(slice(x, 1, 2, 2).shape).toEqual([2, 0]);
    expect(select(x, 0, 1).toArray()).toEqual([3, 4, 5]);
    expect(select(x, 1, -1).toArray()).toEqual([2, 5]);
    expect(select(tensor([4, 5]), 0, 1).shape).toEqual([]);
  });

  it("gather follows torch.gather along either axis", () => {
    // Q-values [batch, actions] and chosen actions [batch, 1]: QMIX's gather.
    const q = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(gather(q, 1, tensor([[2], [0]])).toArray()).toEqual([[3], [4]]);
    expect(gather(q, 1, tensor([[2, 2, 0], [1, 0, 1]])).toArray()).toEqual([[3, 3, 1], [5, 4, 5]]);
    expect(gather(q, 0, tensor([[1, 0, 1]])).toArray()).toEqual([[4, 2, 6]]);
    expect(gather(q, 1, Int32Array.of(1, 2), [2, 1]).toArray()).toEqual([[2], [6]]);
    expect(gather(tensor([5, 6, 7]), 0, Int32Array.of(2, 2, 0)).toArray()).toEqual([7, 7, 5]);
  });
});
