// The QMIX paper's two-step game (§5, Fig. 3), every path through it.

import { describe, expect, it } from "vitest";
import { jointActions, makeEnv, TwoStepEnv, twoStepStates } from "../../src/envs/index.ts";

const oneHot = (i: number): number[] => [0, 1, 2, 3].map((k) => (k === i ? 1 : 0));

describe("two_step", () => {
  it("has the paper's sizes", () => {
    const env = makeEnv("two_step");
    expect([env.nAgents, env.nActions, env.obsDim, env.stateDim, env.episodeLimit]).toEqual([2, 2, 4, 4, 2]);
    expect(Array.from(env.getAvailActions())).toEqual([1, 1, 1, 1]);
  });

  it("starts in state 1, both agents observing its one-hot", () => {
    const env = new TwoStepEnv();
    env.reset();
    expect(env.stateName()).toBe("1");
    expect(Array.from(env.getState())).toEqual(oneHot(0));
    expect(Array.from(env.getObs())).toEqual([...oneHot(0), ...oneHot(0)]);
  });

  const payoff2A = [[7, 7], [7, 7]];
  const payoff2B = [[0, 1], [1, 8]];
  for (const first of jointActions(2, 2)) {
    for (const second of jointActions(2, 2)) {
      it(`first ${first}, then ${second}`, () => {
        const env = new TwoStepEnv();
        env.reset(42);
        const r1 = env.step(first);
        expect(r1).toEqual({ reward: 0, terminated: false, truncated: false });
        // Only agent 1's action chooses the branch.
        const s = first[0] === 0 ? 1 : 2;
        expect(env.stateName()).toBe(s === 1 ? "2A" : "2B");
        expect(Array.from(env.getState())).toEqual(oneHot(s));
        expect(Array.from(env.getObs())).toEqual([...oneHot(s), ...oneHot(s)]);
        const r2 = env.step(second);
        const table = s === 1 ? payoff2A : payoff2B;
        expect(r2).toEqual({ reward: table[second[0]!]![second[1]!], terminated: true, truncated: false });
        expect(env.stateName()).toBe("end");
        expect(Array.from(env.getState())).toEqual(oneHot(3));
        expect(() => env.step([0, 0])).toThrow(/episode has ended/);
        env.reset();
        expect(env.stateName()).toBe("1");
      });
    }
  }

  it("the best return is 8, reached only by (1, *) then (1, 1)", () => {
    let best = -Infinity;
    for (const a of jointActions(2, 2)) for (const b of jointActions(2, 2)) {
      const env = new TwoStepEnv();
      const ret = env.step(a).reward + env.step(b).reward;
      best = Math.max(best, ret);
    }
    expect(best).toBe(8);
  });

  it("twoStepStates gives what the env shows in states 1, 2A, 2B", () => {
    const states = twoStepStates();
    expect(states.map((s) => s.name)).toEqual(["1", "2A", "2B"]);
    const env = new TwoStepEnv();
    expect(Array.from(states[0]!.obs)).toEqual(Array.from(env.getObs()));
    expect(Array.from(states[0]!.state)).toEqual(Array.from(env.getState()));
    env.step([0, 0]);
    expect(Array.from(states[1]!.obs)).toEqual(Array.from(env.getObs()));
    expect(Array.from(states[1]!.state)).toEqual(Array.from(env.getState()));
    env.reset();
    env.step([1, 0]);
    expect(Array.from(states[2]!.obs)).toEqual(Array.from(env.getObs()));
    expect(Array.from(states[2]!.state)).toEqual(Array.from(env.getState()));
    for (const s of states) {
      expect(s.agentObs.map((o) => Array.from(o))).toEqual([Array.from(s.state), Array.from(s.state)]);
      expect(Array.from(s.availActions)).toEqual([1, 1, 1, 1]);
    }
  });

  it("rejects bad actions and any option but seed", () => {
    const env = new TwoStepEnv();
    expect(() => env.step([0])).toThrow(/two_step.step: expected 2 actions/);
    expect(() => env.step([0, 2])).toThrow(/agent 1's action must be an integer in \[0, 1\], got 2/);
    expect(() => makeEnv("two_step", { payoff: [[1]] })).toThrow(/two_step: unknown option "payoff"; allowed options: seed/);
    expect(() => makeEnv("two_step", { seed: 3 })).not.toThrow();
  });
});
