// The TD targets (docs/walkthrough.md, equation (7)) (src/qmix/targets.ts), on plain arrays:
//   buildMask         — mask_t = filled_t·(1 − terminated_{t−1}), pymarl's rule;
//   nextActionValues  — double Q (online argmax among available actions, read
//                       from the target Qs) and plain max over available target Qs;
//   oneStepTargets    — y_t = r_t + γ(1 − terminated_t)Q̂_{t+1};
//   lambdaTargets     — pymarl2's TD(λ) recursion, against a float64
//                       re-implementation, and its λ = 0 and λ = 1 limits.
// Layouts: inputs batch-major [B, T+1] (avail [B, T+1, n, A]); Qs
// [T+1, B·n, A] time-major; masks and outputs [T, B·c] time-major.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UNAVAILABLE_Q, buildMask, lambdaTargets, nextActionValues, oneStepTargets } from "../../src/qmix/targets.ts";
import { Rng } from "../../src/tensor/random.ts";

const RUNS = { seed: 0x7a26e7, numRuns: 100 };

/** Index of step t of episode b in a batch-major [B, T+1] array. */
const bt = (b: number, t: number, T: number) => b * (T + 1) + t;

/** Time-major [T, B] → per-episode rows, for readable expectations. */
function byEpisode(x: Float32Array, B: number, T: number): number[][] {
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => x[t * B + b]!));
}

interface Episodes {
  B: number; T: number;
  filled: Uint8Array; terminated: Uint8Array;
  /** Per episode: transitions taken and whether the last one was terminal. */
  lengths: number[]; terminal: boolean[];
}

/**
 * Episodes as the runner stores them: episode b takes L_b transitions
 * (filled for t = 0..L_b, the last observation included); a terminal one has
 * terminated_{L_b − 1} = 1, a non-terminal one runs the full T.
 */
function arbEpisodes(maxB = 4, maxT = 8, allowTerminal = true): fc.Arbitrary<Episodes> {
  return fc.record({ B: fc.integer({ min: 1, max: maxB }), T: fc.integer({ min: 1, max: maxT }) }).chain(({ B, T }) =>
    fc.array(fc.tuple(fc.integer({ min: 1, max: T }), allowTerminal ? fc.boolean() : fc.constant(false)), { minLength: B, maxLength: B })
      .map((eps) => {
        const filled = new Uint8Array(B * (T + 1)), terminated = new Uint8Array(B * (T + 1));
        const lengths: number[] = [], terminal: boolean[] = [];
        eps.forEach(([len, term], b) => {
          const L = term ? len : T;
          for (let t = 0; t <= L; t++) filled[bt(b, t, T)] = 1;
          if (term) terminated[bt(b, L - 1, T)] = 1;
          lengths.push(L);
          terminal.push(term);
        });
        return { B, T, filled, terminated, lengths, terminal };
      }));
}

/** Any 0/1 filled and terminated arrays, not necessarily a well-formed episode. */
const arbAnyFlags = fc.record({ B: fc.integer({ min: 1, max: 4 }), T: fc.integer({ min: 1, max: 8 }) }).chain(({ B, T }) =>
  fc.tuple(
    fc.array(fc.integer({ min: 0, max: 1 }), { minLength: B * (T + 1), maxLength: B * (T + 1) }),
    fc.array(fc.integer({ min: 0, max: 1 }), { minLength: B * (T + 1), maxLength: B * (T + 1) }),
  ).map(([f, d]) => ({ B, T, filled: Uint8Array.from(f), terminated: Uint8Array.from(d) })));

function randomFloats(size: number, rng: Rng, scale = 1): Float32Array {
  const out = new Float32Array(size);
  for (let k = 0; k < size; k++) out[k] = rng.normal(0, scale);
  return out;
}

describe("buildMask", () => {
  it("termination mid-episode and padding", () => {
    const B = 3, T = 5;
    const filled = new Uint8Array(B * (T + 1)), terminated = new Uint8Array(B * (T + 1));
    // Episode 0: the full T transitions, not terminal (a time-limit end).
    for (let t = 0; t <= T; t++) filled[bt(0, t, T)] = 1;
    // Episode 1: terminal at step 2; the final observation is stored at step 3; padding after.
    for (let t = 0; t <= 3; t++) filled[bt(1, t, T)] = 1;
    terminated[bt(1, 2, T)] = 1;
    // Episode 2: terminal at its first step.
    for (let t = 0; t <= 1; t++) filled[bt(2, t, T)] = 1;
    terminated[bt(2, 0, T)] = 1;
    const mask = buildMask(filled, terminated, B, T);
    expect(mask.length).toBe(T * B);
    expect(byEpisode(mask, B, T)).toEqual([
      [1, 1, 1, 1, 1],
      [1, 1, 1, 0, 0], // step 3 follows the terminal step: it holds an observation but no transition
      [1, 0, 0, 0, 0],
    ]);
  });

  it("is time-major [T, B]: step t of episode b at t·B + b", () => {
    const B = 2, T = 3;
    const filled = new Uint8Array(B * (T + 1)), terminated = new Uint8Array(B * (T + 1));
    filled[bt(1, 2, T)] = 1; // only episode 1, step 2
    expect(Array.from(buildMask(filled, terminated, B, T))).toEqual([0, 0, 0, 0, 0, 1]);
  });

  it("equals pymarl's mask = filled[:, :-1]; mask[:, 1:] *= 1 − terminated[:, :-1] for any flags", () => {
    fc.assert(fc.property(arbAnyFlags, ({ B, T, filled, terminated }) => {
      const mask = buildMask(filled, terminated, B, T);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const want = filled[bt(b, t, T)]! * (t === 0 ? 1 : 1 - terminated[bt(b, t - 1, T)]!);
          expect(mask[t * B + b]).toBe(want);
        }
      }
    }), RUNS);
  });

  it("on well-formed episodes, counts exactly the L transitions of each episode", () => {
    fc.assert(fc.property(arbEpisodes(), ({ B, T, filled, terminated, lengths }) => {
      const mask = byEpisode(buildMask(filled, terminated, B, T), B, T);
      mask.forEach((row, b) => expect(row).toEqual(Array.from({ length: T }, (_, t) => (t < lengths[b]! ? 1 : 0))));
    }), RUNS);
  });
});

/** Layout helpers for nextActionValues: Qs [T+1, B·n, A] time-major, avail [B, T+1, n, A]. */
const qIdx = (t: number, b: number, i: number, a: number, B: number, n: number, A: number) => ((t * B + b) * n + i) * A + a;
const avIdx = (b: number, t: number, i: number, a: number, T: number, n: number, A: number) => ((b * (T + 1) + t) * n + i) * A + a;

describe("nextActionValues", () => {
  it("a worked example: double Q reads the target Q at the online argmax over available actions; otherwise the max of available target Qs", () => {
    const B = 1, T = 1, n = 2, A = 3;
    const qOnline = new Float32Array((T + 1) * B * n * A), qTarget = new Float32Array((T + 1) * B * n * A);
    const avail = new Uint8Array(B * (T + 1) * n * A).fill(1);
    // Agent 0 at t = 1: action 1 has the largest online and target Q but is unavailable.
    qOnline.set([5, 9, 1], qIdx(1, 0, 0, 0, B, n, A));
    qTarget.set([2, 100, 7], qIdx(1, 0, 0, 0, B, n, A));
    avail[avIdx(0, 1, 0, 1, T, n, A)] = 0;
    // Agent 1 at t = 1: all available; online prefers 2, the target prefers 0.
    qOnline.set([1, 2, 3], qIdx(1, 0, 1, 0, B, n, A));
    qTarget.set([40, 20, 30], qIdx(1, 0, 1, 0, B, n, A));
    expect(Array.from(nextActionValues(qOnline, qTarget, avail, B, T, n, A, true))).toEqual([2, 30]);
    expect(Array.from(nextActionValues(qOnline, qTarget, avail, B, T, n, A, false))).toEqual([7, 40]);
  });

  it("no available action (a padded step) gives UNAVAILABLE_Q, as pymarl's −9999999", () => {
    const B = 1, T = 1, n = 1, A = 2;
    const q = Float32Array.of(0, 0, 3, 4);
    const avail = new Uint8Array(4); // nothing available anywhere
    expect(Array.from(nextActionValues(q, q, avail, B, T, n, A, true))).toEqual([UNAVAILABLE_Q]);
    expect(Array.from(nextActionValues(q, q, avail, B, T, n, A, false))).toEqual([UNAVAILABLE_Q]);
  });

  const arbQCase = fc.record({
    B: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 1, max: 4 }),
    A: fc.integer({ min: 1, max: 6 }), seed: fc.nat(), doubleQ: fc.boolean(),
  });

  it("matches a direct computation; an unavailable action is never chosen, even when its Qs are the largest", () => {
    fc.assert(fc.property(arbQCase, ({ B, T, n, A, seed, doubleQ }) => {
      const rng = new Rng(seed);
      const size = (T + 1) * B * n * A;
      const qOnline = randomFloats(size, rng, 3), qTarget = randomFloats(size, rng, 3);
      const avail = new Uint8Array(B * (T + 1) * n * A);
      for (let b = 0; b < B; b++) for (let t = 0; t <= T; t++) for (let i = 0; i < n; i++) {
        const some = rng.int(A); // at least one available action
        for (let a = 0; a < A; a++) {
          const on = a === some || rng.next() < 0.5;
          avail[avIdx(b, t, i, a, T, n, A)] = on ? 1 : 0;
          // Unavailable actions get the largest Qs, online and target: a bug that ignores avail picks them.
          if (!on) { qOnline[qIdx(t, b, i, a, B, n, A)] = 1e6 + a; qTarget[qIdx(t, b, i, a, B, n, A)] = 2e6 + a; }
        }
      }
      const got = nextActionValues(qOnline, qTarget, avail, B, T, n, A, doubleQ);
      expect(got.length).toBe(T * B * n);
      for (let t = 1; t <= T; t++) for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) {
        let aStar = -1, maxTarget = -Infinity;
        for (let a = 0; a < A; a++) {
          if (!avail[avIdx(b, t, i, a, T, n, A)]) continue;
          if (aStar < 0 || qOnline[qIdx(t, b, i, a, B, n, A)]! > qOnline[qIdx(t, b, i, aStar, B, n, A)]!) aStar = a;
          maxTarget = Math.max(maxTarget, qTarget[qIdx(t, b, i, a, B, n, A)]!);
        }
        const want = doubleQ ? qTarget[qIdx(t, b, i, aStar, B, n, A)]! : maxTarget;
        const v = got[(t - 1) * B * n + b * n + i]!;
        expect(v).toBe(want);
        expect(v).toBeLessThan(1e6); // never an unavailable action's value
      }
    }), RUNS);
  });

  it("reads steps 1..T only: the Qs and availabilities of step 0 do not matter", () => {
    fc.assert(fc.property(arbQCase, ({ B, T, n, A, seed, doubleQ }) => {
      const rng = new Rng(seed);
      const size = (T + 1) * B * n * A;
      const qOnline = randomFloats(size, rng), qTarget = randomFloats(size, rng);
      const avail = new Uint8Array(B * (T + 1) * n * A).fill(1);
      const before = nextActionValues(qOnline, qTarget, avail, B, T, n, A, doubleQ);
      const block = B * n * A;
      qOnline.fill(1e9, 0, block);
      qTarget.fill(-1e9, 0, block);
      for (let b = 0; b < B; b++) avail.fill(0, avIdx(b, 0, 0, 0, T, n, A), avIdx(b, 1, 0, 0, T, n, A));
      expect(nextActionValues(qOnline, qTarget, avail, B, T, n, A, doubleQ)).toEqual(before);
    }), RUNS);
  });
});

describe("oneStepTargets", () => {
  it("terminated ⇒ no bootstrap: y = r exactly; otherwise r + γQ̂", () => {
    const B = 2, T = 3, c = 1, gamma = 0.9;
    const reward = new Float32Array(B * (T + 1)), terminated = new Uint8Array(B * (T + 1));
    for (let b = 0; b < B; b++) for (let t = 0; t <= T; t++) reward[bt(b, t, T)] = 10 * b + t + 1;
    terminated[bt(0, 1, T)] = 1;
    const next = Float32Array.from({ length: T * B }, (_, k) => 100 + k); // time-major [T, B]
    const y = byEpisode(oneStepTargets(reward, terminated, next, B, T, c, gamma), B, T);
    const f = Math.fround;
    expect(y[0]).toEqual([f(1 + 0.9 * 100), 2, f(3 + 0.9 * 104)]);
    expect(y[1]).toEqual([f(11 + 0.9 * 101), f(12 + 0.9 * 103), f(13 + 0.9 * 105)]);
  });

  it("per column (c = n for IQL): y = r + γ(1 − terminated)Q̂ for every agent, with a huge Q̂ after termination ignored", () => {
    fc.assert(fc.property(arbEpisodes(), fc.integer({ min: 1, max: 4 }), fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }),
      ({ B, T, terminated }, c, seed, gamma) => {
        const rng = new Rng(seed);
        const reward = randomFloats(B * (T + 1), rng), next = randomFloats(T * B * c, rng, 5);
        for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) if (terminated[bt(b, t, T)]) next.fill(UNAVAILABLE_Q, (t * B + b) * c, (t * B + b + 1) * c);
        const y = oneStepTargets(reward, terminated, next, B, T, c, gamma);
        for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < c; j++) {
          const o = (t * B + b) * c + j, k = bt(b, t, T);
          expect(y[o]).toBe(terminated[k] ? reward[k]! : Math.fround(reward[k]! + gamma * next[o]!));
        }
      }), RUNS);
  });
});

/**
 * pymarl2's build_td_lambda_targets, transcribed in float64 on its own
 * arrays (ret has T + 1 entries per episode and column):
 *   ret[T] = Q̂_T·(1 − Σ_{t<T} terminated_t)
 *   ret[t] = λγ·ret[t+1] + mask_t·(r_t + (1 − λ)γ·Q̂_{t+1}·(1 − terminated_t))
 * with Q̂_{t+1} = targetNext[t].
 */
function pymarl2Lambda(
  reward: Float32Array, terminated: Uint8Array, mask: Float32Array, targetNext: Float32Array,
  B: number, T: number, c: number, gamma: number, lambda: number,
): Float64Array {
  const out = new Float64Array(T * B * c);
  const qHat = (b: number, t: number, j: number) => targetNext[((t - 1) * B + b) * c + j]!; // Q̂_t, t = 1..T
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < c; j++) {
      const ret = new Float64Array(T + 1);
      let terms = 0;
      for (let t = 0; t < T; t++) terms += terminated[bt(b, t, T)]!;
      ret[T] = qHat(b, T, j) * (1 - terms);
      for (let t = T - 1; t >= 0; t--) {
        ret[t] = lambda * gamma * ret[t + 1]!
          + mask[t * B + b]! * (reward[bt(b, t, T)]! + (1 - lambda) * gamma * qHat(b, t + 1, j) * (1 - terminated[bt(b, t, T)]!));
      }
      for (let t = 0; t < T; t++) out[(t * B + b) * c + j] = ret[t]!;
    }
  }
  return out;
}

/** Storing a float64 value as float32: relative error ≤ 2⁻²⁴ (2⁻²³ allows for the operation order), absolute ≤ 2⁻¹⁴⁹ for subnormals. */
const F32_ROUNDING = 2 ** -23;

describe("lambdaTargets", () => {
  const arbLambdaCase = fc.record({
    c: fc.integer({ min: 1, max: 3 }), seed: fc.nat(),
    gamma: fc.double({ min: 0, max: 1, noNaN: true }), lambda: fc.double({ min: 0, max: 1, noNaN: true }),
  });

  function inputs(B: number, T: number, c: number, seed: number) {
    const rng = new Rng(seed);
    return { reward: randomFloats(B * (T + 1), rng), next: randomFloats(T * B * c, rng, 4) };
  }

  it("matches a float64 transcription of pymarl2's recursion (well-formed episodes)", () => {
    fc.assert(fc.property(arbEpisodes(4, 10), arbLambdaCase, ({ B, T, filled, terminated }, { c, seed, gamma, lambda }) => {
      const { reward, next } = inputs(B, T, c, seed);
      const mask = buildMask(filled, terminated, B, T);
      const got = lambdaTargets(reward, terminated, mask, next, B, T, c, gamma, lambda);
      const want = pymarl2Lambda(reward, terminated, mask, next, B, T, c, gamma, lambda);
      for (let k = 0; k < want.length; k++) expect(Math.abs(got[k]! - want[k]!)).toBeLessThanOrEqual(F32_ROUNDING * Math.abs(want[k]!) + 2 ** -149);
    }), RUNS);
  });

  it("matches it on arbitrary flags too (several terminal steps, holes in filled)", () => {
    fc.assert(fc.property(arbAnyFlags, arbLambdaCase, ({ B, T, filled, terminated }, { c, seed, gamma, lambda }) => {
      const { reward, next } = inputs(B, T, c, seed);
      const mask = buildMask(filled, terminated, B, T);
      const got = lambdaTargets(reward, terminated, mask, next, B, T, c, gamma, lambda);
      const want = pymarl2Lambda(reward, terminated, mask, next, B, T, c, gamma, lambda);
      for (let k = 0; k < want.length; k++) expect(Math.abs(got[k]! - want[k]!)).toBeLessThanOrEqual(F32_ROUNDING * Math.abs(want[k]!) + 2 ** -149);
    }), RUNS);
  });

  it("λ = 0: G_t = mask_t·(r_t + γQ̂_{t+1}(1 − terminated_t)) = mask_t·y_t exactly, for any flags", () => {
    fc.assert(fc.property(arbAnyFlags, arbLambdaCase, ({ B, T, filled, terminated }, { c, seed, gamma }) => {
      const { reward, next } = inputs(B, T, c, seed);
      const mask = buildMask(filled, terminated, B, T);
      const g = lambdaTargets(reward, terminated, mask, next, B, T, c, gamma, 0);
      const y = oneStepTargets(reward, terminated, next, B, T, c, gamma);
      for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < c; j++) {
        const o = (t * B + b) * c + j;
        expect(g[o]! + 0).toBe(mask[t * B + b] ? y[o] : 0); // + 0: −0 counts as 0
      }
    }), RUNS);
  });

  it("λ = 0 with no termination and no padding equals oneStepTargets exactly", () => {
    fc.assert(fc.property(arbEpisodes(4, 10, false), arbLambdaCase, ({ B, T, filled, terminated }, { c, seed, gamma }) => {
      const { reward, next } = inputs(B, T, c, seed);
      const mask = buildMask(filled, terminated, B, T);
      expect(mask.every((m) => m === 1)).toBe(true);
      expect(lambdaTargets(reward, terminated, mask, next, B, T, c, gamma, 0))
        .toEqual(oneStepTargets(reward, terminated, next, B, T, c, gamma));
    }), RUNS);
  });

  it("λ = 1: the Monte Carlo return — rewards to the end, plus γ^{T−t}Q̂_T only when the episode did not terminate", () => {
    fc.assert(fc.property(arbEpisodes(4, 10), arbLambdaCase, ({ B, T, filled, terminated, lengths, terminal }, { c, seed, gamma }) => {
      const { reward, next } = inputs(B, T, c, seed);
      const mask = buildMask(filled, terminated, B, T);
      const g = lambdaTargets(reward, terminated, mask, next, B, T, c, gamma, 1);
      for (let b = 0; b < B; b++) for (let j = 0; j < c; j++) for (let t = 0; t < T; t++) {
        const L = lengths[b]!;
        let want = 0;
        if (t < L) {
          for (let k = t; k < L; k++) want += gamma ** (k - t) * reward[bt(b, k, T)]!;
          if (!terminal[b]) want += gamma ** (T - t) * next[((T - 1) * B + b) * c + j]!;
        }
        const got = g[(t * B + b) * c + j]!;
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want)));
      }
    }), RUNS);
  });

  it("after a terminal step nothing leaks back: Q̂ of post-terminal (padded) steps does not change any target", () => {
    fc.assert(fc.property(arbEpisodes(4, 10), arbLambdaCase, ({ B, T, filled, terminated, lengths, terminal }, { c, seed, gamma, lambda }) => {
      const { reward, next } = inputs(B, T, c, seed);
      const mask = buildMask(filled, terminated, B, T);
      const before = lambdaTargets(reward, terminated, mask, next, B, T, c, gamma, lambda);
      // Replace Q̂_{t+1} for every t ≥ L − 1 of terminal episodes by the padding value.
      for (let b = 0; b < B; b++) {
        if (!terminal[b]) continue;
        for (let t = lengths[b]! - 1; t < T; t++) next.fill(UNAVAILABLE_Q, (t * B + b) * c, (t * B + b + 1) * c);
      }
      const after = lambdaTargets(reward, terminated, mask, next, B, T, c, gamma, lambda);
      const plus0 = (x: Float32Array) => Array.from(x, (v) => v + 0); // −0 counts as 0
      expect(plus0(after)).toEqual(plus0(before));
      // And the masked-out steps of terminal episodes carry 0.
      for (let b = 0; b < B; b++) for (let t = lengths[b]!; t < T; t++) for (let j = 0; j < c; j++) expect(after[(t * B + b) * c + j]! + 0).toBe(0);
    }), RUNS);
  });
});
