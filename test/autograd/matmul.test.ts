// Forward values and shapes of the tape's matmul: 2-D, batched, and a 2-D
// operand shared over the batch, against a float64 reference.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matmul } from "../../src/autograd/matmul.ts";
import { tensor } from "../../src/tensor/create.ts";
import type { Tensor } from "../../src/tensor/tensor.ts";
import { arbTensor } from "../util/gradcheck.ts";

const RUNS = { seed: 0x6a09e667, numRuns: 100 };

/** C[b] = A[b or shared] · B[b or shared] in float64. */
function reference(a: Tensor, b: Tensor): number[] {
  const m = a.shape[a.ndim - 2]!, k = a.shape[a.ndim - 1]!, n = b.shape[b.ndim - 1]!;
  const ba = a.ndim === 3 ? a.shape[0]! : 1, bb = b.ndim === 3 ? b.shape[0]! : 1, batch = Math.max(ba, bb);
  const out: number[] = [];
  for (let t = 0; t < batch; t++) {
    const oa = ba === 1 ? 0 : t * m * k, ob = bb === 1 ? 0 : t * k * n;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a.data[oa + i * k + p]! * b.data[ob + p * n + j]!;
      out.push(s);
    }
  }
  return out;
}

describe("matmul forward", () => {
  it("hand-computed 2-D and batched products", () => {
    expect(matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6], [7, 8]])).toArray()).toEqual([[19, 22], [43, 50]]);
    const a = tensor([[[1, 0], [0, 1]], [[2, 0], [0, 2]]]);
    const b = tensor([[1, 2], [3, 4]]);
    const y = matmul(a, b);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(y.toArray()).toEqual([[[1, 2], [3, 4]], [[2, 4], [6, 8]]]);
    expect(matmul(b, a).toArray()).toEqual([[[1, 2], [3, 4]], [[2, 4], [6, 8]]]);
    expect(matmul(tensor([[1, 2, 3]]), tensor([[1], [1], [1]])).toArray()).toEqual([[6]]);
  });

  const dim = fc.integer({ min: 1, max: 6 });
  const shapes: Array<[string, (b: number, m: number, k: number, n: number) => [number[], number[], number[]]]> = [
    ["2-D", (_b, m, k, n) => [[m, k], [k, n], [m, n]]],
    ["batched", (b, m, k, n) => [[b, m, k], [b, k, n], [b, m, n]]],
    ["shared left", (b, m, k, n) => [[m, k], [b, k, n], [b, m, n]]],
    ["shared right", (b, m, k, n) => [[b, m, k], [k, n], [b, m, n]]],
  ];

  it.each(shapes)("%s matches a float64 reference", (_name, f) => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 3 }), dim, dim, dim).chain(([b, m, k, n]) => {
      const [sa, sb, so] = f(b, m, k, n);
      return fc.tuple(arbTensor(sa), arbTensor(sb), fc.constant(so));
    });
    fc.assert(
      fc.property(arb, ([a, b, outShape]) => {
        const y = matmul(a, b);
        expect(y.shape).toEqual(outShape);
        const ref = reference(a, b);
        ref.forEach((v, i) => expect(Math.abs(y.data[i]! - v)).toBeLessThan(1e-5 * (1 + Math.abs(v))));
      }),
      RUNS,
    );
  });
});
