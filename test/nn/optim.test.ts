// Optimizers against PyTorch's update rules written out by hand in float64,
// global-norm clipping, optimizer state round trips, and one clipped
// RMSprop step of the QMIX reference case against PyTorch itself.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Adam, RMSprop, SGD, clipGradNorm, type Optimizer } from "../../src/nn/optim.ts";
import { tensor } from "../../src/tensor/create.ts";
import { Tensor } from "../../src/tensor/tensor.ts";

const VECTORS = process.env.QMIX_VECTORS ?? fileURLToPath(new URL("../fixtures", import.meta.url));

// Two parameters and three steps of gradients, mixed signs and magnitudes
// (one tiny, so ε matters).
const P0 = { a: [1, -2, 0.5], b: [[0.25, -0.75]] };
const GRADS = [
  { a: [0.1, -0.3, 2], b: [1e-4, -1] },
  { a: [-0.2, 0.5, 1.5], b: [3e-4, 0.5] },
  { a: [0.05, 0.05, -4], b: [-2e-4, 0.25] },
];

function setup(): { a: Tensor; b: Tensor; named: Array<[string, Tensor]> } {
  const a = tensor(P0.a).requireGrad(), b = tensor(P0.b).requireGrad();
  return { a, b, named: [["a", a], ["b", b]] };
}

function run(opt: Optimizer, a: Tensor, b: Tensor, steps = 3): void {
  for (let s = 0; s < steps; s++) {
    a.grad = Float32Array.from(GRADS[s]!.a);
    b.grad = Float32Array.from(GRADS[s]!.b);
    opt.step();
  }
}

const close = (got: Float32Array, want: number[], rel = 2e-6): void => {
  want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(w))));
};

/** torch.optim.RMSprop (no momentum, not centred), by hand in float64. */
function rmspropRef(p0: number[], grads: number[][], lr: number, alpha: number, eps: number): number[] {
  const p = p0.slice(), v = p0.map(() => 0);
  for (const g of grads) {
    for (let i = 0; i < p.length; i++) {
      v[i] = alpha * v[i]! + (1 - alpha) * g[i]! * g[i]!;
      p[i]! -= (lr * g[i]!) / (Math.sqrt(v[i]!) + eps);
    }
  }
  return p;
}

/** torch.optim.Adam (no weight decay, no amsgrad), by hand in float64. */
function adamRef(p0: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number): number[] {
  const p = p0.slice(), m = p0.map(() => 0), v = p0.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
      p[i]! -= (lr / (1 - b1 ** t)) * m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps);
    }
  });
  return p;
}

describe("RMSprop", () => {
  it("first step, checked by hand: p −= lr·g / (√(0.01 g²) + ε)", () => {
    const { a, b, named } = setup();
    const opt = new RMSprop(named, 0.01, 0.99, 1e-5);
    run(opt, a, b, 1);
    // |g| = 0.1: √v = 0.01, so the step is 0.01·0.1/(0.01 + 1e-5) = 0.0999001…
    expect(a.data[0]).toBeCloseTo(1 - 0.001 / 0.01001, 6);
    // |g| = 1e-4: √v = 1e-5 = ε, so the step is lr·1e-4/2e-5 = 5·lr: ε is added after the root.
    expect(b.data[0]).toBeCloseTo(0.25 - 0.05, 6);
  });

  it("three steps match torch's formula in float64 (pymarl's lr 5e-4, α 0.99, ε 1e-5, and another setting)", () => {
    for (const [lr, alpha, eps] of [[5e-4, 0.99, 1e-5], [0.1, 0.9, 1e-3]] as const) {
      const { a, b, named } = setup();
      run(new RMSprop(named, lr, alpha, eps), a, b);
      close(a.data, rmspropRef(P0.a, GRADS.map((g) => g.a), lr, alpha, eps));
      close(b.data, rmspropRef(P0.b[0]!, GRADS.map((g) => g.b), lr, alpha, eps));
    }
  });

  it("defaults are pymarl's: lr 5e-4, α 0.99, ε 1e-5", () => {
    const opt = new RMSprop([tensor([1])]);
    expect([opt.lr, opt.alpha, opt.eps]).toEqual([5e-4, 0.99, 1e-5]);
  });
});

describe("Adam", () => {
  it("first step, checked by hand: bias correction makes it lr·g/(|g| + ε)", () => {
    const { a, b, named } = setup();
    run(new Adam(named, 0.1), a, b, 1);
    expect(a.data[0]).toBeCloseTo(1 - 0.1, 6);
    expect(a.data[2]).toBeCloseTo(0.5 - 0.1, 6);
    expect(b.data[1]).toBeCloseTo(-0.75 + 0.1, 6);
  });

  it("three steps match torch's bias-corrected formula in float64", () => {
    for (const [lr, b1, b2, eps] of [[1e-3, 0.9, 0.999, 1e-8], [0.05, 0.5, 0.9, 1e-3]] as const) {
      const { a, b, named } = setup();
      run(new Adam(named, lr, b1, b2, eps), a, b);
      close(a.data, adamRef(P0.a, GRADS.map((g) => g.a), lr, b1, b2, eps));
      close(b.data, adamRef(P0.b[0]!, GRADS.map((g) => g.b), lr, b1, b2, eps));
    }
  });
});

describe("common optimizer behaviour", () => {
  it("SGD: p −= lr·g", () => {
    const { a, b, named } = setup();
    run(new SGD(named, 0.5), a, b, 1);
    close(a.data, [1 - 0.05, -2 + 0.15, 0.5 - 1]);
  });

  it("parameters without a gradient are left alone, state included", () => {
    for (const make of [(n: Array<[string, Tensor]>) => new RMSprop(n, 0.1), (n: Array<[string, Tensor]>) => new Adam(n, 0.1)]) {
      const { a, b, named } = setup();
      const opt = make(named);
      a.grad = Float32Array.of(1, 1, 1);
      b.grad = null;
      opt.step();
      expect(Array.from(b.data)).toEqual(P0.b[0]!.map(Math.fround));
      const { buffers } = opt.stateDict();
      for (const [k, v] of buffers) if (k.startsWith("b.")) expect(Array.from(v)).toEqual([0, 0]);
    }
  });

  it("zeroGrad clears the gradients", () => {
    const { a, b, named } = setup();
    const opt = new Adam(named);
    a.grad = new Float32Array(3);
    b.grad = new Float32Array(2);
    opt.zeroGrad();
    expect([a.grad, b.grad]).toEqual([null, null]);
  });

  it("duplicate parameter names are rejected; unnamed tensors are numbered", () => {
    const t = tensor([1]);
    expect(() => new SGD([["w", t], ["w", t]])).toThrow(/parameter name "w" appears twice/);
    expect([...new RMSprop([tensor([1]), tensor([2, 3])]).stateDict().buffers.keys()]).toEqual(["0.square_avg", "1.square_avg"]);
  });
});

describe("optimizer state", () => {
  it.each([
    ["RMSprop", (n: Array<[string, Tensor]>) => new RMSprop(n, 0.01), ["a.square_avg", "b.square_avg"]],
    ["Adam", (n: Array<[string, Tensor]>) => new Adam(n, 0.01), ["a.exp_avg", "a.exp_avg_sq", "b.exp_avg", "b.exp_avg_sq"]],
  ] as const)("%s: stateDict/loadStateDict round trip continues identically", (_name, make, keys) => {
    // Run 2 steps, save; a fresh optimizer on copies of the parameters loads
    // the state; the 3rd step must then agree exactly.
    const s1 = setup();
    const opt1 = make(s1.named);
    run(opt1, s1.a, s1.b, 2);
    const state = opt1.stateDict();
    expect([...state.buffers.keys()].sort()).toEqual([...keys].sort());
    expect(state.scalars.step).toBe(2);

    const s2 = setup();
    s2.a.data.set(s1.a.data);
    s2.b.data.set(s1.b.data);
    const opt2 = make(s2.named);
    opt2.loadStateDict(state);
    // The saved state is a copy: stepping opt1 does not change it.
    for (const [p, g] of [[s1, GRADS[2]!], [s2, GRADS[2]!]] as const) {
      p.a.grad = Float32Array.from(g.a);
      p.b.grad = Float32Array.from(g.b);
    }
    opt1.step();
    expect(state.scalars.step).toBe(2);
    opt2.step();
    expect(Array.from(s2.a.data)).toEqual(Array.from(s1.a.data));
    expect(Array.from(s2.b.data)).toEqual(Array.from(s1.b.data));
    expect(opt2.stateDict().scalars.step).toBe(3);
  });

  it("loadStateDict rejects missing, extra and mis-sized buffers and a bad step, naming them", () => {
    const { named } = setup();
    const opt = new Adam(named);
    const good = opt.stateDict();
    const edit = (f: (s: typeof good) => void) => {
      const s = { buffers: new Map(good.buffers), scalars: { ...good.scalars } };
      f(s);
      return s;
    };
    expect(() => opt.loadStateDict(edit((s) => s.buffers.delete("a.exp_avg")))).toThrow(/adam.loadStateDict: missing buffer "a.exp_avg"/);
    expect(() => opt.loadStateDict(edit((s) => s.buffers.set("c.exp_avg", new Float32Array(1))))).toThrow(/unexpected buffer "c.exp_avg"/);
    expect(() => opt.loadStateDict(edit((s) => s.buffers.set("b.exp_avg_sq", new Float32Array(3))))).toThrow(/buffer "b.exp_avg_sq" has 3 values, expected 2/);
    expect(() => opt.loadStateDict(edit((s) => { s.scalars.step = -1; }))).toThrow(/step must be a non-negative integer, got -1/);
  });
});

describe("clipGradNorm", () => {
  const grads = (): Tensor[] => {
    const p = tensor([0, 0]), q = tensor([0]), r = tensor([0]);
    p.grad = Float32Array.of(3, 4);
    q.grad = Float32Array.of(12);
    r.grad = null; // ignored
    return [p, q, r];
  };

  it("returns the global L2 norm and scales by maxNorm / (norm + 1e-6) when that is below 1", () => {
    const ps = grads();
    expect(clipGradNorm(ps, 1)).toBe(13);
    const c = 1 / (13 + 1e-6);
    expect(Array.from(ps[0]!.grad!)).toEqual([3 * c, 4 * c].map(Math.fround));
    expect(Array.from(ps[1]!.grad!)).toEqual([Math.fround(12 * c)]);
    expect(ps[2]!.grad).toBeNull();
  });

  it("leaves the gradients untouched when the coefficient is at least 1", () => {
    const ps = grads();
    expect(clipGradNorm(ps, 20)).toBe(13);
    expect(Array.from(ps[0]!.grad!)).toEqual([3, 4]);
    expect(Array.from(ps[1]!.grad!)).toEqual([12]);
    // Exactly at the norm, torch's coefficient 13/(13 + 1e-6) is still below 1.
    const qs = grads();
    clipGradNorm(qs, 13);
    expect(qs[1]!.grad![0]).toBeLessThan(12);
    expect(clipGradNorm([tensor([1])], 1)).toBe(0);
  });
});

interface Named { shape: number[]; data: number[] }
interface Case {
  params: Record<string, Named>;
  outputs: { grads: Record<string, Named | number[]>; grad_norm: number; params_after_rmsprop: Record<string, Named | number[]> };
  config: { grad_norm_clip: number; optimizer: { lr: number; alpha: number; eps: number } };
}

describe("one clipped RMSprop step against PyTorch (qmix_torch_reference.json)", () => {
  const cases = (JSON.parse(readFileSync(join(VECTORS, "qmix_torch_reference.json"), "utf8")) as { cases: Case[] }).cases;
  const values = (v: Named | number[]): number[] => (Array.isArray(v) ? v : v.data);

  it.each(cases.map((c, i) => [i, c] as const))("case %i: norm before clipping and parameters after the step", (_i, c) => {
    const named: Array<[string, Tensor]> = Object.entries(c.params).map(([n, p]) => {
      const t = new Tensor(Float32Array.from(p.data), p.shape).requireGrad();
      t.grad = Float32Array.from(values(c.outputs.grads[n]!));
      return [n, t];
    });
    const { lr, alpha, eps } = c.config.optimizer;
    const norm = clipGradNorm(named.map(([, t]) => t), c.config.grad_norm_clip);
    expect(Math.abs(norm - c.outputs.grad_norm)).toBeLessThanOrEqual(1e-5 * c.outputs.grad_norm);
    new RMSprop(named, lr, alpha, eps).step();
    for (const [n, t] of named) {
      const want = values(c.outputs.params_after_rmsprop[n]!);
      want.forEach((w, i) => expect(Math.abs(t.data[i]! - w)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(w))));
    }
  });
});
