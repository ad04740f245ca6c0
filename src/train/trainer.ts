// The training loop (pymarl's run.py): collect episodes with ε-greedy agents,
// store them, update once per collected batch, copy targets, evaluate
// greedily and keep the best evaluation's weights. Portable: files,
// progress and signals are the caller's (see src/node).

import type { MultiAgentEnv } from "../envs/env.ts";
import { makeEnv } from "../envs/registry.ts";
import { wrapTimestep } from "../envs/timestep.ts";
import { Rng } from "../tensor/random.ts";
import { linearSchedule } from "../qmix/action_selection.ts";
import { ReplayBuffer } from "../qmix/buffer.ts";
import type { QMixConfig } from "./config.ts";
import type { InputOptions } from "../qmix/inputs.ts";
import { inputDim } from "../qmix/inputs.ts";
import type { GradientHelper } from "../qmix/data_parallel.ts";
import { type LearnerConfig, type LearnerStats, QLearner } from "../qmix/learner.ts";
import { type NetworkSpec, buildNetworks } from "../qmix/networks.ts";
import { DecentralisedPolicy, type PolicySpec } from "../qmix/policy.ts";
import { ParallelRunner } from "./runner.ts";

export interface EvalResult {
  returnMean: number;
  returnStd: number;
  episodes: number;
  returns: number[];
  /** The share of episodes won, where the environment reports battle_won (SMAC, SMAClite); pymarl's test_battle_won_mean. */
  battleWonMean?: number;
}

export interface TrainEvent {
  tEnv: number;
  episode: number;
  updates: number;
  epsilon: number;
  trainReturnMean: number;
  /** The collected episodes' win rate, where the environment reports battle_won. */
  trainWonMean?: number;
  learner: LearnerStats | null;
}

/** The seed of training environment `e` before its first reset (makeEnvs and the trainer agree on it). */
export function trainEnvSeed(seed: number, e: number): number {
  return deriveSeed(seed, STREAM_TRAIN_ENV, e);
}

/** Derives independent seeds for streams (training episodes, tests, …) from one seed. */
export function deriveSeed(seed: number, stream: number, k: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = (h + Math.imul(k + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const STREAM_NET = 1, STREAM_EXPLORE = 2, STREAM_SAMPLE = 3, STREAM_TRAIN_ENV = 4, STREAM_TEST_ENV = 5, STREAM_TEST_ACT = 6;

export interface TrainerOptions {
  /**
   * Makes the `learnerThreads − 1` gradient helpers (src/node/parallel.ts
   * for Node's worker threads). Without it the learner runs on this thread
   * whatever `learnerThreads` says.
   */
  gradientHelpers?: (count: number, spec: NetworkSpec, learner: LearnerConfig) => GradientHelper[];
  /**
   * The training environments, made by the caller (makeEnvs in
   * ./qmix_agents.ts), batchSizeRun of them, unwrapped: the trainer adds the
   * timestep features itself. The test environment still comes from the
   * factory. Without it the trainer makes them all.
   */
  envs?: MultiAgentEnv[];
}

export class Trainer {
  readonly envs: MultiAgentEnv[];
  readonly testEnv: MultiAgentEnv;
  readonly learner: QLearner;
  readonly policy: DecentralisedPolicy;
  readonly buffer: ReplayBuffer;
  readonly runner: ParallelRunner;
  readonly testRunner: ParallelRunner;
  readonly exploreRng: Rng;
  readonly sampleRng: Rng;
  tEnv = 0;
  episode = 0;
  updates = 0;
  testRuns = 0;
  /** The best greedy evaluation after t = 0 (see evaluate), with its weights. */
  best: { returnMean: number; battleWonMean?: number; tEnv: number; weights: Map<string, Float32Array> } | null = null;
  /** Running count, mean and sum of squared deviations of the collected rewards (Chan et al.'s parallel update), for standardiseRewards. */
  rewardStats = { count: 0, mean: 0, m2: 0 };

  constructor(
    readonly config: QMixConfig,
    makeEnvFn: (name: string, options: Record<string, unknown>) => MultiAgentEnv = makeEnv,
    options: TrainerOptions = {},
  ) {
    const c = config;
    this.envs = [];
    const make = (seed: number) => {
      return wrapTimestep(makeEnvFn(c.env, { ...c.envArgs, seed }), c);
    };
    if (options.envs) {
      if (options.envs.length !== c.batchSizeRun) throw new RangeError(`Trainer: got ${options.envs.length} environments, the config's batchSizeRun is ${c.batchSizeRun}`);
      for (const e of options.envs) this.envs.push(wrapTimestep(e, c));
    } else {
      for (let e = 0; e < c.batchSizeRun; e++) this.envs.push(make(deriveSeed(c.seed, STREAM_TRAIN_ENV, e)));
    }
    this.testEnv = make(deriveSeed(c.seed, STREAM_TEST_ENV, 0));
    const env = this.envs[0]!;
    const inputs: InputOptions = { lastAction: c.obsLastAction, agentId: c.obsAgentId };
    const netRng = new Rng(deriveSeed(c.seed, STREAM_NET, 0));
    const D = inputDim(env.obsDim, env.nActions, env.nAgents, inputs);
    const netSpec: NetworkSpec = {
      agent: c.agent, inputDim: D, hidden: c.rnnHiddenDim, nActions: env.nActions, mixer: c.mixer, nAgents: env.nAgents,
      stateDim: env.stateDim, embedDim: c.mixingEmbedDim, hypernetEmbed: c.hypernetEmbed, hypernetLayers: c.hypernetLayers,
    };
    const { agent, mixer } = buildNetworks(netSpec, netRng);
    const learnerConfig: LearnerConfig = {
      nAgents: env.nAgents, nActions: env.nActions, obsDim: env.obsDim, stateDim: env.stateDim, inputs,
      gamma: c.gamma, doubleQ: c.doubleQ, gradNormClip: c.gradNormClip, optimizer: c.optimizer, lr: c.lr,
      optimAlpha: c.optimAlpha, optimEps: c.optimEps, targetUpdateInterval: c.targetUpdateInterval,
      targetTau: c.targetTau, tdLambda: c.tdLambda, halfLoss: c.halfLoss, learnerChunks: c.learnerChunks,
    };
    this.learner = new QLearner(agent, mixer, learnerConfig);
    if (c.learnerThreads > 1 && options.gradientHelpers) {
      this.learner.setHelpers(options.gradientHelpers(c.learnerThreads - 1, netSpec, learnerConfig));
    }
    const spec: PolicySpec = { agent: c.agent, hidden: c.rnnHiddenDim, nAgents: env.nAgents, obsDim: env.obsDim, nActions: env.nActions, inputs };
    this.policy = new DecentralisedPolicy(agent, spec);
    this.buffer = new ReplayBuffer(env, c.bufferSize, env.episodeLimit, { stateIsObs: env.stateIsObs === true, stateLastAction: env.stateLastAction });
    this.runner = new ParallelRunner(this.envs, this.policy, c.timeLimitTerminal);
    this.testRunner = new ParallelRunner([this.testEnv], this.policy);
    this.exploreRng = new Rng(deriveSeed(c.seed, STREAM_EXPLORE, 0));
    this.sampleRng = new Rng(deriveSeed(c.seed, STREAM_SAMPLE, 0));
  }

  get epsilon(): number {
    const c = this.config;
    return linearSchedule(this.tEnv, c.epsilonStart, c.epsilonFinish, c.epsilonAnnealTime);
  }

  /** The learning rate the next updates use: linear from lr to lrFinish over lrAnnealTime steps, or lr throughout. */
  get learningRate(): number {
    const c = this.config;
    return c.lrAnnealTime > 0 ? linearSchedule(this.tEnv, c.lr, c.lrFinish, c.lrAnnealTime) : c.lr;
  }

  /** One batch of episodes (one per parallel environment), stored, then one update once the buffer can fill a batch. */
  step(): TrainEvent {
    const c = this.config, eps = this.epsilon;
    const seeds = this.envs.map((_, e) => deriveSeed(c.seed, STREAM_TRAIN_ENV, this.episode + e));
    const res = this.runner.run(eps, this.exploreRng, seeds);
    this.buffer.insert(res.batch);
    if (c.standardiseRewards) this.observeRewards(res.batch.reward, res.batch.filled);
    this.tEnv += res.steps;
    this.episode += this.envs.length;
    let stats: LearnerStats | null = null;
    this.learner.setLearningRate(this.learningRate);
    const learning = this.tEnv >= c.learningStarts;
    for (let k = 0; learning && k < c.updatesPerBatch && this.buffer.canSample(c.batchSize); k++) {
      const batch = this.buffer.sample(c.batchSize, this.sampleRng);
      if (c.standardiseRewards) this.standardise(batch.reward);
      stats = this.learner.train(batch, this.episode);
      this.updates++;
    }
    let sum = 0;
    for (const r of res.returns) sum += r;
    const won = summarize([...res.returns], res.won).battleWonMean;
    return { tEnv: this.tEnv, episode: this.episode, updates: this.updates, epsilon: eps, trainReturnMean: sum / res.returns.length, trainWonMean: won, learner: stats };
  }

  /** Folds the rewards of filled steps into the running statistics. */
  private observeRewards(reward: Float32Array, filled: Uint8Array): void {
    let n = 0, sum = 0;
    for (let k = 0; k < reward.length; k++) if (filled[k]) { n++; sum += reward[k]!; }
    if (n === 0) return;
    const mean = sum / n;
    let m2 = 0;
    for (let k = 0; k < reward.length; k++) if (filled[k]) m2 += (reward[k]! - mean) ** 2;
    const s = this.rewardStats, total = s.count + n, delta = mean - s.mean;
    s.m2 += m2 + (delta * delta * s.count * n) / total;
    s.mean += (delta * n) / total;
    s.count = total;
  }

  /** r ← (r − mean) / std in place (a zero std counts as 1: constant rewards are only centred). */
  private standardise(reward: Float32Array): void {
    const s = this.rewardStats;
    const std = Math.sqrt(s.count > 1 ? s.m2 / s.count : 1) || 1;
    const inv = 1 / Math.max(std, 1e-8);
    for (let k = 0; k < reward.length; k++) reward[k] = (reward[k]! - s.mean) * inv;
  }

  /** Greedy episodes (ε = 0) on the test environment, seeded per test run. */
  evaluate(episodes = this.config.testNEpisode): EvalResult {
    const returns: number[] = [];
    const won: number[] = [];
    const rng = new Rng(deriveSeed(this.config.seed, STREAM_TEST_ACT, this.testRuns));
    for (let k = 0; k < episodes; k++) {
      const res = this.testRunner.run(0, rng, [deriveSeed(this.config.seed, STREAM_TEST_ENV, this.testRuns * 100003 + k)]);
      returns.push(res.returns[0]!);
      won.push(res.won[0]!);
    }
    this.testRuns++;
    const r = summarize(returns, won);
    // The untrained network (t = 0) is never "best", and a tie goes to the
    // later evaluation: on the two-step game an untrained team can score the
    // optimum by chance and no later tie would otherwise replace it. Where
    // the environment reports wins, the win rate ranks first, then the return.
    if (this.tEnv > 0 && (!this.best || !ranksBelow(r, this.best))) {
      this.best = { returnMean: r.returnMean, battleWonMean: r.battleWonMean, tEnv: this.tEnv, weights: snapshot(this.learner) };
    }
    return r;
  }

  /** Stops the learner's gradient helpers (worker threads); the trainer then updates on one thread. */
  close(): void {
    this.learner.closeHelpers();
  }

  /** All online weights by pymarl name, copied. */
  weights(): Map<string, Float32Array> {
    return snapshot(this.learner);
  }
}

function ranksBelow(r: EvalResult, best: { returnMean: number; battleWonMean?: number }): boolean {
  const a = r.battleWonMean ?? 0, b = best.battleWonMean ?? 0;
  return a !== b ? a < b : r.returnMean < best.returnMean;
}

/** Mean and spread of returns; with `won` (1, 0, or -1 for "not reported") per episode, the win rate when every episode reported one. */
export function summarize(returns: number[], won?: ArrayLike<number>): EvalResult {
  const n = returns.length;
  const mean = n ? returns.reduce((s, x) => s + x, 0) / n : NaN;
  const std = n ? Math.sqrt(returns.reduce((s, x) => s + (x - mean) ** 2, 0) / n) : NaN;
  const r: EvalResult = { returnMean: mean, returnStd: std, episodes: n, returns };
  if (won !== undefined && won.length === n && n > 0) {
    let sum = 0, all = true;
    for (let i = 0; i < n; i++) {
      if (won[i]! < 0) all = false;
      sum += won[i]!;
    }
    if (all) r.battleWonMean = sum / n;
  }
  return r;
}

function snapshot(learner: QLearner): Map<string, Float32Array> {
  return new Map(learner.namedParameters().map(([k, t]) => [k, t.data.slice()]));
}
