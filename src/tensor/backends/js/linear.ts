// The Linear layer in plain loops: the product through the NT kernel, the
// bias added row by row, the ReLU over the result; backward, the upstream
// gradient masked by the ReLU's output, then one product per gradient and
// the bias's column sums.

import type { GradSlot, LinearGrads } from "../../backend.ts";
import { floats } from "../../pool.ts";
import { addColumnSums, addRowVector, jsMatmulNN, jsMatmulNT, jsMatmulTN, reluInto } from "./matmul.ts";

/** A slot's array ready to add into (a fresh one zeroed), or null when not wanted. */
export function addInto(slot: GradSlot): Float32Array | null {
  if (slot.into !== null && slot.fresh) slot.into.fill(0);
  return slot.into;
}

/** y [m, n] = x [m, k] · W [n, k]ᵀ + bias [n], then max(y, 0) with `relu`. */
export function jsLinearForward(x: Float32Array, W: Float32Array, bias: Float32Array | null, m: number, k: number, n: number, relu: boolean): Float32Array {
  const y = floats(m * n);
  jsMatmulNT(x, W, y, m, k, n);
  if (bias) addRowVector(y, bias, m, n);
  if (relu) reluInto(y, y);
  return y;
}

/** dx += g W, dW += gᵀ x, db += Σ_rows g, with g first masked in place where the ReLU's output is not > 0. */
export function jsLinearBackward(
  g: Float32Array, x: Float32Array, W: Float32Array, reluOut: Float32Array | null, m: number, k: number, n: number, grads: LinearGrads,
): void {
  if (reluOut) for (let i = 0; i < g.length; i++) if (!(reluOut[i]! > 0)) g[i] = 0;
  const dx = addInto(grads.dx), dW = addInto(grads.dW), db = addInto(grads.db);
  if (dx) jsMatmulNN(g, W, dx, m, n, k);
  if (dW) jsMatmulTN(g, x, dW, n, m, k);
  if (db) addColumnSums(g, db, m, n);
}
