// The environment interface, pymarl's (envs/multiagentenv.py) and SMAC's. Arrays are
// plain typed arrays so the core stays free of the tensor engine here and an
// environment costs nothing to write.

export interface StepResult {
  /** The team reward (for per-agent rewards, their mean). */
  reward: number;
  /** A true end of the episode: the target does not bootstrap past it. */
  terminated: boolean;
  /** The step limit was hit: not terminal, the target bootstraps. */
  truncated: boolean;
  info?: Record<string, number | boolean | string>;
}

export interface MultiAgentEnv {
  readonly name: string;
  readonly nAgents: number;
  readonly obsDim: number;
  readonly stateDim: number;
  readonly nActions: number;
  readonly episodeLimit: number;
  /** Start a new episode; a seed re-seeds the environment's generator. */
  reset(seed?: number): void;
  /** One joint action, one integer per agent. */
  step(actions: ArrayLike<number>): StepResult;
  /** Observations, [nAgents * obsDim] row-major. */
  getObs(): Float32Array;
  /** Global state, [stateDim]. */
  getState(): Float32Array;
  /**
   * True when getState() is always exactly getObs() (stateDim = nAgents ·
   * obsDim), as in the MPE tasks: the replay buffer then stores the
   * observations once and rebuilds the state from them when it samples.
   * Checked on every stored step; a mismatch is an error.
   */
  readonly stateIsObs?: boolean;
  /**
   * Where getState() holds the last joint action, one-hot (nAgents ×
   * nActions values from this index; zeros before the first step), as SMAC's
   * state does: the replay buffer then rebuilds that part from the actions
   * instead of storing it. Checked on every stored step; a mismatch is an error.
   */
  readonly stateLastAction?: number;
  /** Available actions as 0/1, [nAgents * nActions] row-major. */
  getAvailActions(): Uint8Array;
  /**
   * A text picture of the current frame, for `eval --render`; with
   * decisions, each agent's chosen action and its Q where the picture has room.
   */
  render?(decisions?: Decisions): string;
  close?(): void;
}

/** What the team chose in the frame being drawn: the agent network's Q and the action taken, per agent. */
export interface Decisions {
  /** The chosen joint action, [nAgents]. */
  actions: ArrayLike<number>;
  /** Every agent's Q for every action, [nAgents · nActions]. */
  q: ArrayLike<number>;
}

export type EnvOptions = Record<string, unknown>;
export type EnvFactory = (options: EnvOptions & { seed?: number }) => MultiAgentEnv;
