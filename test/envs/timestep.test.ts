// StateTimestep and ObsTimestep (config stateTimestep, obsTimestep): the
// state, or every observation, gains t / episodeLimit as its last feature;
// everything else is the wrapped environment's, and the trainer sees the
// longer inputs.

import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import type { MultiAgentEnv } from "../../src/envs/env.ts";
import { makeEnv } from "../../src/envs/registry.ts";
import { ObsTimestep, StateTimestep, wrapTimestep } from "../../src/envs/timestep.ts";
import { DEFAULT_CONFIG, mergeConfig } from "../../src/train/config.ts";
import { Rng } from "../../src/tensor/random.ts";
import { Trainer } from "../../src/train/trainer.ts";

describe("StateTimestep", () => {
  it("appends t / limit to the state and passes observations, actions and rewards through", () => {
    const plain = makeEnv("simple_spread_v3", { seed: 4 });
    const inner = makeEnv("simple_spread_v3", { seed: 4 });
    const env = new StateTimestep(inner);
    expect(env.stateDim).toBe(plain.stateDim + 1);
    expect([env.nAgents, env.obsDim, env.nActions, env.episodeLimit]).toEqual([plain.nAgents, plain.obsDim, plain.nActions, plain.episodeLimit]);
    expect((env as MultiAgentEnv).stateIsObs).toBeUndefined();
    const rng = new Rng(9);
    // Two episodes: the second starts again from t = 0.
    for (const seed of [11, 12]) {
      plain.reset(seed);
      env.reset(seed);
      for (let t = 0; t <= env.episodeLimit; t++) {
        const s = env.getState();
        expect(s.length).toBe(env.stateDim);
        expect([...s.subarray(0, plain.stateDim)]).toEqual([...plain.getState()]);
        expect(s[plain.stateDim]).toBeCloseTo(t / env.episodeLimit, 7);
        expect([...env.getObs()]).toEqual([...plain.getObs()]);
        expect([...env.getAvailActions()]).toEqual([...plain.getAvailActions()]);
        if (t === env.episodeLimit) break;
        const a = Array.from({ length: env.nAgents }, () => Math.floor(rng.next() * env.nActions));
        const r1 = plain.step(a), r2 = env.step(a);
        expect(r2).toEqual(r1);
      }
    }
    env.reset(13);
    expect(env.getState()[plain.stateDim]).toBe(0);
    // Each call returns its own array: a stored state is not overwritten by the next step.
    const before = env.getState();
    env.step([1, 2, 3]);
    expect(before[plain.stateDim]).toBe(0);
    expect(typeof env.render).toBe("function");
    expect(env.render!()).toBe(inner.render!());
  });

  it("lets the trainer's mixer and buffer see the longer state", () => {
    const config = mergeConfig(DEFAULT_CONFIG, {
      env: "simple_spread_v3", batchSizeRun: 2, batchSize: 4, bufferSize: 16, rnnHiddenDim: 8, mixingEmbedDim: 4,
      hypernetEmbed: 8, stateTimestep: true, seed: 2,
    });
    const t = new Trainer(config);
    expect(t.envs[0]!.stateDim).toBe(55);
    for (let k = 0; k < 3; k++) t.step();
    const batch = t.buffer.sample(4, new Rng(1));
    expect(batch.stateDim).toBe(55);
    for (let b = 0; b < 4; b++) {
      for (let s = 0; s <= 25; s++) expect(batch.state[(b * 26 + s) * 55 + 54]).toBeCloseTo(s / 25, 7);
    }
    expect([...t.weights().keys()].some((k) => k.startsWith("mixer."))).toBe(true);
    const w = t.weights();
    const firstHyper = [...w.entries()].find(([k]) => k.startsWith("mixer.") && k.endsWith("weight"))!;
    expect(firstHyper[1].length % 55).toBe(0);
  });
});

describe("ObsTimestep", () => {
  it("appends t / limit to every agent's observation, and to the state when the state is the observations", () => {
    const plain = makeEnv("simple_spread_v3", { seed: 5 });
    const inner = makeEnv("simple_spread_v3", { seed: 5 });
    const env = new ObsTimestep(inner);
    const n = env.nAgents, d = plain.obsDim;
    expect(env.obsDim).toBe(d + 1);
    expect(env.stateIsObs).toBe(true);
    expect(env.stateDim).toBe(n * (d + 1));
    const rng = new Rng(3);
    for (const seed of [21, 22]) {
      plain.reset(seed);
      env.reset(seed);
      for (let t = 0; t <= env.episodeLimit; t++) {
        const o = env.getObs(), p = plain.getObs();
        expect(o.length).toBe(n * (d + 1));
        for (let a = 0; a < n; a++) {
          expect([...o.subarray(a * (d + 1), a * (d + 1) + d)]).toEqual([...p.subarray(a * d, (a + 1) * d)]);
          expect(o[a * (d + 1) + d]).toBeCloseTo(t / env.episodeLimit, 7);
        }
        expect([...env.getState()]).toEqual([...o]);
        expect([...env.getAvailActions()]).toEqual([...plain.getAvailActions()]);
        if (t === env.episodeLimit) break;
        const a = Array.from({ length: n }, () => Math.floor(rng.next() * env.nActions));
        expect(env.step(a)).toEqual(plain.step(a));
      }
    }
    env.reset(23);
    const before = env.getObs();
    env.step([0, 1, 2]);
    expect(before[d]).toBe(0);
    expect(env.getObs()[d]).toBeCloseTo(1 / env.episodeLimit, 7);
    expect(env.render!()).toBe(inner.render!());
  });

  it("keeps a separate state as it is, and stacks under StateTimestep", () => {
    const twoStep = makeEnv("two_step");
    expect(twoStep.stateIsObs).not.toBe(true);
    const env = new ObsTimestep(twoStep);
    expect(env.stateIsObs).toBe(false);
    expect(env.stateDim).toBe(twoStep.stateDim);
    env.reset(1);
    expect([...env.getState()]).toEqual([...twoStep.getState()]);
    const both = wrapTimestep(makeEnv("simple_spread_v3", { seed: 1 }), { obsTimestep: true, stateTimestep: true });
    expect([both.obsDim, both.stateDim, both.stateIsObs]).toEqual([19, 58, undefined]);
    expect(wrapTimestep(twoStep, {})).toBe(twoStep);
  });

  it("trains and evaluates with the clock in the agents' inputs; the buffer stores the observations only", () => {
    const config = mergeConfig(DEFAULT_CONFIG, {
      env: "simple_spread_v3", agent: "ff", batchSizeRun: 2, batchSize: 4, bufferSize: 16, rnnHiddenDim: 8, mixingEmbedDim: 4,
      hypernetEmbed: 8, obsTimestep: true, seed: 2,
    });
    const t = new Trainer(config);
    expect([t.envs[0]!.obsDim, t.envs[0]!.stateDim]).toEqual([19, 57]);
    expect(t.buffer.layout.stateIsObs).toBe(true);
    for (let k = 0; k < 3; k++) t.step();
    const batch = t.buffer.sample(4, new Rng(1));
    for (let b = 0; b < 4; b++) {
      for (let s = 0; s <= 25; s++) {
        expect(batch.obs[((b * 26 + s) * 3 + 2) * 19 + 18]).toBeCloseTo(s / 25, 7);
        expect(batch.state[(b * 26 + s) * 57 + 56]).toBeCloseTo(s / 25, 7);
      }
    }
  });
});
