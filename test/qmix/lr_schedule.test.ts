// lrFinish / lrAnnealTime: the learning rate falls linearly with the
// environment steps, each update uses the value at the steps collected so far,
// the optimizer really steps with it, and a resumed run continues exactly.

import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { encodeBuffer, encodeModel, restore } from "../../src/train/checkpoint.ts";
import { ConfigError, DEFAULT_CONFIG, mergeConfig } from "../../src/train/config.ts";
import type { EpisodeBatch } from "../../src/qmix/batch.ts";
import { linearSchedule } from "../../src/qmix/action_selection.ts";
import { Trainer } from "../../src/train/trainer.ts";
import { Adam } from "../../src/nn/optim.ts";
import { Tensor } from "../../src/tensor/tensor.ts";

const config = mergeConfig(DEFAULT_CONFIG, {
  env: "simple_spread_v3", batchSizeRun: 4, batchSize: 8, bufferSize: 64, rnnHiddenDim: 16, mixingEmbedDim: 8,
  hypernetEmbed: 8, optimizer: "adam", lr: 1e-3, lrFinish: 1e-4, lrAnnealTime: 1000, seed: 3,
});

describe("learning-rate decay", () => {
  it("is linear from lr to lrFinish over lrAnnealTime steps, then flat; constant when lrAnnealTime is 0", () => {
    expect(linearSchedule(0, 1e-3, 1e-4, 1000)).toBe(1e-3);
    expect(linearSchedule(500, 1e-3, 1e-4, 1000)).toBeCloseTo(5.5e-4, 15);
    expect(linearSchedule(1000, 1e-3, 1e-4, 1000)).toBeCloseTo(1e-4, 15);
    expect(linearSchedule(5000, 1e-3, 1e-4, 1000)).toBe(1e-4);
    const flat = new Trainer(mergeConfig(config, { lrAnnealTime: 0 }));
    for (let k = 0; k < 3; k++) flat.step();
    expect(flat.learningRate).toBe(1e-3);
    expect(flat.learner.learningRate).toBe(1e-3);
  });

  it("gives each update the rate at the environment steps collected so far", () => {
    const t = new Trainer(config);
    const train = t.learner.train.bind(t.learner);
    const seen: Array<[number, number]> = [];
    let tBefore = 0;
    t.learner.train = (batch: EpisodeBatch, episode: number) => {
      seen.push([tBefore, t.learner.learningRate]);
      return train(batch, episode);
    };
    // 4 episodes of 25 steps per batch: the rate moves by 0.9e-3 * 100 / 1000 per batch and is flat after 1000 steps.
    for (let k = 0; k < 14; k++) {
      tBefore = t.tEnv;
      t.step();
    }
    expect(seen.length).toBeGreaterThan(8);
    for (const [tEnv, lr] of seen) expect(lr).toBeCloseTo(Math.max(1e-4, 1e-3 - (0.9e-3 * (tEnv + 100)) / 1000), 15);
    expect(seen.at(-1)![1]).toBeCloseTo(1e-4, 15);
  });

  it("changes Adam's step size and nothing else", () => {
    const make = () => {
      const p = new Tensor(new Float32Array([0.5, -1, 2]), [3]);
      return { p, opt: new Adam([["p", p]], 1e-2) };
    };
    const a = make(), b = make();
    b.opt.lr = 1e-3;
    for (const { p, opt } of [a, b]) {
      p.grad = new Float32Array([0.3, -0.2, 0.1]);
      opt.step();
    }
    // First Adam step moves every parameter by lr·sign(g) (up to ε).
    for (let i = 0; i < 3; i++) {
      expect(a.p.data[i]! - [0.5, -1, 2][i]!).toBeCloseTo(-1e-2 * Math.sign([0.3, -0.2, 0.1][i]!), 6);
      expect(b.p.data[i]! - [0.5, -1, 2][i]!).toBeCloseTo(-1e-3 * Math.sign([0.3, -0.2, 0.1][i]!), 6);
    }
  });

  it("follows the step count across a checkpoint: a resumed run matches the uninterrupted one", () => {
    const a = new Trainer(config);
    for (let k = 0; k < 5; k++) a.step();
    const model = encodeModel(a, { lastTestT: 0, lastLogT: 0, lastSaveT: 0 }), buffer = encodeBuffer(a);
    const b = new Trainer(config);
    restore(b, model, buffer);
    expect(b.learningRate).toBe(a.learningRate);
    for (let k = 0; k < 4; k++) { a.step(); b.step(); }
    expect(a.learner.learningRate).toBeLessThan(1e-3);
    expect([...b.weights().entries()]).toEqual([...a.weights().entries()]);
  });

  it("rejects a schedule that would raise the rate, and a bad rate, with the values named", () => {
    expect(() => mergeConfig(config, { lrFinish: 2e-3 })).toThrow(ConfigError);
    expect(() => mergeConfig(config, { lrFinish: 2e-3 })).toThrow(/"lrFinish" \(0\.002\) must not exceed "lr" \(0\.001\)/);
    expect(() => mergeConfig(config, { lrFinish: 2e-3, lrAnnealTime: 0 })).not.toThrow();
    expect(() => mergeConfig(config, { lrAnnealTime: -1 })).toThrow(/"lrAnnealTime" must be an integer/);
    const t = new Trainer(config);
    expect(() => t.learner.setLearningRate(Number.NaN)).toThrow(/got NaN/);
    expect(() => t.learner.setLearningRate(-1e-3)).toThrow(/got -0\.001/);
  });
});
