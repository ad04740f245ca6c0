// Training checkpoints as bytes (the Node layer writes them to files; a
// browser can keep them in IndexedDB). Two safetensors blobs:
//   model:  online agent/mixer (pymarl names), targets under "target.",
//           optimizer buffers under "optim.", and in the metadata the
//           config, the policy spec, counters and generator states;
//   buffer: the replay buffer's episodes, so a resumed run continues exactly.
// The buffer carries the t_env and episode of the model it was saved with;
// restore() refuses a pair that does not belong together, because a model
// resumed with a newer or older buffer trains on, silently, to other weights.

import { type DecodedSafetensors, type NamedArray, type NamedBytes, decodeSafetensors, encodeSafetensors, encodeSafetensorsParts, joinBytes } from "../nn/safetensors.ts";
import { emptyBatch } from "../qmix/batch.ts";
import { packEpisode } from "../qmix/buffer.ts";
import { DEFAULT_CONFIG, type QMixConfig } from "./config.ts";
import type { Trainer } from "./trainer.ts";

export interface LoopCounters {
  lastTestT: number;
  lastLogT: number;
  lastSaveT: number;
  /** Greedy evaluations in a row at or above the config's stopWinRate (absent in older files: 0). */
  goalStreak?: number;
}

interface Counters extends LoopCounters {
  tEnv: number;
  episode: number;
  updates: number;
  testRuns: number;
  lastTargetUpdateEpisode: number;
  optimizerStep: number;
  exploreRng: number[];
  sampleRng: number[];
  bufferSize: number;
  bufferCursor: number;
  bestReturn: number | null;
  bestT: number | null;
  /** The best evaluation's win rate; absent where the environment reports none, and in older files. */
  bestWon?: number | null;
  /** Absent in files written before standardiseRewards existed. */
  rewardStats?: { count: number; mean: number; m2: number };
}

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

function put(map: Map<string, NamedArray>, name: string, data: Float32Array, shape: number[] = [data.length]): void {
  map.set(name, { shape, data });
}

export function encodeModel(trainer: Trainer, loop: LoopCounters): Uint8Array {
  const l = trainer.learner, t = new Map<string, NamedArray>();
  for (const [k, p] of l.namedParameters()) put(t, k, p.data, p.shape);
  for (const [k, p] of l.targetAgent.namedParameters("target.agent.")) put(t, k, p.data, p.shape);
  if (l.targetMixer) for (const [k, p] of l.targetMixer.namedParameters("target.mixer.")) put(t, k, p.data, p.shape);
  const opt = l.optimizer.stateDict();
  for (const [k, v] of opt.buffers) put(t, `optim.${k}`, v);
  const counters: Counters = {
    ...loop,
    tEnv: trainer.tEnv, episode: trainer.episode, updates: trainer.updates, testRuns: trainer.testRuns,
    lastTargetUpdateEpisode: l.getCounters().lastTargetUpdateEpisode, optimizerStep: opt.scalars.step ?? 0,
    exploreRng: trainer.exploreRng.getState(), sampleRng: trainer.sampleRng.getState(),
    bufferSize: trainer.buffer.size, bufferCursor: trainer.buffer.cursor,
    bestReturn: trainer.best?.returnMean ?? null, bestT: trainer.best?.tEnv ?? null, bestWon: trainer.best?.battleWonMean ?? null,
    rewardStats: { ...trainer.rewardStats },
  };
  return encodeSafetensors(t, {
    format: "qmix-ts-checkpoint",
    spec: JSON.stringify(trainer.policy.spec),
    config: JSON.stringify(trainer.config),
    counters: JSON.stringify(counters),
  });
}

/** Online weights only (the best evaluation's, typically), loadable by DecentralisedPolicy.fromBytes. */
export function encodeWeights(trainer: Trainer, weights: Map<string, Float32Array>, extra: Record<string, string> = {}): Uint8Array {
  const t = new Map<string, NamedArray>();
  for (const [k, p] of trainer.learner.namedParameters()) put(t, k, weights.get(k)!, p.shape);
  return encodeSafetensors(t, { format: "qmix-ts-weights", spec: JSON.stringify(trainer.policy.spec), config: JSON.stringify(trainer.config), ...extra });
}

export function encodeBuffer(trainer: Trainer): Uint8Array {
  return joinBytes(encodeBufferParts(trainer));
}

/**
 * encodeBuffer's file as parts to write in order (saveCheckpoint takes
 * them): the packed episodes (see buffer.ts) go out as views of the
 * buffer's own memory, in slot order, so saving holds no second copy of
 * the buffer. "episode_bytes" gives each one's length (u32, little-endian).
 */
export function encodeBufferParts(trainer: Trainer): Uint8Array[] {
  const buf = trainer.buffer, chunks: Uint8Array[] = [];
  const lengths = new Uint32Array(buf.size);
  for (let i = 0; i < buf.size; i++) { chunks.push(buf.slot(i)); lengths[i] = buf.slot(i).byteLength; }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const t = new Map<string, NamedArray | NamedBytes>([
    ["episodes", { shape: [total], chunks }],
    ["episode_bytes", { shape: [4 * buf.size], chunks: [littleEndianU32(lengths)] }],
  ]);
  return encodeSafetensorsParts(t, {
    format: "qmix-ts-buffer", packing: BUFFER_PACKING, layout: JSON.stringify(buf.layout), byte_order: HOST_ORDER,
    t_env: String(trainer.tEnv), episode: String(trainer.episode),
  });
}

/** The packing of the episodes in a buffer file (files without one hold padded episodes, as before packing). */
const BUFFER_PACKING = "episodes-1";
const HOST_ORDER = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? "little" : "big";

function littleEndianU32(xs: Uint32Array): Uint8Array {
  const out = new Uint8Array(4 * xs.length), v = new DataView(out.buffer);
  xs.forEach((x, i) => v.setUint32(4 * i, x, true));
  return out;
}

/** Whether a buffer file was saved together with this checkpoint (same t_env and episode); null if it does, else why not. */
export function bufferMismatch(model: Uint8Array, buffer: Uint8Array): string | null {
  return mismatch(decodeSafetensors(model).metadata, decodeSafetensors(buffer).metadata);
}

function mismatch(m: Record<string, string>, b: Record<string, string>): string | null {
  if (b.format !== "qmix-ts-buffer") return `not a qmix-ts replay buffer (format "${b.format ?? "none"}")`;
  if (m.format !== "qmix-ts-checkpoint" || !m.counters) return `the model is not a qmix-ts training checkpoint (format "${m.format ?? "none"}")`;
  const c = JSON.parse(m.counters) as Counters;
  if (b.t_env !== String(c.tEnv) || b.episode !== String(c.episode)) {
    return `the buffer was saved at t_env ${b.t_env ?? "?"}, episode ${b.episode ?? "?"}; the model at t_env ${c.tEnv}, episode ${c.episode}`;
  }
  return null;
}

/** The config stored in a checkpoint or weights file. */
export function readConfig(bytes: Uint8Array): QMixConfig {
  const { metadata } = decodeSafetensors(bytes);
  if (!metadata.config) throw new CheckpointError("checkpoint: no config in the file's metadata (not written by qmix-ts train)");
  // Keys added since the file was written take their defaults (the behaviour before they existed).
  return { ...DEFAULT_CONFIG, ...(JSON.parse(metadata.config) as Partial<QMixConfig>) };
}

/** The training step a checkpoint or weights file was written at (a weights file's t_env, a checkpoint's counters), or null. */
export function readTrainingStep(bytes: Uint8Array): number | null {
  const { metadata } = decodeSafetensors(bytes);
  if (metadata.t_env !== undefined) return Number(metadata.t_env);
  if (metadata.counters !== undefined) return (JSON.parse(metadata.counters) as { tEnv?: number }).tEnv ?? null;
  return null;
}

/** Restores everything encodeModel wrote (and the buffer, when given) into a trainer built from the same config. */
export function restore(trainer: Trainer, model: Uint8Array, buffer?: Uint8Array): LoopCounters {
  const { tensors, metadata } = decodeSafetensors(model);
  if (metadata.format !== "qmix-ts-checkpoint" || !metadata.counters) throw new CheckpointError(`checkpoint: expected a qmix-ts training checkpoint, got format "${metadata.format ?? "none"}"`);
  const c = JSON.parse(metadata.counters) as Counters;
  // Checked before anything is touched, so a refused pair leaves the trainer as it was.
  const stored = buffer ? decodeSafetensors(buffer) : null;
  const why = stored ? mismatch(metadata, stored.metadata) : null;
  if (why) throw new CheckpointError(`checkpoint buffer: it does not belong to this checkpoint: ${why}`);
  const l = trainer.learner;
  l.agent.loadStateDict(tensors, { strict: false, prefix: "agent." });
  l.mixer?.loadStateDict(tensors, { strict: false, prefix: "mixer." });
  l.targetAgent.loadStateDict(tensors, { strict: false, prefix: "target.agent." });
  l.targetMixer?.loadStateDict(tensors, { strict: false, prefix: "target.mixer." });
  const buffers = new Map<string, Float32Array>();
  for (const [k, v] of tensors) if (k.startsWith("optim.")) buffers.set(k.slice(6), v.data);
  l.optimizer.loadStateDict({ buffers, scalars: { step: c.optimizerStep } });
  l.setCounters({ lastTargetUpdateEpisode: c.lastTargetUpdateEpisode });
  trainer.tEnv = c.tEnv;
  trainer.episode = c.episode;
  trainer.updates = c.updates;
  trainer.testRuns = c.testRuns;
  trainer.rewardStats = c.rewardStats ? { ...c.rewardStats } : { count: 0, mean: 0, m2: 0 };
  trainer.exploreRng.setState(c.exploreRng);
  trainer.sampleRng.setState(c.sampleRng);
  // The best weights themselves live in their own file; only the score is needed to keep tracking.
  trainer.best = c.bestReturn === null ? null : { returnMean: c.bestReturn, battleWonMean: c.bestWon ?? undefined, tEnv: c.bestT ?? 0, weights: new Map() };
  if (stored) restoreBuffer(trainer, stored, c);
  return { lastTestT: c.lastTestT, lastLogT: c.lastLogT, lastSaveT: c.lastSaveT, ...(c.goalStreak === undefined ? {} : { goalStreak: c.goalStreak }) };
}

/** Refills the trainer's buffer from a buffer file: packed episodes, or the padded ones of files written before packing. */
function restoreBuffer(trainer: Trainer, stored: DecodedSafetensors, c: Counters): void {
  const buf = trainer.buffer, m = stored.metadata;
  const blocks: Uint8Array[] = [];
  if (m.packing === undefined) {
    blocks.push(...repackPadded(trainer, stored, c.bufferSize));
  } else {
    if (m.packing !== BUFFER_PACKING) throw new CheckpointError(`checkpoint buffer: packing "${m.packing}" is not one this version reads ("${BUFFER_PACKING}")`);
    if (m.byte_order !== HOST_ORDER) throw new CheckpointError(`checkpoint buffer: written on a ${m.byte_order ?? "?"}-endian host, this one is ${HOST_ORDER}-endian`);
    if (m.layout !== JSON.stringify(buf.layout)) throw new CheckpointError(`checkpoint buffer: its episodes were packed for ${m.layout ?? "?"}, this run's buffer is ${JSON.stringify(buf.layout)}`);
    const all = stored.bytes.get("episodes")?.data, sizes = stored.bytes.get("episode_bytes")?.data;
    if (!all || !sizes || sizes.length !== 4 * c.bufferSize) throw new CheckpointError(`checkpoint buffer: "episodes" and "episode_bytes" for ${c.bufferSize} episodes are missing or of the wrong size`);
    const v = new DataView(sizes.buffer, sizes.byteOffset, sizes.byteLength);
    let pos = 0;
    for (let i = 0; i < c.bufferSize; i++) {
      const n = v.getUint32(4 * i, true);
      if (pos + n > all.length) throw new CheckpointError(`checkpoint buffer: episode ${i} runs past the end of "episodes"`);
      blocks.push(all.slice(pos, pos + n)); // a copy: the file's bytes are let go
      pos += n;
    }
    if (pos !== all.length) throw new CheckpointError(`checkpoint buffer: "episodes" has ${all.length - pos} bytes after its last episode`);
  }
  try {
    buf.restore(blocks, c.bufferCursor);
  } catch (err) {
    throw new CheckpointError(`checkpoint buffer: ${(err as Error).message}`);
  }
}

/** Episodes of a buffer file written before packing ([capacity, T+1, ...] padded arrays), packed. */
function repackPadded(trainer: Trainer, stored: DecodedSafetensors, count: number): Uint8Array[] {
  const buf = trainer.buffer, b = stored.tensors;
  const full = emptyBatch(buf.sizes, buf.capacity, buf.maxSteps);
  const take = (name: string, dst: Float32Array | Uint8Array | Int32Array) => {
    const src = b.get(name);
    if (!src || src.data.length !== dst.length) throw new CheckpointError(`checkpoint buffer: "${name}" is missing or has ${src?.data.length ?? 0} values, expected ${dst.length}`);
    dst.set(src.data);
  };
  take("obs", full.obs);
  // A stateIsObs buffer rebuilt the state from the observations and stored none.
  if (buf.layout.stateIsObs) full.state.set(full.obs); else take("state", full.state);
  take("avail_actions", full.availActions); take("actions", full.actions);
  take("reward", full.reward); take("terminated", full.terminated); take("filled", full.filled);
  const blocks: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    try {
      blocks.push(packEpisode(buf.layout, full, i));
    } catch (err) {
      throw new CheckpointError(`checkpoint buffer: ${(err as Error).message.replace(/^ReplayBuffer.insert: /, "")}`);
    }
  }
  return blocks;
}
