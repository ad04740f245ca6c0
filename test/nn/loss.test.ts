// Loss values: mseLoss and the masked TD loss, hand-computed, and the fused
// maskedMeanSquare against its composition from general ops.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.ts";
import { maskedMeanSquare, maskedMeanSquareComposed, mseLoss } from "../../src/nn/loss.ts";
import { tensor } from "../../src/tensor/create.ts";
import { arbMask, arbShape, arbTensor } from "../util/gradcheck.ts";

const RUNS = { seed: 0x9b05688c, numRuns: 100 };

describe("losses", () => {
  it("mseLoss is the mean of squared differences", () => {
    const l = mseLoss(tensor([[1, 2], [3, 4]]), tensor([[0, 2], [5, 4]]));
    expect(l.shape).toEqual([]);
    expect(l.item()).toBe(1.25);
  });

  it("maskedMeanSquare ignores masked steps instead of diluting the mean", () => {
    const td = tensor([[2, -1], [100, 3]]), mask = tensor([[1, 1], [0, 1]]);
    expect(maskedMeanSquare(td, mask).item()).toBe(Math.fround(14 / 3));
    // The gradient is 2·mask·x / Σmask: nothing flows to the padded step.
    const x = tensor([[2, -1], [100, 3]]).requireGrad();
    backward(maskedMeanSquare(x, mask));
    expect(Array.from(x.grad!)).toEqual([4 / 3, -2 / 3, 0, 2].map(Math.fround));
  });

  it("the fused and composed versions agree on random inputs", () => {
    const arb = arbShape(4, 48).chain((s) => fc.tuple(arbTensor(s, { min: -4, max: 4 }), arbMask(s)))
      .filter(([, m]) => m.data.some((v) => v !== 0));
    fc.assert(
      fc.property(arb, ([x, m]) => {
        expect(maskedMeanSquare(x, m).item()).toBeCloseTo(maskedMeanSquareComposed(x, m).item(), 5);
      }),
      RUNS,
    );
  });
});
