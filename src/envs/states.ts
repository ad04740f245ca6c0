// Named states of the small games, for printing Q_tot tables the way the
// QMIX paper does (Table 1: one payoff-shaped table per state), and the list
// of joint actions such a table is indexed by.

export interface NamedState {
  /** The paper's name for the state: "1", "2A", "2B", or "s" for a matrix game. */
  name: string;
  /** Every agent's observation, [nAgents * obsDim], the layout of getObs(). */
  obs: Float32Array;
  /** The same observations one agent at a time (views into `obs`). */
  agentObs: Float32Array[];
  /** The global state, [stateDim], as getState() gives it. */
  state: Float32Array;
  /** Available actions, [nAgents * nActions], as getAvailActions() gives it. */
  availActions: Uint8Array;
}

export function namedState(name: string, obs: Float32Array, nAgents: number, state: Float32Array, nActions: number): NamedState {
  const obsDim = obs.length / nAgents;
  const agentObs: Float32Array[] = [];
  for (let i = 0; i < nAgents; i++) agentObs.push(obs.subarray(i * obsDim, (i + 1) * obsDim));
  return { name, obs, agentObs, state, availActions: new Uint8Array(nAgents * nActions).fill(1) };
}

/**
 * Every joint action, agent 1's action the slowest index (row-major, as the
 * payoff tables are written): for 2 agents and 2 actions
 * [[0, 0], [0, 1], [1, 0], [1, 1]].
 */
export function jointActions(nAgents: number, nActions: number): number[][] {
  if (!Number.isInteger(nAgents) || nAgents < 1 || !Number.isInteger(nActions) || nActions < 1) {
    throw new Error(`jointActions: need positive integers, got nAgents=${nAgents}, nActions=${nActions}`);
  }
  const total = nActions ** nAgents;
  if (total > 1_000_000) throw new Error(`jointActions: ${nActions}^${nAgents} = ${total} joint actions is too many to list`);
  const out: number[][] = [];
  for (let k = 0; k < total; k++) {
    const a = new Array<number>(nAgents);
    let r = k;
    for (let i = nAgents - 1; i >= 0; i--) {
      a[i] = r % nActions;
      r = Math.floor(r / nActions);
    }
    out.push(a);
  }
  return out;
}
