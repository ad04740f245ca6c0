// One-step cooperative matrix games: n agents each pick one of A actions and
// the team receives payoff[a_1][a_2]...[a_n]; then the episode ends. The
// agents see nothing but a constant, so they must coordinate through the
// value factorisation alone.

import type { EnvOptions, MultiAgentEnv, StepResult } from "./env.ts";
import { checkActions } from "./actions.ts";
import { checkOptions, intIn, showValue } from "./options.ts";
import { namedState, type NamedState } from "./states.ts";

/**
 * The non-monotonic 3x3 game (QTRAN, Son et al. 2019; Weighted QMIX, Rashid
 * et al. 2020): the optimum 8 hides behind -12 miscoordination penalties, so
 * monotonic mixing under uniform exploration learns to avoid it.
 */
export const NONMONOTONIC_3X3: readonly (readonly number[])[] = [
  [8, -12, -12],
  [-12, 0, 0],
  [-12, 0, 0],
];

/** Nested arrays [A][A]...[A] (depth n), or a flat row-major list of length A^n. */
export type Payoff = ArrayLike<number> | readonly Payoff[];

export interface MatrixGameConfig {
  payoff: Payoff;
  /** Needed only for a flat payoff (one of nAgents, nActions suffices). */
  nAgents?: number;
  nActions?: number;
  /** The environment's name, e.g. "nonmonotonic_3x3". */
  name?: string;
}

const MAX_AGENTS = 64;
const MAX_ACTIONS = 1024;
const MAX_ENTRIES = 1 << 22;

export class MatrixGameEnv implements MultiAgentEnv {
  readonly name: string;
  readonly nAgents: number;
  readonly obsDim = 1;
  readonly stateDim = 1;
  readonly nActions: number;
  readonly episodeLimit = 1;
  /** Row-major, agent 1's action the slowest index. */
  private readonly table: Float64Array;
  private done = false;

  constructor(config: MatrixGameConfig) {
    this.name = config.name ?? "matrix_game";
    const p = parsePayoff(this.name, config.payoff, config.nAgents, config.nActions);
    this.nAgents = p.nAgents;
    this.nActions = p.nActions;
    this.table = p.table;
  }

  reset(_seed?: number): void {
    // Deterministic game: the seed is accepted for the interface only.
    this.done = false;
  }

  step(actions: ArrayLike<number>): StepResult {
    if (this.done) throw new Error(`${this.name}.step: the episode has ended; call reset() first`);
    checkActions(this.name, actions, this.nAgents, this.nActions);
    this.done = true;
    return { reward: this.payoffAt(actions), terminated: true, truncated: false };
  }

  /** The payoff of one joint action. */
  payoffAt(actions: ArrayLike<number>): number {
    let k = 0;
    for (let i = 0; i < this.nAgents; i++) k = k * this.nActions + actions[i]!;
    return this.table[k]!;
  }

  /** The whole payoff, flat and row-major (a copy). */
  payoffTable(): Float64Array {
    return this.table.slice();
  }

  getObs(): Float32Array {
    return new Float32Array(this.nAgents).fill(1);
  }

  getState(): Float32Array {
    return new Float32Array(1).fill(1);
  }

  getAvailActions(): Uint8Array {
    return new Uint8Array(this.nAgents * this.nActions).fill(1);
  }

  render(): string {
    const lines = [`${this.name}: ${this.nAgents} agents, ${this.nActions} actions, ${this.done ? "done" : "waiting for actions"}`];
    if (this.nAgents === 2) {
      for (let r = 0; r < this.nActions; r++) {
        const row = Array.from(this.table.subarray(r * this.nActions, (r + 1) * this.nActions), (v) => String(v).padStart(6));
        lines.push(row.join(" "));
      }
    }
    return lines.join("\n");
  }
}

/** The game's single state, for a Q_tot table over every joint action. */
export function matrixGameStates(env: { nAgents: number; nActions: number }): NamedState[] {
  return [namedState("s", new Float32Array(env.nAgents).fill(1), env.nAgents, new Float32Array(1).fill(1), env.nActions)];
}

function parsePayoff(env: string, payoff: unknown, nAgents?: number, nActions?: number): { nAgents: number; nActions: number; table: Float64Array } {
  const bad = (why: string): Error => new Error(`${env}: option "payoff" ${why}`);
  if (nAgents !== undefined && !(Number.isInteger(nAgents) && nAgents >= 1 && nAgents <= MAX_AGENTS)) {
    throw new Error(`${env}: option "nAgents" must be an integer in [1, ${MAX_AGENTS}], got ${showValue(nAgents)}`);
  }
  if (nActions !== undefined && !(Number.isInteger(nActions) && nActions >= 1 && nActions <= MAX_ACTIONS)) {
    throw new Error(`${env}: option "nActions" must be an integer in [1, ${MAX_ACTIONS}], got ${showValue(nActions)}`);
  }
  if (payoff === undefined) {
    throw bad("is required: nested arrays [A][A]...[A] (one level per agent) or a flat row-major array of length A^n");
  }
  if (!isArrayLike(payoff) || payoff.length === 0) throw bad(`must be a non-empty array, got ${showValue(payoff)}`);

  const first = payoff[0];
  if (isArrayLike(first)) {
    // Nested: the depth is the number of agents, every level has A entries.
    const A = payoff.length;
    let n = 1;
    for (let x: unknown = first; isArrayLike(x); x = x[0]) n++;
    if (n > MAX_AGENTS || A ** n > MAX_ENTRIES) throw bad(`is too large: ${A}^${n} entries`);
    if (nAgents !== undefined && nAgents !== n) throw bad(`is nested ${n} deep but nAgents is ${nAgents}`);
    if (nActions !== undefined && nActions !== A) throw bad(`has ${A} actions per agent but nActions is ${nActions}`);
    const table = new Float64Array(A ** n);
    let k = 0;
    const walk = (x: unknown, depth: number, path: string): void => {
      if (depth === n) {
        if (typeof x !== "number" || !Number.isFinite(x)) throw bad(`entry ${path} must be a finite number, got ${showValue(x)}`);
        table[k++] = x;
        return;
      }
      if (!isArrayLike(x) || x.length !== A) {
        throw bad(`must be a regular ${Array(n).fill(A).join("x")} array; at ${path || "the top"} found ${showValue(x)}`);
      }
      for (let i = 0; i < A; i++) walk(x[i], depth + 1, `${path}[${i}]`);
    };
    walk(payoff, 0, "");
    return { nAgents: n, nActions: A, table };
  }

  // Flat: the sizes come from nAgents or nActions.
  const len = payoff.length;
  let n: number;
  let A: number;
  if (nAgents !== undefined) {
    n = nAgents;
    A = Math.round(len ** (1 / n));
  } else if (nActions !== undefined && nActions > 1) {
    A = nActions;
    n = Math.round(Math.log(len) / Math.log(A));
  } else {
    throw bad(`is a flat array of length ${len}; give nAgents (or nActions > 1) to say its shape, or pass nested arrays`);
  }
  if (nActions !== undefined && nActions !== A) A = nActions;
  if (n < 1 || A < 1 || A ** n !== len) {
    throw bad(`has length ${len}, which is not nActions^nAgents for nAgents=${nAgents ?? n}, nActions=${nActions ?? A}`);
  }
  const table = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    const v = payoff[i];
    if (typeof v !== "number" || !Number.isFinite(v)) throw bad(`entry ${i} must be a finite number, got ${showValue(v)}`);
    table[i] = v;
  }
  return { nAgents: n, nActions: A, table };
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}

const MATRIX_RULES = {
  payoff: { allowed: "nested arrays [A]...[A] or a flat array of length A^n", ok: isArrayLike },
  nAgents: intIn(1, MAX_AGENTS),
  nActions: intIn(1, MAX_ACTIONS),
};

export function makeMatrixGame(options: EnvOptions = {}): MatrixGameEnv {
  checkOptions("matrix_game", options, MATRIX_RULES);
  return new MatrixGameEnv({
    payoff: options["payoff"] as Payoff,
    nAgents: options["nAgents"] as number | undefined,
    nActions: options["nActions"] as number | undefined,
  });
}

export function makeNonmonotonic3x3(options: EnvOptions = {}): MatrixGameEnv {
  checkOptions("nonmonotonic_3x3", options, {});
  return new MatrixGameEnv({ payoff: NONMONOTONIC_3X3, name: "nonmonotonic_3x3" });
}
