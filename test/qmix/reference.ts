// Loads the PyTorch reference cases (test/fixtures/README.md) and
// builds our networks and batch from them. The folder comes from
// QMIX_VECTORS when set, so other cases of the same layout run unchanged.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RNNAgent } from "../../src/qmix/agents.ts";
import type { EpisodeBatch } from "../../src/qmix/batch.ts";
import { QLearner, type LearnerConfig } from "../../src/qmix/learner.ts";
import { type Mixer, QMixer, VDNMixer } from "../../src/qmix/mixers.ts";

export const VECTORS = process.env.QMIX_VECTORS ?? join(import.meta.dirname, "..", "fixtures");

export interface RefArray { shape: number[]; data: number[] }
export interface RefCase {
  config: {
    n_agents: number; obs_dim: number; n_actions: number; state_dim: number; batch: number; T: number;
    rnn_hidden_dim: number; mixer: "qmix" | "vdn"; mixing_embed_dim: number; hypernet_embed: number;
    hypernet_layers: 1 | 2; gamma: number; double_q: boolean; grad_norm_clip: number;
    optimizer: { name: string; lr: number; alpha: number; eps: number };
  };
  params: Record<string, RefArray>;
  target_params: Record<string, RefArray>;
  inputs: Record<string, number[]>;
  outputs: {
    agent_qs: number[]; chosen_qs: number[]; target_max_qs: number[]; q_tot: number[]; target_q_tot: number[];
    targets: number[]; mask: number[]; loss: number; dqtot_dq: number[]; grad_norm: number;
    grads: Record<string, RefArray | number[]>; params_after_rmsprop: Record<string, RefArray | number[]>;
  };
}

export function loadCases(): RefCase[] {
  return (JSON.parse(readFileSync(join(VECTORS, "qmix_torch_reference.json"), "utf8")) as { cases: RefCase[] }).cases;
}

export function refData(x: RefArray | number[]): number[] {
  return Array.isArray(x) ? x : x.data;
}

function strip(params: Record<string, RefArray>, prefix: string): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of Object.entries(params)) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), { shape: v.shape, data: Float32Array.from(v.data) });
  return out;
}

export function buildCase(c: RefCase): { learner: QLearner; batch: EpisodeBatch; mixer: Mixer | null } {
  const cf = c.config;
  const n = cf.n_agents, O = cf.obs_dim, A = cf.n_actions, S = cf.state_dim;
  const agent = new RNNAgent(O + A + n, cf.rnn_hidden_dim, A);
  const mixer: Mixer = cf.mixer === "vdn" ? new VDNMixer(n)
    : new QMixer(n, S, { embedDim: cf.mixing_embed_dim, hypernetEmbed: cf.hypernet_embed, hypernetLayers: cf.hypernet_layers });
  agent.loadStateDict(strip(c.params, "agent."));
  if (cf.mixer !== "vdn") mixer.loadStateDict(strip(c.params, "mixer."));
  const config: LearnerConfig = {
    nAgents: n, nActions: A, obsDim: O, stateDim: S, inputs: { lastAction: true, agentId: true },
    gamma: cf.gamma, doubleQ: cf.double_q, gradNormClip: cf.grad_norm_clip, optimizer: "rmsprop",
    lr: cf.optimizer.lr, optimAlpha: cf.optimizer.alpha, optimEps: cf.optimizer.eps,
    targetUpdateInterval: 200, targetTau: 0, tdLambda: 0, halfLoss: false,
  };
  const learner = new QLearner(agent, mixer, config);
  learner.targetAgent.loadStateDict(strip(c.target_params, "agent."));
  if (cf.mixer !== "vdn") learner.targetMixer!.loadStateDict(strip(c.target_params, "mixer."));
  const i = c.inputs;
  const batch: EpisodeBatch = {
    B: cf.batch, T: cf.T, nAgents: n, obsDim: O, stateDim: S, nActions: A,
    obs: Float32Array.from(i.obs!), state: Float32Array.from(i.state!),
    availActions: Uint8Array.from(i.avail_actions!), actions: Int32Array.from(i.actions!),
    reward: Float32Array.from(i.reward!), terminated: Uint8Array.from(i.terminated!), filled: Uint8Array.from(i.filled!),
  };
  return { learner, batch, mixer };
}

/** Largest |a − b| relative to the largest |b| (floored at 1e-3), over paired arrays. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let scale = 1e-3, err = 0;
  for (let k = 0; k < b.length; k++) scale = Math.max(scale, Math.abs(b[k]!));
  for (let k = 0; k < b.length; k++) err = Math.max(err, Math.abs(a[k]! - b[k]!));
  return err / scale;
}
