// The TD targets (docs/walkthrough.md, equation (7); pymarl's
// learners/q_learner.py and pymarl2's TD(λ) in utils/rl_utils.py), computed on plain arrays: nothing here is
// differentiated (targets are constants in the loss). All arrays are
// time-major: step t of episode b is at t·B + b.

import { floats } from "../tensor/pool.ts";

/** Large negative Q for unavailable actions, as pymarl (−9999999). */
export const UNAVAILABLE_Q = -9999999;

/**
 * mask_t = filled_t · (1 − terminated_{t−1}) for t ≥ 1, filled_0 at t = 0:
 * steps after a terminal step do not count. Inputs are batch-major [B, T+1];
 * the result is time-major [T, B].
 */
export function buildMask(filled: Uint8Array, terminated: Uint8Array, B: number, T: number): Float32Array {
  const mask = floats(T * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const k = b * (T + 1) + t;
      mask[t * B + b] = t === 0 ? filled[k]! : filled[k]! * (1 - terminated[k - 1]!);
    }
  }
  return mask;
}

/**
 * Per agent, the value of the next step's action for the target:
 * double Q: a* = argmax over available actions of the online Qs at t+1, read
 * from the target Qs; otherwise the max of the available target Qs.
 * qOnline, qTarget: [T+1, B·n, A] time-major; avail: [B, T+1, n, A].
 * Returns [T, B·n] for steps t+1 = 1..T.
 */
export function nextActionValues(
  qOnline: Float32Array, qTarget: Float32Array, avail: Uint8Array,
  B: number, T: number, n: number, A: number, doubleQ: boolean,
): Float32Array {
  const out = floats(T * B * n);
  const Bn = B * n;
  for (let t = 1; t <= T; t++) {
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n; i++) {
        const q = (t * Bn + b * n + i) * A, av = ((b * (T + 1) + t) * n + i) * A;
        let best = -Infinity, bestA = 0, bestQ = -Infinity;
        for (let a = 0; a < A; a++) {
          const on = avail[av + a] ? qOnline[q + a]! : UNAVAILABLE_Q;
          const tg = avail[av + a] ? qTarget[q + a]! : UNAVAILABLE_Q;
          if (on > best) { best = on; bestA = a; }
          if (tg > bestQ) bestQ = tg;
        }
        out[(t - 1) * Bn + b * n + i] = doubleQ ? (avail[av + bestA] ? qTarget[q + bestA]! : UNAVAILABLE_Q) : bestQ;
      }
    }
  }
  return out;
}

/** One-step targets y_t = r_t + γ (1 − terminated_t) Q̂_{t+1}. targetNext: [T, B·c] time-major (c = 1 or n). */
export function oneStepTargets(
  reward: Float32Array, terminated: Uint8Array, targetNext: Float32Array, B: number, T: number, c: number, gamma: number,
): Float32Array {
  const y = floats(T * B * c);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const k = b * (T + 1) + t, notDone = 1 - terminated[k]!;
      for (let j = 0; j < c; j++) {
        const o = (t * B + b) * c + j;
        y[o] = reward[k]! + gamma * notDone * targetNext[o]!;
      }
    }
  }
  return y;
}

/**
 * TD(λ) targets, pymarl2's recursion: G_T = Q̂_T · (1 − Σ_t terminated_t), then
 * G_t = λγ G_{t+1} + mask_t (r_t + (1 − λ) γ Q̂_{t+1} (1 − terminated_t)).
 * targetNext[t] is Q̂_{t+1}; mask is [T, B] time-major.
 */
export function lambdaTargets(
  reward: Float32Array, terminated: Uint8Array, mask: Float32Array, targetNext: Float32Array,
  B: number, T: number, c: number, gamma: number, lambda: number,
): Float32Array {
  const y = floats(T * B * c);
  for (let b = 0; b < B; b++) {
    let terms = 0;
    for (let t = 0; t < T; t++) terms += terminated[b * (T + 1) + t]!;
    for (let j = 0; j < c; j++) {
      let g = targetNext[((T - 1) * B + b) * c + j]! * (1 - terms);
      for (let t = T - 1; t >= 0; t--) {
        const k = b * (T + 1) + t, o = (t * B + b) * c + j;
        g = lambda * gamma * g + mask[t * B + b]! * (reward[k]! + (1 - lambda) * gamma * targetNext[o]! * (1 - terminated[k]!));
        y[o] = g;
      }
    }
  }
  return y;
}
