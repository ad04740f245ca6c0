// The two-step game of the QMIX paper (Rashid et al. 2018, §5, Fig. 3): a
// cooperative game whose optimum (return 8) needs a value factorisation that
// is not additive. Two agents, two actions each.
//   State 1: reward 0; agent 1's action picks the next state, 0 -> 2A, 1 -> 2B.
//   State 2A: every joint action pays 7.
//   State 2B: pays [[0, 1], [1, 8]], rows indexed by agent 1's action.
// Then the episode ends (terminated; state "end").

import type { EnvOptions, MultiAgentEnv, StepResult } from "./env.ts";
import { checkActions } from "./actions.ts";
import { checkOptions } from "./options.ts";
import { namedState, type NamedState } from "./states.ts";

/** The states in the order of the one-hot encoding. */
export const TWO_STEP_STATE_NAMES = ["1", "2A", "2B", "end"] as const;
export type TwoStepStateName = (typeof TWO_STEP_STATE_NAMES)[number];

/** Payoffs of the second step, [agent 1's action][agent 2's action] (paper, Fig. 3). */
export const TWO_STEP_PAYOFF_2A: readonly (readonly number[])[] = [[7, 7], [7, 7]];
export const TWO_STEP_PAYOFF_2B: readonly (readonly number[])[] = [[0, 1], [1, 8]];

const N_AGENTS = 2;
const N_ACTIONS = 2;
const N_STATES = 4;

export class TwoStepEnv implements MultiAgentEnv {
  readonly name = "two_step";
  readonly nAgents = N_AGENTS;
  readonly obsDim = N_STATES;
  readonly stateDim = N_STATES;
  readonly nActions = N_ACTIONS;
  readonly episodeLimit = 2;

  /** Index into TWO_STEP_STATE_NAMES. */
  private s = 0;

  reset(_seed?: number): void {
    // The game is deterministic: a seed changes nothing, and is accepted for the interface.
    this.s = 0;
  }

  step(actions: ArrayLike<number>): StepResult {
    checkActions(this.name, actions, N_AGENTS, N_ACTIONS);
    const a1 = actions[0]!;
    const a2 = actions[1]!;
    switch (this.s) {
      case 0:
        this.s = a1 === 0 ? 1 : 2;
        return { reward: 0, terminated: false, truncated: false };
      case 1:
      case 2: {
        const table = this.s === 1 ? TWO_STEP_PAYOFF_2A : TWO_STEP_PAYOFF_2B;
        this.s = 3;
        return { reward: table[a1]![a2]!, terminated: true, truncated: false };
      }
      default:
        throw new Error("two_step.step: the episode has ended; call reset() first");
    }
  }

  /** The name of the current state: "1", "2A", "2B" or "end". */
  stateName(): TwoStepStateName {
    return TWO_STEP_STATE_NAMES[this.s]!;
  }

  getObs(): Float32Array {
    return twoStepObs(this.s);
  }

  getState(): Float32Array {
    return oneHot(this.s);
  }

  getAvailActions(): Uint8Array {
    return new Uint8Array(N_AGENTS * N_ACTIONS).fill(1);
  }

  render(): string {
    return `two_step: state ${this.stateName()}`;
  }
}

function oneHot(s: number): Float32Array {
  const v = new Float32Array(N_STATES);
  v[s] = 1;
  return v;
}

/** Each agent sees the same one-hot of the state; the agent network adds its id. */
function twoStepObs(s: number): Float32Array {
  const o = new Float32Array(N_AGENTS * N_STATES);
  for (let i = 0; i < N_AGENTS; i++) o[i * N_STATES + s] = 1;
  return o;
}

/**
 * The three decision states "1", "2A", "2B" with the observations and state
 * the environment gives in them, for Q_tot tables over every joint action.
 */
export function twoStepStates(): NamedState[] {
  return [0, 1, 2].map((s) => namedState(TWO_STEP_STATE_NAMES[s]!, twoStepObs(s), N_AGENTS, oneHot(s), N_ACTIONS));
}

export function makeTwoStep(options: EnvOptions = {}): TwoStepEnv {
  checkOptions("two_step", options, {});
  return new TwoStepEnv();
}
