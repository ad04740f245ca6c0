// Data-parallel updates: a batch split by episodes over this thread and
// gradient helpers (worker threads, src/node/parallel.ts), and the shares'
// losses and gradients combined into the one update the learner applies.

import type { Tensor } from "../tensor/tensor.ts";
import type { EpisodeBatch } from "./batch.ts";

/** Loss statistics of a batch or a share of one (the gradient norm comes later, from the combined gradients). */
export interface ShareStats {
  loss: number;
  /** Masked mean of |Q_tot − y|. */
  tdErrorAbs: number;
  /** Masked mean of Q_tot over the batch. */
  qTotMean: number;
  /** Masked mean of the targets y. */
  targetMean: number;
}

/** What a gradient helper returns for its share of a batch. */
export interface HelperResult {
  /** The share's loss denominator (masked steps × Q columns): the weight of its mean loss in the whole batch's. */
  weight: number;
  stats: ShareStats;
  /** ∂(share's mean loss)/∂θ, one array per online parameter in namedParameters() order. */
  grads: Float32Array[];
}

/**
 * Computes the loss and gradients of a share of a batch somewhere else (a
 * worker thread: src/node/parallel.ts), so an update can use more than one
 * core. start() must not block; finish() blocks until the result is there.
 * `online` and `target` are the parameter values to use, in
 * namedParameters() order.
 */
export interface GradientHelper {
  start(job: { batch: EpisodeBatch; online: Float32Array[]; target: Float32Array[] }): void;
  finish(): HelperResult;
  close(): void;
}

/** Episodes [b0, b1) of a batch as views (no copy): the arrays are batch-major, so a range of episodes is contiguous. */
export function sliceBatch(batch: EpisodeBatch, b0: number, b1: number): EpisodeBatch {
  const { T, nAgents: n, obsDim: O, stateDim: S, nActions: A } = batch;
  const L0 = b0 * (T + 1), L1 = b1 * (T + 1);
  return {
    nAgents: n, obsDim: O, stateDim: S, nActions: A, B: b1 - b0, T,
    obs: batch.obs.subarray(L0 * n * O, L1 * n * O),
    state: batch.state.subarray(L0 * S, L1 * S),
    availActions: batch.availActions.subarray(L0 * n * A, L1 * n * A),
    actions: batch.actions.subarray(L0 * n, L1 * n),
    reward: batch.reward.subarray(L0, L1),
    terminated: batch.terminated.subarray(L0, L1),
    filled: batch.filled.subarray(L0, L1),
  };
}

/** Boundaries [0, e₁, …, B] of `parts` consecutive shares of B episodes, as even as whole episodes allow. */
export function evenCuts(B: number, parts: number): number[] {
  const cuts = [0];
  for (let p = 1; p <= parts; p++) cuts.push(Math.round((p * B) / parts));
  return cuts;
}

/**
 * Episode boundaries [0, e₁, …, B] for this thread and `helpers` helpers, or
 * null when there is nothing to share or some share would have no valid step
 * (then the update runs on one thread).
 */
export function episodeShares(batch: EpisodeBatch, helpers: number): number[] | null {
  const parts = Math.min(helpers + 1, batch.B);
  if (parts < 2) return null;
  const cuts = evenCuts(batch.B, parts);
  const T1 = batch.T + 1;
  for (let p = 0; p < parts; p++) {
    let any = false;
    for (let b = cuts[p]!; b < cuts[p + 1]! && !any; b++) any = batch.filled[b * T1] === 1;
    if (!any) return null;
  }
  return cuts;
}

/** What the learner hands over for one shared update. */
export interface SharedUpdate {
  /** Online parameters by name, whose .grad receive the combined gradient. */
  named: Array<[string, Tensor]>;
  /** Target parameters, in the same order. */
  target: Tensor[];
  /** This thread's share: loss and backward into the parameters' .grad (cleared before). */
  own: (share: EpisodeBatch) => { stats: ShareStats; weight: number };
}

/**
 * Helpers take shares 1…, this thread share 0; then the statistics and
 * g = Σ wₖ gₖ / Σ wₖ into .grad, wₖ each share's loss denominator (their
 * sum, the batch's, comes back with the statistics). A
 * non-finite loss comes back without the gradients combined: the learner
 * stops there, before any parameter moves.
 */
export function sharedGradients(batch: EpisodeBatch, cuts: number[], helpers: GradientHelper[], u: SharedUpdate): { stats: ShareStats; weight: number } {
  const online = u.named.map(([, p]) => p.data), target = u.target.map((p) => p.data);
  const used = helpers.slice(0, cuts.length - 2);
  used.forEach((h, k) => h.start({ batch: sliceBatch(batch, cuts[k + 1]!, cuts[k + 2]!), online, target }));
  let own: { stats: ShareStats; weight: number } | null = null, error: unknown = null;
  try {
    own = u.own(sliceBatch(batch, 0, cuts[1]!));
  } catch (err) {
    error = err;
  }
  // Collect every started helper even when this share failed, so none is left mid-job.
  const results: HelperResult[] = [];
  for (const h of used) {
    try {
      results.push(h.finish());
    } catch (err) {
      error ??= err;
    }
  }
  if (error !== null || own === null) throw error;
  const stats = combineStats(own, results);
  if (Number.isFinite(stats.loss)) combineGradients(u.named, own.weight, results);
  let weight = own.weight;
  for (const r of results) weight += r.weight;
  return { stats, weight };
}

/** Each statistic as the weighted mean of the shares' (the whole batch's mean). */
function combineStats(own: { stats: ShareStats; weight: number }, results: HelperResult[]): ShareStats {
  let W = own.weight;
  for (const r of results) W += r.weight;
  const combine = (pick: (s: ShareStats) => number): number => {
    let acc = own.weight * pick(own.stats);
    for (const r of results) acc += r.weight * pick(r.stats);
    return acc / W;
  };
  return { loss: combine((s) => s.loss), tdErrorAbs: combine((s) => s.tdErrorAbs), qTotMean: combine((s) => s.qTotMean), targetMean: combine((s) => s.targetMean) };
}

/** .grad ← (w₀ .grad + Σ wₖ gₖ) / Σ wₖ, in place: this thread's gradient is already there. */
function combineGradients(named: Array<[string, Tensor]>, ownWeight: number, results: HelperResult[]): void {
  let W = ownWeight;
  for (const r of results) W += r.weight;
  named.forEach(([name, p], k) => {
    const g = p.grad ?? (p.grad = new Float32Array(p.size));
    const a0 = ownWeight / W;
    for (let i = 0; i < g.length; i++) g[i]! *= a0;
    for (const r of results) {
      const gr = r.grads[k];
      if (!gr || gr.length !== g.length) throw new RangeError(`QLearner: a gradient helper returned ${gr ? gr.length : "no"} values for "${name}", expected ${g.length}`);
      const a = r.weight / W;
      for (let i = 0; i < g.length; i++) g[i]! += a * gr[i]!;
    }
  });
}
