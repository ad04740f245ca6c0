// fast-check arbitraries for shapes and tensors.
//
// Values live on a grid of 2⁻⁸ so the gradient checker's perturbations
// x ± kh (h a power of two ≥ 2⁻⁸) are exact in float32. For nonsmooth ops,
// `awayFrom` pushes values out of a band of `margin` around each kink, so
// the finite-difference stencil (which reaches ±2h) never straddles one.

import fc from "fast-check";
import { Tensor, shapeSize } from "../../src/tensor/tensor.ts";

export const GRID = 2 ** -8;
/** Distance kept from kinks and ties: 5h at the default h = 2⁻⁵. */
export const KINK_MARGIN = 5 * 2 ** -5;

export interface TensorOptions {
  /** Values in [min, max] (default [-2, 2]). */
  min?: number;
  max?: number;
  /** Kinks to keep away from, e.g. [0] for relu and abs, [lo, hi] for clamp. */
  awayFrom?: readonly number[];
  /** Half-width of the excluded band around each kink (default KINK_MARGIN). */
  margin?: number;
}

/** Shapes of 1..maxDims dimensions (0 allowed with minDims 0), each ≥ 1, at most maxSize elements. */
export function arbShape(maxDims: number, maxSize: number, minDims = 1): fc.Arbitrary<number[]> {
  return fc
    .array(fc.integer({ min: 1, max: Math.max(1, Math.min(maxSize, 5)) }), { minLength: minDims, maxLength: maxDims })
    .map((dims) => {
      let size = 1;
      return dims.map((d) => {
        const c = Math.max(1, Math.min(d, Math.floor(maxSize / size)));
        size *= c;
        return c;
      });
    });
}

/** Moves v out of the band (k − margin, k + margin) around each kink k, staying on the grid. */
export function nudge(v: number, kinks: readonly number[], margin: number): number {
  let x = v;
  for (let pass = 0; pass < kinks.length + 1; pass++) {
    let moved = false;
    for (const k of kinks) {
      if (Math.abs(x - k) < margin) {
        x = x >= k ? k + margin : k - margin;
        moved = true;
      }
    }
    if (!moved) break;
  }
  return Math.round(x / GRID) * GRID;
}

/** Grid values for a tensor of `size` elements. */
export function arbValues(size: number, opts: TensorOptions = {}): fc.Arbitrary<number[]> {
  const lo = opts.min ?? -2, hi = opts.max ?? 2;
  const kinks = opts.awayFrom ?? [];
  const margin = opts.margin ?? KINK_MARGIN;
  return fc
    .array(fc.integer({ min: Math.ceil(lo / GRID), max: Math.floor(hi / GRID) }), { minLength: size, maxLength: size })
    .map((ks) => ks.map((k) => (kinks.length ? nudge(k * GRID, kinks, margin) : k * GRID)));
}

export function arbTensor(shape: readonly number[], opts: TensorOptions = {}): fc.Arbitrary<Tensor> {
  return arbValues(shapeSize(shape), opts).map((v) => new Tensor(Float32Array.from(v), shape));
}

/**
 * A tensor whose elements are pairwise at least `gap` apart (default 2⁻⁴),
 * so max along any axis has no near-ties. Values are gap·k for distinct
 * integers k in [−n, n]. The gradient check's step must keep 2h·max(1, |x|)
 * below the gap: h = 2⁻⁷ does for up to 64 elements.
 */
export function arbDistinctTensor(shape: readonly number[], gap = 2 ** -4): fc.Arbitrary<Tensor> {
  const n = shapeSize(shape);
  return fc
    .uniqueArray(fc.integer({ min: -n, max: n }), { minLength: n, maxLength: n })
    .map((ks) => new Tensor(Float32Array.from(ks, (k) => Math.round((k * gap) / GRID) * GRID), shape));
}

/**
 * Two shapes that broadcast together: a random result shape, from which each
 * operand drops some leading dimensions and sets some others to 1.
 */
export function arbBroadcastShapes(maxDims: number, maxSize: number): fc.Arbitrary<[number[], number[]]> {
  return arbShape(maxDims, maxSize).chain((out) => fc.tuple(arbOperandShape(out), arbOperandShape(out)));
}

/** A shape that broadcasts to `out`: some leading dimensions dropped, some others set to 1. */
export function arbOperandShape(out: readonly number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
}

/** Three mutually broadcastable shapes (for where's cond, a, b). */
export function arbBroadcastTriple(maxDims: number, maxSize: number): fc.Arbitrary<[number[], number[], number[]]> {
  return arbShape(maxDims, maxSize).chain((out) => fc.tuple(arbOperandShape(out), arbOperandShape(out), arbOperandShape(out)));
}

/** The broadcast result of two shapes known to be compatible. */
export function broadcastResult(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Integer class indices in [0, n) as a float tensor of `shape` (gather's index). */
export function arbIndex(shape: readonly number[], n: number): fc.Arbitrary<Tensor> {
  return fc
    .array(fc.integer({ min: 0, max: n - 1 }), { minLength: shapeSize(shape), maxLength: shapeSize(shape) })
    .map((v) => new Tensor(Float32Array.from(v), shape));
}

/** A 0/1 mask of `shape`. */
export function arbMask(shape: readonly number[]): fc.Arbitrary<Tensor> {
  return fc
    .array(fc.boolean(), { minLength: shapeSize(shape), maxLength: shapeSize(shape) })
    .map((v) => new Tensor(Float32Array.from(v, (b) => (b ? 1 : 0)), shape));
}
