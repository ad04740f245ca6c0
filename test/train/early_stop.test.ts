// stopWinRate: a run ends before tMax once stopAfterTests greedy evaluations
// in a row have each won at least that share of their battles; a broken run
// starts the count again; a resumed run that had completed it stops at once;
// environments that report no battle_won never stop early.

import { describe, expect, it } from "vitest";
import type { MultiAgentEnv, StepResult } from "../../src/envs/env.ts";
import { registerEnv } from "../../src/envs/registry.ts";
import { encodeModel, restore } from "../../src/train/checkpoint.ts";
import { type QMixConfig, resolveConfig } from "../../src/train/config.ts";
import { type Metrics, trainLoop } from "../../src/train/loop.ts";
import { Trainer } from "../../src/train/trainer.ts";

/** Two agents, two actions, 5-step battles; `won(k)` says whether the k-th battle since construction is won. */
function battles(name: string, won: ((k: number) => boolean) | null): MultiAgentEnv {
  let t = 0, k = -1;
  const obs = new Float32Array(2), state = new Float32Array(2), avail = new Uint8Array(4).fill(1);
  return {
    name, nAgents: 2, obsDim: 1, stateDim: 2, nActions: 2, episodeLimit: 5,
    reset() { t = 0; k++; },
    step(): StepResult {
      t++;
      const end = t >= 5;
      return { reward: 0, terminated: end, truncated: false, info: end && won ? { battle_won: won(k) } : {} };
    },
    getObs: () => obs, getState: () => state, getAvailActions: () => avail,
  };
}
registerEnv("test_always_won", () => battles("test_always_won", () => true));
registerEnv("test_never_won", () => battles("test_never_won", () => false));
registerEnv("test_half_won", () => battles("test_half_won", (k) => k % 2 === 0));
registerEnv("test_no_battles", () => battles("test_no_battles", null));

function config(env: string, extra: Partial<QMixConfig>): QMixConfig {
  return resolveConfig(["test", {
    env, seed: 1, rnnHiddenDim: 4, mixingEmbedDim: 2, hypernetEmbed: 4, batchSize: 2, bufferSize: 20,
    testInterval: 50, testNEpisode: 2, logInterval: 50, saveInterval: 0, tMax: 1000, ...extra,
  }]);
}

function run(c: QMixConfig) {
  const trainer = new Trainer(c);
  const tests: number[] = [];
  const loop = trainLoop(trainer, { onMetrics: (m: Metrics) => { if (m.test_battle_won_mean !== undefined) tests.push(m.test_battle_won_mean); } });
  return { trainer, loop, tests };
}

describe("stopWinRate", () => {
  it("stops after stopAfterTests evaluations in a row at the rate, well before tMax", () => {
    const { trainer, loop, tests } = run(config("test_always_won", { stopWinRate: 1, stopAfterTests: 3 }));
    expect(tests).toEqual([1, 1, 1]); // the start's evaluation counts, as in pymarl it is one of the run's tests
    expect(trainer.tEnv).toBeGreaterThanOrEqual(100);
    expect(trainer.tEnv).toBeLessThan(200);
    expect(loop.goalStreak).toBe(3);
  });

  it("runs to tMax when the rate is never reached, or is off, or the environment reports no battles", () => {
    for (const [env, rate] of [["test_never_won", 0.5], ["test_always_won", 0], ["test_no_battles", 0.5]] as const) {
      const { trainer, loop } = run(config(env, { stopWinRate: rate, stopAfterTests: 2, tMax: 300 }));
      expect(trainer.tEnv).toBeGreaterThanOrEqual(300);
      if (rate === 0) expect(loop.goalStreak).toBeUndefined(); // no counter written where the rule is off
    }
  });

  it("counts evaluations at or above the rate: 1 of 2 battles meets 0.5, not 0.6", () => {
    expect(run(config("test_half_won", { stopWinRate: 0.5, stopAfterTests: 2, tMax: 300 })).trainer.tEnv).toBeLessThan(100);
    expect(run(config("test_half_won", { stopWinRate: 0.6, stopAfterTests: 2, tMax: 300 })).trainer.tEnv).toBeGreaterThanOrEqual(300);
  });

  it("keeps the count in the checkpoint: a resumed run that had completed it takes no step", () => {
    const c = config("test_always_won", { stopWinRate: 1, stopAfterTests: 2 });
    const first = run(c);
    const bytes = encodeModel(first.trainer, first.loop);
    const again = new Trainer(c);
    const start = restore(again, bytes);
    expect(start.goalStreak).toBe(2);
    const t0 = again.tEnv;
    trainLoop(again, {}, start);
    expect(again.tEnv).toBe(t0);
  });

  it("refuses a rate outside [0, 1] and a count below 1, naming the key", () => {
    expect(() => config("test_always_won", { stopWinRate: 1.5 })).toThrow(/stopWinRate/);
    expect(() => config("test_always_won", { stopAfterTests: 0 })).toThrow(/stopAfterTests/);
  });
});
