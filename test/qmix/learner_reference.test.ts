// Our learner against PyTorch (pymarl structure) on every reference case:
// agent Qs, chosen Qs, targets, Q_tot, mask, loss, ∂Q_tot/∂Qᵢ, every
// gradient, the gradient norm and the parameters after one clipped RMSprop step.

import { describe, expect, it } from "vitest";
import { backward, noGrad } from "../../src/autograd/tape.ts";
import type { EpisodeBatch } from "../../src/qmix/batch.ts";
import { buildBatchInputs } from "../../src/qmix/inputs.ts";
import type { QLearner } from "../../src/qmix/learner.ts";
import { nextActionValues } from "../../src/qmix/targets.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import { buildCase, loadCases, refData, relErr } from "./reference.ts";

const cases = loadCases();

describe.each(cases.map((c, k) => [k, c] as const))("PyTorch reference case %i", (_k, c) => {
  const { B, T, n_agents: n, n_actions: A } = { B: c.config.batch, T: c.config.T, n_agents: c.config.n_agents, n_actions: c.config.n_actions };
  const Bn = B * n;

  it("forward: agent Qs, chosen Qs, target values, Q_tot, targets, mask and loss", () => {
    const { learner, batch } = buildCase(c);
    const { stats, forward } = learner.computeLoss(batch);
    const o = c.outputs;
    // agent_qs [B, T+1, n, A] vs ours [T+1, B·n, A]
    const qs = new Float32Array(o.agent_qs.length);
    for (let b = 0; b < B; b++) for (let t = 0; t <= T; t++) for (let i = 0; i < n; i++) for (let a = 0; a < A; a++)
      qs[((b * (T + 1) + t) * n + i) * A + a] = forward.agentQs.data[(t * Bn + b * n + i) * A + a]!;
    expect(relErr(qs, o.agent_qs)).toBeLessThan(1e-5);
    const byBT = (x: Float32Array, cols: number) => {
      const out = new Float32Array(x.length);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let j = 0; j < cols; j++) out[(b * T + t) * cols + j] = x[(t * B + b) * cols + j]!;
      return out;
    };
    expect(relErr(byBT(forward.chosen.data, n), o.chosen_qs)).toBeLessThan(1e-5);
    const targetQs = noGrad(() => learner.targetAgent.unroll(new Tensor(inputsOf(learner, batch), [T + 1, Bn, learner.agent.inputDim])));
    const next = nextActionValues(forward.agentQs.data, targetQs.data, batch.availActions, B, T, n, A, c.config.double_q);
    expect(relErr(byBT(next, n), o.target_max_qs)).toBeLessThan(1e-5);
    const cols = forward.qTot.shape[1]!;
    expect(relErr(byBT(forward.qTot.data, cols), o.q_tot)).toBeLessThan(1e-5);
    expect(relErr(byBT(forward.targets.data, cols), o.targets)).toBeLessThan(1e-5);
    expect(Array.from(byBT(forward.mask, 1))).toEqual(o.mask);
    expect(Math.abs(stats.loss - o.loss) / Math.max(1e-6, Math.abs(o.loss))).toBeLessThan(1e-5);
  });

  it("∂Q_tot/∂Qᵢ matches (≥ 0 for QMIX, 1 for VDN)", () => {
    const { learner, batch, mixer } = buildCase(c);
    const { forward } = learner.computeLoss(batch);
    const q = new Tensor(forward.chosen.data.slice(), forward.chosen.shape).requireGrad();
    const states = new Float32Array(T * B * c.config.state_dim);
    const S = c.config.state_dim;
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) states.set(batch.state.subarray((b * (T + 1) + t) * S, (b * (T + 1) + t + 1) * S), (t * B + b) * S);
    const qTot = mixer!.forward(q, new Tensor(states, [T * B, S]));
    backward(qTot, new Float32Array(qTot.size).fill(1));
    const d = new Float32Array(q.size);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let i = 0; i < n; i++) d[(b * T + t) * n + i] = q.grad![(t * B + b) * n + i]!;
    expect(relErr(d, c.outputs.dqtot_dq)).toBeLessThan(1e-4);
    for (const v of d) expect(v).toBeGreaterThanOrEqual(0);
  });

  it("gradients, gradient norm and parameters after one clipped RMSprop step", () => {
    const { learner, batch } = buildCase(c);
    const stats = learner.train(batch, 1);
    // train() has already stepped; recompute the gradients on a fresh copy for comparison.
    const fresh = buildCase(c);
    const { loss } = fresh.learner.computeLoss(fresh.batch);
    backward(loss);
    const grads = new Map(fresh.learner.namedParameters().map(([k, p]) => [k, p.grad]));
    for (const [name, ref] of Object.entries(c.outputs.grads)) {
      const g = grads.get(name);
      expect(g, `gradient of ${name}`).toBeTruthy();
      expect(relErr(g!, refData(ref)), `gradient of ${name}`).toBeLessThan(1e-4);
    }
    expect(grads.size).toBe(Object.keys(c.outputs.grads).length);
    expect(Math.abs(stats.gradNorm - c.outputs.grad_norm) / c.outputs.grad_norm).toBeLessThan(1e-4);
    const after = new Map(learner.namedParameters());
    for (const [name, ref] of Object.entries(c.outputs.params_after_rmsprop)) {
      expect(relErr(after.get(name)!.data, refData(ref)), `${name} after RMSprop`).toBeLessThan(1e-5);
    }
  });
});

function inputsOf(learner: QLearner, b: EpisodeBatch): Float32Array {
  return buildBatchInputs(b.obs, b.actions, b.B, b.T + 1, b.nAgents, b.obsDim, b.nActions, learner.config.inputs);
}
