// Optimizers with PyTorch's exact update rules, and global-norm clipping.
// Their state (moment buffers, step count) is named after the parameters,
// so a checkpoint can store and restore it.

import type { Tensor } from "../tensor/tensor.ts";

export interface Optimizer {
  readonly name: string;
  /** The step size; a schedule may change it between steps. */
  lr: number;
  step(): void;
  zeroGrad(): void;
  /** Buffers by "<param name>.<buffer>", plus scalars such as the step count. */
  stateDict(): { buffers: Map<string, Float32Array>; scalars: Record<string, number> };
  loadStateDict(state: { buffers: Map<string, Float32Array>; scalars: Record<string, number> }): void;
}

type Named = Array<[string, Tensor]>;

abstract class BaseOptimizer implements Optimizer {
  abstract readonly name: string;
  abstract lr: number;
  protected readonly buffers = new Map<string, Float32Array>();
  protected steps = 0;

  constructor(protected readonly params: Named, protected readonly bufferNames: string[]) {
    const seen = new Set<string>();
    for (const [n, p] of params) {
      if (seen.has(n)) throw new Error(`optimizer: parameter name "${n}" appears twice`);
      seen.add(n);
      for (const b of bufferNames) this.buffers.set(`${n}.${b}`, new Float32Array(p.size));
    }
  }

  protected buf(name: string, b: string): Float32Array {
    return this.buffers.get(`${name}.${b}`)!;
  }

  abstract step(): void;

  zeroGrad(): void {
    for (const [, p] of this.params) p.grad = null;
  }

  stateDict() {
    const buffers = new Map<string, Float32Array>();
    for (const [k, v] of this.buffers) buffers.set(k, v.slice());
    return { buffers, scalars: { step: this.steps } };
  }

  loadStateDict(state: { buffers: Map<string, Float32Array>; scalars: Record<string, number> }): void {
    for (const [k, v] of this.buffers) {
      const src = state.buffers.get(k);
      if (!src) throw new Error(`${this.name}.loadStateDict: missing buffer "${k}"`);
      if (src.length !== v.length) throw new Error(`${this.name}.loadStateDict: buffer "${k}" has ${src.length} values, expected ${v.length}`);
    }
    for (const k of state.buffers.keys()) if (!this.buffers.has(k)) throw new Error(`${this.name}.loadStateDict: unexpected buffer "${k}"`);
    const step = state.scalars.step;
    if (step === undefined || !Number.isInteger(step) || step < 0) throw new Error(`${this.name}.loadStateDict: step must be a non-negative integer, got ${step}`);
    for (const [k, v] of this.buffers) v.set(state.buffers.get(k)!);
    this.steps = step;
  }
}

export function namedParams(params: Named | Tensor[]): Named {
  return params.map((p, i) => (Array.isArray(p) ? p : [String(i), p])) as Named;
}

/** p ← p − lr·g (with optional momentum-free weight decay). */
export class SGD extends BaseOptimizer {
  readonly name = "sgd";
  constructor(params: Named | Tensor[], public lr = 1e-2) {
    super(namedParams(params), []);
  }

  step(): void {
    this.steps++;
    for (const [, p] of this.params) {
      const g = p.grad;
      if (!g) continue;
      const d = p.data;
      for (let i = 0; i < d.length; i++) d[i]! -= this.lr * g[i]!;
    }
  }
}

/**
 * torch.optim.RMSprop without momentum or centering:
 * v ← α v + (1 − α) g²;  p ← p − lr · g / (√v + ε). ε is added after the root.
 */
export class RMSprop extends BaseOptimizer {
  readonly name = "rmsprop";
  constructor(params: Named | Tensor[], public lr = 5e-4, readonly alpha = 0.99, readonly eps = 1e-5) {
    super(namedParams(params), ["square_avg"]);
  }

  step(): void {
    this.steps++;
    const { lr, alpha, eps } = this;
    for (const [n, p] of this.params) {
      const g = p.grad;
      if (!g) continue;
      const v = this.buf(n, "square_avg"), d = p.data;
      for (let i = 0; i < d.length; i++) {
        const gi = g[i]!;
        const vi = alpha * v[i]! + (1 - alpha) * gi * gi;
        v[i] = vi;
        d[i]! -= (lr * gi) / (Math.sqrt(vi) + eps);
      }
    }
  }
}

/**
 * torch.optim.Adam (no weight decay, no amsgrad):
 * m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * p ← p − (lr / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
 */
export class Adam extends BaseOptimizer {
  readonly name = "adam";
  constructor(params: Named | Tensor[], public lr = 1e-3, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly eps = 1e-8) {
    super(namedParams(params), ["exp_avg", "exp_avg_sq"]);
  }

  step(): void {
    const t = ++this.steps;
    const { lr, beta1, beta2, eps } = this;
    const bc1 = 1 - beta1 ** t, bc2Sqrt = Math.sqrt(1 - beta2 ** t), stepSize = lr / bc1;
    for (const [n, p] of this.params) {
      const g = p.grad;
      if (!g) continue;
      const m = this.buf(n, "exp_avg"), v = this.buf(n, "exp_avg_sq"), d = p.data;
      for (let i = 0; i < d.length; i++) {
        const gi = g[i]!;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        d[i]! -= (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
    }
  }
}

/**
 * Scales all gradients so their global L2 norm is at most maxNorm, as
 * torch.nn.utils.clip_grad_norm_: coefficient maxNorm / (norm + 1e-6),
 * applied only when below 1. Returns the norm before clipping.
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) {
    const g = p.grad;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  }
  const norm = Math.sqrt(sq);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const p of params) {
      const g = p.grad;
      if (!g) continue;
      for (let i = 0; i < g.length; i++) g[i]! *= coef;
    }
  }
  return norm;
}
