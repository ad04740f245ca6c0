// Shares of a replay batch cut to their own length. A sampled batch is padded
// to its longest episode (the buffer's max_t_filled), and on SMAC-style maps
// that is often the time limit while most episodes end far sooner: MMM2's
// early episodes last about 48 steps of 180. Taken longest first, in
// consecutive shares (learnerChunks), each share padded only to its own
// longest episode, an update computes the same loss and gradients with the
// padding mostly gone.
//
// Why the result is the same: the agents' recurrence is causal, so a step's
// Qs never depend on later (padded) steps; the loss is a masked mean, so the
// order of episodes changes only the order of float sums. An episode needs
// the steps up to its last counted transition t (mask_t = 1) and the one
// after it (the target reads Q̂_{t+1}); once it has had a terminal step, the
// TD(λ) recursion's start, Q̂_T · (1 − Σ terminated), is 0 wherever the batch
// ends, so nothing after those steps reaches its targets. An episode with no
// terminal step bootstraps from the batch's last step, as pymarl's recursion
// does; the runner lets that happen only at the episode limit, where the
// batch ends anyway, and a share holding such an episode keeps the batch's
// full length.

import { type EpisodeBatch, emptyBatch } from "./batch.ts";

/**
 * Transitions each episode needs (see the header): 0 for one with no counted
 * transition, the batch's T for one with no terminal step.
 */
export function stepsNeeded(batch: EpisodeBatch): Int32Array {
  const { B, T } = batch, T1 = T + 1, need = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const k0 = b * T1;
    let last = -1, terminal = -1;
    for (let t = 0; t < T; t++) {
      // The learner's mask (targets.ts buildMask): filled, and not just after a terminal step.
      if (batch.filled[k0 + t] && (t === 0 || !batch.terminated[k0 + t - 1])) last = t;
      if (terminal < 0 && batch.terminated[k0 + t]) terminal = t;
    }
    need[b] = last < 0 ? 0 : terminal < 0 ? T : Math.max(last, terminal) + 1;
  }
  return need;
}

/** The batch's episodes, those needing the most steps first; ties keep their order. */
export function longestFirst(need: Int32Array): Int32Array {
  return Int32Array.from({ length: need.length }, (_, b) => b).sort((a, b) => need[b]! - need[a]! || a - b);
}

/** Transitions a share of episodes needs: the most any of them needs, at least 1. */
export function shareSteps(episodes: ArrayLike<number>, need: Int32Array): number {
  let T = 1;
  for (let i = 0; i < episodes.length; i++) T = Math.max(T, need[episodes[i]!]!);
  return T;
}

/**
 * Episodes `episodes` of the batch, in that order, each cut to its first
 * T + 1 steps, written into views of `scratch` (grown when too small, and
 * returned for the next call). The steps are copied as the batch holds them,
 * padding included.
 */
export function gatherEpisodes(
  batch: EpisodeBatch, episodes: ArrayLike<number>, T: number, scratch: EpisodeBatch | null,
): { share: EpisodeBatch; scratch: EpisodeBatch } {
  const B = episodes.length, T1 = T + 1, srcT1 = batch.T + 1;
  if (T > batch.T) throw new RangeError(`gatherEpisodes: T = ${T} is longer than the batch's ${batch.T}`);
  const { nAgents: n, obsDim: O, stateDim: S, nActions: A } = batch;
  const L = B * T1;
  if (scratch === null || scratch.nAgents !== n || scratch.obsDim !== O || scratch.stateDim !== S || scratch.nActions !== A
    || scratch.filled.length < L) {
    scratch = emptyBatch({ nAgents: n, obsDim: O, stateDim: S, nActions: A }, B, T);
  }
  const share: EpisodeBatch = {
    nAgents: n, obsDim: O, stateDim: S, nActions: A, B, T,
    obs: scratch.obs.subarray(0, L * n * O),
    state: scratch.state.subarray(0, L * S),
    availActions: scratch.availActions.subarray(0, L * n * A),
    actions: scratch.actions.subarray(0, L * n),
    reward: scratch.reward.subarray(0, L),
    terminated: scratch.terminated.subarray(0, L),
    filled: scratch.filled.subarray(0, L),
  };
  // Each field's steps of one episode are contiguous: one copy per field and episode.
  const fields: Array<[Float32Array | Uint8Array | Int32Array, Float32Array | Uint8Array | Int32Array, number]> = [
    [share.obs, batch.obs, n * O], [share.state, batch.state, S], [share.availActions, batch.availActions, n * A],
    [share.actions, batch.actions, n], [share.reward, batch.reward, 1], [share.terminated, batch.terminated, 1],
    [share.filled, batch.filled, 1],
  ];
  for (let i = 0; i < B; i++) {
    const s0 = episodes[i]! * srcT1, d0 = i * T1;
    for (const [dst, src, w] of fields) dst.set(src.subarray(s0 * w, (s0 + T1) * w), d0 * w);
  }
  return { share, scratch };
}
