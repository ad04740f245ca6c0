// Agents you drive yourself, in the shape of XuanCe's QMIX_Agents:
//   const envs = makeEnvs(config);              // the parallel environments
//   const agents = new QMixAgents(config, envs);
//   await agents.train(steps);                  // steps of all environments together
//   await agents.saveModel("final.safetensors");
//   agents.finish();
// A thin layer over Trainer and the training schedule (./loop.ts). Portable:
// models go to a ModelStore, in memory unless the caller gives another
// (src/node/qmix_agents.ts writes files).

import type { MultiAgentEnv } from "../envs/env.ts";
import { makeEnv } from "../envs/registry.ts";
import { decodeSafetensors } from "../nn/safetensors.ts";
import { type LoopCounters, encodeModel, encodeWeights, restore } from "../train/checkpoint.ts";
import type { QMixConfig } from "../train/config.ts";
import { type LoopHooks, trainLoopAsync } from "../train/loop.ts";
import { type EvalResult, Trainer, type TrainerOptions, trainEnvSeed } from "../train/trainer.ts";

type EnvFactory = (name: string, options: Record<string, unknown>) => MultiAgentEnv;

/**
 * The training environments of a config: batchSizeRun copies of config.env
 * with its envArgs, each seeded as the Trainer seeds its own, so
 * `new QMixAgents(config, makeEnvs(config))` trains exactly as `new
 * Trainer(config)` does. A custom environment must be registered first
 * (registerEnv).
 */
export function makeEnvs(config: QMixConfig, make: EnvFactory = makeEnv): MultiAgentEnv[] {
  const envs: MultiAgentEnv[] = [];
  for (let e = 0; e < config.batchSizeRun; e++) envs.push(make(config.env, { ...config.envArgs, seed: trainEnvSeed(config.seed, e) }));
  return envs;
}

/** Where saveModel and loadModel put and find their bytes. */
export interface ModelStore {
  write(path: string, bytes: Uint8Array): void | Promise<void>;
  read(path: string): Uint8Array | Promise<Uint8Array>;
}

/** Models kept in memory by path: the default where there are no files (a browser keeps them for the page's life). */
export class MemoryStore implements ModelStore {
  readonly files = new Map<string, Uint8Array>();
  write(path: string, bytes: Uint8Array): void {
    this.files.set(path, bytes.slice());
  }
  read(path: string): Uint8Array {
    const b = this.files.get(path);
    if (b === undefined) throw new Error(`loadModel: no model saved at "${path}" in this store; saved: ${[...this.files.keys()].join(", ") || "(none)"}`);
    return b;
  }
}

export interface QMixAgentsOptions extends Omit<TrainerOptions, "envs"> {
  /** Makes the test environment (the training ones are given). [makeEnv] */
  makeEnv?: EnvFactory;
  /** Where saveModel/loadModel go. [a MemoryStore] */
  store?: ModelStore;
  /** Hooks into the training schedule: metrics, evaluations, progress. */
  hooks?: LoopHooks;
  /** Hand control back to the host's event loop this often while training. [100 ms] */
  sliceMs?: number;
}

export interface TrainSummary {
  /** Environment steps trained so far, in all calls. */
  tEnv: number;
  episode: number;
  /** The best greedy evaluation so far (after t = 0), if any. */
  best: { returnMean: number; battleWonMean?: number; tEnv: number } | null;
  /** The last greedy evaluation of this call, if any. */
  lastTest: EvalResult | null;
}

export class QMixAgents {
  readonly trainer: Trainer;
  readonly store: ModelStore;
  private loop: LoopCounters | undefined;
  private finished = false;

  constructor(readonly config: QMixConfig, envs: MultiAgentEnv[], readonly options: QMixAgentsOptions = {}) {
    if (!Array.isArray(envs) || envs.length !== config.batchSizeRun) {
      throw new RangeError(`QMixAgents: got ${Array.isArray(envs) ? envs.length : "no"} environments for batchSizeRun ${config.batchSizeRun}; makeEnvs(config) makes them`);
    }
    this.trainer = new Trainer(config, options.makeEnv ?? makeEnv, { ...options, envs });
    this.store = options.store ?? new MemoryStore();
  }

  /**
   * Trains for `steps` steps of the parallel environments together (XuanCe's
   * unit: config.batchSizeRun environment steps each), rounded up to whole
   * episodes, on the config's schedule of greedy evaluations. A later call
   * continues where this one stopped.
   */
  async train(steps: number): Promise<TrainSummary> {
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`QMixAgents.train: steps must be a non-negative integer, got ${String(steps)}`);
    return this.trainTo(this.trainer.tEnv + steps * this.config.batchSizeRun);
  }

  /** Trains until t_env reaches tEnd (environment steps, all environments counted), rounded up to whole episodes. */
  async trainTo(tEnd: number): Promise<TrainSummary> {
    this.alive("train");
    const t = this.trainer;
    let lastTest: EvalResult | null = null;
    const user = this.options.hooks ?? {};
    const hooks: LoopHooks = { ...user, onEvaluate: (r, improved) => { lastTest = r; user.onEvaluate?.(r, improved); } };
    this.loop = await trainLoopAsync(t, hooks, this.loop, this.options.sliceMs ?? 100, tEnd);
    return { tEnv: t.tEnv, episode: t.episode, best: bestOf(t), lastTest };
  }

  /** Greedy episodes (ε = 0) of the current team on the test environment. */
  test(episodes = this.config.testNEpisode): EvalResult {
    this.alive("test");
    return this.trainer.evaluate(episodes);
  }

  /** A training checkpoint (weights, targets, optimizer, counters; no replay buffer) as safetensors bytes. */
  modelBytes(): Uint8Array {
    return encodeModel(this.trainer, this.counters());
  }

  /** The best evaluation's weights (loadable by DecentralisedPolicy.fromBytes and `qmix eval`), or null before any evaluation after t = 0. */
  bestModelBytes(): Uint8Array | null {
    const b = this.trainer.best;
    if (!b || b.weights.size === 0) return null;
    const won: Record<string, string> = b.battleWonMean === undefined ? {} : { test_battle_won_mean: String(b.battleWonMean) };
    return encodeWeights(this.trainer, b.weights, { test_return_mean: String(b.returnMean), t_env: String(b.tEnv), ...won });
  }

  /**
   * Loads a checkpoint (modelBytes, model.safetensors: everything, training
   * continues from it) or a weights file (bestModelBytes, best.safetensors:
   * the agent and mixer, copied to the targets too).
   */
  loadModelBytes(bytes: Uint8Array): void {
    this.alive("loadModel");
    const { tensors, metadata } = decodeSafetensors(bytes);
    if (metadata.format === "qmix-ts-checkpoint") {
      this.loop = restore(this.trainer, bytes);
      return;
    }
    if (metadata.format !== "qmix-ts-weights") throw new Error(`loadModel: expected a qmix-ts checkpoint or weights file, got format "${metadata.format ?? "none"}"`);
    const l = this.trainer.learner;
    l.agent.loadStateDict(tensors, { strict: false, prefix: "agent." });
    l.mixer?.loadStateDict(tensors, { strict: false, prefix: "mixer." });
    l.hardUpdateTargets();
  }

  /** Saves modelBytes() to the store under `path`. */
  async saveModel(path: string): Promise<void> {
    this.alive("saveModel");
    await this.store.write(path, this.modelBytes());
  }

  async loadModel(path: string): Promise<void> {
    this.loadModelBytes(await this.store.read(path));
  }

  /** Closes the environments and the learner's helper threads; the agents cannot train after it. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const e of [...this.trainer.envs, this.trainer.testEnv]) e.close?.();
    this.trainer.close();
  }

  private counters(): LoopCounters {
    return this.loop ?? { lastTestT: -this.config.testInterval - 1, lastLogT: 0, lastSaveT: 0 };
  }

  private alive(what: string): void {
    if (this.finished) throw new Error(`QMixAgents.${what}: finish() was called; make new agents`);
  }
}

function bestOf(t: Trainer): TrainSummary["best"] {
  if (!t.best) return null;
  const b: NonNullable<TrainSummary["best"]> = { returnMean: t.best.returnMean, tEnv: t.best.tEnv };
  if (t.best.battleWonMean !== undefined) b.battleWonMean = t.best.battleWonMean;
  return b;
}
