// Training checkpoints as bytes (the Node layer writes them to files; a
// browser can keep them in IndexedDB). Two safetensors blobs:
//   model:  online agent/mixer (pymarl names), targets under "target.",
//           optimizer buffers under "optim.", and in the metadata the
//           config, the policy spec, counters and generator states;
//   buffer: the replay buffer's episodes, so a resumed run continues exactly.
// The buffer carries the t_env and episode of the model it was saved with;
// restore() refuses a pair that does not belong together, because a model
// resumed with a newer or older buffer trains on, silently, to other weights.

import { type NamedArray, decodeSafetensors, encodeSafetensors, encodeSafetensorsParts, joinBytes } from "../nn/safetensors.ts";
import { DEFAULT_CONFIG, type QMixConfig } from "./config.ts";
import type { Trainer } from "./trainer.ts";

export interface LoopCounters {
  lastTestT: number;
  lastLogT: number;
  lastSaveT: number;
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
 * them): the observations and rewards go out as views of the buffer's own
 * memory, so saving does not hold a second copy of the buffer.
 */
export function encodeBufferParts(trainer: Trainer): Uint8Array[] {
  const s = trainer.buffer.store, t = new Map<string, NamedArray>();
  put(t, "obs", s.obs);
  if (s.state.length > 0) put(t, "state", s.state);
  put(t, "avail_actions", Float32Array.from(s.availActions));
  put(t, "actions", Float32Array.from(s.actions));
  put(t, "reward", s.reward);
  put(t, "terminated", Float32Array.from(s.terminated));
  put(t, "filled", Float32Array.from(s.filled));
  return encodeSafetensorsParts(t, { format: "qmix-ts-buffer", t_env: String(trainer.tEnv), episode: String(trainer.episode) });
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
  if (stored) {
    const b = stored.tensors, s = trainer.buffer.store;
    const take = (name: string, dst: Float32Array | Uint8Array | Int32Array) => {
      const src = b.get(name);
      if (!src || src.data.length !== dst.length) throw new CheckpointError(`checkpoint buffer: "${name}" is missing or has ${src?.data.length ?? 0} values, expected ${dst.length}`);
      dst.set(src.data);
    };
    // A stateIsObs buffer rebuilds the state from the observations (a file written before it stored them both).
    take("obs", s.obs); if (s.state.length > 0) take("state", s.state); take("avail_actions", s.availActions); take("actions", s.actions);
    take("reward", s.reward); take("terminated", s.terminated); take("filled", s.filled);
    trainer.buffer.size = c.bufferSize;
    trainer.buffer.cursor = c.bufferCursor;
  }
  return { lastTestT: c.lastTestT, lastLogT: c.lastLogT, lastSaveT: c.lastSaveT };
}
