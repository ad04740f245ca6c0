// learnerChunks: an update taken in consecutive shares of the batch's
// episodes on one thread is the whole-batch update up to float rounding, and
// holds the working memory of one share.

import { describe, expect, it } from "vitest";
import { inputDim } from "../../src/qmix/inputs.ts";
import { type LearnerConfig, QLearner } from "../../src/qmix/learner.ts";
import { type NetworkSpec, buildNetworks } from "../../src/qmix/networks.ts";
import { Rng } from "../../src/tensor/random.ts";
import { randomBatch } from "../util/batches.ts";

const n = 3, O = 5, S = 7, A = 4;
const INPUTS = { lastAction: true, agentId: true };

const batch = (B: number, T: number, seed: number) => randomBatch({ nAgents: n, obsDim: O, stateDim: S, nActions: A }, B, T, seed);

const spec: NetworkSpec = { agent: "rnn", inputDim: inputDim(O, A, n, INPUTS), hidden: 16, nActions: A, mixer: "qmix", nAgents: n, stateDim: S, embedDim: 8, hypernetEmbed: 12, hypernetLayers: 2 };
const config = (learnerChunks: number): LearnerConfig => ({
  nAgents: n, nActions: A, obsDim: O, stateDim: S, inputs: INPUTS, gamma: 0.99, doubleQ: true, gradNormClip: 10,
  optimizer: "adam", lr: 5e-3, optimAlpha: 0.99, optimEps: 1e-5, targetUpdateInterval: 2, targetTau: 0, tdLambda: 0.6, halfLoss: false, learnerChunks,
});
const make = (chunks: number) => { const { agent, mixer } = buildNetworks(spec, new Rng(3)); return new QLearner(agent, mixer, config(chunks)); };

describe("learnerChunks", () => {
  for (const chunks of [2, 3, 8]) {
    it(`${chunks} shares in turn give the whole-batch update's loss, gradients and parameters (to 1e-5), update after update`, () => {
      const whole = make(1), chunked = make(chunks);
      for (let k = 0; k < 4; k++) {
        const bt = batch(8, 6, 40 + k);
        const a = whole.train(bt, k + 1), b = chunked.train(bt, k + 1);
        expect(b.loss).toBeCloseTo(a.loss, 5);
        expect(b.tdErrorAbs).toBeCloseTo(a.tdErrorAbs, 5);
        expect(b.qTotMean).toBeCloseTo(a.qTotMean, 5);
        expect(b.gradNorm).toBeCloseTo(a.gradNorm, 4);
        whole.namedParameters().forEach(([name, p], i) => {
          const q = chunked.namedParameters()[i]![1];
          let worst = 0;
          for (let j = 0; j < p.size; j++) worst = Math.max(worst, Math.abs(p.data[j]! - q.data[j]!));
          expect(worst, name).toBeLessThan(1e-5);
          let gWorst = 0;
          for (let j = 0; j < p.size; j++) gWorst = Math.max(gWorst, Math.abs(p.grad![j]! - q.grad![j]!));
          expect(gWorst, `${name}.grad`).toBeLessThan(1e-5 * Math.max(1, a.gradNorm));
        });
      }
    });
  }

  it("holds the working arrays of one share: 4 shares of a 16-episode batch pool less than a third of the whole batch's", () => {
    const whole = make(1), chunked = make(4);
    const bt = batch(16, 10, 7);
    whole.train(bt, 1);
    chunked.train(bt, 1);
    expect(chunked.pooledFloats).toBeLessThan(whole.pooledFloats / 3);
  });

  it("falls back to the whole batch when a share would have no filled step, and still learns", () => {
    const chunked = make(4), whole = make(1);
    const bt = batch(4, 5, 9);
    // Episode 3 is empty: four shares of one episode each cannot all count.
    bt.filled.fill(0, 3 * 6, 4 * 6);
    const a = whole.train(bt, 1), b = chunked.train(bt, 1);
    expect(b.loss).toBe(a.loss);
  });
});
