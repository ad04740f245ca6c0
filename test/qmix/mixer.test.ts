// The mixing networks (docs/walkthrough.md, equations (2)–(6)) as properties:
//   - QMIX is monotone: ∂Q_tot/∂Qᵢ ≥ 0 for every row and agent, for random
//     sizes, weights (scaled up so the hypernetworks' outputs take both signs
//     and large values), states and agent Qs, by our autodiff; the float32
//     forward itself is non-decreasing along each Qᵢ, and central finite
//     differences of it agree with the autodiff derivative.
//   - VDN: ∂Q_tot/∂Qᵢ = 1 exactly and Q_tot is the row sum.
//   - The point of monotonicity: over all joint actions, the tuple of
//     per-agent argmaxes maximises Q_tot (and is the argmax when the maximum
//     is unique; for VDN it always is).
//   - Shape errors name the expected and the received shape.
// Mutation checks keep the properties honest: the mixer without |·| on the
// hypernetwork weights must fail the monotonicity and argmax properties, and
// a deliberately wrong ELU backward must fail the finite-difference check.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { abs, add, elu } from "../../src/autograd/elementwise.ts";
import { matmul } from "../../src/autograd/matmul.ts";
import { reshape } from "../../src/autograd/shape.ts";
import { backward, gradOf, noGrad, record } from "../../src/autograd/tape.ts";
import { QMixer, VDNMixer, monotonicMix, monotonicMixComposed } from "../../src/qmix/mixers.ts";
import { GRAD_TOL, arbTensor, gradCheck } from "../util/gradcheck.ts";
import { randNormal, zeros } from "../../src/tensor/create.ts";
import { Rng } from "../../src/tensor/random.ts";
import { ShapeError, Tensor } from "../../src/tensor/tensor.ts";
import { backend, jsBackend, withBackend } from "../../src/tensor/backends/active.ts";

const RUNS = { seed: 0x0051f15e, numRuns: 60 };
/** Secant vs averaged autodiff slope, relative to the slope, beyond the rounding bound (observed ≤ 8e-4 over 3000 probes). */
const SECANT_TOL = 2e-3;

type Forward = (qs: Tensor, states: Tensor) => Tensor;

interface MixCase {
  n: number; S: number; E: number; K: number; layers: 1 | 2;
  mixerSeed: number; weightScale: number;
  R: number; dataSeed: number; qScale: number; sScale: number;
}

const arbMixCase: fc.Arbitrary<MixCase> = fc.record({
  n: fc.integer({ min: 1, max: 6 }),
  S: fc.integer({ min: 1, max: 20 }),
  E: fc.integer({ min: 1, max: 32 }),
  K: fc.integer({ min: 1, max: 64 }),
  layers: fc.constantFrom<1 | 2>(1, 2),
  mixerSeed: fc.nat(),
  weightScale: fc.double({ min: 1, max: 5, noNaN: true }),
  R: fc.integer({ min: 1, max: 8 }),
  dataSeed: fc.nat(),
  qScale: fc.constantFrom(0.1, 1, 10, 1e3, 1e4),
  sScale: fc.constantFrom(0.1, 1, 10),
});

/** A QMixer from a random seed, every parameter multiplied by `weightScale`. */
function makeQMixer(c: Pick<MixCase, "n" | "S" | "E" | "K" | "layers" | "mixerSeed" | "weightScale">): QMixer {
  const m = new QMixer(c.n, c.S, { embedDim: c.E, hypernetEmbed: c.K, hypernetLayers: c.layers }, new Rng(c.mixerSeed));
  for (const p of m.parameters()) for (let k = 0; k < p.size; k++) p.data[k]! *= c.weightScale;
  return m;
}

function sampleInputs(c: MixCase): { qs: Tensor; states: Tensor } {
  const rng = new Rng(c.dataSeed);
  return { qs: randNormal([c.R, c.n], rng, 0, c.qScale), states: randNormal([c.R, c.S], rng, 0, c.sScale) };
}

/** Q_tot and ∂Q_tot/∂Q by the tape; rows are independent, so one backward with ones gives every row's gradient. */
function mixGrad(forward: Forward, qs: Tensor, states: Tensor): { out: Float32Array; grad: Float32Array } {
  const q = new Tensor(qs.data.slice(), qs.shape).requireGrad();
  const out = forward(q, states);
  expect(out.shape).toEqual([qs.shape[0], 1]);
  backward(out, new Float32Array(out.size).fill(1));
  return { out: out.data, grad: q.grad ?? new Float32Array(q.size) };
}

/** The QMixer forward with the |·| on W₁ and W_final removed: not monotone, for the mutation check. */
function unconstrained(m: QMixer): Forward {
  return (qs, states) => {
    const R = qs.shape[0]!, n = m.nAgents, E = m.embedDim;
    const w1 = reshape(m.hyper_w_1.forward(states), [R, n, E]);
    const b1 = reshape(m.hyper_b_1.forward(states), [R, 1, E]);
    const hidden = elu(add(matmul(reshape(qs, [R, 1, n]), w1), b1));
    const wFinal = reshape(m.hyper_w_final.forward(states), [R, E, 1]);
    return reshape(add(matmul(hidden, wFinal), reshape(m.V.forward(states), [R, 1, 1])), [R, 1]);
  };
}

/** QMixer's forward, with a deliberately wrong ELU backward (slope 1 for x ≤ 0 too): a mutant for the finite-difference check. */
function withWrongEluBackward(m: QMixer): Forward {
  const badElu = (x: Tensor): Tensor => {
    const y = noGrad(() => elu(x));
    return record(new Tensor(y.data, x.shape), "elu(mutant)", [x], (g) => {
      const gx = gradOf(x);
      for (let k = 0; k < g.length; k++) gx[k]! += g[k]!;
    });
  };
  return (qs, states) => {
    const R = qs.shape[0]!, n = m.nAgents, E = m.embedDim;
    const w1 = reshape(abs(m.hyper_w_1.forward(states)), [R, n, E]);
    const b1 = reshape(m.hyper_b_1.forward(states), [R, 1, E]);
    const hidden = badElu(add(matmul(reshape(qs, [R, 1, n]), w1), b1));
    const wFinal = reshape(abs(m.hyper_w_final.forward(states)), [R, E, 1]);
    return reshape(add(matmul(hidden, wFinal), reshape(m.V.forward(states), [R, 1, 1])), [R, 1]);
  };
}

function monotoneGradient(forward: Forward, qs: Tensor, states: Tensor): boolean {
  const { grad } = mixGrad(forward, qs, states);
  return grad.every((g) => Number.isFinite(g) && g >= 0);
}

const ulp32 = (x: number): number => 2 ** (Math.floor(Math.log2(Math.max(Math.abs(x), 2 ** -126))) - 23);

/**
 * Central finite difference of the float32 forward along Qᵢ of one row,
 * with a step of about 1e-2·(|Qᵢ| + 1), against the autodiff derivative.
 *
 * The secant (f(c+h) − f(c−h)) / 2h is exactly the mean of f′ over
 * [c − h, c + h]. With a step relative to |Qᵢ| (needed to keep float32
 * rounding small for large Qs) the secant can differ from f′(c) by far more
 * than rounding: ELU's second derivative jumps at 0 and eˣ curves fast, and a
 * hidden unit's pre-activation x moves by h·|W₁|ᵢₑ, which is large for large
 * Qs. So the secant is compared with the autodiff derivative averaged over
 * the same interval: Simpson's rule on N + 1 rows evaluated in one batch. The
 * grid spacing Δ is a power of two that moves every x by at most 0.5
 * (Simpson's error on eˣ is then < 4e-4 relative) and is a multiple of the
 * float32 spacing at the interval's ends, with the centre c = Qᵢ rounded to a
 * multiple of Δ, so every node is exact in float32. f′ is continuous and
 * piecewise smooth, so that average matches the secant to ~1e-3 relative; a
 * wrong backward (a dropped |·| sign, a wrong ELU slope) is off by O(1).
 *
 * Rounding in f is bounded by (n + E + 8)·2⁻²⁴·C, with C the row's magnitude
 * Σₑ |W_final|ₑ (Σⱼ |qⱼ||W₁|ⱼₑ + |b₁|ₑ + 1) + |V| computed from the
 * hypernetworks; `roundoff` is that bound carried through the secant.
 */
function secantCheck(m: QMixer, forward: Forward, qs: Tensor, states: Tensor, r: number, i: number) {
  const n = m.nAgents, E = m.embedDim, S = states.shape[1]!;
  const q0 = qs.data[r * n + i]!;
  const s0 = new Tensor(states.data.slice(r * S, r * S + S), [1, S]);
  const hyper = (sRows: Tensor) => noGrad(() => ({
    w1: m.hyper_w_1.forward(sRows).data, b1: m.hyper_b_1.forward(sRows).data,
    wf: m.hyper_w_final.forward(sRows).data, v: m.V.forward(sRows).data,
  }));
  const { w1, b1, wf, v } = hyper(s0);
  let wMax = 0;
  for (let e = 0; e < E; e++) wMax = Math.max(wMax, Math.abs(w1[i * E + e]!));

  const h0 = 1e-2 * (Math.abs(q0) + 1);
  const N = 2 * Math.min(512, Math.max(8, Math.ceil((2 * h0 * wMax) / 0.5 / 2)));
  let delta = 2 ** Math.floor(Math.log2(Math.min((2 * h0) / N, wMax > 0 ? 0.5 / wMax : Infinity)));
  while (delta < ulp32(Math.abs(q0) + N * delta)) delta *= 2;
  const c0 = Math.round(q0 / delta) * delta;
  const x = (k: number) => c0 + (k - N / 2) * delta;

  const rows = new Float32Array((N + 1) * n), st = new Float32Array((N + 1) * S);
  for (let k = 0; k <= N; k++) {
    rows.set(qs.data.subarray(r * n, r * n + n), k * n);
    rows[k * n + i] = x(k);
    st.set(s0.data, k * S);
  }
  for (let k = 0; k <= N; k++) expect(rows[k * n + i]).toBe(x(k)); // nodes exact in float32
  const { out, grad } = mixGrad(forward, new Tensor(rows, [N + 1, n]), new Tensor(st, [N + 1, S]));
  let nonDecreasing = true, integral = 0;
  for (let k = 0; k <= N; k++) {
    if (k < N && out[k + 1]! < out[k]!) nonDecreasing = false;
    integral += (k === 0 || k === N ? 1 : k % 2 === 1 ? 4 : 2) * grad[k * n + i]!;
  }
  const width = N * delta;
  const secant = (out[N]! - out[0]!) / width, average = (integral * delta) / 3 / width;

  let C = 0;
  for (const k of [0, N]) {
    let mag = Math.abs(v[0]!);
    for (let e = 0; e < E; e++) {
      let pre = Math.abs(b1[e]!) + 1;
      for (let j = 0; j < n; j++) pre += Math.abs(rows[k * n + j]!) * Math.abs(w1[j * E + e]!);
      mag += Math.abs(wf[e]!) * pre;
    }
    C = Math.max(C, mag);
  }
  const roundoff = (2 * (n + E + 8) * 2 ** -24 * C) / width;
  return { secant, average, roundoff, nonDecreasing, pointGrad: grad[(N / 2) * n + i]! };
}

describe("QMixer monotonicity", () => {
  it("∂Q_tot/∂Qᵢ ≥ 0 for every row and agent (autodiff), random sizes, weights, states and Qs", () => {
    fc.assert(fc.property(arbMixCase, (c) => {
      const m = makeQMixer(c);
      const { qs, states } = sampleInputs(c);
      return monotoneGradient((a, b) => m.forward(a, b), qs, states);
    }), RUNS);
  });

  it("the same property rejects a mixer without |·| on the hypernetwork weights (mutation check)", () => {
    const res = fc.check(fc.property(arbMixCase, (c) => {
      const m = makeQMixer(c);
      const { qs, states } = sampleInputs(c);
      return monotoneGradient(unconstrained(m), qs, states);
    }), RUNS);
    expect(res.failed).toBe(true);
  });

  it("the float32 forward is non-decreasing in each Qᵢ and its central differences match the autodiff derivative", () => {
    let probes = 0, informative = 0;
    fc.assert(fc.property(arbMixCase, fc.nat(), (c, pick) => {
      const m = makeQMixer(c);
      const { qs, states } = sampleInputs(c);
      const rng = new Rng(pick);
      for (let probe = 0; probe < 3; probe++) {
        const r = rng.int(c.R), i = rng.int(c.n);
        const { secant, average, roundoff, nonDecreasing, pointGrad } = secantCheck(m, (a, b) => m.forward(a, b), qs, states, r, i);
        expect(nonDecreasing).toBe(true);
        expect(pointGrad).toBeGreaterThanOrEqual(0);
        expect(secant).toBeGreaterThanOrEqual(-roundoff);
        expect(Math.abs(secant - average)).toBeLessThanOrEqual(SECANT_TOL * Math.abs(average) + roundoff);
        probes++;
        if (roundoff < 0.05 * average) informative++;
      }
    }), { ...RUNS, numRuns: 40 });
    // Not vacuous: most probes have a slope well above the rounding bound
    // (the rest sit where every hidden unit of that agent is saturated).
    expect(informative / probes).toBeGreaterThan(0.5);
  });

  it("the central-difference check rejects a wrong backward (ELU slope taken as 1 everywhere; mutation check)", () => {
    const res = fc.check(fc.property(arbMixCase, fc.nat(), (c, pick) => {
      const m = makeQMixer(c);
      const { qs, states } = sampleInputs(c);
      const rng = new Rng(pick);
      const r = rng.int(c.R), i = rng.int(c.n);
      const { secant, average, roundoff } = secantCheck(m, withWrongEluBackward(m), qs, states, r, i);
      return Math.abs(secant - average) <= SECANT_TOL * Math.abs(average) + roundoff;
    }), RUNS);
    expect(res.failed).toBe(true);
  });
});

describe("VDNMixer", () => {
  it("∂Q_tot/∂Qᵢ = 1 exactly and Q_tot is the row sum", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 16 }), fc.nat(), fc.constantFrom(0.1, 1, 1e3, 1e6),
      (n, R, seed, scale) => {
        const rng = new Rng(seed);
        const qs = randNormal([R, n], rng, 0, scale);
        const m = new VDNMixer(n);
        const { out, grad } = mixGrad((a, b) => m.forward(a, b), qs, zeros([R, 3]));
        expect(Array.from(grad)).toEqual(new Array(R * n).fill(1));
        for (let r = 0; r < R; r++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += qs.data[r * n + i]!;
          expect(out[r]).toBe(Math.fround(s));
        }
        expect(m.numParameters()).toBe(0);
      },
    ), RUNS);
  });
});

interface ArgmaxCase {
  n: number; A: number; S: number; E: number; K: number; layers: 1 | 2;
  mixerSeed: number; weightScale: number; R: number; dataSeed: number; qScale: number;
}

const arbArgmaxCase: fc.Arbitrary<ArgmaxCase> = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  A: fc.integer({ min: 2, max: 4 }),
  S: fc.integer({ min: 1, max: 10 }),
  E: fc.integer({ min: 1, max: 32 }),
  K: fc.integer({ min: 1, max: 32 }),
  layers: fc.constantFrom<1 | 2>(1, 2),
  mixerSeed: fc.nat(),
  weightScale: fc.double({ min: 1, max: 5, noNaN: true }),
  R: fc.integer({ min: 1, max: 4 }),
  dataSeed: fc.nat(),
  qScale: fc.constantFrom(0.1, 1, 10),
});

interface JointResult {
  /** The first joint action with the largest Q_tot. */
  joint: number[];
  /** The per-agent argmaxes. */
  greedy: number[];
  /** Q_tot of the greedy tuple and the largest Q_tot. */
  greedyValue: number;
  max: number;
  /** Whether the largest Q_tot is attained by one joint action only. */
  unique: boolean;
}

/** For each row: Q_tot of every joint action (agent 0's action most significant) against the per-agent argmaxes. */
function jointVsGreedy(mix: Forward, c: ArgmaxCase): JointResult[] {
  const { n, A, R, S } = c;
  const rng = new Rng(c.dataSeed);
  const tables = randNormal([R, n, A], rng, 0, c.qScale).data; // per-agent Q tables
  const states = randNormal([R, S], rng).data;
  const J = A ** n;
  const qs = new Float32Array(R * J * n), st = new Float32Array(R * J * S);
  const decode = (j: number) => Array.from({ length: n }, (_, i) => Math.floor(j / A ** (n - 1 - i)) % A);
  const encode = (u: number[]) => u.reduce((j, a) => j * A + a, 0);
  for (let r = 0; r < R; r++) {
    for (let j = 0; j < J; j++) {
      const u = decode(j);
      for (let i = 0; i < n; i++) qs[(r * J + j) * n + i] = tables[(r * n + i) * A + u[i]!]!;
      st.set(states.subarray(r * S, r * S + S), (r * J + j) * S);
    }
  }
  const out = noGrad(() => mix(new Tensor(qs, [R * J, n]), new Tensor(st, [R * J, S]))).data;
  const res: JointResult[] = [];
  for (let r = 0; r < R; r++) {
    let best = 0;
    for (let j = 1; j < J; j++) if (out[r * J + j]! > out[r * J + best]!) best = j;
    const max = out[r * J + best]!;
    let ties = 0;
    for (let j = 0; j < J; j++) if (out[r * J + j] === max) ties++;
    const greedy = Array.from({ length: n }, (_, i) => {
      let a = 0;
      for (let b = 1; b < A; b++) if (tables[(r * n + i) * A + b]! > tables[(r * n + i) * A + a]!) a = b;
      return a;
    });
    res.push({ joint: decode(best), greedy, greedyValue: out[r * J + encode(greedy)]!, max, unique: ties === 1 });
  }
  return res;
}

describe("joint greedy action = per-agent greedy actions", () => {
  // ∂Q_tot/∂Qᵢ ≥ 0 allows 0 (every hidden unit saturated for that agent), so
  // Q_tot can be flat in an agent's Q and other joint actions can tie with the
  // greedy one. The exact statement: the greedy tuple attains the maximum of
  // Q_tot, and it is the argmax whenever the maximum is unique. Per-agent Qs
  // are continuous random values, so the per-agent argmaxes have no ties.
  it("QMIX: the tuple of per-agent argmaxes maximises Q_tot over all joint actions (and is the argmax when it is unique)", () => {
    let rows = 0, unique = 0;
    fc.assert(fc.property(arbArgmaxCase, (c) => {
      const m = makeQMixer(c);
      for (const r of jointVsGreedy((a, b) => m.forward(a, b), c)) {
        expect(r.greedyValue).toBe(r.max);
        if (r.unique) expect(r.joint).toEqual(r.greedy);
        rows++;
        if (r.unique) unique++;
      }
    }), RUNS);
    // Not vacuous: most rows have a strict maximum.
    expect(unique / rows).toBeGreaterThan(0.8);
  });

  it("VDN: the per-agent argmaxes are the unique joint argmax", () => {
    fc.assert(fc.property(arbArgmaxCase, (c) => {
      const m = new VDNMixer(c.n);
      for (const r of jointVsGreedy((a, b) => m.forward(a, b), c)) {
        expect(r.unique).toBe(true);
        expect(r.joint).toEqual(r.greedy);
      }
    }), RUNS);
  });

  it("the unconstrained mixer (no |·|) breaks it, so the property can fail", () => {
    const res = fc.check(fc.property(arbArgmaxCase, (c) => {
      const m = makeQMixer(c);
      return jointVsGreedy(unconstrained(m), c).every((r) => r.greedyValue === r.max);
    }), RUNS);
    expect(res.failed).toBe(true);
  });
});

describe("mixer shape errors name the expected and received shapes", () => {
  const m = new QMixer(3, 5, { embedDim: 4, hypernetEmbed: 6 });
  const states = zeros([4, 5]);

  it("QMixer: wrong number of agents", () => {
    expect(() => m.forward(zeros([4, 2]), states)).toThrow(ShapeError);
    expect(() => m.forward(zeros([4, 2]), states)).toThrow(/\[rows, 3\].*got \[4, 2\]/);
    expect(() => m.forward(zeros([4, 4]), states)).toThrow(/\[rows, 3\].*got \[4, 4\]/);
    expect(() => m.forward(zeros([12]), states)).toThrow(/\[rows, 3\].*got \[12\]/);
  });

  it("QMixer: states rows do not match the agent Qs' rows", () => {
    expect(() => m.forward(zeros([4, 3]), zeros([5, 5]))).toThrow(ShapeError);
    expect(() => m.forward(zeros([4, 3]), zeros([5, 5]))).toThrow(/\[4, 5\].*got \[5, 5\]/);
    expect(() => m.forward(zeros([4, 3]), zeros([1, 5]))).toThrow(/\[4, 5\].*got \[1, 5\]/);
  });

  it("QMixer: wrong stateDim", () => {
    expect(() => m.forward(zeros([4, 3]), zeros([4, 6]))).toThrow(ShapeError);
    expect(() => m.forward(zeros([4, 3]), zeros([4, 6]))).toThrow(/\[4, 5\].*got \[4, 6\]/);
    expect(() => m.forward(zeros([4, 3]), zeros([20]))).toThrow(/\[4, 5\].*got \[20\]/);
  });

  it("VDNMixer: wrong number of agents", () => {
    const v = new VDNMixer(3);
    expect(() => v.forward(zeros([4, 2]))).toThrow(ShapeError);
    expect(() => v.forward(zeros([4, 2]))).toThrow(/\[rows, 3\].*got \[4, 2\]/);
  });

  it("QMixer: hypernetLayers other than 1 or 2", () => {
    expect(() => new QMixer(2, 3, { hypernetLayers: 3 as unknown as 1 })).toThrow(/hypernetLayers must be 1 or 2, got 3/);
  });

  it("a correct call returns [rows, 1]", () => {
    expect(m.forward(zeros([4, 3]), states).shape).toEqual([4, 1]);
  });
});

// The mixing network runs as one fused op (monotonicMix); it must equal the
// composition of generic ops pymarl writes, forward and backward, and its
// backward must match finite differences on its own.
describe("monotonicMix: the fused mixing op", () => {
  // E of whole f32x4 vectors (4, 8, 12, 32) takes the wasm kernels under the wasm backend.
  const arbE = fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constantFrom(8, 12, 32));
  const arbMix = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), arbE)
    .chain(([R, n, E]) => fc.tuple(fc.constant([R, n, E] as const),
      arbTensor([R, n]), arbTensor([R, n * E], { awayFrom: [0] }), arbTensor([R, E]), arbTensor([R, E], { awayFrom: [0] }), arbTensor([R, 1])));

  it("backward matches finite differences w.r.t. every input", () => {
    // ELU's second derivative jumps at 0, which central differences see as an
    // O(step) error: b₁ (|b₁| ≥ 1.5, both signs) keeps each hidden unit on
    // one side, as |q·|W₁|| ≤ n·0.25 ≤ 1 with q, W₁ in [−0.5, 0.5].
    const small = { min: -0.5, max: 0.5 };
    const arb = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), arbE)
      .chain(([R, n, E]) => fc.tuple(fc.constant([n, E] as const),
        arbTensor([R, n], small), arbTensor([R, n * E], { ...small, awayFrom: [0] }), arbTensor([R, E], { min: 1.5, max: 3 }),
        arbTensor([R, E], { awayFrom: [0] }), arbTensor([R, 1])));
    fc.assert(fc.property(arb, ([[n, E], q, w1, b1, wf, v]) => {
      b1.data.forEach((x, k) => { b1.data[k] = k % 2 ? -x : x; });
      expect(gradCheck((a, b, c, d, e) => monotonicMix(a, b, c, d, e, n, E), [q, w1, b1, wf, v])).toBeLessThan(GRAD_TOL);
    }), { seed: 17, numRuns: 60 });
  });

  it("equals pymarl's composition of reshape, abs, bmm, add and elu, values and gradients", () => {
    fc.assert(fc.property(arbMix, ([[, n, E], q, w1, b1, wf, v]) => {
      const inputs = [q, w1, b1, wf, v];
      const run = (f: typeof monotonicMix) => {
        for (const t of inputs) { t.requiresGrad = true; t.grad = null; }
        const y = f(q, w1, b1, wf, v, n, E);
        backward(y, new Float32Array(y.size).map((_, k) => 1 + 0.25 * k));
        return { y: y.data.slice(), grads: inputs.map((t) => t.grad!.slice()) };
      };
      const a = run(monotonicMix), b = run(monotonicMixComposed);
      for (let k = 0; k < a.y.length; k++) expect(Math.abs(a.y[k]! - b.y[k]!)).toBeLessThan(1e-5 * (1 + Math.abs(b.y[k]!)));
      a.grads.forEach((g, j) => { for (let k = 0; k < g.length; k++) expect(Math.abs(g[k]! - b.grads[j]![k]!)).toBeLessThan(1e-5 * (1 + Math.abs(b.grads[j]![k]!))); });
    }), { seed: 18, numRuns: 60 });
  });

  // The wasm kernels (f32x4, float32 sums, a Taylor series for expm1 near 0)
  // against the JS loops (float64 sums, Math.expm1), at the QMIX shapes, with
  // hidden pre-activations spread over [−12, 4] and many within 1e-3 of 0.
  it.runIf(backend() !== jsBackend)("the wasm kernels equal the JS loops at the QMIX shapes, values and gradients", () => {
    const R = 800, n = 3, E = 32, rng = new Rng(5);
    const t = (len: number, lo: number, hi: number, cols: number) =>
      new Tensor(Float32Array.from({ length: len }, () => rng.uniform(lo, hi)), [len / cols, cols]);
    const q = t(R * n, -4, 1, n), w1 = t(R * n * E, -0.5, 0.5, n * E), wf = t(R * E, -1, 1, E), v = t(R, -1, 1, 1);
    const b1 = t(R * E, -6, 2, E);
    for (let k = 0; k < R * E; k += 3) b1.data[k] = rng.uniform(-1e-3, 1e-3); // units near ELU's kink
    const inputs = [q, w1, b1, wf, v];
    const run = () => {
      for (const x of inputs) { x.requiresGrad = true; x.grad = null; }
      const y = monotonicMix(q, w1, b1, wf, v, n, E);
      backward(y, new Float32Array(R).map((_, k) => Math.sin(k)));
      return { y: y.data.slice(), grads: inputs.map((x) => x.grad!.slice()) };
    };
    const wasm = run();
    const js = withBackend(jsBackend, run);
    const close = (a: Float32Array, b: Float32Array) => {
      let scale = 0, diff = 0;
      for (let k = 0; k < a.length; k++) { scale = Math.max(scale, Math.abs(b[k]!)); diff = Math.max(diff, Math.abs(a[k]! - b[k]!)); }
      expect(diff).toBeLessThan(2e-6 * scale);
    };
    close(wasm.y, js.y);
    wasm.grads.forEach((g, j) => close(g, js.grads[j]!));
  });

  it("propagates a NaN agent Q to Q_tot and keeps the other rows finite", () => {
    const R = 3, n = 2, E = 8, rng = new Rng(6);
    const t = (rows: number, cols: number) => new Tensor(Float32Array.from({ length: rows * cols }, () => rng.uniform(-1, 1)), [rows, cols]);
    const q = t(R, n);
    q.data[2] = NaN; // row 1, agent 0
    const y = monotonicMix(q, t(R, n * E), t(R, E), t(R, E), t(R, 1), n, E);
    expect(Number.isFinite(y.data[0]!)).toBe(true);
    expect(y.data[1]).toBeNaN();
    expect(Number.isFinite(y.data[2]!)).toBe(true);
  });

  it("names the operand with the wrong shape", () => {
    const t = (r: number, c: number) => zeros([r, c]);
    expect(() => monotonicMix(t(4, 3), t(4, 3 * 5), t(4, 5), t(4, 4), t(4, 1), 3, 5)).toThrow(/W_final must be \[4, 5\], got \[4, 4\]/);
  });
});
