// Backward of matmul against finite differences: 2-D, batched, a 2-D
// operand shared over the batch on either side, and a batch of one
// broadcast against a larger batch. Odd sizes exercise the kernels' tails.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matmul } from "../../src/autograd/matmul.ts";
import { GRAD_TOL, arbTensor, gradCheck } from "../util/gradcheck.ts";

const RUNS = { seed: 0x85ebca6b, numRuns: 50 };

const dim = fc.integer({ min: 1, max: 5 });
const dims = fc.record({ b: fc.integer({ min: 1, max: 3 }), m: dim, k: dim, n: dim });

describe("matmul: backward matches finite differences", () => {
  const cases: Array<[string, (d: { b: number; m: number; k: number; n: number }) => [number[], number[]]]> = [
    ["2-D [m,k]·[k,n]", ({ m, k, n }) => [[m, k], [k, n]]],
    ["batched [b,m,k]·[b,k,n]", ({ b, m, k, n }) => [[b, m, k], [b, k, n]]],
    ["2-D left shared over the batch [m,k]·[b,k,n]", ({ b, m, k, n }) => [[m, k], [b, k, n]]],
    ["2-D right shared over the batch [b,m,k]·[k,n]", ({ b, m, k, n }) => [[b, m, k], [k, n]]],
    ["batch of one against a batch [1,m,k]·[b,k,n]", ({ b, m, k, n }) => [[1, m, k], [b, k, n]]],
    ["batch against a batch of one [b,m,k]·[1,k,n]", ({ b, m, k, n }) => [[b, m, k], [1, k, n]]],
  ];

  it.each(cases)("%s", (_name, shapes) => {
    const arb = dims.chain((d) => {
      const [sa, sb] = shapes(d);
      return fc.tuple(arbTensor(sa), arbTensor(sb));
    });
    fc.assert(
      fc.property(arb, ([a, b]) => {
        expect(gradCheck(matmul, [a, b])).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("only one operand requiring grad", () => {
    const arb = dims.chain(({ b, m, k, n }) => fc.tuple(arbTensor([b, m, k]), arbTensor([b, k, n])));
    fc.assert(
      fc.property(arb, ([a, b]) => {
        expect(gradCheck(matmul, [a, b], { wrt: [0] })).toBeLessThan(GRAD_TOL);
        expect(gradCheck(matmul, [a, b], { wrt: [1] })).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });

  it("the same tensor on both sides (x·x)", () => {
    fc.assert(
      fc.property(dim.chain((n) => arbTensor([n, n])), (x) => {
        expect(gradCheck((t) => matmul(t, t), x)).toBeLessThan(GRAD_TOL);
      }),
      RUNS,
    );
  });
});
