// The episode replay buffer (pymarl's ReplayBuffer, components/
// episode_buffer.py): a ring of whole episodes, sampled
// B distinct episodes at a time, uniformly, as pymarl does. Each episode is
// kept at the length it filled (not padded to the episode limit) and packed
// into one byte block, losslessly:
//   - observations and state as a bit per value (zero or not) and the
//     non-zero values as float32: SMAC-style observations are mostly zeros
//     (unseen and dead units);
//   - available actions as bits;
//   - the state's last-action part (an environment's stateLastAction) not at
//     all: it is the one-hot of the previous step's actions, rebuilt when
//     sampled;
//   - no state at all when it is the observations concatenated (stateIsObs,
//     as in the MPE tasks).
// Both claims are checked on every stored step; a mismatch is an error.

import type { Rng } from "../tensor/random.ts";
import { type BatchSizes, type EpisodeBatch, emptyBatch } from "./batch.ts";

export interface BufferOptions {
  /** The state is the observations concatenated: not stored, rebuilt from them. */
  stateIsObs?: boolean;
  /** The state holds the last joint action, one-hot (nAgents × nActions values), from this index: not stored, rebuilt from the actions. */
  stateLastAction?: number;
}

/** How an episode block is laid out: the sizes it was packed with. */
export interface BufferLayout extends BatchSizes {
  stateIsObs: boolean;
  /** Start of the state's last-action part, or -1. */
  stateLastAction: number;
}

const HEADER_BYTES = 16; // u32: steps, non-zero observations, non-zero state values, reserved

export class ReplayBuffer {
  /** Episodes held (≤ capacity). */
  size = 0;
  /** Next slot to write. */
  cursor = 0;
  readonly layout: BufferLayout;
  private readonly slots: Array<Uint8Array | undefined>;
  private readonly perm: Int32Array;
  private heldBytes = 0;

  constructor(readonly sizes: BatchSizes, readonly capacity: number, readonly maxSteps: number, options: BufferOptions = {}) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`ReplayBuffer: capacity must be a positive integer, got ${capacity}`);
    if (!Number.isInteger(maxSteps) || maxSteps <= 0) throw new RangeError(`ReplayBuffer: maxSteps must be a positive integer, got ${maxSteps}`);
    const { nAgents, obsDim, stateDim, nActions } = sizes;
    if (nActions > 65536) throw new RangeError(`ReplayBuffer: at most 65536 actions can be stored, got nActions ${nActions}`);
    const stateIsObs = options.stateIsObs === true;
    if (stateIsObs && stateDim !== nAgents * obsDim) {
      throw new RangeError(`ReplayBuffer: stateIsObs needs stateDim = nAgents · obsDim = ${nAgents * obsDim}, got stateDim ${stateDim}`);
    }
    const la = options.stateLastAction ?? -1;
    if (!stateIsObs && la !== -1 && (!Number.isInteger(la) || la < 0 || la + nAgents * nActions > stateDim)) {
      throw new RangeError(`ReplayBuffer: stateLastAction must be an index from which nAgents × nActions = ${nAgents * nActions} values fit in the state of ${stateDim}, got ${la}`);
    }
    this.layout = { nAgents, obsDim, stateDim, nActions, stateIsObs, stateLastAction: stateIsObs ? -1 : la };
    this.slots = new Array<Uint8Array | undefined>(capacity);
    this.perm = new Int32Array(capacity);
  }

  /** Bytes the stored episodes take. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Copies every episode of `batch` (same sizes, at most maxSteps transitions) into the ring. */
  insert(batch: EpisodeBatch): void {
    if (batch.T > this.maxSteps) throw new RangeError(`ReplayBuffer.insert: batch holds ${batch.T} steps per episode, the buffer at most ${this.maxSteps}`);
    const blocks: Uint8Array[] = [];
    // Every episode is checked and packed before any is stored, so a refused batch leaves the buffer as it was.
    for (let b = 0; b < batch.B; b++) blocks.push(packEpisode(this.layout, batch, b));
    for (const block of blocks) this.put(block);
  }

  /** The packed episode in slot i (for checkpoints). */
  slot(i: number): Uint8Array {
    const s = i < this.size ? this.slots[i] : undefined;
    if (!s) throw new RangeError(`ReplayBuffer.slot: slot ${i} is empty (the buffer holds ${this.size})`);
    return s;
  }

  /** Refills the buffer from packed episodes in slot order (a checkpoint's), checking each. */
  restore(blocks: readonly Uint8Array[], cursor: number): void {
    if (blocks.length > this.capacity) throw new RangeError(`ReplayBuffer.restore: ${blocks.length} episodes for a buffer of ${this.capacity}`);
    if (!Number.isInteger(cursor) || cursor < 0 || cursor >= this.capacity || (blocks.length < this.capacity && cursor !== blocks.length % this.capacity)) {
      throw new RangeError(`ReplayBuffer.restore: cursor ${cursor} does not fit ${blocks.length} episodes in a buffer of ${this.capacity}`);
    }
    blocks.forEach((b, i) => checkBlock(this.layout, b, this.maxSteps, i));
    this.slots.fill(undefined);
    this.heldBytes = 0;
    blocks.forEach((b, i) => { this.slots[i] = b; this.heldBytes += b.byteLength; });
    this.size = blocks.length;
    this.cursor = cursor;
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
    for (let i = 0; i < B; i++) {
      const j = i + rng.int(this.size - i);
      const tmp = p[i]!; p[i] = p[j]!; p[j] = tmp;
      longest = Math.max(longest, blockSteps(this.slots[p[i]!]!));
    }
    const T = Math.max(1, longest - 1);
    const batch = out && out.B === B && out.T === T ? out : emptyBatch(this.sizes, B, T);
    for (let i = 0; i < B; i++) unpackEpisode(this.layout, this.slots[p[i]!]!, batch, i);
    return batch;
  }

  private put(block: Uint8Array): void {
    const old = this.slots[this.cursor];
    if (old) this.heldBytes -= old.byteLength;
    this.slots[this.cursor] = block;
    this.heldBytes += block.byteLength;
    this.cursor = (this.cursor + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }
}

/** Steps a packed episode holds (its filled length). */
export function blockSteps(block: Uint8Array): number {
  return new Uint32Array(block.buffer, block.byteOffset, 4)[0]!;
}

/** Stored state values per step: the state less its last-action part; none when stateIsObs. */
function storedStateWidth(l: BufferLayout): number {
  if (l.stateIsObs) return 0;
  return l.stateLastAction >= 0 ? l.stateDim - l.nAgents * l.nActions : l.stateDim;
}

const bitBytes = (bits: number) => (bits + 7) >> 3;
const align4 = (x: number) => (x + 3) & ~3;

interface Sections {
  obsVals: number; stateVals: number; reward: number; actions: number;
  obsMask: number; stateMask: number; avail: number; terminated: number; end: number;
}

/** Byte offsets of a block's sections, for L steps with the given non-zero counts. */
function sections(l: BufferLayout, L: number, obsNnz: number, stateNnz: number): Sections {
  const { nAgents: n, obsDim: O, nActions: A } = l, Sw = storedStateWidth(l);
  const obsVals = HEADER_BYTES;
  const stateVals = obsVals + 4 * obsNnz;
  const reward = stateVals + 4 * stateNnz;
  const actions = reward + 4 * L;
  const obsMask = align4(actions + 2 * L * n);
  const stateMask = obsMask + bitBytes(L * n * O);
  const avail = stateMask + bitBytes(L * Sw);
  const terminated = avail + bitBytes(L * n * A);
  return { obsVals, stateVals, reward, actions, obsMask, stateMask, avail, terminated, end: align4(terminated + L) };
}

/** Packs episode b of the batch: its filled steps only, after checking what the layout claims of them. */
export function packEpisode(l: BufferLayout, batch: EpisodeBatch, b: number): Uint8Array {
  const { nAgents: n, obsDim: O, stateDim: S, nActions: A } = l;
  const T1 = batch.T + 1, k0 = b * T1;
  let L = 0;
  while (L < T1 && batch.filled[k0 + L]) L++;
  for (let t = L; t < T1; t++) {
    if (batch.filled[k0 + t]) throw new RangeError(`ReplayBuffer.insert: episode ${b} has step ${t} filled after the unfilled step ${L}; the filled steps must come first`);
  }
  const la = l.stateLastAction, Sw = storedStateWidth(l), nA = n * A;
  const obs = batch.obs.subarray(k0 * n * O, (k0 + L) * n * O);
  if (l.stateIsObs) checkStateIsObs(batch, b, L);
  if (la >= 0) checkLastActions(batch, b, L, la, n, A, S);
  // The state less its last-action part, step by step, as one run of values.
  const stateAt = (t: number, j: number) => batch.state[(k0 + t) * S + (la >= 0 && j >= la ? j + nA : j)]!;
  let obsNnz = 0, stateNnz = 0;
  for (let i = 0; i < obs.length; i++) if (kept(obs[i]!)) obsNnz++;
  for (let t = 0; t < L; t++) for (let j = 0; j < Sw; j++) if (kept(stateAt(t, j))) stateNnz++;

  const s = sections(l, L, obsNnz, stateNnz);
  const block = new Uint8Array(s.end);
  new Uint32Array(block.buffer, 0, 4).set([L, obsNnz, stateNnz, 0]);
  const obsVals = new Float32Array(block.buffer, s.obsVals, obsNnz);
  for (let i = 0, v = 0; i < obs.length; i++) {
    const x = obs[i]!;
    if (kept(x)) { obsVals[v++] = x; block[s.obsMask + (i >> 3)]! |= 1 << (i & 7); }
  }
  const stateVals = new Float32Array(block.buffer, s.stateVals, stateNnz);
  for (let t = 0, i = 0, v = 0; t < L; t++) {
    for (let j = 0; j < Sw; j++, i++) {
      const x = stateAt(t, j);
      if (kept(x)) { stateVals[v++] = x; block[s.stateMask + (i >> 3)]! |= 1 << (i & 7); }
    }
  }
  new Float32Array(block.buffer, s.reward, L).set(batch.reward.subarray(k0, k0 + L));
  const actions = new Uint16Array(block.buffer, s.actions, L * n);
  for (let i = 0; i < L * n; i++) actions[i] = batch.actions[k0 * n + i]!;
  const avail = batch.availActions.subarray(k0 * nA, (k0 + L) * nA);
  for (let i = 0; i < avail.length; i++) if (avail[i]) block[s.avail + (i >> 3)]! |= 1 << (i & 7);
  block.set(batch.terminated.subarray(k0, k0 + L), s.terminated);
  return block;
}

/**
 * Unpacks a block into slot `to` of dst, cut or zero-padded to dst.T (every
 * field of the slot is written, so dst may be reused). The state comes back
 * whole: its last-action part from the actions, or all of it from the
 * observations when stateIsObs.
 */
export function unpackEpisode(l: BufferLayout, block: Uint8Array, dst: EpisodeBatch, to: number): void {
  const { nAgents: n, obsDim: O, stateDim: S, nActions: A } = l;
  const head = new Uint32Array(block.buffer, block.byteOffset, 4);
  const L0 = head[0]!, dT1 = dst.T + 1, L = Math.min(L0, dT1), k0 = to * dT1;
  const s = sections(l, L0, head[1]!, head[2]!);
  const at = (off: number) => block.byteOffset + off;
  const la = l.stateLastAction, Sw = storedStateWidth(l), nA = n * A;

  const obs = dst.obs.subarray(k0 * n * O, (k0 + dT1) * n * O);
  unpackSparse(block, s.obsMask, new Float32Array(block.buffer, at(s.obsVals), head[1]!), obs, L * n * O);
  obs.fill(0, L * n * O);
  const actions = new Uint16Array(block.buffer, at(s.actions), L0 * n);
  for (let i = 0; i < L * n; i++) dst.actions[k0 * n + i] = actions[i]!;
  dst.actions.fill(0, (k0 + L) * n, (k0 + dT1) * n);

  if (dst.state.length > 0) {
    const state = dst.state.subarray(k0 * S, (k0 + dT1) * S);
    if (l.stateIsObs) {
      state.set(obs);
    } else if (la < 0) {
      unpackSparse(block, s.stateMask, new Float32Array(block.buffer, at(s.stateVals), head[2]!), state, L * S);
      state.fill(0, L * S);
    } else {
      state.fill(0);
      const vals = new Float32Array(block.buffer, at(s.stateVals), head[2]!);
      for (let t = 0, i = 0, v = 0; t < L; t++) {
        const row = t * S;
        for (let j = 0; j < Sw; j++, i++) {
          if (block[s.stateMask + (i >> 3)]! & (1 << (i & 7))) state[row + (j >= la ? j + nA : j)] = vals[v++]!;
        }
        if (t > 0) for (let a = 0; a < n; a++) state[row + la + a * A + actions[(t - 1) * n + a]!] = 1;
      }
    }
  }

  const avail = dst.availActions.subarray(k0 * nA, (k0 + dT1) * nA);
  for (let i = 0; i < L * nA; i++) avail[i] = (block[s.avail + (i >> 3)]! >> (i & 7)) & 1;
  avail.fill(0, L * nA);
  dst.reward.set(new Float32Array(block.buffer, at(s.reward), L), k0);
  dst.reward.fill(0, k0 + L, k0 + dT1);
  dst.terminated.set(block.subarray(s.terminated, s.terminated + L), k0);
  dst.terminated.fill(0, k0 + L, k0 + dT1);
  dst.filled.fill(1, k0, k0 + L);
  dst.filled.fill(0, k0 + L, k0 + dT1);
}

/** Writes the first `count` values of a masked run into out (zeros where the mask bit is clear). */
function unpackSparse(block: Uint8Array, maskAt: number, vals: Float32Array, out: Float32Array, count: number): void {
  let v = 0;
  for (let i = 0; i < count; i++) out[i] = block[maskAt + (i >> 3)]! & (1 << (i & 7)) ? vals[v++]! : 0;
}

/** Values a block keeps: everything but +0 (so -0 and NaN come back as they were). */
function kept(x: number): boolean {
  return x !== 0 || 1 / x < 0;
}

/** Throws unless a block's sizes agree with the layout (a checkpoint's episode, say). */
export function checkBlock(l: BufferLayout, block: Uint8Array, maxSteps: number, i: number): void {
  if (block.byteLength < HEADER_BYTES || block.byteOffset % 4 !== 0) throw new RangeError(`ReplayBuffer: episode ${i} is ${block.byteLength} bytes, not a packed episode`);
  const [L, obsNnz, stateNnz] = new Uint32Array(block.buffer, block.byteOffset, 4);
  const { nAgents: n, obsDim: O } = l;
  if (L! < 1 || L! > maxSteps + 1) throw new RangeError(`ReplayBuffer: episode ${i} holds ${L} steps, expected 1 to ${maxSteps + 1}`);
  if (obsNnz! > L! * n * O || stateNnz! > L! * storedStateWidth(l)) throw new RangeError(`ReplayBuffer: episode ${i} claims more values than its ${L} steps hold`);
  const s = sections(l, L!, obsNnz!, stateNnz!);
  if (s.end !== block.byteLength) throw new RangeError(`ReplayBuffer: episode ${i} is ${block.byteLength} bytes; ${L} steps of these sizes take ${s.end}`);
}

/** Throws unless every filled step's state equals its observations (a stateIsObs environment that is not). */
function checkStateIsObs(batch: EpisodeBatch, b: number, L: number): void {
  const { T, stateDim: S, obs, state } = batch;
  if (state.length === 0) return;
  for (let t = 0; t < L; t++) {
    const k = b * (T + 1) + t;
    for (let j = k * S; j < (k + 1) * S; j++) {
      if (state[j] !== obs[j] && !(Number.isNaN(state[j]) && Number.isNaN(obs[j]))) {
        throw new RangeError(`ReplayBuffer.insert: the environment declares stateIsObs, but episode ${b}, step ${t} has state[${j - k * S}] = ${state[j]} and observation value ${obs[j]}`);
      }
    }
  }
}

/** Throws unless every filled step's last-action part is the one-hot of the step before's actions (zeros at the first). */
function checkLastActions(batch: EpisodeBatch, b: number, L: number, la: number, n: number, A: number, S: number): void {
  const T1 = batch.T + 1;
  for (let t = 0; t < L; t++) {
    const k = b * T1 + t;
    for (let a = 0; a < n; a++) {
      const prev = t > 0 ? batch.actions[(k - 1) * n + a]! : -1;
      for (let x = 0; x < A; x++) {
        const got = batch.state[k * S + la + a * A + x]!, want = x === prev ? 1 : 0;
        if (got !== want) {
          throw new RangeError(`ReplayBuffer.insert: the environment declares its state's last actions at ${la}, but episode ${b}, step ${t} has state[${la + a * A + x}] = ${got} where agent ${a}'s ${t > 0 ? `previous action ${prev}` : "first step (no previous action)"} gives ${want}`);
        }
      }
    }
  }
}

/**
 * Copies episode `from` of src into slot `to` of dst, cutting or zero-padding
 * to dst.T.
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
  if (dst.state.length > 0) copy(src.state, dst.state, S);
  copy(src.availActions, dst.availActions, n * A);
  copy(src.actions, dst.actions, n);
  copy(src.reward, dst.reward, 1);
  copy(src.terminated, dst.terminated, 1);
  copy(src.filled, dst.filled, 1);
}
