// docs/walkthrough.md checked numerically: one test per equation of the
// QMIX page (agi-brain/xuance, docs/source/documents/algorithms/marl/
// qmix.md), each named after its equation, and
// the walkthrough script (examples/walkthrough.ts) run end to end.
//   (1) the joint argmax of Q_tot is the tuple of per-agent argmaxes, by
//       exhaustive search over small action sets;
//   (2) VDN's ∂Q_tot/∂Qᵢ = 1 exactly;
//   (3) QMIX's ∂Q_tot/∂Qᵢ ≥ 0, a fast-check property;
//   (4) Q_tot by hand from the hypernetworks' outputs equals the mixer's forward;
//   (5) the closed form of ∂Q_tot/∂Q from W₁, W₂, B₁ equals autodiff;
//   (6) the mixer fits a monotonic function and cannot fit the non-monotonic 3×3 game;
//   (7) the TD loss recomputed from the target networks equals the learner's.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sub } from "../../src/autograd/elementwise.ts";
import { matmul } from "../../src/autograd/matmul.ts";
import { concat } from "../../src/autograd/shape.ts";
import { backward, noGrad } from "../../src/autograd/tape.ts";
import { makeEnv } from "../../src/envs/index.ts";
import { maskedMeanSquare } from "../../src/nn/loss.ts";
import { Adam } from "../../src/nn/optim.ts";
import { buildBatchInputs, inputDim } from "../../src/qmix/inputs.ts";
import { type LearnerConfig, QLearner } from "../../src/qmix/learner.ts";
import { type Mixer, QMixer, VDNMixer } from "../../src/qmix/mixers.ts";
import { mixByHand, mixerGradients, mixingWeights, qTotGradient } from "../../src/qmix/monotonicity.ts";
import { buildNetworks } from "../../src/qmix/networks.ts";
import { randNormal, randUniform } from "../../src/tensor/create.ts";
import { Rng } from "../../src/tensor/random.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import { walkthrough } from "../../examples/walkthrough.ts";
import { randomBatch } from "../util/batches.ts";

const RUNS = { seed: 0x2118, numRuns: 40 };
const softplus = (x: number) => Math.log1p(Math.exp(x));

const arbMixer = fc.record({
  n: fc.integer({ min: 1, max: 4 }),
  S: fc.integer({ min: 1, max: 8 }),
  E: fc.constantFrom(1, 3, 8, 32),
  layers: fc.constantFrom<1 | 2>(1, 2),
  seed: fc.nat(),
});

function qmixer(c: { n: number; S: number; E: number; layers: 1 | 2; seed: number }): QMixer {
  return new QMixer(c.n, c.S, { embedDim: c.E, hypernetEmbed: 16, hypernetLayers: c.layers }, new Rng(c.seed));
}

/** Q_tot of each row and ∂Q_tot/∂Q by the tape (rows are independent, so one backward with ones gives every row's gradient). */
function autodiff(mixer: Mixer, qs: Tensor, states: Tensor): { qTot: Float32Array; grad: Float32Array } {
  const q = new Tensor(qs.data.slice(), qs.shape).requireGrad();
  const out = mixer.forward(q, states);
  backward(out, new Float32Array(out.size).fill(1));
  return { qTot: out.data, grad: q.grad ?? new Float32Array(q.size) };
}

/** Every joint action of n agents with A actions each, as rows of action indices. */
function joints(n: number, A: number): number[][] {
  let out: number[][] = [[]];
  for (let i = 0; i < n; i++) out = out.flatMap((j) => Array.from({ length: A }, (_, a) => [...j, a]));
  return out;
}

describe("QMIX from the paper to the code (docs/walkthrough.md)", () => {
  it("equation (1): the joint argmax of Q_tot equals the per-agent argmaxes (exhaustive over small action sets)", () => {
    fc.assert(fc.property(arbMixer, fc.integer({ min: 2, max: 4 }), fc.nat(), fc.boolean(), (c, A, seed, vdn) => {
      const mixer: Mixer = vdn ? new VDNMixer(c.n) : qmixer(c);
      const rng = new Rng(seed);
      const agentQs = randNormal([c.n, A], rng, 0, 3).data; // Qᵢ(τⁱ, u) for one step
      const state = randNormal([1, c.S], rng).data;
      const all = joints(c.n, A);
      const qs = new Float32Array(all.length * c.n), st = new Float32Array(all.length * c.S);
      all.forEach((u, k) => { u.forEach((a, i) => (qs[k * c.n + i] = agentQs[i * A + a]!)); st.set(state, k * c.S); });
      const qTot = noGrad(() => mixer.forward(new Tensor(qs, [all.length, c.n]), new Tensor(st, [all.length, c.S]))).data;
      const perAgent = Array.from({ length: c.n }, (_, i) => {
        let best = 0;
        for (let a = 1; a < A; a++) if (agentQs[i * A + a]! > agentQs[i * A + best]!) best = a;
        return best;
      });
      const kGreedy = all.findIndex((u) => u.every((a, i) => a === perAgent[i]));
      const top = Math.max(...qTot);
      // Monotonic, not strictly: the per-agent tuple reaches the maximum (up to float32 rounding).
      expect(qTot[kGreedy]!).toBeGreaterThanOrEqual(top - 1e-5 * Math.max(1, Math.abs(top)));
    }), RUNS);
  });

  it("equation (2): VDN's ∂Q_tot/∂Q_i = 1 exactly", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 10 }), fc.nat(), (n, R, seed) => {
      const rng = new Rng(seed);
      const { grad } = autodiff(new VDNMixer(n), randNormal([R, n], rng, 0, 100), randNormal([R, 1], rng));
      expect(Array.from(grad)).toEqual(new Array(R * n).fill(1));
    }), RUNS);
  });

  it("equation (3): QMIX's ∂Q_tot/∂Q_i ≥ 0 for every agent, state and Q (property)", () => {
    fc.assert(fc.property(arbMixer, fc.integer({ min: 1, max: 8 }), fc.nat(), fc.constantFrom(0.1, 1, 10, 100), (c, R, seed, scale) => {
      const rng = new Rng(seed);
      const { grad } = autodiff(qmixer(c), randNormal([R, c.n], rng, 0, scale), randNormal([R, c.S], rng, 0, scale));
      for (const g of grad) expect(g).toBeGreaterThanOrEqual(0);
    }), RUNS);
  });

  it("equation (4): Q_tot = W₂ᵀ ELU(W₁ᵀQ + B₁) + B₂ by hand from the hypernetworks' outputs equals the mixer's forward", () => {
    fc.assert(fc.property(arbMixer, fc.nat(), (c, seed) => {
      const rng = new Rng(seed), mixer = qmixer(c);
      const qs = randNormal([1, c.n], rng, 0, 3), state = randNormal([1, c.S], rng);
      const forward = noGrad(() => mixer.forward(qs, state)).data[0]!;
      const byHand = mixByHand(mixingWeights(mixer, state.data), qs.data);
      expect(Math.abs(byHand - forward)).toBeLessThan(1e-5 * (1 + Math.abs(forward)));
    }), RUNS);
  });

  it("equation (5): ∂Q_tot/∂Q in closed form from W₁, W₂ and B₁ equals autodiff, every entry ≥ 0", () => {
    fc.assert(fc.property(arbMixer, fc.integer({ min: 1, max: 6 }), fc.nat(), (c, R, seed) => {
      const rng = new Rng(seed), mixer = qmixer(c);
      const qs = randNormal([R, c.n], rng, 0, 3), states = randNormal([R, c.S], rng);
      const { grad } = autodiff(mixer, qs, states);
      const closed = mixerGradients(mixer, qs.data, states.data);
      for (let k = 0; k < grad.length; k++) {
        expect(closed[k]!).toBeGreaterThanOrEqual(0);
        expect(Math.abs(closed[k]! - grad[k]!)).toBeLessThan(1e-5 * (1 + Math.abs(closed[k]!)));
      }
      // One row by qTotGradient directly: the same numbers.
      const w = mixingWeights(mixer, states.data.subarray(0, c.S));
      expect(Array.from(qTotGradient(w, qs.data.subarray(0, c.n)))).toEqual(Array.from(closed.subarray(0, c.n)));
    }), RUNS);
  });

  describe("equation (6): non-negative mixing weights approximate monotonic functions, and only those", () => {
    /** Adam on the mean squared error of Q_tot against `target`; the agents' Qs come from `qs()` (fixed points, or per-agent utilities learned alongside). */
    function fit(mixer: QMixer, qs: () => Tensor, extra: Array<[string, Tensor]>, target: Float32Array, steps: number): number {
      const R = target.length, state = new Tensor(new Float32Array(R).fill(1), [R, 1]);
      const opt = new Adam([...mixer.namedParameters("mixer."), ...extra], 3e-2);
      const y = new Tensor(target, [R, 1]), ones = new Tensor(new Float32Array(R).fill(1), [R, 1]);
      let loss = Infinity;
      for (let s = 0; s < steps; s++) {
        opt.zeroGrad();
        const l = maskedMeanSquare(sub(mixer.forward(qs(), state), y), ones);
        loss = l.item();
        backward(l);
        opt.step();
      }
      return loss;
    }

    // One hidden layer of ELUs under non-negative weights: Q_tot is a sum of
    // convex non-decreasing functions of W₁ᵀQ + B₁, so the target is one too
    // (softplus along the directions (1, 0) and (1, 1)); see docs/walkthrough.md.
    it("fits f(q₁, q₂) = softplus(3q₁) + softplus(2(q₁ + q₂)) + q₂/2, non-decreasing in both, to a mean squared error below 1e-3", () => {
      const rng = new Rng(6), R = 200;
      const qs = randUniform([R, 2], rng, -1, 1);
      const target = new Float32Array(R);
      for (let r = 0; r < R; r++) {
        const q1 = qs.data[2 * r]!, q2 = qs.data[2 * r + 1]!;
        target[r] = softplus(3 * q1) + softplus(2 * (q1 + q2)) + q2 / 2;
      }
      let variance = 0;
      const m = target.reduce((a, b) => a + b, 0) / R;
      for (const v of target) variance += (v - m) ** 2 / R;
      const mse = fit(new QMixer(2, 1, { embedDim: 32, hypernetLayers: 1 }, new Rng(1)), () => qs, [], target, 1500);
      expect(variance).toBeGreaterThan(0.5);
      expect(mse).toBeLessThan(1e-3);
    });

    it("cannot fit the non-monotonic 3×3 game's payoff, whatever per-agent utilities it is given", () => {
      const env = makeEnv("nonmonotonic_3x3", {});
      const all = joints(2, 3);
      const payoff = new Float32Array(all.map((u) => { env.reset(); return env.step(u).reward; }));
      expect(Array.from(payoff)).toEqual([8, -12, -12, -12, 0, 0, -12, 0, 0]);
      // Q₁(u¹) and Q₂(u²) are free parameters, trained with the mixer: Q_tot(u) = mix(Q₁(u¹), Q₂(u²)).
      const rng = new Rng(2);
      const q1 = randNormal([3, 1], rng).requireGrad(), q2 = randNormal([3, 1], rng).requireGrad();
      const pick = (i: 0 | 1) => new Tensor(new Float32Array(all.flatMap((u) => [0, 1, 2].map((a) => +(u[i] === a)))), [9, 3]);
      const p1 = pick(0), p2 = pick(1);
      const mse = fit(new QMixer(2, 1, { embedDim: 16, hypernetLayers: 1 }, new Rng(1)), () => concat([matmul(p1, q1), matmul(p2, q2)], 1),
        [["q1", q1], ["q2", q2]], payoff, 1500);
      // Any function non-decreasing in Q₁ and Q₂ misfits one of the 2×2 blocks
      // [[8, −12], [−12, 0]] (rows 0 and r, columns 0 and c) by a squared
      // error of at least 96, a mean of 96/9 ≈ 10.7 over the nine cells.
      expect(mse).toBeGreaterThan(96 / 9 - 1e-3);
    });
  });

  it("equation (7): the TD loss recomputed from the target networks equals the learner's", () => {
    const n = 3, O = 4, S = 5, A = 3, B = 4, T = 6, gamma = 0.9;
    const inputs = { lastAction: true, agentId: true };
    const D = inputDim(O, A, n, inputs);
    for (const doubleQ of [false, true]) {
      const { agent, mixer } = buildNetworks({ agent: "rnn", inputDim: D, hidden: 8, nActions: A, mixer: "qmix", nAgents: n, stateDim: S, embedDim: 8, hypernetEmbed: 8, hypernetLayers: 2 }, new Rng(3));
      const config: LearnerConfig = {
        nAgents: n, nActions: A, obsDim: O, stateDim: S, inputs, gamma, doubleQ, gradNormClip: 10, optimizer: "rmsprop", lr: 5e-4,
        optimAlpha: 0.99, optimEps: 1e-5, targetUpdateInterval: 200, targetTau: 0, tdLambda: 0, halfLoss: false,
      };
      const learner = new QLearner(agent, mixer, config);
      // Move the online networks away from the targets (θ ≠ θ⁻), as after some updates.
      const rng = new Rng(4);
      for (const [, p] of learner.namedParameters()) for (let k = 0; k < p.size; k++) p.data[k]! += 0.3 * rng.normal();
      const batch = randomBatch({ nAgents: n, obsDim: O, stateDim: S, nActions: A }, B, T, 5);
      const { stats } = noGrad(() => learner.computeLoss(batch));

      // By hand, time-major rows t·B + b as the learner, from its online and target networks.
      const T1 = T + 1, x = new Tensor(buildBatchInputs(batch.obs, batch.actions, B, T1, n, O, A, inputs), [T1, B * n, D]);
      const online = noGrad(() => learner.agent.unroll(x)).data, target = noGrad(() => learner.targetAgent.unroll(x)).data;
      const Q = (qs: Float32Array, t: number, b: number, i: number, a: number) => qs[((t * B + b) * n + i) * A + a]!;
      const avail = (t: number, b: number, i: number, a: number) => batch.availActions[((b * T1 + t) * n + i) * A + a] === 1;
      const stateAt = (t: number, b: number) => batch.state.subarray((b * T1 + t) * S, (b * T1 + t + 1) * S);
      const mixOne = (m: Mixer, qs: number[], s: Float32Array) => noGrad(() => m.forward(new Tensor(Float32Array.from(qs), [1, n]), new Tensor(s, [1, S]))).data[0]!;
      let sum = 0, count = 0;
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const k = b * T1 + t;
          if (!batch.filled[k] || (t > 0 && batch.terminated[k - 1])) continue; // the mask
          const chosen = Array.from({ length: n }, (_, i) => Q(online, t, b, i, batch.actions[k * n + i]!));
          const qTot = mixOne(learner.mixer!, chosen, stateAt(t, b));
          // max_u' Q_tot(τ', u', s'; θ⁻), agent by agent as (1) allows.
          const next = Array.from({ length: n }, (_, i) => {
            let best = -1;
            for (let a = 0; a < A; a++) {
              if (!avail(t + 1, b, i, a)) continue;
              const by = doubleQ ? online : target;
              if (best < 0 || Q(by, t + 1, b, i, a) > Q(by, t + 1, b, i, best)) best = a;
            }
            return Q(target, t + 1, b, i, best);
          });
          const y = batch.reward[k]! + gamma * (1 - batch.terminated[k]!) * mixOne(learner.targetMixer!, next, stateAt(t + 1, b));
          sum += (y - qTot) ** 2;
          count++;
        }
      }
      expect(count).toBeGreaterThan(0);
      expect(Math.abs(stats.loss - sum / count)).toBeLessThan(1e-5 * (1 + sum / count));
    }
  });

  it("examples/walkthrough.ts trains the two-step game and prints Qs, W₁, W₂, Q_tot and ∂Q_tot/∂Q_i ≥ 0 for state 2B", () => {
    const text = walkthrough("2B");
    expect(text).toMatch(/last greedy return 8\b/);
    for (const label of ["agents' Qs", "W₁ = |hyper_w_1(s)|", "W₂ = |hyper_w_final(s)|", "B₁", "B₂", "∂Q_tot/∂Q"]) expect(text).toContain(label);
    const rows = [...text.matchAll(/u = \((\d), (\d)\).*Q_tot (-?[\d.]+) \(by hand (-?[\d.]+)\)\s+∂Q_tot\/∂Q = \[\s*([-\d. ]+)\]/g)];
    expect(rows).toHaveLength(4);
    for (const r of rows) {
      expect(r[3]).toBe(r[4]); // the mixer and the hand computation agree to the printed digits
      for (const g of r[5]!.trim().split(/\s+/).map(Number)) expect(g).toBeGreaterThanOrEqual(0);
    }
    const q11 = Number(rows.find((r) => r[1] === "1" && r[2] === "1")![3]);
    expect(Math.abs(q11 - 8)).toBeLessThan(0.5); // the paper's 8 in state 2B
    expect(text).toContain("per-agent argmax (1, 1)");
  });
});
