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
