// Reductions along one axis (or all elements), keepdim as in PyTorch.
// A tensor of shape [outer, n, inner] is reduced over n; every reduction
// walks that view, so one helper computes the three sizes.

import { ShapeError, Tensor, fmt, normAxis } from "../tensor/tensor.ts";
import { reshape } from "./shape.ts";
import { gradOf, record } from "./tape.ts";
import { floats } from "../tensor/pool.ts";

function split(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1, inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

function reducedShape(shape: readonly number[], axis: number, keepdim: boolean): number[] {
  const s = shape.slice();
  if (keepdim) s[axis] = 1;
  else s.splice(axis, 1);
  return s;
}

/** Sum of all elements (axis undefined) or along an axis. Accumulates in float64. */
export function sum(x: Tensor, axis?: number, keepdim = false): Tensor {
  if (axis === undefined) {
    let s = 0;
    const xd = x.data, n = x.size;
    for (let i = 0; i < n; i++) s += xd[i]!;
    return record(new Tensor(Float32Array.of(s), keepdim ? x.shape.map(() => 1) : []), "sum", [x], (g) => {
      const gx = gradOf(x), g0 = g[0]!;
      for (let i = 0; i < n; i++) gx[i]! += g0;
    });
  }
  const ax = normAxis(axis, x.ndim, "sum");
  const [outer, n, inner] = split(x.shape, ax);
  const yd = new Float64Array(outer * inner);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < n; k++) {
      const base = (o * n + k) * inner;
      for (let i = 0; i < inner; i++) yd[o * inner + i]! += xd[base + i]!;
    }
  }
  return record(new Tensor(Float32Array.from(yd), reducedShape(x.shape, ax, keepdim)), "sum", [x], (g) => {
    const gx = gradOf(x);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) {
        const base = (o * n + k) * inner;
        for (let i = 0; i < inner; i++) gx[base + i]! += g[o * inner + i]!;
      }
    }
  });
}

export function mean(x: Tensor, axis?: number, keepdim = false): Tensor {
  const count = axis === undefined ? x.size : x.shape[normAxis(axis, x.ndim, "mean")]!;
  if (count === 0) throw new ShapeError(`mean: cannot average over zero elements (shape ${fmt(x.shape)})`);
  const s = sum(x, axis, keepdim);
  const yd = s.data;
  for (let i = 0; i < yd.length; i++) yd[i]! /= count;
  if (!s.node) return s;
  const inner = s.node;
  // Scale the incoming gradient by 1/count, then let sum spread it.
  s.node = { op: "mean", inputs: inner.inputs, backward: (g) => inner.backward(g.map((v) => v / count)) };
  return s;
}

/** Index of the largest element along an axis (first on ties). Not differentiable. */
export function argmax(x: Tensor, axis: number, keepdim = false): Tensor {
  const ax = normAxis(axis, x.ndim, "argmax");
  const [outer, n, inner] = split(x.shape, ax);
  if (n === 0) throw new ShapeError(`argmax: axis ${axis} of shape ${fmt(x.shape)} is empty`);
  const out = floats(outer * inner);
  argmaxInto(x.data, outer, n, inner, out);
  return new Tensor(out, reducedShape(x.shape, ax, keepdim));
}

function argmaxInto(xd: Float32Array, outer: number, n: number, inner: number, out: Float32Array): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = xd[o * n * inner + i]!, bi = 0;
      for (let k = 1; k < n; k++) {
        const v = xd[(o * n + k) * inner + i]!;
        if (v > best) { best = v; bi = k; }
      }
      out[o * inner + i] = bi;
    }
  }
}

/** Largest element along an axis; the gradient goes to the first maximal element. */
export function max(x: Tensor, axis?: number, keepdim = false): Tensor {
  if (axis === undefined) return reshape(max(reshape(x, [x.size]), 0, false), keepdim ? x.shape.map(() => 1) : []);
  const ax = normAxis(axis, x.ndim, "max");
  const [outer, n, inner] = split(x.shape, ax);
  if (n === 0) throw new ShapeError(`max: axis ${axis} of shape ${fmt(x.shape)} is empty`);
  const idx = floats(outer * inner);
  argmaxInto(x.data, outer, n, inner, idx);
  const yd = floats(outer * inner);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) yd[o * inner + i] = x.data[(o * n + idx[o * inner + i]!) * inner + i]!;
  return record(new Tensor(yd, reducedShape(x.shape, ax, keepdim)), "max", [x], (g) => {
    const gx = gradOf(x);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) gx[(o * n + idx[o * inner + i]!) * inner + i]! += g[o * inner + i]!;
  });
}
