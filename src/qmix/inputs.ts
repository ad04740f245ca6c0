// What an agent network sees at each step: its observation ⊕ one-hot of its
// previous action (zeros at t = 0) ⊕ one-hot of its id (pymarl's
// controllers/basic_controller.py _build_inputs: obs_last_action and
// obs_agent_id, each switchable).

import { floats } from "../tensor/pool.ts";

export interface InputOptions {
  /** Append the one-hot previous action. [true, pymarl default.yaml] */
  lastAction: boolean;
  /** Append the one-hot agent id. [true, pymarl default.yaml] */
  agentId: boolean;
}

export function inputDim(obsDim: number, nActions: number, nAgents: number, o: InputOptions): number {
  return obsDim + (o.lastAction ? nActions : 0) + (o.agentId ? nAgents : 0);
}

/**
 * Agent inputs for a whole batch, time-major: out [T+1, B·n, in], where row
 * b·n + i of step t is agent i of episode b. Time-major rows let the
 * recurrence read each step as one contiguous block.
 */
export function buildBatchInputs(
  obs: Float32Array, actions: Int32Array, B: number, T1: number, n: number, O: number, A: number,
  o: InputOptions, out?: Float32Array,
): Float32Array {
  const D = inputDim(O, A, n, o);
  const res = out ?? floats(T1 * B * n * D);
  res.fill(0);
  for (let t = 0; t < T1; t++) {
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n; i++) {
        const row = ((t * B + b) * n + i) * D, src = ((b * T1 + t) * n + i) * O;
        for (let k = 0; k < O; k++) res[row + k] = obs[src + k]!;
        let off = O;
        if (o.lastAction) {
          if (t > 0) res[row + off + actions[(b * T1 + t - 1) * n + i]!] = 1;
          off += A;
        }
        if (o.agentId) res[row + off + i] = 1;
      }
    }
  }
  return res;
}

/** Inputs for one step of acting: obs [R·O] for R = envs·n rows, previous actions [R] (−1 = none). */
export function buildStepInputs(
  obs: Float32Array, prevActions: Int32Array, rows: number, n: number, O: number, A: number, o: InputOptions, out: Float32Array,
): Float32Array {
  const D = inputDim(O, A, n, o);
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const row = r * D;
    for (let k = 0; k < O; k++) out[row + k] = obs[r * O + k]!;
    let off = O;
    if (o.lastAction) {
      const a = prevActions[r]!;
      if (a >= 0) out[row + off + a] = 1;
      off += A;
    }
    if (o.agentId) out[row + off + (r % n)] = 1;
  }
  return out;
}
