import { describe, expect, it } from "vitest";
import { type EpisodeBatch, emptyBatch } from "../../src/qmix/batch.ts";
import { ReplayBuffer } from "../../src/qmix/buffer.ts";
import { Rng } from "../../src/tensor/random.ts";

const sizes = { nAgents: 3, obsDim: 4, stateDim: 12, nActions: 5 };

/** Episodes whose state is their observations, with random lengths up to T. */
function episodes(B: number, T: number, seed: number): EpisodeBatch {
  const rng = new Rng(seed), b = emptyBatch(sizes, B, T);
  for (let e = 0; e < B; e++) {
    const len = 1 + rng.int(T);
    for (let t = 0; t <= len; t++) {
      const k = e * (T + 1) + t;
      for (let j = 0; j < 12; j++) b.obs[k * 12 + j] = b.state[k * 12 + j] = rng.uniform() * 2 - 1;
      for (let i = 0; i < 3; i++) b.actions[k * 3 + i] = rng.int(5);
      b.availActions.fill(1, k * 15, (k + 1) * 15);
      b.reward[k] = rng.uniform();
      b.filled[k] = t < len ? 1 : 0;
      b.terminated[k] = t === len - 1 ? 1 : 0;
    }
  }
  return b;
}

describe("ReplayBuffer with stateIsObs", () => {
  it("stores no state and samples exactly what a buffer storing it samples", () => {
    const T = 6, plain = new ReplayBuffer(sizes, 10, T), derived = new ReplayBuffer(sizes, 10, T, { stateIsObs: true });
    expect(derived.store.state.length).toBe(0);
    expect(plain.store.state.length).toBe(10 * (T + 1) * 12);
    for (let round = 0; round < 4; round++) {
      const b = episodes(4, T, round);
      plain.insert(b);
      derived.insert(b);
    }
    const r1 = new Rng(7), r2 = new Rng(7);
    for (let k = 0; k < 5; k++) {
      const a = plain.sample(6, r1), d = derived.sample(6, r2);
      expect(d.T).toBe(a.T);
      expect(d.state.length).toBe(a.state.length);
      expect(Array.from(d.state)).toEqual(Array.from(a.state));
      expect(Array.from(d.obs)).toEqual(Array.from(a.obs));
      expect(Array.from(d.actions)).toEqual(Array.from(a.actions));
      expect(Array.from(d.filled)).toEqual(Array.from(a.filled));
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
