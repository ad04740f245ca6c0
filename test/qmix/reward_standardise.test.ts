// standardiseRewards: the running mean and variance equal the plain ones
// over every collected (filled) step; the learner sees (r − mean)/std; the
// statistics survive a checkpoint, so a resumed run continues exactly.

import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { encodeBuffer, encodeModel, restore } from "../../src/train/checkpoint.ts";
import { DEFAULT_CONFIG, mergeConfig } from "../../src/train/config.ts";
import type { EpisodeBatch } from "../../src/qmix/batch.ts";
import { Trainer } from "../../src/train/trainer.ts";

const config = mergeConfig(DEFAULT_CONFIG, {
  env: "simple_spread_v3", batchSizeRun: 4, batchSize: 8, bufferSize: 64, rnnHiddenDim: 16, mixingEmbedDim: 8,
  hypernetEmbed: 8, standardiseRewards: true, seed: 5,
});

describe("standardiseRewards", () => {
  it("keeps the mean and variance of every collected step, and trains on (r − mean)/std", () => {
    const t = new Trainer(config);
    const seen: number[] = [];
    const insert = t.buffer.insert.bind(t.buffer);
    t.buffer.insert = (b: EpisodeBatch) => {
      for (let k = 0; k < b.reward.length; k++) if (b.filled[k]) seen.push(b.reward[k]!);
      insert(b);
    };
    const train = t.learner.train.bind(t.learner);
    let checked = 0;
    t.learner.train = (batch: EpisodeBatch, episode: number) => {
      // Rewards of filled steps arrive standardised with the statistics of everything collected so far.
      const mean = seen.reduce((a, x) => a + x, 0) / seen.length;
      const std = Math.sqrt(seen.reduce((a, x) => a + (x - mean) ** 2, 0) / seen.length);
      expect(t.rewardStats.count).toBe(seen.length);
      expect(t.rewardStats.mean).toBeCloseTo(mean, 9);
      expect(Math.sqrt(t.rewardStats.m2 / t.rewardStats.count)).toBeCloseTo(std, 9);
      let m = 0, v = 0, n = 0;
      for (let k = 0; k < batch.reward.length; k++) if (batch.filled[k]) { m += batch.reward[k]!; n++; }
      m /= n;
      for (let k = 0; k < batch.reward.length; k++) if (batch.filled[k]) v += (batch.reward[k]! - m) ** 2;
      // A sample of 8 episodes: roughly centred and unit scale, not the raw rewards (mean ≈ −1, std ≈ 0.5).
      expect(Math.abs(m)).toBeLessThan(1);
      expect(Math.sqrt(v / n)).toBeGreaterThan(0.3);
      expect(Math.sqrt(v / n)).toBeLessThan(3);
      checked++;
      return train(batch, episode);
    };
    for (let k = 0; k < 6; k++) t.step();
    expect(checked).toBeGreaterThan(0);
    expect(Math.abs(t.rewardStats.mean)).toBeGreaterThan(0.1);
  });

  it("is saved in checkpoints: a resumed run matches the uninterrupted one", () => {
    const a = new Trainer(config);
    for (let k = 0; k < 4; k++) a.step();
    const model = encodeModel(a, { lastTestT: 0, lastLogT: 0, lastSaveT: 0 }), buffer = encodeBuffer(a);
    const b = new Trainer(config);
    restore(b, model, buffer);
    expect(b.rewardStats).toEqual(a.rewardStats);
    for (let k = 0; k < 3; k++) { a.step(); b.step(); }
    expect([...b.weights().entries()]).toEqual([...a.weights().entries()]);
  });
});
