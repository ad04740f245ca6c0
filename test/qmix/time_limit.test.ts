// timeLimitTerminal: by default (as pymarl does) an episode that ends at its time
// limit is stored with terminated = 0, so the target bootstraps from the
// final observation; with the option it is stored as terminal.

import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { DEFAULT_CONFIG, mergeConfig } from "../../src/train/config.ts";
import { Trainer } from "../../src/train/trainer.ts";
import { Rng } from "../../src/tensor/random.ts";

function lastFlags(timeLimitTerminal: boolean): { terminated: number[]; filledFinal: number } {
  const t = new Trainer(mergeConfig(DEFAULT_CONFIG, { env: "simple_spread_v3", batchSizeRun: 2, rnnHiddenDim: 8, timeLimitTerminal }));
  const { batch } = t.runner.run(1, new Rng(1), [3, 4]);
  const T1 = batch.T + 1;
  return {
    terminated: [0, 1].map((e) => batch.terminated[e * T1 + batch.T - 1]!),
    filledFinal: batch.filled[T1 - 1]!,
  };
}

describe("time-limit ends", () => {
  it("bootstrap by default: the last transition is not terminal, the final observation is stored", () => {
    expect(lastFlags(false)).toEqual({ terminated: [0, 0], filledFinal: 1 });
  });
  it("are terminal with timeLimitTerminal", () => {
    expect(lastFlags(true)).toEqual({ terminated: [1, 1], filledFinal: 1 });
  });
});
