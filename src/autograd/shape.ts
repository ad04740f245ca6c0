// Ops that move elements without arithmetic: reshape, permute, concat,
// stack, slice, select, gather. Backward passes move gradients the opposite way.

import { ShapeError, Tensor, fmt, normAxis, shapeSize, stridesOf } from "../tensor/tensor.ts";
import { accumulateGrad, gradOf, record } from "./tape.ts";
import { scratch } from "../tensor/pool.ts";

/** Same elements, new shape (one dimension may be -1). Shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = shape.slice();
  const free = s.indexOf(-1);
  if (free >= 0) {
    if (s.indexOf(-1, free + 1) >= 0) throw new ShapeError(`reshape: only one dimension may be -1, got ${fmt(shape)}`);
    const rest = shapeSize(s.filter((_, i) => i !== free), "reshape");
    if (rest === 0 || x.size % rest !== 0) throw new ShapeError(`reshape: cannot infer -1 in ${fmt(shape)} for ${x.size} elements (shape ${fmt(x.shape)})`);
    s[free] = x.size / rest;
  }
  if (shapeSize(s, "reshape") !== x.size) {
    throw new ShapeError(`reshape: cannot view shape ${fmt(x.shape)} (${x.size} elements) as ${fmt(shape)} (${shapeSize(s)} elements)`);
  }
  return record(new Tensor(x.data, s), "reshape", [x], (g) => accumulateGrad(x, g));
}

/** Reorders dimensions: out.shape[i] = x.shape[perm[i]]. Copies. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const nd = x.ndim;
  if (perm.length !== nd || new Set(perm.map((p) => normAxis(p, nd, "permute"))).size !== nd) {
    throw new ShapeError(`permute: ${fmt(perm)} is not a permutation of the ${nd} dimensions of shape ${fmt(x.shape)}`);
  }
  const p = perm.map((a) => normAxis(a, nd, "permute"));
  const outShape = p.map((a) => x.shape[a]!);
  const inStrides = stridesOf(x.shape);
  const src = permIndex(outShape, p.map((a) => inStrides[a]!));
  const yd = scratch(x.size);
  for (let k = 0; k < x.size; k++) yd[k] = x.data[src[k]!]!;
  return record(new Tensor(yd, outShape), "permute", [x], (g) => {
    const gx = gradOf(x);
    for (let k = 0; k < x.size; k++) gx[src[k]!]! += g[k]!;
  });
}

/** For each element of the output, its flat index in the source with the given strides. */
function permIndex(outShape: readonly number[], strides: readonly number[]): Int32Array {
  const n = shapeSize(outShape), nd = outShape.length;
  const idx = new Int32Array(n);
  const counter = new Array<number>(nd).fill(0);
  let cur = 0;
  for (let k = 0; k < n; k++) {
    idx[k] = cur;
    for (let d = nd - 1; d >= 0; d--) {
      counter[d]!++;
      cur += strides[d]!;
      if (counter[d]! < outShape[d]!) break;
      cur -= strides[d]! * outShape[d]!;
      counter[d] = 0;
    }
  }
  return idx;
}

/** Swaps two dimensions (the last two by default). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const p = x.shape.map((_, i) => i);
  const i = normAxis(a, x.ndim, "transpose"), j = normAxis(b, x.ndim, "transpose");
  [p[i], p[j]] = [p[j]!, p[i]!];
  return permute(x, p);
}

/** Joins tensors along an existing axis; all other dimensions must agree. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError("concat: needs at least one tensor");
  const first = xs[0]!;
  const ax = normAxis(axis, first.ndim, "concat");
  for (const [k, t] of xs.entries()) {
    if (t.ndim !== first.ndim || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new ShapeError(`concat: tensor ${k} has shape ${fmt(t.shape)}, incompatible with ${fmt(first.shape)} along axis ${ax} (all dimensions but the axis must match)`);
    }
  }
  let outer = 1, inner = 1;
  for (let i = 0; i < ax; i++) outer *= first.shape[i]!;
  for (let i = ax + 1; i < first.ndim; i++) inner *= first.shape[i]!;
  const widths = xs.map((t) => t.shape[ax]! * inner);
  const total = widths.reduce((s, w) => s + w, 0);
  const shape = first.shape.slice();
  shape[ax] = xs.reduce((s, t) => s + t.shape[ax]!, 0);
  const yd = scratch(outer * total);
  let off = 0;
  for (let k = 0; k < xs.length; k++) {
    const w = widths[k]!, d = xs[k]!.data;
    for (let o = 0; o < outer; o++) yd.set(d.subarray(o * w, o * w + w), o * total + off);
    off += w;
  }
  return record(new Tensor(yd, shape), "concat", xs.slice(), (g) => {
    let o2 = 0;
    for (let k = 0; k < xs.length; k++) {
      const w = widths[k]!, t = xs[k]!;
      if (t.requiresGrad) {
        const gt = gradOf(t);
        for (let o = 0; o < outer; o++) for (let i = 0; i < w; i++) gt[o * w + i]! += g[o * total + o2 + i]!;
      }
      o2 += w;
    }
  });
}

/** Joins equally shaped tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError("stack: needs at least one tensor");
  const shape = xs[0]!.shape;
  const ax = normAxis(axis, shape.length + 1, "stack");
  for (const [k, t] of xs.entries()) {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`stack: tensor ${k} has shape ${fmt(t.shape)} but tensor 0 has ${fmt(shape)}; all must be equal`);
    }
  }
  const expanded = [...shape.slice(0, ax), 1, ...shape.slice(ax)];
  return concat(xs.map((t) => reshape(t, expanded)), ax);
}

/** Elements start..end-1 along an axis (negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const ax = normAxis(axis, x.ndim, "slice");
  const n = x.shape[ax]!;
  const s = start < 0 ? start + n : start;
  const e = end === undefined ? n : end < 0 ? end + n : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > n || s > e) {
    throw new ShapeError(`slice: range [${start}, ${end ?? n}) is invalid for axis ${ax} of size ${n} (shape ${fmt(x.shape)})`);
  }
  let outer = 1, inner = 1;
  for (let i = 0; i < ax; i++) outer *= x.shape[i]!;
  for (let i = ax + 1; i < x.ndim; i++) inner *= x.shape[i]!;
  const w = (e - s) * inner, stride = n * inner, off = s * inner;
  const yd = scratch(outer * w);
  for (let o = 0; o < outer; o++) yd.set(x.data.subarray(o * stride + off, o * stride + off + w), o * w);
  const shape = x.shape.slice();
  shape[ax] = e - s;
  return record(new Tensor(yd, shape), "slice", [x], (g) => {
    const gx = gradOf(x);
    for (let o = 0; o < outer; o++) for (let i = 0; i < w; i++) gx[o * stride + off + i]! += g[o * w + i]!;
  });
}

/** The sub-tensor at one index of an axis; that axis is removed. */
export function select(x: Tensor, axis: number, index: number): Tensor {
  const ax = normAxis(axis, x.ndim, "select");
  const n = x.shape[ax]!;
  const i = index < 0 ? index + n : index;
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new ShapeError(`select: index ${index} is out of range for axis ${ax} of size ${n} (shape ${fmt(x.shape)})`);
  const s = slice(x, ax, i, i + 1);
  return reshape(s, x.shape.filter((_, d) => d !== ax));
}

/**
 * out[..., j, ...] = x[..., index[..., j, ...], ...] along `axis`, as
 * torch.gather: `index` has x's shape except along the axis.
 */
export function gather(x: Tensor, axis: number, index: Tensor | Int32Array, indexShape?: readonly number[]): Tensor {
  const ax = normAxis(axis, x.ndim, "gather");
  const idx = index instanceof Tensor ? index.data : index;
  const ishape = index instanceof Tensor ? index.shape : indexShape ?? [idx.length];
  if (ishape.length !== x.ndim || ishape.some((d, i) => i !== ax && d !== x.shape[i])) {
    throw new ShapeError(`gather: index shape ${fmt(ishape)} must equal input shape ${fmt(x.shape)} except along axis ${ax}`);
  }
  let outer = 1, inner = 1;
  for (let i = 0; i < ax; i++) outer *= x.shape[i]!;
  for (let i = ax + 1; i < x.ndim; i++) inner *= x.shape[i]!;
  const n = x.shape[ax]!, m = ishape[ax]!;
  const src = new Int32Array(outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < inner; i++) {
        const k = (o * m + j) * inner + i;
        const c = idx[k]!;
        if (!Number.isInteger(c) || c < 0 || c >= n) throw new RangeError(`gather: index ${c} at position ${k} is outside [0, ${n}) for axis ${ax} of shape ${fmt(x.shape)}`);
        src[k] = (o * n + c) * inner + i;
      }
    }
  }
  const yd = scratch(src.length);
  for (let k = 0; k < src.length; k++) yd[k] = x.data[src[k]!]!;
  return record(new Tensor(yd, ishape), "gather", [x], (g) => {
    const gx = gradOf(x);
    for (let k = 0; k < src.length; k++) gx[src[k]!]! += g[k]!;
  });
}
