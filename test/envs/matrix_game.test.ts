// One-step matrix games: payoff lookup for any n and A, both payoff layouts,
// and the non-monotonic 3x3 preset.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { jointActions, makeEnv, MatrixGameEnv, matrixGameStates, NONMONOTONIC_3X3 } from "../../src/envs/index.ts";

/** Nest a flat row-major table into n levels of A. */
function nest(flat: number[], n: number, A: number): unknown {
  if (n === 0) return flat[0];
  const size = A ** (n - 1);
  return Array.from({ length: A }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), n - 1, A));
}

describe("matrix_game", () => {
  it("nonmonotonic_3x3 pays the preset table and ends after one step", () => {
    expect(NONMONOTONIC_3X3).toEqual([[8, -12, -12], [-12, 0, 0], [-12, 0, 0]]);
    for (const [a, b] of jointActions(2, 3)) {
      const env = makeEnv("nonmonotonic_3x3");
      expect(env.name).toBe("nonmonotonic_3x3");
      expect([env.nAgents, env.nActions, env.obsDim, env.stateDim, env.episodeLimit]).toEqual([2, 3, 1, 1, 1]);
      const r = env.step([a!, b!]);
      expect(r).toEqual({ reward: NONMONOTONIC_3X3[a!]![b!], terminated: true, truncated: false });
      expect(() => env.step([a!, b!])).toThrow(/episode has ended/);
      env.reset();
      expect(env.step([a!, b!]).reward).toBe(NONMONOTONIC_3X3[a!]![b!]);
    }
  });

  it("nested and flat payoffs agree for any n and A; agent 1 is the slowest index", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.infiniteStream(fc.integer({ min: -100, max: 100 })),
        (n, A, stream) => {
          const flat = [...stream.take(A ** n)];
          // A one-level list is ambiguous (one agent, or a flat table?), so it needs its shape.
          const nested = makeEnv("matrix_game", { payoff: nest(flat, n, A), nAgents: n === 1 ? 1 : undefined });
          const byAgents = makeEnv("matrix_game", { payoff: flat, nAgents: n });
          expect([nested.nAgents, nested.nActions]).toEqual([n, A]);
          expect([byAgents.nAgents, byAgents.nActions]).toEqual([n, A]);
          jointActions(n, A).forEach((acts, k) => {
            nested.reset();
            byAgents.reset();
            expect(nested.step(acts).reward).toBe(flat[k]);
            expect(byAgents.step(acts).reward).toBe(flat[k]);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a flat payoff may give its shape by nActions; typed arrays work", () => {
    const env = makeEnv("matrix_game", { payoff: new Float64Array([1, 2, 3, 4, 5, 6, 7, 8]), nActions: 2 }) as MatrixGameEnv;
    expect([env.nAgents, env.nActions]).toEqual([3, 2]);
    expect(env.payoffAt([1, 0, 1])).toBe(6);
    expect(Array.from(env.payoffTable())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("observes a constant and gives the single state for Q_tot tables", () => {
    const env = new MatrixGameEnv({ payoff: [[1, 2], [3, 4]] });
    expect(Array.from(env.getObs())).toEqual([1, 1]);
    expect(Array.from(env.getState())).toEqual([1]);
    expect(Array.from(env.getAvailActions())).toEqual([1, 1, 1, 1]);
    const [s, ...rest] = matrixGameStates(env);
    expect(rest).toEqual([]);
    expect(s!.name).toBe("s");
    expect(Array.from(s!.obs)).toEqual(Array.from(env.getObs()));
    expect(Array.from(s!.state)).toEqual(Array.from(env.getState()));
    expect(s!.agentObs.length).toBe(2);
    expect(env.render()).toContain("matrix_game: 2 agents, 2 actions");
  });

  it("bad payoffs and options say what is wrong", () => {
    const mk = (o: Record<string, unknown>) => () => makeEnv("matrix_game", o);
    expect(mk({})).toThrow(/matrix_game: option "payoff" is required/);
    expect(mk({ payoff: "8" })).toThrow(/matrix_game: option "payoff" must be nested arrays/);
    expect(mk({ payoff: [] })).toThrow(/must be a non-empty array/);
    expect(mk({ payoff: [[1, 2], [3]] })).toThrow(/regular 2x2 array; at \[1\]/);
    expect(mk({ payoff: [[1, 2], [3, NaN]] })).toThrow(/entry \[1\]\[1\] must be a finite number, got NaN/);
    expect(mk({ payoff: [1, 2, 3, 4] })).toThrow(/flat array of length 4; give nAgents/);
    expect(mk({ payoff: [1, 2, 3, 4, 5], nAgents: 2 })).toThrow(/length 5, which is not nActions\^nAgents/);
    expect(mk({ payoff: [[1, 2], [3, 4]], nAgents: 3 })).toThrow(/nested 2 deep but nAgents is 3/);
    expect(mk({ payoff: [[1, 2], [3, 4]], nAgents: 0 })).toThrow(/option "nAgents" must be an integer in \[1, 64\], got 0/);
    expect(mk({ payoff: [[1, 2], [3, 4]], payof: 1 })).toThrow(/matrix_game: unknown option "payof"; allowed options: payoff, nAgents, nActions, seed/);
    expect(() => makeEnv("nonmonotonic_3x3", { payoff: [[1]] })).toThrow(/nonmonotonic_3x3: unknown option "payoff"/);
    const env = new MatrixGameEnv({ payoff: NONMONOTONIC_3X3 });
    expect(() => env.step([0, 3])).toThrow(/agent 1's action must be an integer in \[0, 2\], got 3/);
  });
});
