// Losses. QMIX's TD loss is a masked mean of squares: padded and
// post-terminal steps carry mask 0 and must not dilute the mean.

import { mul, square, sub } from "../autograd/elementwise.ts";
import { mean, sum } from "../autograd/reduce.ts";
import { gradOf, record } from "../autograd/tape.ts";
import { ShapeError, Tensor, fmt, sameShape } from "../tensor/tensor.ts";

export function mseLoss(pred: Tensor, target: Tensor): Tensor {
  if (!sameShape(pred.shape, target.shape)) throw new ShapeError(`mseLoss: prediction ${fmt(pred.shape)} and target ${fmt(target.shape)} differ`);
  return mean(square(sub(pred, target)));
}

/** Σ mask·x² / Σ mask, as one node. x and mask have the same shape. */
export function maskedMeanSquare(x: Tensor, mask: Tensor): Tensor {
  if (!sameShape(x.shape, mask.shape)) throw new ShapeError(`maskedMeanSquare: values ${fmt(x.shape)} and mask ${fmt(mask.shape)} differ`);
  const xd = x.data, md = mask.data, n = x.size;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { const m = md[i]!, v = xd[i]!; num += m * v * v; den += m; }
  if (den === 0) throw new RangeError("maskedMeanSquare: the mask is all zeros, so the mean is undefined (no valid steps in the batch)");
  return record(new Tensor(Float32Array.of(num / den), []), "maskedMeanSquare", [x], (g) => {
    const gx = gradOf(x), c = (2 * g[0]!) / den;
    for (let i = 0; i < n; i++) gx[i]! += c * md[i]! * xd[i]!;
  });
}

/** The same quantity composed from general ops, for tests that cross-check the fused one. */
export function maskedMeanSquareComposed(x: Tensor, mask: Tensor): Tensor {
  const s = sum(mul(square(x), mask));
  const d = sum(mask).item();
  return mul(s, new Tensor(Float32Array.of(1 / d), []));
}
