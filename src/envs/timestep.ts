// The episode's progress as one more state feature. When episodes end only by
// a time limit and that end is stored as terminal (timeLimitTerminal), the
// value of a state depends on the steps left, which positions and velocities
// do not tell: the mixer, which sees the state and not the agents' memories,
// is then asked to fit targets it cannot tell apart (Pardo et al., "Time
// Limits in Reinforcement Learning", 2018). This wrapper appends t / limit
// (0 at reset, 1 at the last step) to getState(); observations, actions and
// rewards are the wrapped environment's.

import type { MultiAgentEnv, StepResult } from "./env.ts";

export class StateTimestep implements MultiAgentEnv {
  readonly name: string;
  readonly nAgents: number;
  readonly obsDim: number;
  readonly stateDim: number;
  readonly nActions: number;
  readonly episodeLimit: number;
  readonly render?: () => string;
  readonly close?: () => void;
  private t = 0;

  constructor(readonly inner: MultiAgentEnv) {
    this.name = inner.name;
    this.nAgents = inner.nAgents;
    this.obsDim = inner.obsDim;
    this.stateDim = inner.stateDim + 1;
    this.nActions = inner.nActions;
    this.episodeLimit = inner.episodeLimit;
    if (inner.render) this.render = () => inner.render!();
    if (inner.close) this.close = () => inner.close!();
  }

  reset(seed?: number): void {
    this.inner.reset(seed);
    this.t = 0;
  }

  step(actions: ArrayLike<number>): StepResult {
    const r = this.inner.step(actions);
    this.t++;
    return r;
  }

  getObs(): Float32Array {
    return this.inner.getObs();
  }

  /** The wrapped state followed by t / episodeLimit; a fresh array each call, as the buffer may keep it. */
  getState(): Float32Array {
    const out = new Float32Array(this.stateDim);
    out.set(this.inner.getState());
    out[this.stateDim - 1] = this.t / this.episodeLimit;
    return out;
  }

  getAvailActions(): Uint8Array {
    return this.inner.getAvailActions();
  }
}

/**
 * The episode's progress as one more feature of every agent's observation
 * (config obsTimestep). Each agent may read its own clock without breaking
 * decentralised execution, and with time-limit ends stored as terminal its
 * Q-values then tell how many steps are left to collect reward in. When the
 * wrapped environment's state is its observations (stateIsObs, as in the MPE
 * tasks) the state stays the concatenated observations, so the mixer sees the
 * time as well and the replay buffer still stores the observations only.
 */
export class ObsTimestep implements MultiAgentEnv {
  readonly name: string;
  readonly nAgents: number;
  readonly obsDim: number;
  readonly stateDim: number;
  readonly nActions: number;
  readonly episodeLimit: number;
  readonly stateIsObs: boolean;
  readonly render?: () => string;
  readonly close?: () => void;
  private t = 0;

  constructor(readonly inner: MultiAgentEnv) {
    this.name = inner.name;
    this.nAgents = inner.nAgents;
    this.obsDim = inner.obsDim + 1;
    this.stateIsObs = inner.stateIsObs === true;
    this.stateDim = this.stateIsObs ? this.nAgents * this.obsDim : inner.stateDim;
    this.nActions = inner.nActions;
    this.episodeLimit = inner.episodeLimit;
    if (inner.render) this.render = () => inner.render!();
    if (inner.close) this.close = () => inner.close!();
  }

  reset(seed?: number): void {
    this.inner.reset(seed);
    this.t = 0;
  }

  step(actions: ArrayLike<number>): StepResult {
    const r = this.inner.step(actions);
    this.t++;
    return r;
  }

  /** [nAgents · (obsDim + 1)]: each agent's row followed by t / episodeLimit; a fresh array each call. */
  getObs(): Float32Array {
    const inner = this.inner.getObs();
    const d = this.inner.obsDim;
    const out = new Float32Array(this.nAgents * this.obsDim);
    const tau = this.t / this.episodeLimit;
    for (let a = 0; a < this.nAgents; a++) {
      out.set(inner.subarray(a * d, (a + 1) * d), a * this.obsDim);
      out[a * this.obsDim + d] = tau;
    }
    return out;
  }

  /** The new observations when the wrapped state was its observations, else the wrapped state. */
  getState(): Float32Array {
    return this.stateIsObs ? this.getObs() : this.inner.getState();
  }

  getAvailActions(): Uint8Array {
    return this.inner.getAvailActions();
  }
}

/** The wrappers a config asks for (obsTimestep, then stateTimestep), in the order the trainer applies them; eval must apply the same. */
export function wrapTimestep(env: MultiAgentEnv, options: { obsTimestep?: boolean; stateTimestep?: boolean }): MultiAgentEnv {
  let out = env;
  if (options.obsTimestep) out = new ObsTimestep(out);
  if (options.stateTimestep) out = new StateTimestep(out);
  return out;
}
