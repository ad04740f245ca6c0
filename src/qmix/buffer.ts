// The episode replay buffer (QMIX.md §4): a ring of whole episodes,
// preallocated in typed arrays so collecting and sampling allocate nothing
// per step. Sampling draws B distinct episodes uniformly, as pymarl does.
// When the environment's state is its observations concatenated
// (stateIsObs, as in the MPE tasks) the state is not stored a second time:
// sampled batches rebuild it from the observations, which for
// simple_spread's 5,000 episodes saves 28 MB.

import type { Rng } from "../tensor/random.ts";
import { type BatchSizes, type EpisodeBatch, emptyBatch } from "./batch.ts";

export class ReplayBuffer {
  readonly store: EpisodeBatch;
  /** Episodes held (≤ capacity). */
  size = 0;
  /** Next slot to write. */
  cursor = 0;
  /** The state is rebuilt from the observations instead of stored (store.state is empty). */
  readonly stateIsObs: boolean;
  private readonly perm: Int32Array;

  constructor(readonly sizes: BatchSizes, readonly capacity: number, readonly maxSteps: number, options: { stateIsObs?: boolean } = {}) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`ReplayBuffer: capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(maxSteps) || maxSteps <= 0) throw new RangeError(`ReplayBuffer: maxSteps must be a positive integer, got ${maxSteps}`);
    this.stateIsObs = options.stateIsObs === true;
    const { nAgents, obsDim, stateDim } = sizes;
    if (this.stateIsObs && stateDim !== nAgents * obsDim) {
      throw new RangeError(`ReplayBuffer: stateIsObs needs stateDim = nAgents · obsDim = ${nAgents * obsDim}, got stateDim ${stateDim}`);
    }
    this.store = this.stateIsObs
      ? { ...emptyBatch({ ...sizes, stateDim: 0 }, capacity, maxSteps), stateDim }
      : emptyBatch(sizes, capacity, maxSteps);
    this.perm = new Int32Array(capacity);
  }

  /** Copies every episode of `batch` (same sizes, same T) into the ring. */
  insert(batch: EpisodeBatch): void {
    if (batch.T !== this.maxSteps) throw new RangeError(`ReplayBuffer.insert: batch holds ${batch.T} steps per episode, the buffer ${this.maxSteps}`);
    if (this.stateIsObs) checkStateIsObs(batch);
    for (let b = 0; b < batch.B; b++) {
      copyEpisode(batch, b, this.store, this.cursor);
      this.cursor = (this.cursor + 1) % this.capacity;
      this.size = Math.min(this.size + 1, this.capacity);
    }
  }

  canSample(B: number): boolean {
    return this.size >= B;
  }

  /**
   * B distinct episodes, uniformly, truncated to the longest filled length
   * among them (pymarl's max_t_filled) so short episodes cost less.
   */
  sample(B: number, rng: Rng, out?: EpisodeBatch): EpisodeBatch {
    if (!this.canSample(B)) throw new RangeError(`ReplayBuffer.sample: asked for ${B} episodes, the buffer holds ${this.size}`);
    // Partial Fisher–Yates over the held slots.
    const p = this.perm;
    for (let i = 0; i < this.size; i++) p[i] = i;
    let longest = 1;
    const T1 = this.maxSteps + 1;
    for (let i = 0; i < B; i++) {
      const j = i + rng.int(this.size - i);
      const tmp = p[i]!; p[i] = p[j]!; p[j] = tmp;
      let filled = 0;
      const base = p[i]! * T1;
      for (let t = 0; t < T1; t++) filled += this.store.filled[base + t]!;
      longest = Math.max(longest, filled);
    }
    const T = Math.max(1, longest - 1);
    const batch = out && out.B === B && out.T === T ? out : emptyBatch(this.sizes, B, T);
    for (let i = 0; i < B; i++) copyEpisode(this.store, p[i]!, batch, i);
    return batch;
  }
}

/** Throws unless every filled step's state equals its observations (a stateIsObs environment that is not). */
function checkStateIsObs(batch: EpisodeBatch): void {
  const { B, T, stateDim: S, obs, state, filled } = batch;
  if (state.length === 0) return;
  for (let k = 0; k < B * (T + 1); k++) {
    if (!filled[k]) continue;
    for (let j = k * S; j < (k + 1) * S; j++) {
      if (state[j] !== obs[j] && !(Number.isNaN(state[j]) && Number.isNaN(obs[j]))) {
        const b = Math.floor(k / (T + 1)), t = k % (T + 1), i = j - k * S;
        throw new RangeError(`ReplayBuffer.insert: the environment declares stateIsObs, but episode ${b}, step ${t} has state[${i}] = ${state[j]} and observation value ${obs[j]}`);
      }
    }
  }
}

/**
 * Copies episode `from` of src into slot `to` of dst, cutting or zero-padding
 * to dst.T. A store with an empty state array (stateIsObs) gives its
 * observations as the state and takes none.
 */
export function copyEpisode(src: EpisodeBatch, from: number, dst: EpisodeBatch, to: number): void {
  const { nAgents: n, obsDim: O, stateDim: S, nActions: A } = src;
  const sT1 = src.T + 1, dT1 = dst.T + 1, L = Math.min(sT1, dT1);
  const copy = <T extends Float32Array | Uint8Array | Int32Array>(a: T, b: T, w: number) => {
    const s = from * sT1 * w, d = to * dT1 * w;
    b.set(a.subarray(s, s + L * w), d);
    if (dT1 > L) b.fill(0, d + L * w, d + dT1 * w);
  };
  copy(src.obs, dst.obs, n * O);
  if (dst.state.length > 0) copy(src.state.length > 0 ? src.state : src.obs, dst.state, S);
  copy(src.availActions, dst.availActions, n * A);
  copy(src.actions, dst.actions, n);
  copy(src.reward, dst.reward, 1);
  copy(src.terminated, dst.terminated, 1);
  copy(src.filled, dst.filled, 1);
}
