// Random replay batches for learner tests: episodes of different lengths,
// about half ending in a terminal step, some actions unavailable (no-op
// always available), every value from a seeded generator.

import { type EpisodeBatch, emptyBatch } from "../../src/qmix/batch.ts";
import { Rng } from "../../src/tensor/random.ts";

export interface BatchSizes { nAgents: number; obsDim: number; stateDim: number; nActions: number }

export function randomBatch(sizes: BatchSizes, B: number, T: number, seed: number): EpisodeBatch {
  const { nAgents: n, nActions: A } = sizes;
  const rng = new Rng(seed);
  const b = emptyBatch(sizes, B, T);
  for (let k = 0; k < b.obs.length; k++) b.obs[k] = rng.normal();
  for (let k = 0; k < b.state.length; k++) b.state[k] = rng.normal();
  for (let k = 0; k < b.reward.length; k++) b.reward[k] = rng.normal();
  for (let e = 0; e < B; e++) {
    const len = 1 + rng.int(T);
    for (let t = 0; t <= T; t++) {
      const k = e * (T + 1) + t;
      b.filled[k] = t < len ? 1 : 0;
      if (t === len - 1 && rng.uniform() < 0.5) b.terminated[k] = 1;
      for (let i = 0; i < n; i++) {
        const av = (k * n + i) * A;
        for (let a = 0; a < A; a++) b.availActions[av + a] = a === 0 || rng.uniform() < 0.7 ? 1 : 0;
        let a = rng.int(A);
        while (!b.availActions[av + a]) a = rng.int(A);
        b.actions[k * n + i] = a;
      }
    }
  }
  return b;
}
