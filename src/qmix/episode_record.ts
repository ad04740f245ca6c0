// One greedy episode with what the team thought at every step, for a replay
// that explains itself (the browser's battle view, `eval --render`): each
// agent's Q for every action (the agent network's, as the policy acts on it),
// the available actions and the chosen ones; from the mixer, Q_tot of the
// chosen joint action (equation (4)) and each agent's ∂Q_tot/∂Qᵢ (equation
// (5)), both for that step's state; and the discounted return that actually
// followed, Gₜ = rₜ + γ·Gₜ₊₁, to set the estimate against.

import type { MultiAgentEnv } from "../envs/env.ts";
import { Rng } from "../tensor/random.ts";
import { type Mixer, QMixer, VDNMixer } from "./mixers.ts";
import { mixByHand, mixingWeights, qTotGradient } from "./monotonicity.ts";
import type { DecentralisedPolicy } from "./policy.ts";

export interface StepRecord {
  /** The agent network's Q for every action, [n·A] (agent i's row at i·A). */
  q: Float32Array;
  /** Available actions, 0/1, [n·A]. */
  avail: Uint8Array;
  /** The chosen joint action, [n]. */
  actions: Int32Array;
  reward: number;
  /** Q_tot(s, chosen joint action) by the mixer, or null without one. */
  qTot: number | null;
  /** ∂Q_tot/∂Qᵢ at the chosen actions, [n], or null without a mixer. */
  credit: Float64Array | null;
  /** The discounted return from this step to the episode's end. */
  returnToGo: number;
}

export interface EpisodeRecord {
  nAgents: number;
  nActions: number;
  gamma: number;
  steps: StepRecord[];
  /** The undiscounted return. */
  return: number;
  /** SMAC's battle_won when the environment reports it, else null. */
  won: boolean | null;
  /** Ended by the environment (true) or by its time limit (false). */
  terminated: boolean;
}

export interface RecordOptions {
  /** The mixer trained with the team; null (or absent) records no Q_tot or credit. */
  mixer?: Mixer | null;
  /** The discount of the return-to-go; the team's config.gamma. */
  gamma: number;
  /** The episode's seed for env.reset. */
  seed?: number;
  /** Exploration; 0 is greedy. */
  epsilon?: number;
  rng?: Rng;
  /** Called after reset and after every step (0 … T): the caller records its frames here. */
  observe?: (t: number) => void;
  /** Called once step t is decided, before the environment takes it (a live view draws the frame with its decisions here). */
  decide?: (t: number, step: StepRecord) => void;
}

/**
 * Plays one episode of `policy` on `env` and records every step. The state
 * the mixer reads is env.getState() before the step's actions, as the
 * learner mixes it, so `env` must be wrapped as the team was trained
 * (wrapTimestep with its config).
 */
export function recordEpisode(env: MultiAgentEnv, policy: DecentralisedPolicy, opts: RecordOptions): EpisodeRecord {
  const n = env.nAgents, A = env.nActions, { gamma } = opts;
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`recordEpisode: gamma must be in [0, 1], got ${gamma}`);
  if (policy.spec.nAgents !== n || policy.spec.nActions !== A) {
    throw new RangeError(`recordEpisode: the policy is for ${policy.spec.nAgents} agents and ${policy.spec.nActions} actions, ${env.name} has ${n} and ${A}`);
  }
  const mixer = opts.mixer ?? null;
  if (mixer !== null && !(mixer instanceof QMixer) && !(mixer instanceof VDNMixer)) throw new TypeError("recordEpisode: mixer must be a QMixer, a VDNMixer or null");
  if (mixer instanceof QMixer && mixer.stateDim !== env.stateDim) {
    throw new RangeError(`recordEpisode: the mixer reads states of ${mixer.stateDim} values, ${env.name} gives ${env.stateDim} (wrap the environment as the team was trained)`);
  }
  const rng = opts.rng ?? new Rng(0), epsilon = opts.epsilon ?? 0;
  env.reset(opts.seed);
  policy.reset(1);
  opts.observe?.(0);
  const steps: StepRecord[] = [];
  let ret = 0, won: boolean | null = null, terminated = false;
  for (let t = 0; ; t++) {
    const state = mixer instanceof QMixer ? env.getState() : null;
    const avail = env.getAvailActions().slice();
    const actions = policy.act(env.getObs(), avail, epsilon, rng);
    const q = policy.lastQ.slice();
    const chosen = Array.from({ length: n }, (_, i) => q[i * A + actions[i]!]!);
    let qTot: number | null = null, credit: Float64Array | null = null;
    if (mixer instanceof QMixer) {
      const w = mixingWeights(mixer, state!);
      qTot = mixByHand(w, chosen);
      credit = qTotGradient(w, chosen);
    } else if (mixer instanceof VDNMixer) {
      qTot = chosen.reduce((a, b) => a + b, 0);
      credit = new Float64Array(n).fill(1);
    }
    const rec: StepRecord = { q, avail, actions: actions.slice(), reward: 0, qTot, credit, returnToGo: 0 };
    opts.decide?.(t, rec);
    const r = env.step(actions);
    ret += r.reward;
    rec.reward = r.reward;
    steps.push(rec);
    opts.observe?.(t + 1);
    if (r.terminated || r.truncated) {
      if (typeof r.info?.battle_won === "boolean") won = r.info.battle_won;
      terminated = r.terminated;
      break;
    }
  }
  let g = 0;
  for (let t = steps.length - 1; t >= 0; t--) {
    g = steps[t]!.reward + gamma * g;
    steps[t]!.returnToGo = g;
  }
  return { nAgents: n, nActions: A, gamma, steps, return: ret, won, terminated };
}

/** A record as plain arrays and numbers (JSON, postMessage to a page that draws it). */
export function plainRecord(r: EpisodeRecord) {
  return {
    nAgents: r.nAgents, nActions: r.nActions, gamma: r.gamma, return: r.return, won: r.won, terminated: r.terminated,
    steps: r.steps.map((s) => ({
      q: Array.from(s.q), avail: Array.from(s.avail), actions: Array.from(s.actions), reward: s.reward,
      qTot: s.qTot, credit: s.credit === null ? null : Array.from(s.credit), returnToGo: s.returnToGo,
    })),
  };
}
