// The tape itself: accumulation into leaves, noGrad, detach, ordering on
// shared subgraphs, deep graphs without recursion, and release of the graph.

import { describe, expect, it } from "vitest";
import { add, addScalar, exp, mul, mulScalar, sub, tanh } from "../../src/autograd/elementwise.ts";
import { matmul } from "../../src/autograd/matmul.ts";
import { sum } from "../../src/autograd/reduce.ts";
import { backward, gradOf, isGradEnabled, noGrad, record } from "../../src/autograd/tape.ts";
import { linear } from "../../src/nn/functional.ts";
import { tensor } from "../../src/tensor/create.ts";
import { Tensor } from "../../src/tensor/tensor.ts";

const grad = (t: Tensor): number[] => Array.from(t.grad ?? []);

describe("backward", () => {
  it("accumulates into leaves across two backward calls", () => {
    const x = tensor([1, 2, 3]).requireGrad();
    backward(sum(mul(x, x)));
    expect(grad(x)).toEqual([2, 4, 6]);
    backward(sum(mulScalar(x, 10)));
    expect(grad(x)).toEqual([12, 14, 16]);
    x.grad = null;
    backward(sum(x));
    expect(grad(x)).toEqual([1, 1, 1]);
  });

  it("a one-element root needs no gradient; others take a Float32Array or a Tensor", () => {
    const x = tensor([1, 2]).requireGrad();
    backward(mulScalar(x, 3), tensor([1, -1]));
    expect(grad(x)).toEqual([3, -3]);
    const s = tensor([[5]]).requireGrad();
    backward(mulScalar(s, 2));
    expect(grad(s)).toEqual([2]);
  });

  it("a leaf root receives the seed itself", () => {
    const x = tensor([4]).requireGrad();
    backward(x);
    expect(grad(x)).toEqual([1]);
  });

  it("runs a node only after every consumer of its output (diamond and chain through a shared node)", () => {
    // y = e^x is used directly and through tanh; z = y + tanh(y)·y.
    const x = tensor([0.3, -0.7]).requireGrad();
    const y = exp(x);
    const z = sum(add(y, mul(tanh(y), y)));
    backward(z);
    const expected = [0.3, -0.7].map((v) => {
      const e = Math.exp(v), t = Math.tanh(e);
      return (1 + t + (1 - t * t) * e) * e;
    });
    grad(x).forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 5));
  });

  it("sends nothing to inputs that do not require grad", () => {
    const x = tensor([1, 2]).requireGrad(), c = tensor([3, 4]);
    backward(sum(mul(x, c)));
    expect(grad(x)).toEqual([3, 4]);
    expect(c.grad).toBeNull();
    const w = tensor([[1, 2]]).requireGrad(), inp = tensor([[5, 6]]);
    backward(sum(linear(inp, w)));
    expect(inp.grad).toBeNull();
    expect(grad(w)).toEqual([5, 6]);
  });

  it("releases the graph: non-leaf nodes and gradients are dropped, leaves keep theirs", () => {
    const w = tensor([[1, 2], [3, 4]]).requireGrad();
    const x = tensor([[1], [1]]);
    const h = matmul(w, x);
    const a = tanh(h);
    const loss = sum(a);
    expect(h.node).not.toBeNull();
    expect(loss.node?.op).toBe("sum");
    backward(loss);
    for (const t of [h, a, loss]) {
      expect(t.node).toBeNull();
      expect(t.grad).toBeNull();
    }
    expect(w.grad).not.toBeNull();
    expect(w.node).toBeNull();
  });

  it("backpropagates through a 5,000-node chain without overflowing the stack", () => {
    const x = tensor([0.5]).requireGrad();
    let y = x;
    for (let i = 0; i < 5000; i++) y = addScalar(mulScalar(y, 1), 0.001);
    expect(y.item()).toBeCloseTo(5.5, 3);
    backward(y);
    expect(grad(x)).toEqual([1]);
  });

  it("and through 100,000 nodes, well past any recursion limit", () => {
    const x = tensor([1]).requireGrad();
    let y = x;
    for (let i = 0; i < 100_000; i++) y = i % 2 ? sub(y, tensor([0])) : add(y, tensor([0]));
    backward(y);
    expect(grad(x)).toEqual([1]);
  });
});

describe("noGrad and detach", () => {
  it("noGrad produces tensors that do not require grad and records nothing", () => {
    const x = tensor([1, 2]).requireGrad();
    expect(isGradEnabled()).toBe(true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return tanh(mul(x, x));
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(() => backward(sum(y))).toThrow(/does not require grad/);
  });

  it("noGrad nests and restores the previous state even when fn throws", () => {
    noGrad(() => {
      noGrad(() => undefined);
      expect(isGradEnabled()).toBe(false);
    });
    expect(isGradEnabled()).toBe(true);
    expect(() => noGrad(() => { throw new Error("boom"); })).toThrow("boom");
    expect(isGradEnabled()).toBe(true);
  });

  it("detach stops the gradient but shares values", () => {
    const x = tensor([2, 3]).requireGrad();
    const d = mul(x, x).detach();
    expect(d.requiresGrad).toBe(false);
    expect(Array.from(d.data)).toEqual([4, 9]);
    // loss = Σ x·stop(x²): the gradient is x² only, not 3x².
    backward(sum(mul(x, d)));
    expect(grad(x)).toEqual([4, 9]);
  });
});

describe("record and gradOf", () => {
  it("record attaches a node only when an input requires grad", () => {
    const a = tensor([1]), b = tensor([2]).requireGrad();
    const out1 = record(tensor([0]), "op", [a], () => undefined);
    expect(out1.node).toBeNull();
    expect(out1.requiresGrad).toBe(false);
    const out2 = record(tensor([0]), "op", [a, b], () => undefined);
    expect(out2.node?.op).toBe("op");
    expect(out2.node?.inputs).toEqual([a, b]);
    expect(out2.requiresGrad).toBe(true);
  });

  it("gradOf creates a zero buffer once and then returns the same one", () => {
    const t = tensor([1, 2, 3]);
    const g = gradOf(t);
    expect(Array.from(g)).toEqual([0, 0, 0]);
    g[0] = 5;
    expect(gradOf(t)).toBe(g);
  });
});
