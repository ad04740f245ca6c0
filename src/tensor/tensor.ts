// The tensor: Float32Array storage, row-major, an explicit shape. The fields
// `requiresGrad`, `grad` and `node` belong to the tape in src/autograd; they
// live here so a tensor is one object, but nothing in src/tensor reads them.

export type Shape = readonly number[];

export class ShapeError extends Error {
  override name = "ShapeError";
}

/** What the tape keeps for a tensor made by a differentiable op. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Adds this op's contribution to each input's gradient, given the output's. */
  backward(grad: Float32Array): void;
}

export class Tensor {
  readonly data: Float32Array;
  readonly shape: number[];
  readonly size: number;
  requiresGrad = false;
  /** Accumulated gradient, same length as data; null until a backward reaches it. */
  grad: Float32Array | null = null;
  node: GradNode | null = null;

  constructor(data: Float32Array, shape: Shape) {
    const size = shapeSize(shape, "Tensor");
    if (data.length !== size) {
      throw new ShapeError(`Tensor: data has ${data.length} elements but shape [${shape.join(", ")}] needs ${size}`);
    }
    this.data = data;
    this.shape = shape.slice();
    this.size = size;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor has shape [${this.shape.join(", ")}], expected exactly one element`);
    return this.data[0]!;
  }

  /** Nested arrays, for printing and tests. */
  toArray(): NestedArray {
    if (this.shape.length === 0) return this.data[0]!;
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim]!;
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) {
        out.push(dim === this.shape.length - 1 ? this.data[offset + i]! : build(dim + 1, offset + i * stride));
      }
      return out;
    };
    return build(0, 0);
  }

  /** A copy that does not require grad and is not on the tape. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** The same storage, cut from the tape: gradients stop here. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** Marks a leaf tensor as a parameter whose gradient is wanted. */
  requireGrad(on = true): this {
    this.requiresGrad = on;
    return this;
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(", ")}]${this.requiresGrad ? ", requiresGrad" : ""})`;
  }
}

export type NestedArray = number | NestedArray[];

export function shapeSize(shape: Shape, op = "shape"): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: invalid dimension ${d} in shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Resolves a possibly negative axis against ndim, with a clear error. */
export function normAxis(axis: number, ndim: number, op: string): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(a) || a < 0 || a >= ndim) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor with ${ndim} dimensions`);
  }
  return a;
}
