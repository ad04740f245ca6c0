// Updates shared with worker threads (src/node/parallel.ts): data parallel
// over the batch's episodes must give the one-thread update up to float
// summation order, for every mixer and target kind; shares with no valid step
// fall back to one thread; a failing or closed worker is an error that says
// so, never a silent wrong gradient; a Trainer with learnerThreads 2 is
// reproducible.

import { afterAll, describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import type { EpisodeBatch } from "../../src/qmix/batch.ts";
import { DEFAULT_CONFIG, mergeConfig } from "../../src/train/config.ts";
import { inputDim } from "../../src/qmix/inputs.ts";
import type { GradientHelper } from "../../src/qmix/data_parallel.ts";
import { type LearnerConfig, QLearner } from "../../src/qmix/learner.ts";
import { type NetworkSpec, buildNetworks } from "../../src/qmix/networks.ts";
import { Trainer } from "../../src/train/trainer.ts";
import { WorkerGradientHelper, workerGradientHelpers } from "../../src/node/parallel.ts";
import { randomBatch as randomEpisodes } from "../util/batches.ts";
import { Rng } from "../../src/tensor/random.ts";

const n = 3, O = 5, S = 7, A = 4, H = 16;
const INPUTS = { lastAction: true, agentId: true };
const D = inputDim(O, A, n, INPUTS);

function spec(mixer: NetworkSpec["mixer"]): NetworkSpec {
  return { agent: "rnn", inputDim: D, hidden: H, nActions: A, mixer, nAgents: n, stateDim: S, embedDim: 8, hypernetEmbed: 12, hypernetLayers: 2 };
}

function config(over: Partial<LearnerConfig> = {}): LearnerConfig {
  return {
    nAgents: n, nActions: A, obsDim: O, stateDim: S, inputs: INPUTS, gamma: 0.99, doubleQ: true, gradNormClip: 10,
    optimizer: "rmsprop", lr: 5e-3, optimAlpha: 0.99, optimEps: 1e-5, targetUpdateInterval: 2, targetTau: 0,
    tdLambda: 0, halfLoss: false, ...over,
  };
}

/** Random episodes of different lengths, some ending in a terminal step, some actions unavailable. */
function randomBatch(B: number, T: number, seed: number): EpisodeBatch {
  return randomEpisodes({ nAgents: n, obsDim: O, stateDim: S, nActions: A }, B, T, seed);
}

function learner(s: NetworkSpec, c: LearnerConfig): QLearner {
  const { agent, mixer } = buildNetworks(s, new Rng(11));
  return new QLearner(agent, mixer, c);
}

function maxParamDiff(a: QLearner, b: QLearner): number {
  let d = 0;
  const pb = b.namedParameters();
  a.namedParameters().forEach(([, p], k) => {
    const q = pb[k]![1];
    for (let i = 0; i < p.size; i++) d = Math.max(d, Math.abs(p.data[i]! - q.data[i]!));
  });
  return d;
}

const opened: GradientHelper[] = [];
function helpers(count: number, s: NetworkSpec, c: LearnerConfig): GradientHelper[] {
  const hs = workerGradientHelpers(count, s, c);
  opened.push(...hs);
  return hs;
}
afterAll(() => { for (const h of opened) h.close(); });

describe("learner with worker-thread gradient helpers", () => {
  const cases: Array<[string, NetworkSpec["mixer"], Partial<LearnerConfig>, number]> = [
    ["QMIX, one-step targets, 2 threads", "qmix", {}, 1],
    ["QMIX, TD(λ), Adam, soft targets, 3 threads", "qmix", { tdLambda: 0.6, optimizer: "adam", targetTau: 0.01 }, 2],
    ["VDN, no double Q, 2 threads", "vdn", { doubleQ: false }, 1],
    ["IQL, half loss, 2 threads", "none", { halfLoss: true }, 1],
  ];
  for (const [name, mixer, over, count] of cases) {
    it(`matches the one-thread update: ${name}`, { timeout: 60_000 }, () => {
      const s = spec(mixer), c = config(over);
      const one = learner(s, c), par = learner(s, c);
      par.setHelpers(helpers(count, s, c));
      for (let u = 0; u < 4; u++) {
        const batch = randomBatch(7, 6, 100 + u);
        const a = one.train(batch, u * 2), b = par.train(batch, u * 2);
        for (const key of ["loss", "tdErrorAbs", "qTotMean", "targetMean", "gradNorm"] as const) {
          expect(Math.abs(a[key] - b[key]), `${key} at update ${u}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[key])));
        }
      }
      // Four optimizer steps and two target copies later the weights still agree.
      expect(maxParamDiff(one, par)).toBeLessThan(1e-5);
      const tOne = one.targetParameters(), tPar = par.targetParameters();
      tOne.forEach((p, k) => { for (let i = 0; i < p.size; i++) expect(Math.abs(p.data[i]! - tPar[k]!.data[i]!)).toBeLessThan(1e-5); });
      par.closeHelpers();
    });
  }

  it("matches the one-thread update with learnerChunks 2: each chunk split over 2 threads", { timeout: 60_000 }, () => {
    const s = spec("qmix"), c = config({ tdLambda: 0.6, optimizer: "adam" });
    const one = learner(s, c), par = learner(s, { ...c, learnerChunks: 2 });
    par.setHelpers(helpers(1, s, { ...c, learnerChunks: 2 }));
    for (let u = 0; u < 4; u++) {
      const batch = randomBatch(9, 6, 200 + u);
      const a = one.train(batch, u * 2), b = par.train(batch, u * 2);
      for (const key of ["loss", "tdErrorAbs", "qTotMean", "targetMean", "gradNorm"] as const) {
        expect(Math.abs(a[key] - b[key]), `${key} at update ${u}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[key])));
      }
    }
    expect(maxParamDiff(one, par)).toBeLessThan(1e-5);
    par.closeHelpers();
  });

  it("runs on one thread, bit for bit, when a share would have no valid step", { timeout: 60_000 }, () => {
    const s = spec("qmix"), c = config();
    const one = learner(s, c), par = learner(s, c);
    par.setHelpers(helpers(1, s, c));
    const batch = randomBatch(4, 5, 7);
    batch.filled.fill(0, 2 * 6); // episodes 2 and 3 empty: the helper's share has nothing to learn from
    const a = one.train(batch, 0), b = par.train(batch, 0);
    expect(b).toEqual(a);
    expect(maxParamDiff(one, par)).toBe(0);
  });

  it("reports a worker's failure with its message, and leaves the parameters alone", { timeout: 60_000 }, () => {
    const s = spec("qmix");
    // The worker's networks are built for 2 actions; the batch has 4: its share fails validation.
    const D2 = inputDim(O, 2, n, INPUTS);
    const h = new WorkerGradientHelper({ spec: { ...s, nActions: 2, inputDim: D2 }, learner: config({ nActions: 2 }) });
    opened.push(h);
    const par = learner(s, config());
    const before = par.namedParameters().map(([, p]) => p.data.slice());
    par.setHelpers([h]);
    expect(() => par.train(randomBatch(4, 5, 3), 0)).toThrow(/worker's share failed: BatchError: batch: nActions is 4 but the networks were built for 2/);
    par.namedParameters().forEach(([, p], k) => expect(p.data).toEqual(before[k]));
  });

  it("reports a worker that cannot build its learner, without waiting for a timeout", { timeout: 60_000 }, () => {
    const s = spec("qmix");
    // The spec's input size does not fit the config's: QLearner's constructor throws inside the worker.
    const h = new WorkerGradientHelper({ spec: s, learner: config({ nActions: 2 }) }, { timeoutMs: 30_000 });
    opened.push(h);
    const par = learner(s, config());
    par.setHelpers([h]);
    const t0 = performance.now();
    expect(() => par.train(randomBatch(4, 5, 3), 0)).toThrow(/building the learner failed: RangeError: QLearner: the agent network takes/);
    expect(performance.now() - t0).toBeLessThan(30_000);
    // And every later update says the same.
    expect(() => par.train(randomBatch(4, 5, 3), 0)).toThrow(/could not start|building the learner failed/);
  });

  it("refuses to use a closed helper", { timeout: 60_000 }, () => {
    const s = spec("vdn"), c = config();
    const [h] = helpers(1, s, c);
    h!.close();
    const par = learner(s, c);
    par.setHelpers([h!]);
    expect(() => par.train(randomBatch(4, 5, 3), 0)).toThrow(/WorkerGradientHelper: closed/);
  });
});

describe("Trainer with learnerThreads 2", () => {
  it("is reproducible and learns the two-step game's greedy 8", { timeout: 120_000 }, () => {
    const cfg = mergeConfig(DEFAULT_CONFIG, {
      env: "two_step", agent: "ff", rnnHiddenDim: 32, batchSize: 32, bufferSize: 500, epsilonAnnealTime: 2000,
      targetUpdateInterval: 100, lr: 5e-3, learnerThreads: 2, seed: 3,
    });
    const run = () => {
      const tr = new Trainer(cfg, undefined, { gradientHelpers: workerGradientHelpers });
      for (let k = 0; k < 1500; k++) tr.step();
      const r = tr.evaluate(8);
      const w = tr.weights();
      tr.close();
      return { r, w };
    };
    const a = run(), b = run();
    expect(a.r.returnMean).toBe(8);
    expect([...b.w.entries()]).toEqual([...a.w.entries()]);
  });
});
