// A short QMIX run on simple_spread_v3 learns: its greedy test return rises
// clearly above the random policy's (about −29, docs/results.md). Small networks
// and 8 parallel environments keep it to ~10 s; the learning is real.

import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { makeEnv } from "../../src/envs/registry.ts";
import { resolveConfig } from "../../src/train/config.ts";
import { trainLoop } from "../../src/train/loop.ts";
import { Trainer } from "../../src/train/trainer.ts";
import { Rng } from "../../src/tensor/random.ts";

function randomReturn(episodes: number): number {
  const env = makeEnv("simple_spread_v3", { seed: 5 }), rng = new Rng(5);
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    env.reset(1000 + e);
    for (let t = 0; t < env.episodeLimit; t++) {
      const r = env.step(Array.from({ length: env.nAgents }, () => rng.int(env.nActions)));
      total += r.reward;
      if (r.terminated || r.truncated) break;
    }
  }
  return total / episodes;
}

describe("simple_spread_v3", () => {
  it("40k steps of QMIX beat the random policy's return", () => {
    const random = randomReturn(200);
    expect(random).toBeGreaterThan(-33);
    expect(random).toBeLessThan(-25);
    const trainer = new Trainer(resolveConfig(["test", {
      env: "simple_spread_v3", seed: 0, tMax: 40000, batchSizeRun: 8, epsilonAnnealTime: 20000,
      rnnHiddenDim: 32, mixingEmbedDim: 16, hypernetEmbed: 32, testInterval: 10000, testNEpisode: 16, saveInterval: 0,
    }]));
    const tests: number[] = [];
    trainLoop(trainer, { onMetrics: (m) => { if (m.test_return_mean !== undefined) tests.push(m.test_return_mean); } });
    const final = tests[tests.length - 1]!;
    expect(final, `test returns ${tests.map((x) => x.toFixed(1)).join(", ")}; random ${random.toFixed(1)}`).toBeGreaterThan(random + 4);
  });
});
