// simple_spread_v3 against PettingZoo's own trajectories
// (../fixtures/simple_spread_v3_traces.json, or $QMIX_VECTORS): from each
// recorded initial world, the recorded actions must give the recorded
// observations, state, per-agent rewards, positions, velocities and flags.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { makeEnv, SimpleSpreadEnv } from "../../src/envs/index.ts";

interface TraceStep {
  actions: number[];
  obs: number[][];
  state: number[];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
  agent_pos: number[][];
  agent_vel: number[][];
}

interface TraceEpisode {
  seed: number;
  initial: { agent_pos: number[][]; agent_vel: number[][]; landmark_pos: number[][] };
  initial_obs: number[][];
  initial_state: number[];
  steps: TraceStep[];
}

interface Traces {
  spec: Record<string, unknown>;
  episodes: TraceEpisode[];
}

const root = fileURLToPath(new URL("../..", import.meta.url));
const vectors = resolve(root, process.env["QMIX_VECTORS"] ?? "test/fixtures");
const traces = JSON.parse(readFileSync(resolve(vectors, "simple_spread_v3_traces.json"), "utf8")) as Traces;

const TOL = 1e-5;

/** Absolute error for values of order one, relative for large ones. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const err = Math.abs(g - w) / Math.max(1, Math.abs(w));
    if (!(err <= TOL)) expect.fail(`${what}[${i}]: got ${g}, want ${w} (error ${err})`);
  }
}

function startFrom(env: SimpleSpreadEnv, ep: TraceEpisode): void {
  env.reset();
  env.setWorldState({ agentPos: ep.initial.agent_pos, agentVel: ep.initial.agent_vel, landmarkPos: ep.initial.landmark_pos });
}

describe("simple_spread_v3 against PettingZoo traces", () => {
  it("uses the recorded configuration", () => {
    expect(traces.spec["N"]).toBe(3);
    expect(traces.spec["local_ratio"]).toBe(0.5);
    expect(traces.spec["max_cycles"]).toBe(25);
    expect(traces.episodes.length).toBeGreaterThan(0);
    const env = makeEnv("simple_spread_v3");
    expect([env.nAgents, env.obsDim, env.stateDim, env.nActions, env.episodeLimit]).toEqual([3, 18, 54, 5, 25]);
  });

  for (const [e, ep] of traces.episodes.entries()) {
    it(`episode ${e} (seed ${ep.seed}): initial observation and state`, () => {
      const env = new SimpleSpreadEnv();
      startFrom(env, ep);
      expectClose(env.getObs(), ep.initial_obs.flat(), "initial_obs");
      expectClose(env.getState(), ep.initial_state, "initial_state");
      const ws = env.getWorldState();
      expectClose(ws.agentPos.flat(), ep.initial.agent_pos.flat(), "initial agent_pos");
      expectClose(ws.agentVel.flat(), ep.initial.agent_vel.flat(), "initial agent_vel");
      expectClose(ws.landmarkPos.flat(), ep.initial.landmark_pos.flat(), "initial landmark_pos");
    });

    it(`episode ${e} (seed ${ep.seed}): every step`, () => {
      const env = new SimpleSpreadEnv();
      startFrom(env, ep);
      expect(ep.steps.length).toBe(25);
      for (const [t, s] of ep.steps.entries()) {
        const r = env.step(s.actions);
        const at = `episode ${e} step ${t}`;
        expectClose(env.getObs(), s.obs.flat(), `${at} obs`);
        expectClose(env.getState(), s.state, `${at} state`);
        expectClose(env.lastAgentRewards(), s.rewards, `${at} rewards`);
        expectClose([r.reward], [s.rewards.reduce((a, b) => a + b, 0) / s.rewards.length], `${at} team reward`);
        const ws = env.getWorldState();
        expectClose(ws.agentPos.flat(), s.agent_pos.flat(), `${at} agent_pos`);
        expectClose(ws.agentVel.flat(), s.agent_vel.flat(), `${at} agent_vel`);
        for (const f of s.terminated) expect(r.terminated, `${at} terminated`).toBe(f);
        for (const f of s.truncated) expect(r.truncated, `${at} truncated`).toBe(f);
      }
      expect(() => env.step([0, 0, 0])).toThrow(/call reset/);
    });
  }

  it("the traces exercise collisions (contact forces and penalties)", () => {
    const env = new SimpleSpreadEnv();
    let collisions = 0;
    for (const ep of traces.episodes) {
      startFrom(env, ep);
      for (const s of ep.steps) collisions += Number(env.step(s.actions).info?.["collisions"] ?? 0);
    }
    expect(collisions).toBeGreaterThan(0);
  });

  it("fails on a wrong action mapping (the trace test can fail)", () => {
    // Swap left and right for one agent: the trace must disagree.
    const ep = traces.episodes[0]!;
    const env = new SimpleSpreadEnv();
    startFrom(env, ep);
    let maxErr = 0;
    for (const s of ep.steps) {
      const swapped = s.actions.map((a, i) => (i === 0 && a === 1 ? 2 : i === 0 && a === 2 ? 1 : a));
      env.step(swapped);
      const pos = env.getWorldState().agentPos.flat();
      const want = s.agent_pos.flat();
      for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(pos[i]! - want[i]!));
    }
    expect(maxErr).toBeGreaterThan(1e-3);
  });
});

describe("simple_spread_v3 behaviour", () => {
  it("resets uniformly in [-1, 1]^2 with zero velocity, reproducibly per seed", () => {
    const a = new SimpleSpreadEnv({ seed: 7 });
    const b = makeEnv("simple_spread_v3", { seed: 7 }) as SimpleSpreadEnv;
    expect(Array.from(a.getObs())).toEqual(Array.from(b.getObs()));
    a.reset(123);
    b.reset(123);
    expect(a.getWorldState()).toEqual(b.getWorldState());
    for (let k = 0; k < 50; k++) {
      a.reset();
      const ws = a.getWorldState();
      for (const v of [...ws.agentPos.flat(), ...ws.landmarkPos.flat()]) expect(Math.abs(v)).toBeLessThanOrEqual(1);
      expect(ws.agentVel.flat().every((v) => v === 0)).toBe(true);
    }
  });

  it("state is the observations concatenated; all actions available", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 3 }), (seed, acts) => {
        const env = new SimpleSpreadEnv({ seed });
        env.step(acts);
        expect(Array.from(env.getState())).toEqual(Array.from(env.getObs()));
        expect(Array.from(env.getAvailActions()).every((v) => v === 1)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it("truncates after maxCycles steps without terminating", () => {
    const env = makeEnv("simple_spread_v3", { max_cycles: 4, seed: 1 });
    const flags: [boolean, boolean][] = [];
    for (let t = 0; t < 4; t++) {
      const r = env.step([1, 2, 3]);
      flags.push([r.terminated, r.truncated]);
    }
    expect(flags).toEqual([[false, false], [false, false], [false, false], [false, true]]);
  });

  it("team reward is the mean of per-agent rewards; rewards are global + local mixes", () => {
    const env = new SimpleSpreadEnv({ localRatio: 0, seed: 3 });
    const r = env.step([0, 0, 0]);
    const per = env.lastAgentRewards();
    // local_ratio 0: every agent gets the global reward.
    expect(per[0]).toBeCloseTo(per[1]!, 12);
    expect(r.reward).toBeCloseTo((per[0]! + per[1]! + per[2]!) / 3, 12);
  });

  it("penalises two overlapping agents by local_ratio each", () => {
    const env = new SimpleSpreadEnv({ localRatio: 1 });
    env.setWorldState({ agentPos: [[0, 0], [0.1, 0], [5, 5]], landmarkPos: [[0, 0], [0, 0], [0, 0]] });
    env.step([0, 0, 0]);
    expect(Array.from(env.lastAgentRewards())).toEqual([-1, -1, 0]);
  });

  it("supports other N with obs size 6N", () => {
    for (const n of [1, 2, 5]) {
      const env = makeEnv("simple_spread_v3", { N: n });
      expect(env.obsDim).toBe(6 * n);
      expect(env.stateDim).toBe(6 * n * n);
      env.step(new Array(n).fill(4));
      expect(env.getObs().every(Number.isFinite)).toBe(true);
    }
  });

  it("rejects bad actions and bad world states with clear errors", () => {
    const env = new SimpleSpreadEnv();
    expect(() => env.step([0, 1])).toThrow(/expected 3 actions/);
    expect(() => env.step([0, 5, 0])).toThrow(/agent 1's action must be an integer in \[0, 4\], got 5/);
    expect(() => env.step([0, 0.5, 0])).toThrow(/agent 1/);
    expect(() => env.setWorldState({ agentPos: [[0, 0]], landmarkPos: [[0, 0], [0, 0], [0, 0]] })).toThrow(/agentPos must hold 3/);
    expect(() => env.setWorldState({ agentPos: [[0, 0], [0, NaN], [0, 0]], landmarkPos: [[0, 0], [0, 0], [0, 0]] })).toThrow(/agentPos\[1\]/);
  });

  it("renders a text grid and an SVG", () => {
    const env = new SimpleSpreadEnv();
    env.setWorldState({ agentPos: [[-0.5, 0.5], [0.5, 0.5], [0, -0.5]], landmarkPos: [[-0.9, -0.9], [0.9, 0.9], [0, 0]] });
    const text = env.render();
    expect(text).toContain("simple_spread t=0/25");
    for (const ch of ["0", "1", "2", "o"]) expect(text.split("\n").slice(2, 23).join("")).toContain(ch);
    expect(text).toContain("agent 2    ( 0.000, -0.500)");
    const svg = env.renderSvg();
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect((svg.match(/<circle/g) ?? []).length).toBe(6);
  });
});
