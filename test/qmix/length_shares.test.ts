// Shares cut to their own length (src/qmix/length_shares.ts): how many steps
// an episode needs, and that a share cut there gives the loss and gradients
// of the same episodes padded to the whole batch's length, while a share cut
// one step shorter does not.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EpisodeBatch, emptyBatch } from "../../src/qmix/batch.ts";
import { inputDim } from "../../src/qmix/inputs.ts";
import { type LearnerConfig, QLearner } from "../../src/qmix/learner.ts";
import { gatherEpisodes, longestFirst, shareSteps, stepsNeeded } from "../../src/qmix/length_shares.ts";
import { type NetworkSpec, buildNetworks } from "../../src/qmix/networks.ts";
import { Rng } from "../../src/tensor/random.ts";
import { randomBatch } from "../util/batches.ts";

const n = 2, O = 3, S = 4, A = 3;
const sizes = { nAgents: n, obsDim: O, stateDim: S, nActions: A };
const INPUTS = { lastAction: true, agentId: true };
const spec: NetworkSpec = { agent: "rnn", inputDim: inputDim(O, A, n, INPUTS), hidden: 8, nActions: A, mixer: "qmix", nAgents: n, stateDim: S, embedDim: 4, hypernetEmbed: 6, hypernetLayers: 2 };
const config = (tdLambda: number, learnerChunks = 1): LearnerConfig => ({
  nAgents: n, nActions: A, obsDim: O, stateDim: S, inputs: INPUTS, gamma: 0.99, doubleQ: true, gradNormClip: 10,
  optimizer: "adam", lr: 5e-3, optimAlpha: 0.99, optimEps: 1e-5, targetUpdateInterval: 2, targetTau: 0, tdLambda, halfLoss: false, learnerChunks,
});
const learner = (tdLambda: number, chunks = 1) => { const { agent, mixer } = buildNetworks(spec, new Rng(5)); return new QLearner(agent, mixer, config(tdLambda, chunks)); };

/**
 * Episodes as the runner records them: `lengths[b]` actions, so lengths[b] + 1
 * filled steps (the final observation too), a terminal flag on the last
 * action unless the episode ran to the limit T; random values everywhere,
 * padding included.
 */
function runnerBatch(lengths: number[], T: number, seed: number): EpisodeBatch {
  const b = randomBatch(sizes, lengths.length, T, seed), T1 = T + 1;
  b.filled.fill(0);
  b.terminated.fill(0);
  lengths.forEach((len, e) => {
    b.filled.fill(1, e * T1, e * T1 + len + 1);
    if (len < T) b.terminated[e * T1 + len - 1] = 1;
  });
  return b;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

describe("stepsNeeded", () => {
  it("an episode the runner recorded needs its own length: actions taken, or T when it ran to the limit", () => {
    const b = runnerBatch([3, 7, 1, 5], 7, 1);
    expect(Array.from(stepsNeeded(b))).toEqual([3, 7, 1, 5]);
  });

  it("a terminal flag on the last filled step counts that step's transition too; no terminal step means the whole batch; nothing filled needs nothing", () => {
    const b = emptyBatch(sizes, 3, 6), T1 = 7;
    b.filled.fill(1, 0, 4); b.terminated[3] = 1; // 4 steps, terminal on the 4th: transition 3 counts
    b.filled.fill(1, T1, T1 + 3); // 3 steps, never terminal: bootstraps from the batch's end
    expect(Array.from(stepsNeeded(b))).toEqual([4, 6, 0]);
  });

  it("longest first, ties in batch order; a share needs the most any of its episodes does", () => {
    const need = Int32Array.of(3, 7, 1, 7, 5);
    const order = longestFirst(need);
    expect(Array.from(order)).toEqual([1, 3, 4, 0, 2]);
    expect(shareSteps(order.subarray(2, 4), need)).toBe(5);
    expect(shareSteps(Int32Array.of(), need)).toBe(1);
  });
});

describe("a share cut to what it needs", () => {
  const lossAndGrads = (l: QLearner, bt: EpisodeBatch) => {
    const r = l.lossAndGradients(bt);
    return { loss: r.stats.loss, weight: r.weight, grads: l.namedParameters().map(([, p]) => p.grad!.slice()) };
  };

  for (const tdLambda of [0, 0.6]) {
    it(`has the padded batch's loss, weight and gradients (TD(λ = ${tdLambda})), and one step shorter does not`, () => {
      fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1e6 }), (lengths, seed) => {
        const T = 9, batch = runnerBatch(lengths, T, seed), need = stepsNeeded(batch);
        const order = longestFirst(need), Tshare = shareSteps(order, need);
        const l = learner(tdLambda);
        const whole = lossAndGrads(l, gatherEpisodes(batch, order, T, null).share);
        const cut = lossAndGrads(l, gatherEpisodes(batch, order, Tshare, null).share);
        expect(cut.weight).toBe(whole.weight);
        expect(Math.abs(cut.loss - whole.loss)).toBeLessThan(1e-5 * Math.max(1, whole.loss));
        whole.grads.forEach((g, i) => expect(maxDiff(g, cut.grads[i]!)).toBeLessThan(1e-5));
        if (Tshare > 1 && Tshare < T) {
          const short = lossAndGrads(l, gatherEpisodes(batch, order, Tshare - 1, null).share);
          expect(short.weight).toBeLessThan(whole.weight);
        }
      }), { numRuns: 25, seed: 11 });
    });
  }

  it("learnerChunks on a batch of mixed lengths: the whole-batch update to 1e-5, shares sorted and cut", () => {
    const whole = learner(0.6, 1), chunked = learner(0.6, 4);
    for (let k = 0; k < 3; k++) {
      const rng = new Rng(100 + k);
      const lengths = Array.from({ length: 12 }, () => 1 + rng.int(20));
      lengths[5] = 20; // one ran to the limit: the batch is padded to it
      const bt = runnerBatch(lengths, 20, 200 + k);
      const a = whole.train(bt, k + 1), b = chunked.train(bt, k + 1);
      expect(b.loss).toBeCloseTo(a.loss, 5);
      expect(b.gradNorm).toBeCloseTo(a.gradNorm, 4);
      whole.namedParameters().forEach(([name, p], i) => expect(maxDiff(p.data, chunked.namedParameters()[i]![1].data), name).toBeLessThan(1e-5));
    }
  });

  it("refuses a length past the batch's, naming both", () => {
    const bt = runnerBatch([2, 3], 4, 1);
    expect(() => gatherEpisodes(bt, [0, 1], 5, null)).toThrow(/gatherEpisodes: T = 5 is longer than the batch's 4/);
  });
});
