// Creation functions. Random ones take an Rng so a seed gives the same
// numbers everywhere.

import { Rng } from "./random.ts";
import { type NestedArray, type Shape, ShapeError, Tensor, shapeSize } from "./tensor.ts";

export function zeros(shape: Shape): Tensor {
  return new Tensor(new Float32Array(shapeSize(shape, "zeros")), shape);
}

export function ones(shape: Shape): Tensor {
  return full(shape, 1);
}

export function full(shape: Shape, value: number): Tensor {
  return new Tensor(new Float32Array(shapeSize(shape, "full")).fill(value), shape);
}

/** A tensor from nested arrays (or a number for a scalar); ragged input is an error. */
export function tensor(values: NestedArray | Float32Array, shape?: Shape): Tensor {
  if (values instanceof Float32Array) return new Tensor(values, shape ?? [values.length]);
  const inferred: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    inferred.push(v.length);
    if (v.length === 0) break;
    v = v[0]!;
  }
  const flat = new Float32Array(shapeSize(inferred, "tensor"));
  let k = 0;
  const walk = (x: NestedArray, dim: number, path: string): void => {
    if (dim === inferred.length) {
      if (typeof x !== "number") throw new ShapeError(`tensor: expected a number at ${path || "top"}, got an array`);
      flat[k++] = x;
      return;
    }
    if (!Array.isArray(x) || x.length !== inferred[dim]) {
      throw new ShapeError(`tensor: ragged input at ${path || "top"}: expected ${inferred[dim]} elements, got ${Array.isArray(x) ? x.length : "a number"}`);
    }
    for (let i = 0; i < x.length; i++) walk(x[i]!, dim + 1, `${path}[${i}]`);
  };
  walk(values, 0, "");
  const t = new Tensor(flat, inferred);
  return shape ? new Tensor(t.data, shape) : t;
}

export function scalar(value: number): Tensor {
  return new Tensor(Float32Array.of(value), []);
}

export function arange(start: number, stop?: number, step = 1): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new RangeError(`arange: step must be finite and non-zero, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  return new Tensor(out, [n]);
}

export function eye(n: number, m = n): Tensor {
  const t = zeros([n, m]);
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}

/** One-hot rows: indices of shape S give a tensor of shape [...S, depth]. */
export function oneHot(indices: ArrayLike<number>, depth: number, shape: Shape = [indices.length]): Tensor {
  if (shapeSize(shape, "oneHot") !== indices.length) {
    throw new ShapeError(`oneHot: shape [${shape.join(", ")}] holds ${shapeSize(shape)} indices but ${indices.length} were given`);
  }
  const t = zeros([...shape, depth]);
  for (let i = 0; i < indices.length; i++) {
    const c = indices[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= depth) throw new RangeError(`oneHot: index ${c} at position ${i} is outside [0, ${depth})`);
    t.data[i * depth + c] = 1;
  }
  return t;
}

export function randUniform(shape: Shape, rng: Rng, lo = 0, hi = 1): Tensor {
  const t = zeros(shape);
  // Rounding to float32 can carry a draw just below hi up to hi; redraw to keep [lo, hi).
  const canRedraw = Math.fround(lo) < hi;
  for (let i = 0; i < t.size; i++) {
    let v = Math.fround(rng.uniform(lo, hi));
    while (canRedraw && v >= hi) v = Math.fround(rng.uniform(lo, hi));
    t.data[i] = v;
  }
  return t;
}

export function randNormal(shape: Shape, rng: Rng, mean = 0, std = 1): Tensor {
  const t = zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal(mean, std);
  return t;
}
