// Every SMAClite map trains: a couple of thousand steps of QMIX with small
// networks through the whole pipeline (8 environments in lockstep, the
// replay buffer, updates, greedy evaluations reporting win rates) without
// an error, a NaN or a lost win-rate line.

import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { SMACLITE_MAP_NAMES } from "../../src/envs/index.ts";
import { resolveConfig } from "../../src/train/config.ts";
import { trainLoop, type Metrics } from "../../src/train/loop.ts";
import { Trainer } from "../../src/train/trainer.ts";

describe("QMIX trains on every SMAClite map", () => {
  for (const map of SMACLITE_MAP_NAMES) {
    it(`smaclite/${map}`, () => {
      const trainer = new Trainer(resolveConfig(["test", {
        env: `smaclite/${map}`, seed: 1, tMax: 2000, batchSizeRun: 4, batchSize: 4, bufferSize: 16, rnnHiddenDim: 16,
        mixingEmbedDim: 8, hypernetEmbed: 16, testInterval: 1000, testNEpisode: 1, logInterval: 1000, saveInterval: 0,
        // big maps run long episodes: a short limit keeps the test at a few thousand steps
        envArgs: { episodeLimit: 40 },
      }]));
      const lines: Metrics[] = [];
      trainLoop(trainer, { onMetrics: (m) => lines.push(m) });
      expect(trainer.tEnv).toBeGreaterThanOrEqual(2000);
      expect(trainer.updates).toBeGreaterThan(0);
      const tests = lines.filter((m) => m.test_return_mean !== undefined);
      expect(tests.length).toBeGreaterThan(1);
      for (const m of tests) {
        expect(m.test_battle_won_mean, `t_env ${m.t_env}`).toBeGreaterThanOrEqual(0);
        expect(m.test_battle_won_mean).toBeLessThanOrEqual(1);
        expect(Number.isFinite(m.test_return_mean)).toBe(true);
      }
      for (const m of lines) if (m.loss !== undefined) expect(Number.isFinite(m.loss), `loss at ${m.t_env}`).toBe(true);
    });
  }
});
