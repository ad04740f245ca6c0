// The learned Q_tot for every joint action of a small game's states, the
// table the QMIX paper prints (Table 1). Agent Qs come from one step of the
// agent network on the state's observations (zero hidden state, no previous
// action), then every joint action is mixed with the state.

import { noGrad } from "../autograd/tape.ts";
import { jointActions, type NamedState } from "../envs/states.ts";
import { zeros } from "../tensor/create.ts";
import { Tensor } from "../tensor/tensor.ts";
import { buildStepInputs } from "../qmix/inputs.ts";
import type { QLearner } from "../qmix/learner.ts";

export type NestedNumbers = number | NestedNumbers[];

export interface QTotTable {
  name: string;
  /** Nested by agent: qtot[a1][a2]… (rows: agent 1's action). */
  qtot: NestedNumbers;
  /** Each agent's own Qs, [n][A]. */
  agentQs: number[][];
}

export function qtotTables(learner: QLearner, states: NamedState[]): QTotTable[] {
  const { nAgents: n, nActions: A, obsDim: O, inputs } = learner.config;
  return noGrad(() => states.map((s) => {
    const x = buildStepInputs(s.obs, new Int32Array(n).fill(-1), n, n, O, A, inputs, new Float32Array(n * learner.agent.inputDim));
    const h = zeros([n, Math.max(learner.agent.hiddenDim, 1)]);
    const q = learner.agent.step(new Tensor(x, [n, learner.agent.inputDim]), h).q.data;
    const joints = jointActions(n, A);
    const qs = new Float32Array(joints.length * n);
    joints.forEach((ja, k) => ja.forEach((a, i) => (qs[k * n + i] = q[i * A + a]!)));
    let tot: Float32Array;
    if (learner.mixer) {
      const S = learner.config.stateDim;
      const st = new Float32Array(joints.length * S);
      for (let k = 0; k < joints.length; k++) st.set(s.state, k * S);
      tot = learner.mixer.forward(new Tensor(qs, [joints.length, n]), new Tensor(st, [joints.length, S])).data;
    } else {
      // Independent learners have no Q_tot; the sum of their Qs stands in.
      tot = new Float32Array(joints.length);
      for (let k = 0; k < joints.length; k++) for (let i = 0; i < n; i++) tot[k]! += qs[k * n + i]!;
    }
    const agentQs = Array.from({ length: n }, (_, i) => Array.from(q.subarray(i * A, (i + 1) * A)));
    return { name: s.name, qtot: nest(Array.from(tot), n, A), agentQs };
  }));
}

function nest(flat: number[], n: number, A: number): NestedNumbers {
  if (n === 1) return flat;
  const size = flat.length / A;
  return Array.from({ length: A }, (_, a) => nest(flat.slice(a * size, (a + 1) * size), n - 1, A));
}

/** The greedy joint return of a table row-set is not computed here: run a greedy evaluation instead. */
export function formatTable(t: QTotTable, digits = 2): string {
  const rows = Array.isArray(t.qtot) ? t.qtot : [t.qtot];
  const lines = rows.map((r) => (Array.isArray(r) ? r.map((v) => fmtNum(v, digits)).join("  ") : fmtNum(r, digits)));
  return `state ${t.name}:\n  ${lines.join("\n  ")}`;
}

function fmtNum(v: NestedNumbers, digits: number): string {
  return typeof v === "number" ? v.toFixed(digits).padStart(7) : JSON.stringify(v);
}
