// The episode's progress t / episodeLimit (0 at reset, 1 at the last step) as
// one more input feature. When episodes end only by a time limit and that end
// is stored as terminal (timeLimitTerminal), the value of a state depends on
// the steps left, which positions and velocities do not tell (Pardo et al.,
// "Time Limits in Reinforcement Learning", 2018). StateTimestep gives the
// clock to the mixer's state, ObsTimestep to every agent's observation;
// actions, rewards and available actions are the wrapped environment's.

import type { Decisions, MultiAgentEnv, StepResult } from "./env.ts";

/** Passes everything through to the wrapped environment and counts the steps since reset. */
abstract class ClockWrapper implements MultiAgentEnv {
  readonly name: string;
  readonly nAgents: number;
  abstract readonly obsDim: number;
  abstract readonly stateDim: number;
  readonly nActions: number;
  readonly episodeLimit: number;
  readonly render?: (decisions?: Decisions) => string;
  readonly close?: () => void;
  /** The wrapped state's last actions stay where they were: a clock is only ever appended. */
  readonly stateLastAction?: number;
  protected t = 0;

  constructor(readonly inner: MultiAgentEnv) {
    this.name = inner.name;
    if (inner.stateLastAction !== undefined && inner.stateIsObs !== true) this.stateLastAction = inner.stateLastAction;
    this.nAgents = inner.nAgents;
    this.nActions = inner.nActions;
    this.episodeLimit = inner.episodeLimit;
    if (inner.render) this.render = (decisions) => inner.render!(decisions);
    if (inner.close) this.close = () => inner.close!();
  }

  /** The episode's progress now. */
  protected get progress(): number {
    return this.t / this.episodeLimit;
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

  abstract getObs(): Float32Array;
  abstract getState(): Float32Array;

  getAvailActions(): Uint8Array {
    return this.inner.getAvailActions();
  }
}

/**
 * The clock as the state's last feature (config stateTimestep): only the
 * mixer, which sees the state and not the agents' memories, gets it, so the
 * agents stay as they were.
 */
export class StateTimestep extends ClockWrapper {
  readonly obsDim: number;
  readonly stateDim: number;

  constructor(inner: MultiAgentEnv) {
    super(inner);
    this.obsDim = inner.obsDim;
    this.stateDim = inner.stateDim + 1;
  }

  getObs(): Float32Array {
    return this.inner.getObs();
  }

  /** The wrapped state followed by t / episodeLimit; a fresh array each call, as the buffer may keep it. */
  getState(): Float32Array {
    const out = new Float32Array(this.stateDim);
    out.set(this.inner.getState());
    out[this.stateDim - 1] = this.progress;
    return out;
  }
}

/**
 * The clock as the last feature of every agent's observation (config
 * obsTimestep). Each agent may read its own clock without breaking
 * decentralised execution, and with time-limit ends stored as terminal its
 * Q-values then tell how many steps are left to collect reward in. When the
 * wrapped environment's state is its observations (stateIsObs, as in the MPE
 * tasks) the state stays the concatenated observations, so the mixer sees the
 * time as well and the replay buffer still stores the observations only.
 */
export class ObsTimestep extends ClockWrapper {
  readonly obsDim: number;
  readonly stateDim: number;
  readonly stateIsObs: boolean;

  constructor(inner: MultiAgentEnv) {
    super(inner);
    this.obsDim = inner.obsDim + 1;
    this.stateIsObs = inner.stateIsObs === true;
    this.stateDim = this.stateIsObs ? this.nAgents * this.obsDim : inner.stateDim;
  }

  /** [nAgents · (obsDim + 1)]: each agent's row followed by t / episodeLimit; a fresh array each call. */
  getObs(): Float32Array {
    const inner = this.inner.getObs();
    const d = this.inner.obsDim;
    const out = new Float32Array(this.nAgents * this.obsDim);
    for (let a = 0; a < this.nAgents; a++) {
      out.set(inner.subarray(a * d, (a + 1) * d), a * this.obsDim);
      out[a * this.obsDim + d] = this.progress;
    }
    return out;
  }

  /** The new observations when the wrapped state was its observations, else the wrapped state. */
  getState(): Float32Array {
    return this.stateIsObs ? this.getObs() : this.inner.getState();
  }
}

/** The wrappers a config asks for (obsTimestep, then stateTimestep), in the order the trainer applies them; eval must apply the same. */
export function wrapTimestep(env: MultiAgentEnv, options: { obsTimestep?: boolean; stateTimestep?: boolean }): MultiAgentEnv {
  let out = env;
  if (options.obsTimestep) out = new ObsTimestep(out);
  if (options.stateTimestep) out = new StateTimestep(out);
  return out;
}
