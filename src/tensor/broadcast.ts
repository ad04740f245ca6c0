// NumPy broadcasting: the output shape of two operands, and for each operand
// the map from output positions to its own elements.

import { type Shape, ShapeError, fmt, shapeSize, stridesOf } from "./tensor.ts";

export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (dimension ${i} of the result: ${da} vs ${db}; each must match or be 1)`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For every element of `outShape`, the flat index of the element of an
 * operand of shape `inShape` that broadcasting pairs with it.
 */
export function broadcastIndex(inShape: Shape, outShape: Shape): Int32Array {
  const n = outShape.length;
  const size = shapeSize(outShape);
  const inStrides = stridesOf(inShape);
  const strides = new Array<number>(n).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const o = n - inShape.length + i;
    strides[o] = inShape[i] === 1 ? 0 : inStrides[i]!;
  }
  const idx = new Int32Array(size);
  const counter = new Array<number>(n).fill(0);
  let cur = 0;
  for (let k = 0; k < size; k++) {
    idx[k] = cur;
    for (let d = n - 1; d >= 0; d--) {
      counter[d]!++;
      cur += strides[d]!;
      if (counter[d]! < outShape[d]!) break;
      cur -= strides[d]! * outShape[d]!;
      counter[d] = 0;
    }
  }
  return idx;
}

/** True when `inner` equals the trailing dimensions of `outer` (a row-vector-like broadcast). */
export function isSuffix(inner: Shape, outer: Shape): boolean {
  if (inner.length > outer.length) return false;
  for (let i = 0; i < inner.length; i++) if (inner[i] !== outer[outer.length - inner.length + i]) return false;
  return true;
}
