// Elementwise ops, each with its forward and backward side by side.
// Hot ones (relu, elu, abs, the four arithmetic ops) are written out as
// plain loops; the long tail goes through `unary`, one callback per element.

import { broadcastIndex, broadcastShapes, isSuffix } from "../tensor/broadcast.ts";
import { type Shape, ShapeError, Tensor, sameShape, shapeSize } from "../tensor/tensor.ts";
import { accumulateGrad, gradOf, needsGrad, record } from "./tape.ts";
import { scratch } from "../tensor/pool.ts";
import { backend } from "../tensor/backends/active.ts";

type Fwd = (x: number) => number;
/** Gradient of the input from x, the output y and the output gradient g. */
type Bwd = (x: number, y: number, g: number) => number;

function unary(name: string, f: Fwd, df: Bwd): (x: Tensor) => Tensor {
  return (x: Tensor): Tensor => {
    const xd = x.data, n = x.size, yd = scratch(n);
    for (let i = 0; i < n; i++) yd[i] = f(xd[i]!);
    const y = new Tensor(yd, x.shape);
    return record(y, name, [x], (g) => {
      const gx = gradOf(x);
      for (let i = 0; i < n; i++) gx[i]! += df(xd[i]!, yd[i]!, g[i]!);
    });
  };
}

export const neg = unary("neg", (x) => -x, (_x, _y, g) => -g);
export const exp = unary("exp", Math.exp, (_x, y, g) => g * y);
export const log = unary("log", Math.log, (x, _y, g) => g / x);
export const sqrt = unary("sqrt", Math.sqrt, (_x, y, g) => g / (2 * y));
export const tanh = unary("tanh", Math.tanh, (_x, y, g) => g * (1 - y * y));
export const sigmoid = unary("sigmoid", (x) => 1 / (1 + Math.exp(-x)), (_x, y, g) => g * y * (1 - y));
export const square = unary("square", (x) => x * x, (x, _y, g) => 2 * x * g);

export function relu(x: Tensor): Tensor {
  const xd = x.data, n = x.size, yd = scratch(n);
  backend().relu(xd, yd);
  return record(new Tensor(yd, x.shape), "relu", [x], (g) => {
    // The upstream gradient is ours to overwrite (see accumulateGrad): no allocation when x has no gradient yet.
    if (x.grad === null) { for (let i = 0; i < n; i++) g[i]! *= +(xd[i]! > 0); x.grad = g; return; }
    const gx = x.grad;
    for (let i = 0; i < n; i++) gx[i]! += g[i]! * +(xd[i]! > 0);
  });
}

/** ELU with α = 1 (torch.nn.functional.elu's default, used by QMIX's mixer). */
export function elu(x: Tensor, alpha = 1): Tensor {
  const xd = x.data, n = x.size, yd = scratch(n);
  for (let i = 0; i < n; i++) { const v = xd[i]!; yd[i] = v > 0 ? v : alpha * Math.expm1(v); }
  return record(new Tensor(yd, x.shape), "elu", [x], (g) => {
    // For x ≤ 0, d/dx α(eˣ − 1) = αeˣ = y + α.
    if (x.grad === null) {
      for (let i = 0; i < n; i++) { const c = +(xd[i]! > 0); g[i]! *= c + (1 - c) * (yd[i]! + alpha); }
      x.grad = g;
      return;
    }
    const gx = x.grad;
    for (let i = 0; i < n; i++) { const c = +(xd[i]! > 0); gx[i]! += g[i]! * (c + (1 - c) * (yd[i]! + alpha)); }
  });
}

/** |x|; its gradient at 0 is taken as 0, as PyTorch does (sign(0) = 0). */
export function abs(x: Tensor): Tensor {
  const xd = x.data, n = x.size, yd = scratch(n);
  for (let i = 0; i < n; i++) yd[i] = Math.abs(xd[i]!);
  return record(new Tensor(yd, x.shape), "abs", [x], (g) => {
    if (x.grad === null) {
      for (let i = 0; i < n; i++) { const v = xd[i]!; g[i]! *= +(v > 0) - +(v < 0); }
      x.grad = g;
      return;
    }
    const gx = x.grad;
    for (let i = 0; i < n; i++) { const v = xd[i]!; gx[i]! += g[i]! * (+(v > 0) - +(v < 0)); }
  });
}

/** Clamps into [lo, hi]; the gradient passes where the input was inside. */
export function clamp(x: Tensor, lo = -Infinity, hi = Infinity): Tensor {
  if (lo > hi) throw new RangeError(`clamp: lower bound ${lo} is above upper bound ${hi}`);
  const xd = x.data, n = x.size, yd = scratch(n);
  for (let i = 0; i < n; i++) { const v = xd[i]!; yd[i] = v < lo ? lo : v > hi ? hi : v; }
  return record(new Tensor(yd, x.shape), "clamp", [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < n; i++) { const v = xd[i]!; gx[i]! += g[i]! * +(v >= lo) * +(v <= hi); }
  });
}

export function mulScalar(x: Tensor, c: number): Tensor {
  const xd = x.data, n = x.size, yd = scratch(n);
  for (let i = 0; i < n; i++) yd[i] = xd[i]! * c;
  return record(new Tensor(yd, x.shape), "mulScalar", [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < n; i++) gx[i]! += g[i]! * c;
  });
}

export function addScalar(x: Tensor, c: number): Tensor {
  const xd = x.data, n = x.size, yd = scratch(n);
  for (let i = 0; i < n; i++) yd[i] = xd[i]! + c;
  return record(new Tensor(yd, x.shape), "addScalar", [x], (g) => {
    const gx = gradOf(x);
    for (let i = 0; i < n; i++) gx[i]! += g[i]!;
  });
}

// ---- binary ops with broadcasting ----

/** Index maps for a broadcast pair, or null where an operand needs none. */
interface Pairing {
  shape: number[];
  size: number;
  ia: Int32Array | null;
  ib: Int32Array | null;
}

function pair(a: Shape, b: Shape, op: string): Pairing {
  if (sameShape(a, b)) return { shape: a.slice(), size: shapeSize(a), ia: null, ib: null };
  const shape = broadcastShapes(a, b, op);
  const size = shapeSize(shape);
  return {
    shape, size,
    ia: sameShape(a, shape) ? null : broadcastIndex(a, shape),
    ib: sameShape(b, shape) ? null : broadcastIndex(b, shape),
  };
}

const enum Bin { Add, Sub, Mul, Div, Max, Min }

function binary(kind: Bin, name: string, a: Tensor, b: Tensor): Tensor {
  const ad = a.data, bd = b.data;
  // Fast path: b is a row vector over a's trailing dims (x + bias).
  if (kind <= Bin.Mul && b.size > 0 && isSuffix(b.shape, a.shape) && !needsGrad(b) && a.size % b.size === 0) {
    const n = a.size, m = b.size, yd = scratch(n);
    for (let i = 0; i < n; i += m) {
      for (let j = 0; j < m; j++) {
        const x = ad[i + j]!, y = bd[j]!;
        yd[i + j] = kind === Bin.Add ? x + y : kind === Bin.Sub ? x - y : x * y;
      }
    }
    return record(new Tensor(yd, a.shape), name, [a], (g) => {
      const ga = gradOf(a);
      if (kind === Bin.Mul) for (let i = 0; i < n; i += m) for (let j = 0; j < m; j++) ga[i + j]! += g[i + j]! * bd[j]!;
      else for (let i = 0; i < n; i++) ga[i]! += g[i]!;
    });
  }
  const { shape, size, ia, ib } = pair(a.shape, b.shape, name);
  const yd = scratch(size);
  for (let k = 0; k < size; k++) {
    const x = ad[ia ? ia[k]! : k]!, y = bd[ib ? ib[k]! : k]!;
    yd[k] = kind === Bin.Add ? x + y : kind === Bin.Sub ? x - y : kind === Bin.Mul ? x * y
      : kind === Bin.Div ? x / y : kind === Bin.Max ? (x >= y ? x : y) : (x <= y ? x : y);
  }
  if ((kind === Bin.Add || kind === Bin.Sub) && ia === null && ib === null) {
    // Same shapes: a's gradient is g itself (handed over, not copied), b's ±g.
    return record(new Tensor(yd, shape), name, [a, b], (g) => {
      if (b.requiresGrad) {
        const gb = gradOf(b);
        if (kind === Bin.Add) for (let k = 0; k < size; k++) gb[k]! += g[k]!;
        else for (let k = 0; k < size; k++) gb[k]! -= g[k]!;
      }
      if (a.requiresGrad) accumulateGrad(a, g);
    });
  }
  return record(new Tensor(yd, shape), name, [a, b], (g) => {
    // Gradients reduce back to each operand's shape by summing over the
    // positions broadcasting repeated.
    if (a.requiresGrad) {
      const ga = gradOf(a);
      for (let k = 0; k < size; k++) {
        const x = ad[ia ? ia[k]! : k]!, y = bd[ib ? ib[k]! : k]!, gk = g[k]!;
        const d = kind === Bin.Add || kind === Bin.Sub ? gk : kind === Bin.Mul ? gk * y : kind === Bin.Div ? gk / y
          : kind === Bin.Max ? (x >= y ? gk : 0) : (x <= y ? gk : 0);
        ga[ia ? ia[k]! : k]! += d;
      }
    }
    if (b.requiresGrad) {
      const gb = gradOf(b);
      for (let k = 0; k < size; k++) {
        const x = ad[ia ? ia[k]! : k]!, y = bd[ib ? ib[k]! : k]!, gk = g[k]!;
        const d = kind === Bin.Add ? gk : kind === Bin.Sub ? -gk : kind === Bin.Mul ? gk * x : kind === Bin.Div ? (-gk * x) / (y * y)
          : kind === Bin.Max ? (x >= y ? 0 : gk) : (x <= y ? 0 : gk);
        gb[ib ? ib[k]! : k]! += d;
      }
    }
  });
}

export const add = (a: Tensor, b: Tensor): Tensor => binary(Bin.Add, "add", a, b);
export const sub = (a: Tensor, b: Tensor): Tensor => binary(Bin.Sub, "sub", a, b);
export const mul = (a: Tensor, b: Tensor): Tensor => binary(Bin.Mul, "mul", a, b);
export const div = (a: Tensor, b: Tensor): Tensor => binary(Bin.Div, "div", a, b);
/** Elementwise maximum; on ties the gradient goes to a. */
export const maximum = (a: Tensor, b: Tensor): Tensor => binary(Bin.Max, "maximum", a, b);
/** Elementwise minimum; on ties the gradient goes to a. */
export const minimum = (a: Tensor, b: Tensor): Tensor => binary(Bin.Min, "minimum", a, b);

// ---- comparisons: 0/1 results, not differentiable ----

function compare(name: string, test: (x: number, y: number) => boolean) {
  return (a: Tensor, b: Tensor): Tensor => {
    const { shape, size, ia, ib } = pair(a.shape, b.shape, name);
    const yd = scratch(size);
    for (let k = 0; k < size; k++) yd[k] = test(a.data[ia ? ia[k]! : k]!, b.data[ib ? ib[k]! : k]!) ? 1 : 0;
    return new Tensor(yd, shape);
  };
}

export const eq = compare("eq", (x, y) => x === y);
export const ne = compare("ne", (x, y) => x !== y);
export const gt = compare("gt", (x, y) => x > y);
export const ge = compare("ge", (x, y) => x >= y);
export const lt = compare("lt", (x, y) => x < y);
export const le = compare("le", (x, y) => x <= y);

/** cond ? a : b elementwise, broadcasting all three. Gradients flow to the chosen side. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const s1 = broadcastShapes(cond.shape, a.shape, "where");
  const shape = broadcastShapes(s1, b.shape, "where");
  const size = shapeSize(shape);
  const ic = broadcastIndex(cond.shape, shape), ia = broadcastIndex(a.shape, shape), ib = broadcastIndex(b.shape, shape);
  const yd = scratch(size);
  for (let k = 0; k < size; k++) yd[k] = cond.data[ic[k]!]! !== 0 ? a.data[ia[k]!]! : b.data[ib[k]!]!;
  return record(new Tensor(yd, shape), "where", [a, b], (g) => {
    if (a.requiresGrad) { const ga = gradOf(a); for (let k = 0; k < size; k++) if (cond.data[ic[k]!]! !== 0) ga[ia[k]!]! += g[k]!; }
    if (b.requiresGrad) { const gb = gradOf(b); for (let k = 0; k < size; k++) if (cond.data[ic[k]!]! === 0) gb[ib[k]!]! += g[k]!; }
  });
}

/** x with `value` wherever mask is non-zero (mask broadcasts to x). */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  const shape = broadcastShapes(x.shape, mask.shape, "maskedFill");
  if (!sameShape(shape, x.shape)) {
    throw new ShapeError(`maskedFill: mask of shape [${mask.shape.join(", ")}] must broadcast to x's shape [${x.shape.join(", ")}]`);
  }
  const im = broadcastIndex(mask.shape, shape), n = x.size, yd = scratch(n);
  for (let k = 0; k < n; k++) yd[k] = mask.data[im[k]!]! !== 0 ? value : x.data[k]!;
  return record(new Tensor(yd, shape), "maskedFill", [x], (g) => {
    const gx = gradOf(x);
    for (let k = 0; k < n; k++) if (mask.data[im[k]!]! === 0) gx[k]! += g[k]!;
  });
}
