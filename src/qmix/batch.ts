// An episode batch, laid out as pymarl's EpisodeBatch (components/
// episode_buffer.py): B episodes padded to T+1 steps.
// Plain typed arrays, batch-major ([B, T+1, ...]), as the buffer stores them.

export interface BatchSizes {
  nAgents: number;
  obsDim: number;
  stateDim: number;
  nActions: number;
}

export interface EpisodeBatch extends BatchSizes {
  /** Episodes in the batch. */
  B: number;
  /** Transitions per episode; every field holds T+1 steps. */
  T: number;
  obs: Float32Array;          // [B, T+1, n, O]
  state: Float32Array;        // [B, T+1, S]
  availActions: Uint8Array;   // [B, T+1, n, A], 1 = available
  actions: Int32Array;        // [B, T+1, n]
  reward: Float32Array;       // [B, T+1]
  terminated: Uint8Array;     // [B, T+1]
  filled: Uint8Array;         // [B, T+1]
}

export class BatchError extends Error {
  override name = "BatchError";
}

/** An empty batch of the given sizes, all zeros. */
export function emptyBatch(sizes: BatchSizes, B: number, T: number): EpisodeBatch {
  const { nAgents: n, obsDim: O, stateDim: S, nActions: A } = sizes;
  const L = B * (T + 1);
  return {
    ...sizes, B, T,
    obs: new Float32Array(L * n * O),
    state: new Float32Array(L * S),
    availActions: new Uint8Array(L * n * A),
    actions: new Int32Array(L * n),
    reward: new Float32Array(L),
    terminated: new Uint8Array(L),
    filled: new Uint8Array(L),
  };
}

/** Checks every array's length and every action's range; errors name the field. */
export function validateBatch(b: EpisodeBatch, expect?: Partial<BatchSizes>): void {
  const { B, T, nAgents: n, obsDim: O, stateDim: S, nActions: A } = b;
  for (const [k, v] of Object.entries({ B, T, nAgents: n, obsDim: O, stateDim: S, nActions: A })) {
    if (!Number.isInteger(v) || v <= 0) throw new BatchError(`batch: ${k} must be a positive integer, got ${v}`);
  }
  if (expect) {
    for (const key of ["nAgents", "obsDim", "stateDim", "nActions"] as const) {
      const want = expect[key];
      if (want !== undefined && b[key] !== want) throw new BatchError(`batch: ${key} is ${b[key]} but the networks were built for ${want}`);
    }
  }
  const L = B * (T + 1);
  const sizes: Array<[string, { length: number }, number, string]> = [
    ["obs", b.obs, L * n * O, `[${B}, ${T + 1}, ${n}, ${O}]`],
    ["state", b.state, L * S, `[${B}, ${T + 1}, ${S}]`],
    ["availActions", b.availActions, L * n * A, `[${B}, ${T + 1}, ${n}, ${A}]`],
    ["actions", b.actions, L * n, `[${B}, ${T + 1}, ${n}]`],
    ["reward", b.reward, L, `[${B}, ${T + 1}]`],
    ["terminated", b.terminated, L, `[${B}, ${T + 1}]`],
    ["filled", b.filled, L, `[${B}, ${T + 1}]`],
  ];
  for (const [name, arr, want, shape] of sizes) {
    if (arr.length !== want) throw new BatchError(`batch: ${name} has ${arr.length} values, expected ${want} for shape ${shape}`);
  }
  for (let k = 0; k < b.actions.length; k++) {
    const a = b.actions[k]!;
    if (a < 0 || a >= A) {
      const step = Math.floor(k / n), agent = k % n;
      throw new BatchError(`batch: action ${a} of agent ${agent} at episode ${Math.floor(step / (T + 1))}, step ${step % (T + 1)} is outside [0, ${A})`);
    }
  }
}
