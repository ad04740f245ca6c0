// The README's library examples, run as written (imports from the package entry).

import { describe, expect, it } from "vitest";
import { makeEnv, registerEnv, resolveConfig, Trainer, trainLoop, unregisterEnv, type MultiAgentEnv } from "../src/index.ts";

class Meet implements MultiAgentEnv {
  readonly name = "meet"; readonly nAgents = 2; readonly obsDim = 1; readonly stateDim = 1;
  readonly nActions = 3; readonly episodeLimit = 1;
  reset() {}
  step(a: ArrayLike<number>) { return { reward: a[0] === 2 && a[1] === 2 ? 1 : 0, terminated: true, truncated: false }; }
  getObs() { return new Float32Array([1, 1]); }
  getState() { return new Float32Array([1]); }
  getAvailActions() { return new Uint8Array(6).fill(1); }
}

describe("README examples", () => {
  it("a custom environment registers, trains and is solved", () => {
    registerEnv("meet", () => new Meet());
    try {
      expect(makeEnv("meet").nActions).toBe(3);
      const trainer = new Trainer(resolveConfig(["test", { env: "meet", agent: "ff", obsLastAction: false, epsilonFinish: 1, bufferSize: 100, tMax: 400, testInterval: 400, testNEpisode: 1 }]));
      trainLoop(trainer);
      expect(trainer.evaluate(1).returnMean).toBe(1);
    } finally {
      unregisterEnv("meet");
    }
  });

  it("the two-step example trains through the public API", () => {
    const seen: number[] = [];
    const trainer = new Trainer(resolveConfig(["mine", { env: "two_step", agent: "ff", obsLastAction: false, mixingEmbedDim: 8, hypernetLayers: 1, epsilonFinish: 1, tMax: 600, testInterval: 300 }]));
    trainLoop(trainer, { onMetrics: (m) => { if (m.test_return_mean !== undefined) seen.push(m.t_env); } });
    expect(seen[0]).toBe(0);
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });
});
