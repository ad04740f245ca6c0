// The QMIX learner (pymarl's QLearner): one call to train() is one gradient
// step on the TD loss of equation (7) of docs/walkthrough.md,
//   L(θ) = Σ (y_tot − Q_tot(τ, u, s; θ))²,  y_tot = r + γ max_u' Q_tot(τ', u', s'; θ⁻),
// computed step by step below (the agents' Qs, the targets, Q_tot, the loss;
// then backward, clip, optimizer step, target update). Splitting a batch over
// threads lives in data_parallel.ts. Rows are time-major inside: step t of episode b, agent i
// is row (t·B + b)·n + i.

import { mulScalar, sub } from "../autograd/elementwise.ts";
import { gather, reshape, slice } from "../autograd/shape.ts";
import { backward, noGrad } from "../autograd/tape.ts";
import { maskedMeanSquare } from "../nn/loss.ts";
import type { Module } from "../nn/module.ts";
import { Adam, type Optimizer, RMSprop, clipGradNorm } from "../nn/optim.ts";
import { Tensor } from "../tensor/tensor.ts";
import type { AgentNetwork } from "./agents.ts";
import { type EpisodeBatch, validateBatch } from "./batch.ts";
import { type InputOptions, buildBatchInputs, inputDim } from "./inputs.ts";
import type { Mixer } from "./mixers.ts";
import { type GradientHelper, type ShareStats, episodeShares, evenCuts, sharedGradients } from "./data_parallel.ts";
import { gatherEpisodes, longestFirst, shareSteps, stepsNeeded } from "./length_shares.ts";
import { buildMask, lambdaTargets, nextActionValues, oneStepTargets } from "./targets.ts";
import { ArrayPool, scratch } from "../tensor/pool.ts";

/**
 * What the learner needs: the sizes, the input options, and the learning
 * settings. A run's config (src/train/config.ts) carries these under the same
 * names, with their defaults and sources.
 */
export interface LearnerConfig {
  nAgents: number;
  nActions: number;
  obsDim: number;
  stateDim: number;
  inputs: InputOptions;
  gamma: number;
  doubleQ: boolean;
  gradNormClip: number;
  optimizer: "rmsprop" | "adam";
  lr: number;
  optimAlpha: number;
  optimEps: number;
  targetUpdateInterval: number;
  targetTau: number;
  tdLambda: number;
  halfLoss: boolean;
  /** Absent: 1. */
  learnerChunks?: number;
}

export interface LearnerStats extends ShareStats {
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export class NonFiniteError extends Error {
  override name = "NonFiniteError";
}

export class QLearner {
  readonly targetAgent: AgentNetwork;
  readonly targetMixer: Mixer | null;
  readonly optimizer: Optimizer;
  private lastTargetUpdateEpisode = 0;
  private readonly named: Array<[string, Tensor]>;
  private readonly targetNamed: Tensor[];
  private readonly pool = new ArrayPool();
  /** learnerChunks' gradient sums, one per online parameter (made on the first chunked update). */
  private chunkGrads: Float32Array[] | null = null;
  /** learnerChunks: the arrays each share is copied into, kept from update to update. */
  private shareScratch: EpisodeBatch | null = null;

  /** Floats the update's array pool holds between updates (for memory diagnostics). */
  get pooledFloats(): number {
    return this.pool.heldFloats;
  }
  private helpers: GradientHelper[] = [];

  constructor(readonly agent: AgentNetwork, readonly mixer: Mixer | null, readonly config: LearnerConfig) {
    const want = inputDim(config.obsDim, config.nActions, config.nAgents, config.inputs);
    if (agent.inputDim !== want) throw new RangeError(`QLearner: the agent network takes ${agent.inputDim} inputs but the config implies ${want} (obs ${config.obsDim} + last action ${config.inputs.lastAction ? config.nActions : 0} + agent id ${config.inputs.agentId ? config.nAgents : 0})`);
    if (agent.nActions !== config.nActions) throw new RangeError(`QLearner: the agent network has ${agent.nActions} actions, the config ${config.nActions}`);
    if (mixer && mixer.nAgents !== config.nAgents) throw new RangeError(`QLearner: the mixer was built for ${mixer.nAgents} agents, the config has ${config.nAgents}`);
    this.targetAgent = agent.deepCopy();
    this.targetMixer = mixer ? mixer.deepCopy() : null;
    this.named = [...agent.namedParameters("agent."), ...(mixer ? mixer.namedParameters("mixer.") : [])];
    this.targetNamed = [...this.targetAgent.parameters(), ...(this.targetMixer ? this.targetMixer.parameters() : [])];
    this.optimizer = config.optimizer === "adam"
      ? new Adam(this.named, config.lr)
      : new RMSprop(this.named, config.lr, config.optimAlpha, config.optimEps);
  }

  /** The optimizer's current learning rate. */
  get learningRate(): number {
    return this.optimizer.lr;
  }

  /** Sets the learning rate for the following updates (a schedule's value; the optimizer's state is kept). */
  setLearningRate(lr: number): void {
    if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`QLearner.setLearningRate: expected a finite learning rate >= 0, got ${lr}`);
    this.optimizer.lr = lr;
  }

  /** Online parameters by pymarl name (`agent.fc1.weight`, `mixer.V.0.bias`, …). */
  namedParameters(): Array<[string, Tensor]> {
    return this.named;
  }

  /** Target parameters in the same order as namedParameters(). */
  targetParameters(): Tensor[] {
    return this.targetNamed;
  }

  /**
   * Splits every later update's batch by episodes over this thread and the
   * helpers (data parallel: each computes its share's loss and gradients,
   * combined weighted by their masked step counts before clipping). The
   * result equals the one-thread update up to float summation order. An
   * empty list goes back to one thread. Does not close the old helpers.
   */
  setHelpers(helpers: GradientHelper[]): void {
    this.helpers = helpers.slice();
  }

  /** Closes the helpers and goes back to one thread. */
  closeHelpers(): void {
    const hs = this.helpers;
    this.helpers = [];
    for (const h of hs) h.close();
  }

  /** The loss and its gradients without an optimizer step (the gradients stay in `.grad`). */
  computeLoss(batch: EpisodeBatch): { loss: Tensor; stats: ShareStats; weight: number; forward: LearnerForward } {
    const c = this.config;
    validateBatch(batch, c);
    const { B, T, nAgents: n, nActions: A } = batch;
    const T1 = T + 1, Bn = B * n;
    const mask = buildMask(batch.filled, batch.terminated, B, T);
    let maskSum = 0;
    for (let k = 0; k < mask.length; k++) maskSum += mask[k]!;
    if (maskSum === 0) throw new RangeError("QLearner: the batch has no valid step (every mask entry is 0)");

    // Qᵢ(τⁱ, ·; θ) for every agent and step t = 0..T: agent inputs, online unroll.
    const D = this.agent.inputDim;
    const inputs = new Tensor(buildBatchInputs(batch.obs, batch.actions, B, T1, n, batch.obsDim, A, c.inputs), [T1, Bn, D]);
    const agentQs = this.agent.unroll(inputs); // [T+1, B·n, A]

    // Qᵢ(τⁱ, uⁱ) of the taken actions, t = 0..T−1: the mixer's input vector Q.
    const taken = new Int32Array(T * Bn);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) taken[t * Bn + b * n + i] = batch.actions[(b * T1 + t) * n + i]!;
    const chosen = reshape(gather(slice(agentQs, 0, 0, T), 2, taken, [T, Bn, 1]), [T * B, n]);

    // y_tot of (7), no gradient: max_u' Q_tot(τ', u', s'; θ⁻) is taken agent
    // by agent, as (1) allows (with double Q, u' from the online Qs), then the
    // target mixer and r + γ·(…) (or TD(λ)) over the episode.
    const targets = noGrad(() => {
      const targetQs = this.targetAgent.unroll(inputs);
      const nextQ = nextActionValues(agentQs.data, targetQs.data, batch.availActions, B, T, n, A, c.doubleQ);
      let next = nextQ, cols = n;
      if (this.targetMixer) {
        next = this.targetMixer.forward(new Tensor(nextQ, [T * B, n]), this.states(batch, 1)).data;
        cols = 1;
      }
      return c.tdLambda > 0
        ? lambdaTargets(batch.reward, batch.terminated, mask, next, B, T, cols, c.gamma, c.tdLambda)
        : oneStepTargets(batch.reward, batch.terminated, next, B, T, cols, c.gamma);
    });

    // Q_tot(τ, u, s; θ) of the taken joint actions: (4), or (2)'s sum for VDN; IQL keeps the agents' own Qs.
    const qTot = this.mixer ? this.mixer.forward(chosen, this.states(batch, 0)) : chosen;
    const cols = qTot.shape[1]!;

    // (7): the squared TD error, masked to the filled steps and averaged over them.
    const y = new Tensor(targets, qTot.shape);
    const td = sub(qTot, y);
    const maskCols = cols === 1 ? mask : expandMask(mask, cols);
    let loss = maskedMeanSquare(td, new Tensor(maskCols, qTot.shape));
    if (c.halfLoss) loss = mulScalar(loss, 0.5);

    let absSum = 0, qSum = 0, ySum = 0;
    for (let k = 0; k < td.size; k++) {
      const m = maskCols[k]!;
      absSum += m * Math.abs(td.data[k]!);
      qSum += m * qTot.data[k]!;
      ySum += m * targets[k]!;
    }
    const denom = maskSum * cols;
    const stats = { loss: loss.item(), tdErrorAbs: absSum / denom, qTotMean: qSum / denom, targetMean: ySum / denom };
    return { loss, stats, weight: denom, forward: { agentQs, chosen, qTot, targets: y, mask: maskCols } };
  }

  /**
   * One update: loss, backward, clip, optimizer step, target update. The
   * update's working arrays come from the learner's pool, so repeated
   * updates reuse them; parameters' .grad stay readable until the next update.
   */
  train(batch: EpisodeBatch, episode: number): LearnerStats {
    const chunks = Math.min(this.config.learnerChunks ?? 1, batch.B);
    if (chunks > 1) {
      // Longest first, so each share is padded only as far as its own episodes need (length_shares.ts).
      const need = stepsNeeded(batch), order = longestFirst(need);
      const cuts = evenCuts(batch.B, chunks);
      // A share whose longest episode has no counted step has nothing to learn from: then the whole batch at once.
      if (cuts.slice(0, -1).every((c) => need[order[c]!]! > 0)) return this.chunkedUpdate(batch, episode, order, need, cuts);
    }
    return this.pool.run(() => this.update(batch, episode));
  }

  /**
   * learnerChunks: the episodes order[cuts[k] .. cuts[k+1]) one share after
   * another (each split over the gradient helpers, if any), each copied out
   * and cut to its own longest episode, each in its own pool run, so each
   * reuses the arrays of the one before and the update needs the working
   * memory of one share. Their gradients add up as the threads' shares do,
   * g = Σ wₖ gₖ / Σ wₖ, into arrays of the learner's own; then the one clip,
   * step and target update.
   */
  private chunkedUpdate(batch: EpisodeBatch, episode: number, order: Int32Array, need: Int32Array, cuts: number[]): LearnerStats {
    validateBatch(batch, this.config);
    const acc = (this.chunkGrads ??= this.named.map(([, p]) => new Float32Array(p.size)));
    for (const a of acc) a.fill(0);
    // The previous update's gradients are acc itself: let go of them before a share's backward adds into .grad.
    this.optimizer.zeroGrad();
    let W = 0, loss = 0, tdErrorAbs = 0, qTotMean = 0, targetMean = 0;
    for (let k = 0; k + 1 < cuts.length; k++) {
      const { stats: s, weight: w } = this.pool.run(() => {
        this.optimizer.zeroGrad();
        const episodes = order.subarray(cuts[k]!, cuts[k + 1]!);
        const { share, scratch: kept } = gatherEpisodes(batch, episodes, shareSteps(episodes, need), this.shareScratch);
        this.shareScratch = kept;
        // With gradient helpers, each share is itself split over the threads.
        const split = episodeShares(share, this.helpers.length);
        const r = split === null
          ? this.gradients(share)
          : sharedGradients(share, split, this.helpers, { named: this.named, target: this.targetNamed, own: (s) => this.gradients(s) });
        this.named.forEach(([, p], i) => {
          const g = p.grad, a = acc[i]!;
          if (g) for (let j = 0; j < a.length; j++) a[j]! += r.weight * g[j]!;
        });
        return r;
      });
      W += w;
      loss += w * s.loss; tdErrorAbs += w * s.tdErrorAbs; qTotMean += w * s.qTotMean; targetMean += w * s.targetMean;
    }
    const stats = { loss: loss / W, tdErrorAbs: tdErrorAbs / W, qTotMean: qTotMean / W, targetMean: targetMean / W };
    if (!Number.isFinite(stats.loss)) throw nonFiniteLoss(stats);
    this.named.forEach(([, p], i) => {
      const a = acc[i]!;
      for (let j = 0; j < a.length; j++) a[j]! /= W;
      p.grad = a;
    });
    return this.apply(stats, episode);
  }

  /**
   * A gradient helper's share: the loss of `batch` and its gradients in the
   * parameters' .grad, nothing applied. Pooled like train(): the gradients
   * stay valid until the next call.
   */
  lossAndGradients(batch: EpisodeBatch): { stats: ShareStats; weight: number } {
    return this.pool.run(() => {
      this.optimizer.zeroGrad();
      return this.gradients(batch);
    });
  }

  /** Loss and backward into .grad (unpooled; callers clear .grad first). */
  private gradients(batch: EpisodeBatch): { stats: ShareStats; weight: number } {
    const { loss, stats, weight } = this.computeLoss(batch);
    backward(loss);
    return { stats, weight };
  }

  private update(batch: EpisodeBatch, episode: number): LearnerStats {
    const shares = episodeShares(batch, this.helpers.length);
    // Before the loss: the previous update's .grad arrays belong to the pool again.
    this.optimizer.zeroGrad();
    let stats: ShareStats;
    if (shares === null) {
      stats = this.gradients(batch).stats;
    } else {
      validateBatch(batch, this.config);
      stats = sharedGradients(batch, shares, this.helpers, { named: this.named, target: this.targetNamed, own: (share) => this.gradients(share) }).stats;
    }
    // backward leaves the parameters alone, so a non-finite loss is still caught before they change.
    if (!Number.isFinite(stats.loss)) throw nonFiniteLoss(stats);
    return this.apply(stats, episode);
  }

  /** Clip the gradients in .grad, step the optimizer, update the targets. */
  private apply(stats: ShareStats, episode: number): LearnerStats {
    const params = this.named.map(([, p]) => p);
    const gradNorm = clipGradNorm(params, this.config.gradNormClip);
    if (!Number.isFinite(gradNorm)) {
      const bad = this.named.find(([, p]) => p.grad && p.grad.some((v) => !Number.isFinite(v)));
      throw new NonFiniteError(`QLearner: the gradient norm is ${gradNorm}; first non-finite gradient in "${bad?.[0] ?? "?"}"; training stopped before the parameters were touched`);
    }
    this.optimizer.step();
    this.updateTargets(episode);
    return { ...stats, gradNorm };
  }

  /** Hard copy every targetUpdateInterval episodes, or a soft step with τ after every update. */
  updateTargets(episode: number): void {
    const tau = this.config.targetTau;
    if (tau > 0) {
      softUpdate(this.targetAgent, this.agent, tau);
      if (this.mixer && this.targetMixer) softUpdate(this.targetMixer, this.mixer, tau);
    } else if ((episode - this.lastTargetUpdateEpisode) / this.config.targetUpdateInterval >= 1) {
      this.hardUpdateTargets();
      this.lastTargetUpdateEpisode = episode;
    }
  }

  hardUpdateTargets(): void {
    this.targetAgent.copyFrom(this.agent);
    if (this.mixer && this.targetMixer) this.targetMixer.copyFrom(this.mixer);
  }

  /** Counters a checkpoint must keep for an exact resume. */
  getCounters(): { lastTargetUpdateEpisode: number } {
    return { lastTargetUpdateEpisode: this.lastTargetUpdateEpisode };
  }

  setCounters(c: { lastTargetUpdateEpisode: number }): void {
    this.lastTargetUpdateEpisode = c.lastTargetUpdateEpisode;
  }

  /** States of steps offset..offset+T−1, time-major [T·B, S]. */
  private states(batch: EpisodeBatch, offset: 0 | 1): Tensor {
    const { B, T, stateDim: S } = batch;
    const out = scratch(T * B * S);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const src = (b * (T + 1) + t + offset) * S;
        out.set(batch.state.subarray(src, src + S), (t * B + b) * S);
      }
    }
    return new Tensor(out, [T * B, S]);
  }
}

export interface LearnerForward {
  /** Online agent Qs [T+1, B·n, A], time-major. */
  agentQs: Tensor;
  /** Qs of the taken actions [T·B, n]. */
  chosen: Tensor;
  /** Q_tot [T·B, 1] (IQL: [T·B, n]). */
  qTot: Tensor;
  targets: Tensor;
  mask: Float32Array;
}

function nonFiniteLoss(s: ShareStats): NonFiniteError {
  return new NonFiniteError(`QLearner: the loss is ${s.loss} (Q_tot mean ${s.qTotMean}, target mean ${s.targetMean}); training stopped before the parameters were touched`);
}

function expandMask(mask: Float32Array, cols: number): Float32Array {
  const out = scratch(mask.length * cols);
  for (let k = 0; k < mask.length; k++) out.fill(mask[k]!, k * cols, k * cols + cols);
  return out;
}

/** target ← (1 − τ) target + τ online. */
function softUpdate(target: Module, online: Module, tau: number): void {
  const src = online.stateDict();
  for (const [name, t] of target.stateDict()) {
    const s = src.get(name)!.data, d = t.data;
    for (let i = 0; i < d.length; i++) d[i] = (1 - tau) * d[i]! + tau * s[i]!;
  }
}
