// The registry: built-ins by name, user environments beside them, and
// errors that name the environment, the key and what is allowed.

import { describe, expect, it } from "vitest";
import { listEnvs, makeEnv, MatrixGameEnv, registerEnv, unregisterEnv, checkOptions, intIn, type MultiAgentEnv } from "../../src/envs/index.ts";

describe("env registry", () => {
  it("lists the built-ins with descriptions", () => {
    const envs = listEnvs();
    const names = envs.map((e) => e.name);
    for (const n of ["two_step", "matrix_game", "nonmonotonic_3x3", "simple_spread_v3"]) expect(names).toContain(n);
    for (const e of envs) expect(e.description.length).toBeGreaterThan(0);
  });

  it("an unknown name lists what is registered", () => {
    expect(() => makeEnv("simple_spread_v2")).toThrow(
      /unknown environment "simple_spread_v2". Did you mean "simple_spread_v3"\? Registered: .*two_step.*matrix_game.*nonmonotonic_3x3.*simple_spread_v3/,
    );
  });

  it("bad options name the env, the key and what is allowed", () => {
    expect(() => makeEnv("simple_spread_v3", { nAgent: 3 })).toThrow(
      /simple_spread_v3: unknown option "nAgent"; allowed options: nAgents, localRatio, maxCycles, seed/,
    );
    expect(() => makeEnv("simple_spread_v3", { N: 0 })).toThrow(/simple_spread_v3: option "nAgents" must be an integer in \[1, 100\], got 0/);
    expect(() => makeEnv("simple_spread_v3", { local_ratio: 1.5 })).toThrow(/option "localRatio" must be a number in \[0, 1\], got 1.5/);
    expect(() => makeEnv("simple_spread_v3", { maxCycles: "25" })).toThrow(/option "maxCycles" must be an integer in \[1, 1000000\], got "25"/);
    expect(() => makeEnv("simple_spread_v3", { N: 3, nAgents: 3 })).toThrow(/"N" and "nAgents" name the same setting/);
    expect(() => makeEnv("two_step", { seed: Number.NaN })).toThrow(/two_step: option "seed" must be a finite number, got NaN/);
  });

  it("options reach the environment under either spelling", () => {
    const a = makeEnv("simple_spread_v3", { N: 4, local_ratio: 0.25, max_cycles: 10 });
    const b = makeEnv("simple_spread_v3", { nAgents: 4, localRatio: 0.25, maxCycles: 10 });
    for (const env of [a, b]) expect([env.nAgents, env.episodeLimit, env.obsDim]).toEqual([4, 10, 24]);
  });

  it("a custom environment registers, lists and is made with its options", () => {
    class Coin implements MultiAgentEnv {
      readonly name = "coin";
      readonly nAgents: number;
      readonly obsDim = 1;
      readonly stateDim = 1;
      readonly nActions = 2;
      readonly episodeLimit = 1;
      constructor(n: number) {
        this.nAgents = n;
      }
      reset(): void {}
      step(actions: ArrayLike<number>) {
        return { reward: Array.from(actions).every((a) => a === actions[0]) ? 1 : 0, terminated: true, truncated: false };
      }
      getObs() {
        return new Float32Array(this.nAgents);
      }
      getState() {
        return new Float32Array(1);
      }
      getAvailActions() {
        return new Uint8Array(this.nAgents * 2).fill(1);
      }
    }
    registerEnv(
      "coin",
      (o) => {
        checkOptions("coin", o, { players: intIn(2, 8) });
        return new Coin((o["players"] as number | undefined) ?? 2);
      },
      { description: "agree on a side" },
    );
    try {
      expect(listEnvs()).toContainEqual({ name: "coin", description: "agree on a side" });
      const env = makeEnv("coin", { players: 3 });
      expect(env.nAgents).toBe(3);
      expect(env.step([1, 1, 1]).reward).toBe(1);
      expect(() => makeEnv("coin", { players: 9 })).toThrow(/coin: option "players" must be an integer in \[2, 8\], got 9/);
      expect(() => registerEnv("coin", () => new Coin(2))).toThrow(/"coin" is already registered; pass \{ replace: true \}/);
      registerEnv("coin", () => new Coin(5), { replace: true });
      expect(makeEnv("coin").nAgents).toBe(5);
    } finally {
      expect(unregisterEnv("coin")).toBe(true);
    }
    expect(() => makeEnv("coin")).toThrow(/unknown environment "coin"/);
  });

  it("refuses bad registrations and factories that return no environment", () => {
    expect(() => registerEnv("", () => new MatrixGameEnv({ payoff: [1], nAgents: 1 }))).toThrow(/non-empty string/);
    expect(() => registerEnv("two words", () => new MatrixGameEnv({ payoff: [1], nAgents: 1 }))).toThrow(/without spaces/);
    expect(() => registerEnv("nofactory", 42 as never)).toThrow(/factory must be a function/);
    registerEnv("broken", () => ({ name: "broken" }) as never);
    try {
      expect(() => makeEnv("broken")).toThrow(/makeEnv\("broken"\): the environment has no reset\(\) method/);
    } finally {
      unregisterEnv("broken");
    }
  });
});
