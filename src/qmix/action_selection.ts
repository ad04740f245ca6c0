// ε-greedy per agent over available actions (pymarl's
// components/action_selectors.py, EpsilonGreedyActionSelector): with probability ε a uniform random
// available action, otherwise the greedy one among the available.

import type { Rng } from "../tensor/random.ts";

/**
 * x(t) = max(end, start − (start − end)·t/anneal) for start ≥ end, pymarl's
 * linear schedule (ε, and the learning rate's decay); `end` when anneal is 0.
 */
export function linearSchedule(tEnv: number, start: number, end: number, annealSteps: number): number {
  if (annealSteps <= 0) return end;
  return Math.max(end, start - ((start - end) * tEnv) / annealSteps);
}

/** ε(t): the linear schedule from epsilonStart to epsilonFinish. */
export const epsilonAt = linearSchedule;

/**
 * Picks one action per row. q and avail are [rows, A] row-major. Rows whose
 * `active` flag is 0 (finished episodes in a parallel batch) get action 0.
 */
export function selectActions(
  q: Float32Array, avail: Uint8Array, rows: number, A: number, epsilon: number, rng: Rng, out: Int32Array, active?: Uint8Array,
  agentsPerEnv = 1,
): Int32Array {
  for (let r = 0; r < rows; r++) {
    if (active && !active[Math.floor(r / agentsPerEnv)]) { out[r] = 0; continue; }
    const o = r * A;
    let count = 0, best = -Infinity, bestA = -1;
    for (let a = 0; a < A; a++) {
      if (!avail[o + a]) continue;
      count++;
      const v = q[o + a]!;
      if (v > best || bestA < 0) { best = v; bestA = a; }
    }
    if (count === 0) throw new Error(`selectActions: row ${r} (agent ${r % agentsPerEnv}) has no available action`);
    if (Number.isNaN(best)) throw new Error(`selectActions: row ${r} has a NaN Q value`);
    if (epsilon > 0 && rng.next() < epsilon) {
      let k = rng.int(count);
      for (let a = 0; a < A; a++) {
        if (avail[o + a] && k-- === 0) { bestA = a; break; }
      }
    }
    out[r] = bestA;
  }
  return out;
}
