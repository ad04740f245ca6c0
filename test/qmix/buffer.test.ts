import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SmacliteEnv } from "../../src/envs/smaclite/env.ts";
import { smacliteMap } from "../../src/envs/smaclite/index.ts";
import { type BatchSizes, type EpisodeBatch, emptyBatch } from "../../src/qmix/batch.ts";
import { type BufferLayout, ReplayBuffer, copyEpisode, packEpisode, unpackEpisode } from "../../src/qmix/buffer.ts";
import { Rng } from "../../src/tensor/random.ts";

const sizes = { nAgents: 3, obsDim: 4, stateDim: 12, nActions: 5 };

/** Episodes whose state is their observations, with random lengths up to T. */
function episodes(B: number, T: number, seed: number): EpisodeBatch {
  const rng = new Rng(seed), b = emptyBatch(sizes, B, T);
  for (let e = 0; e < B; e++) {
    const len = 1 + rng.int(T);
    for (let t = 0; t < len; t++) {
      const k = e * (T + 1) + t;
      for (let j = 0; j < 12; j++) b.obs[k * 12 + j] = b.state[k * 12 + j] = rng.uniform() * 2 - 1;
      for (let i = 0; i < 3; i++) b.actions[k * 3 + i] = rng.int(5);
      b.availActions.fill(1, k * 15, (k + 1) * 15);
      b.reward[k] = rng.uniform();
      b.filled[k] = 1;
      b.terminated[k] = t === len - 2 ? 1 : 0;
    }
  }
  return b;
}

/**
 * Random episodes of the given sizes: sparse values (zeros, -0, NaN among
 * them), a state whose last-action part (at la, if ≥ 0) is the one-hot of
 * the previous step's actions, random lengths up to T + 1 steps.
 */
function randomEpisodes(s: BatchSizes, B: number, T: number, la: number, seed: number): EpisodeBatch {
  const rng = new Rng(seed), b = emptyBatch(s, B, T), { nAgents: n, obsDim: O, stateDim: S, nActions: A } = s;
  const value = () => {
    const u = rng.uniform();
    return u < 0.5 ? 0 : u < 0.55 ? -0 : u < 0.57 ? Number.NaN : rng.uniform() * 4 - 2;
  };
  for (let e = 0; e < B; e++) {
    const L = 1 + rng.int(T + 1);
    for (let t = 0; t < L; t++) {
      const k = e * (T + 1) + t;
      for (let j = 0; j < n * O; j++) b.obs[k * n * O + j] = value();
      for (let j = 0; j < S; j++) b.state[k * S + j] = value();
      for (let i = 0; i < n; i++) {
        b.actions[k * n + i] = rng.int(A);
        for (let a = 0; a < A; a++) b.availActions[(k * n + i) * A + a] = rng.uniform() < 0.6 ? 1 : 0;
        if (la >= 0) {
          b.state.fill(0, k * S + la + i * A, k * S + la + (i + 1) * A);
          if (t > 0) b.state[k * S + la + i * A + b.actions[(k - 1) * n + i]!] = 1;
        }
      }
      b.reward[k] = value();
      b.terminated[k] = rng.uniform() < 0.1 ? 1 : 0;
      b.filled[k] = 1;
    }
  }
  return b;
}

/** Every element of every field the same, bit for bit (NaN equal to NaN, -0 apart from 0). */
function expectSameEpisode(a: EpisodeBatch, ai: number, b: EpisodeBatch, bi: number): void {
  expect(a.T).toBe(b.T);
  const T1 = a.T + 1;
  for (const f of ["obs", "state", "availActions", "actions", "reward", "terminated", "filled"] as const) {
    const w = a[f].length / (a.B * T1);
    const x = Array.from(a[f].subarray(ai * T1 * w, (ai + 1) * T1 * w)), y = Array.from(b[f].subarray(bi * T1 * w, (bi + 1) * T1 * w));
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) expect(`${f}[${i}] = ${Object.is(y[i], -0) ? "-0" : y[i]}`).toBe(`${f}[${i}] = ${Object.is(x[i], -0) ? "-0" : x[i]}`);
  }
}

describe("ReplayBuffer packing", () => {
  it("gives back every episode bit for bit (sparse values, -0, NaN, last actions rebuilt, cut to its filled length)", () => {
    fc.assert(fc.property(
      fc.record({ n: fc.integer({ min: 1, max: 4 }), O: fc.integer({ min: 1, max: 9 }), A: fc.integer({ min: 1, max: 7 }), extra: fc.integer({ min: 0, max: 5 }),
        T: fc.integer({ min: 1, max: 8 }), withLA: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }) }),
      ({ n, O, A, extra, T, withLA, seed }) => {
        const S = extra + (withLA ? n * A + 2 : 3), la = withLA ? extra : -1;
        const s = { nAgents: n, obsDim: O, stateDim: S, nActions: A };
        const layout: BufferLayout = { ...s, stateIsObs: false, stateLastAction: la };
        const src = randomEpisodes(s, 3, T, la, seed);
        for (let e = 0; e < 3; e++) {
          // Into a longer batch (padded with zeros) and into one of exactly the source's length.
          for (const dT of [T, T + 3]) {
            const want = emptyBatch(s, 2, dT), got = emptyBatch(s, 2, dT);
            copyEpisode(src, e, want, 1);
            got.obs.fill(7); got.state.fill(7); got.availActions.fill(1); got.actions.fill(3); got.reward.fill(7); got.filled.fill(1); got.terminated.fill(1);
            unpackEpisode(layout, packEpisode(layout, src, e), got, 1);
            expectSameEpisode(want, 1, got, 1);
          }
        }
      },
    ), { numRuns: 60 });
  });

  it("refuses a state whose last-action part is not the previous step's actions, naming the step and agent", () => {
    const s = { nAgents: 2, obsDim: 3, stateDim: 4 + 2 * 3, nActions: 3 };
    const buf = new ReplayBuffer(s, 4, 5, { stateLastAction: 4 });
    const b = randomEpisodes(s, 2, 5, 4, 3);
    b.filled.fill(1);
    for (let k = 0; k < b.B * (b.T + 1); k++) for (let i = 0; i < 2; i++) {
      b.state.fill(0, k * 10 + 4 + i * 3, k * 10 + 4 + (i + 1) * 3);
      if (k % 6 > 0) b.state[k * 10 + 4 + i * 3 + b.actions[(k - 1) * 2 + i]!] = 1;
    }
    buf.insert(b);
    expect(buf.size).toBe(2);
    const k = 1 * 6 + 3, prev = b.actions[(k - 1) * 2 + 1]!;
    b.state[k * 10 + 4 + 3 + prev] = 0;
    expect(() => buf.insert(b)).toThrow(new RegExp(`last actions at 4, but episode 1, step 3 has state\\[${7 + prev}\\] = 0 where agent 1's previous action ${prev} gives 1`));
    expect(buf.size).toBe(2);
    expect(() => new ReplayBuffer(s, 4, 5, { stateLastAction: 5 })).toThrow(/stateLastAction must be an index from which nAgents × nActions = 6 values fit in the state of 10, got 5/);
  });

  it("refuses filled steps after an unfilled one", () => {
    const buf = new ReplayBuffer(sizes, 4, 5, { stateIsObs: true }), b = episodes(1, 5, 1);
    b.filled.fill(0); b.filled[0] = 1; b.filled[2] = 1;
    expect(() => buf.insert(b)).toThrow(/episode 0 has step 2 filled after the unfilled step 1/);
  });

  it("keeps a random 2s3z battle in under a third of its padded size, and gives it back", () => {
    const env = new SmacliteEnv(smacliteMap("2s3z"), { seed: 4 });
    const { nAgents: n, obsDim: O, stateDim: S, nActions: A, episodeLimit: T } = env;
    const batch = emptyBatch(env, 1, T), rng = new Rng(4);
    env.reset(4);
    for (let t = 0; t <= T; t++) {
      batch.obs.set(env.getObs(), t * n * O); batch.state.set(env.getState(), t * S); batch.availActions.set(env.getAvailActions(), t * n * A);
      batch.filled[t] = 1;
      if (t === T) break;
      const avail = env.getAvailActions(), act: number[] = [];
      for (let i = 0; i < n; i++) {
        const ok = [...avail.subarray(i * A, (i + 1) * A)].flatMap((v, a) => (v ? [a] : []));
        act.push(ok[rng.int(ok.length)]!);
      }
      batch.actions.set(act, t * n);
      const r = env.step(act);
      batch.reward[t] = r.reward; batch.terminated[t] = r.terminated ? 1 : 0;
      if (r.terminated || r.truncated) { batch.obs.set(env.getObs(), (t + 1) * n * O); batch.state.set(env.getState(), (t + 1) * S); batch.availActions.set(env.getAvailActions(), (t + 1) * n * A); batch.filled[t + 1] = 1; break; }
    }
    const buf = new ReplayBuffer(env, 10, T, { stateLastAction: env.stateLastAction });
    buf.insert(batch);
    const padded = (T + 1) * (4 * n * O + 4 * S + n * A + 4 * n + 4 + 2);
    expect(buf.bytes).toBeLessThan(padded / 3);
    const back = buf.sample(1, new Rng(0));
    const want = emptyBatch(env, 1, back.T);
    copyEpisode(batch, 0, want, 0);
    expectSameEpisode(want, 0, back, 0);
  });
});

describe("ReplayBuffer sampling", () => {
  it("draws distinct episodes, cut to the longest among them, and forgets the oldest when full", () => {
    const buf = new ReplayBuffer(sizes, 6, 8, { stateIsObs: true }), rng = new Rng(3);
    const b = episodes(9, 8, 5);
    // Mark each episode by its first reward, to recognise it after sampling.
    for (let e = 0; e < 9; e++) b.reward[e * 9] = 100 + e;
    buf.insert(b);
    expect([buf.size, buf.cursor]).toEqual([6, 3]);
    const lengths = Array.from({ length: 9 }, (_, e) => b.filled.subarray(e * 9, e * 9 + 9).reduce((x, y) => x + y, 0));
    for (let k = 0; k < 20; k++) {
      const s = buf.sample(4, rng), ids = Array.from({ length: 4 }, (_, i) => s.reward[i * (s.T + 1)]! - 100);
      expect(new Set(ids).size).toBe(4);
      for (const id of ids) expect(id).toBeGreaterThanOrEqual(3); // episodes 0-2 were overwritten
      expect(s.T + 1).toBe(Math.max(2, ...ids.map((id) => lengths[id]!)));
    }
  });
});

describe("ReplayBuffer with stateIsObs", () => {
  it("stores no state and samples exactly what a buffer storing it samples", () => {
    const T = 6, plain = new ReplayBuffer(sizes, 10, T), derived = new ReplayBuffer(sizes, 10, T, { stateIsObs: true });
    for (let round = 0; round < 4; round++) {
      const b = episodes(4, T, round);
      plain.insert(b);
      derived.insert(b);
    }
    expect(derived.bytes).toBeLessThan(plain.bytes * 0.7);
    const r1 = new Rng(7), r2 = new Rng(7);
    for (let k = 0; k < 5; k++) {
      const a = plain.sample(6, r1), d = derived.sample(6, r2);
      for (let i = 0; i < 6; i++) expectSameEpisode(a, i, d, i);
    }
  });

  it("refuses an episode whose state is not its observations, naming the step", () => {
    const T = 5, buf = new ReplayBuffer(sizes, 4, T, { stateIsObs: true }), b = episodes(2, T, 1);
    b.filled.fill(1);
    b.state[(1 * (T + 1) + 2) * 12 + 3]! += 0.5;
    expect(() => buf.insert(b)).toThrow(/stateIsObs.*episode 1, step 2 has state\[3\]/);
    expect(buf.size).toBe(0);
  });

  it("refuses a state size that is not nAgents · obsDim", () => {
    expect(() => new ReplayBuffer({ ...sizes, stateDim: 10 }, 4, 5, { stateIsObs: true })).toThrow(/stateDim = nAgents · obsDim = 12, got stateDim 10/);
  });
});
