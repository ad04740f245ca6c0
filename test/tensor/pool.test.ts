import { describe, expect, it } from "vitest";
import { backward } from "../../src/autograd/tape.ts";
import { clipGradNorm } from "../../src/nn/optim.ts";
import { type EpisodeBatch, emptyBatch } from "../../src/qmix/batch.ts";
import { inputDim } from "../../src/qmix/inputs.ts";
import { type LearnerConfig, QLearner } from "../../src/qmix/learner.ts";
import { type NetworkSpec, buildNetworks } from "../../src/qmix/networks.ts";
import { ArrayPool, floats } from "../../src/tensor/pool.ts";
import { Rng } from "../../src/tensor/random.ts";

describe("ArrayPool", () => {
  it("hands the same arrays out again on the next run, zeroed; outside a run floats() is a new array", () => {
    const pool = new ArrayPool();
    const first = pool.run(() => { const a = floats(5), b = floats(5), c = floats(3); a.fill(1); b.fill(2); c.fill(3); return [a, b, c]; });
    const second = pool.run(() => [floats(3), floats(5), floats(5), floats(5)]);
    expect(second[0]).toBe(first[2]);
    expect(second[1]).toBe(first[0]);
    expect(second[2]).toBe(first[1]);
    expect(first.some((a) => a === second[3])).toBe(false);
    for (const a of second) expect(Array.from(a).every((v) => v === 0)).toBe(true);
    expect(pool.heldFloats).toBe(5 * 3 + 3);
    const outside = floats(5);
    expect(second.includes(outside)).toBe(false);
  });

  it("refuses to nest a run in itself, and restores the outer pool after an inner one", () => {
    const outer = new ArrayPool(), inner = new ArrayPool();
    expect(() => outer.run(() => outer.run(() => 0))).toThrow(/already running/);
    outer.run(() => {
      const a = floats(4);
      inner.run(() => floats(4));
      const b = floats(4);
      expect(b).not.toBe(a);
      expect(outer.heldFloats).toBe(8);
      expect(inner.heldFloats).toBe(4);
    });
    expect(outer.run(() => 1)).toBe(1);
  });
});

const n = 3, O = 5, S = 7, A = 4;
const INPUTS = { lastAction: true, agentId: true };

function batch(B: number, T: number, seed: number): EpisodeBatch {
  const rng = new Rng(seed), b = emptyBatch({ nAgents: n, obsDim: O, stateDim: S, nActions: A }, B, T);
  for (let k = 0; k < b.obs.length; k++) b.obs[k] = rng.normal();
  for (let k = 0; k < b.state.length; k++) b.state[k] = rng.normal();
  for (let k = 0; k < b.reward.length; k++) b.reward[k] = rng.normal();
  b.availActions.fill(1);
  for (let e = 0; e < B; e++) {
    const len = 1 + rng.int(T);
    for (let t = 0; t <= T; t++) {
      const k = e * (T + 1) + t;
      b.filled[k] = t < len ? 1 : 0;
      for (let i = 0; i < n; i++) b.actions[k * n + i] = rng.int(A);
    }
  }
  return b;
}

describe("ArrayPool keeps only what the last run used", () => {
  it("runs of changing sizes do not pile up arrays; runs of the same size reuse them", () => {
    const pool = new ArrayPool();
    const work = (T: number) => pool.run(() => { floats(7); return [floats(T * 10), floats(T * 10), floats(T * 3)]; });
    const first = work(5);
    expect(pool.heldFloats).toBe(7 + 50 + 50 + 15);
    for (let T = 6; T < 40; T++) work(T);
    expect(pool.heldFloats).toBe(7 + 390 + 390 + 117);
    work(5);
    expect(pool.heldFloats).toBe(7 + 50 + 50 + 15);
    const again = work(5);
    // The same shapes as the run before: the same arrays.
    expect(again[0]).not.toBe(first[0]);
    expect(work(5)[0]).toBe(again[0]);
  });
});

describe("ArrayPool serves shorter requests from longer spare arrays", () => {
  it("work whose sizes fall and rise below their largest keeps one set of arrays, the largest", () => {
    const pool = new ArrayPool();
    const work = (T: number) => pool.run(() => [floats(T * 10), floats(T * 10), floats(T * 3), floats(4)]);
    const big = work(40);
    const held = pool.heldFloats;
    expect(held).toBe(400 + 400 + 120 + 4);
    for (const T of [31, 38, 22, 40, 25, 39, 33]) {
      const got = work(T);
      expect(got.map((a) => a.length)).toEqual([T * 10, T * 10, T * 3, 4]);
      // Views at the front of the arrays of the largest run, zeroed.
      expect(got[0]!.buffer).toBe(big[0]!.buffer);
      expect(got[1]!.buffer).toBe(big[1]!.buffer);
      expect(got[2]!.buffer).toBe(big[2]!.buffer);
      for (const a of got) expect(a.every((v) => v === 0)).toBe(true);
      for (const a of got) a.fill(7);
      expect(pool.heldFloats).toBe(held);
    }
    // Past twice the request, a longer array is not used: a new one is made.
    work(19);
    expect(pool.heldFloats).toBe(190 + 190 + 57 + 4);
  });
});

describe("QLearner's pooled updates", () => {
  it("give the same parameters, bit for bit, as the same updates with fresh arrays, over batches of changing sizes", () => {
    const spec: NetworkSpec = { agent: "rnn", inputDim: inputDim(O, A, n, INPUTS), hidden: 16, nActions: A, mixer: "qmix", nAgents: n, stateDim: S, embedDim: 8, hypernetEmbed: 12, hypernetLayers: 2 };
    const config: LearnerConfig = {
      nAgents: n, nActions: A, obsDim: O, stateDim: S, inputs: INPUTS, gamma: 0.99, doubleQ: true, gradNormClip: 10,
      optimizer: "adam", lr: 5e-3, optimAlpha: 0.99, optimEps: 1e-5, targetUpdateInterval: 2, targetTau: 0, tdLambda: 0.6, halfLoss: false,
    };
    const make = () => { const { agent, mixer } = buildNetworks(spec, new Rng(3)); return new QLearner(agent, mixer, config); };
    const pooled = make(), fresh = make();
    const sizes: Array<[number, number]> = [[6, 5], [6, 5], [4, 7], [6, 5], [4, 7], [5, 3], [6, 5]];
    sizes.forEach(([B, T], k) => {
      const bt = batch(B, T, 100 + k);
      const a = pooled.train(bt, k + 1);
      const { loss, stats } = fresh.computeLoss(bt);
      fresh.optimizer.zeroGrad();
      backward(loss);
      const gradNorm = clipGradNorm(fresh.namedParameters().map(([, p]) => p), config.gradNormClip);
      fresh.optimizer.step();
      fresh.updateTargets(k + 1);
      expect(a.loss).toBe(stats.loss);
      expect(a.gradNorm).toBe(gradNorm);
      fresh.namedParameters().forEach(([name, p], i) => {
        const q = pooled.namedParameters()[i]![1];
        expect(Array.from(q.data), name).toEqual(Array.from(p.data));
        expect(Array.from(q.grad!), name).toEqual(Array.from(p.grad!));
      });
    });
  });
});
