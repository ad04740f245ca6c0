// Modules: PyTorch-style parameter names, stateDict/loadStateDict (checked
// before anything is written), copyFrom for target networks, deepCopy.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.ts";
import { sum } from "../../src/autograd/reduce.ts";
import { ELU, GRUCell, Linear, ReLU, Sequential } from "../../src/nn/layers.ts";
import { Module, StateDictError, type StateDict } from "../../src/nn/module.ts";
import { tensor } from "../../src/tensor/create.ts";
import { Rng } from "../../src/tensor/random.ts";
import { Tensor } from "../../src/tensor/tensor.ts";

/** A pymarl-shaped module: a Linear, a GRUCell and a Sequential hypernetwork. */
class Net extends Module {
  readonly fc1: Linear;
  readonly rnn: GRUCell;
  readonly hyper: Sequential;
  constructor(seed = 0) {
    super();
    const rng = new Rng(seed);
    this.fc1 = this.child("fc1", new Linear(3, 4, rng));
    this.rnn = this.child("rnn", new GRUCell(4, 2, rng));
    this.hyper = this.child("hyper_w_1", new Sequential(new Linear(2, 5, rng), new ReLU(), new Linear(5, 2, rng), new ELU()));
  }
  forward(x: Tensor, h: Tensor): Tensor {
    return this.hyper.forward(this.rnn.forward(this.fc1.forward(x), h));
  }
}

const NAMES = [
  "fc1.weight", "fc1.bias",
  "rnn.weight_ih", "rnn.weight_hh", "rnn.bias_ih", "rnn.bias_hh",
  "hyper_w_1.0.weight", "hyper_w_1.0.bias", "hyper_w_1.2.weight", "hyper_w_1.2.bias",
];

const snapshot = (m: Module): Map<string, number[]> => new Map(m.namedParameters().map(([n, t]) => [n, Array.from(t.data)]));
const x = tensor([[0.5, -1, 2]]), h = tensor([[0.1, -0.2]]);

describe("parameter names", () => {
  it("follow PyTorch: dotted paths, Sequential children numbered by position", () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(NAMES);
    const shapes = Object.fromEntries(net.namedParameters().map(([n, t]) => [n, t.shape]));
    expect(shapes["rnn.weight_ih"]).toEqual([6, 4]);
    expect(shapes["hyper_w_1.2.weight"]).toEqual([2, 5]);
    expect(net.numParameters()).toBe(4 * 3 + 4 + 6 * 4 + 6 * 2 + 6 + 6 + 5 * 2 + 5 + 2 * 5 + 2);
    expect(net.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  it("a bare Sequential names its layers 0, 1, 2 …, skipping parameterless ones", () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    expect(seq.namedParameters().map(([n]) => n)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect([...seq.stateDict("mixer.").keys()]).toEqual(["mixer.0.weight", "mixer.0.bias", "mixer.2.weight", "mixer.2.bias"]);
  });

  it("stateDict holds the live tensors, not copies", () => {
    const net = new Net();
    expect(net.stateDict().get("fc1.weight")).toBe(net.fc1.weight);
  });
});

describe("stateDict and loadStateDict", () => {
  it("round-trips: a net loaded from another's dict computes the same outputs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 0, max: 1e6 }), (s1, s2) => {
        const a = new Net(s1), b = new Net(s2);
        const sd: StateDict = new Map([...a.stateDict()].map(([n, t]) => [n, t.clone()]));
        b.loadStateDict(sd);
        expect(snapshot(b)).toEqual(snapshot(a));
        expect(Array.from(b.forward(x, h).data)).toEqual(Array.from(a.forward(x, h).data));
        // Values are copied in: b's storage is its own.
        expect(b.fc1.weight.data).not.toBe(sd.get("fc1.weight")!.data);
      }),
      { seed: 0x1f83d9ab, numRuns: 20 },
    );
  });

  it("accepts plain {shape, data} records, a prefix, and extra names when not strict", () => {
    const a = new Net(1), b = new Net(2);
    const rec = Object.fromEntries(a.namedParameters().map(([n, t]) => [`agent.${n}`, { shape: t.shape, data: Array.from(t.data) }]));
    b.loadStateDict(rec, { prefix: "agent." });
    expect(snapshot(b)).toEqual(snapshot(a));
    const c = new Net(3);
    const extra = new Map(a.stateDict());
    extra.set("mixer.V.0.weight", tensor([1]));
    expect(() => c.loadStateDict(extra)).toThrow(StateDictError);
    c.loadStateDict(extra, { strict: false });
    expect(snapshot(c)).toEqual(snapshot(a));
  });

  /** Loads a bad dict into a fresh net and checks it throws StateDictError naming `name`, leaving every parameter as it was. */
  function rejects(edit: (sd: Map<string, { shape: readonly number[]; data: ArrayLike<number> }>) => void, ...fragments: string[]): void {
    const net = new Net(7), before = snapshot(net);
    // Every other entry is valid and different, so a partial load would show.
    const sd = new Map<string, { shape: readonly number[]; data: ArrayLike<number> }>(
      new Net(8).namedParameters().map(([n, t]) => [n, { shape: t.shape, data: t.data.slice() }]));
    edit(sd);
    let err: unknown;
    try { net.loadStateDict(sd); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(StateDictError);
    for (const f of fragments) expect((err as Error).message).toContain(f);
    expect(snapshot(net)).toEqual(before);
  }

  it("a missing tensor throws StateDictError naming it (and its shape); nothing is loaded", () => {
    rejects((sd) => sd.delete("hyper_w_1.2.bias"), 'missing "hyper_w_1.2.bias"', "[2]");
  });

  it("an extra tensor throws naming it; nothing is loaded", () => {
    rejects((sd) => sd.set("fc3.weight", { shape: [1], data: [0] }), 'unexpected "fc3.weight"');
  });

  it("a mis-shaped tensor throws naming it and both shapes; nothing is loaded", () => {
    rejects((sd) => sd.set("rnn.weight_hh", { shape: [2, 6], data: new Float32Array(12) }), '"rnn.weight_hh" has shape [2, 6], expected [6, 2]');
    rejects((sd) => sd.set("fc1.bias", { shape: [4], data: [1, 2, 3] }), '"fc1.bias" has 3 values, expected 4');
  });

  it("several problems are all reported at once", () => {
    rejects((sd) => { sd.delete("fc1.bias"); sd.set("extra", { shape: [], data: [0] }); }, 'missing "fc1.bias"', 'unexpected "extra"');
  });
});

describe("copyFrom and deepCopy", () => {
  it("copyFrom copies values into the target's own storage", () => {
    const online = new Net(1), target = new Net(2);
    target.copyFrom(online);
    expect(snapshot(target)).toEqual(snapshot(online));
    online.fc1.weight.data[0]! += 1;
    expect(target.fc1.weight.data[0]).not.toBe(online.fc1.weight.data[0]);
  });

  it("deepCopy gives equal values in independent storage, without gradients", () => {
    const net = new Net(3);
    backward(sum(net.forward(x, h)));
    expect(net.fc1.weight.grad).not.toBeNull();
    const copy = net.deepCopy();
    expect(copy).toBeInstanceOf(Net);
    expect(copy.namedParameters().map(([n]) => n)).toEqual(NAMES);
    expect(snapshot(copy)).toEqual(snapshot(net));
    expect(copy.parameters().every((p) => p.grad === null && p.requiresGrad)).toBe(true);
    expect(Array.from(copy.forward(x, h).data)).toEqual(Array.from(net.forward(x, h).data));
    // Independent: writing into the copy through any path leaves the original alone.
    const before = snapshot(net);
    for (const p of copy.parameters()) p.data.fill(0.5);
    expect(snapshot(net)).toEqual(before);
    // The copy's fields and its registry are the same tensors, so forward sees the writes.
    expect(copy.stateDict().get("fc1.weight")).toBe(copy.fc1.weight);
    expect(copy.stateDict().get("hyper_w_1.0.weight")).toBe((copy.hyper.layers[0] as Linear).weight);
    expect(Array.from(copy.forward(x, h).data)).not.toEqual(Array.from(net.forward(x, h).data));
  });

  it("zeroGrad clears every parameter's gradient", () => {
    const net = new Net(4);
    backward(sum(net.forward(x, h)));
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe("layer construction", () => {
  it("PyTorch's default init bounds: U(±1/√fan_in), GRUCell with fan_in = hidden size", () => {
    const l = new Linear(16, 8, new Rng(1));
    for (const v of [...l.weight.data, ...l.bias!.data]) expect(Math.abs(v)).toBeLessThanOrEqual(0.25);
    const g = new GRUCell(100, 4, new Rng(1));
    for (const [, p] of g.namedParameters()) for (const v of p.data) expect(Math.abs(v)).toBeLessThanOrEqual(0.5);
    // Seeded: the same generator state gives the same layer.
    expect(Array.from(new Linear(3, 2, new Rng(9)).weight.data)).toEqual(Array.from(new Linear(3, 2, new Rng(9)).weight.data));
  });

  it("rejects non-positive or fractional sizes, naming the layer and the key", () => {
    expect(() => new Linear(0, 2)).toThrow(/Linear: inFeatures must be a positive integer, got 0/);
    expect(() => new Linear(2, 1.5)).toThrow(/Linear: outFeatures must be a positive integer, got 1.5/);
    expect(() => new GRUCell(2, -1)).toThrow(/GRUCell: hiddenSize must be a positive integer, got -1/);
  });
});
