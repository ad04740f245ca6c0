// The keys of XuanCe's QMIX/VDN/IQL config files
// (xuance/configs/qmix/*/*.yaml) mapped onto QMixConfig, key by key. Every key is accounted for: mapped (perhaps
// converted, with a note saying how), ignored because it is bookkeeping
// (logger folders, device names; each with its reason), or refused because
// this library cannot do what it asks. A refused or unknown key is an
// error naming it; nothing is dropped silently.

import { CONFIG_KEYS, ConfigError } from "../train/config.ts";
import { METHODS, MIXER_OF, type Method } from "./xuance_envs.ts";
import type { YamlValue } from "../train/yaml.ts";

/** What reading a XuanCe config produced: our keys, and an account of every key it had. */
export interface XuanceMapping {
  /** A config layer in our keys, for resolveConfig. */
  config: Record<string, unknown>;
  /** Conversions worth knowing about (units that differ, values derived from several keys). */
  notes: string[];
  /** Keys read and deliberately not used, with the reason. */
  ignored: Array<{ key: string; reason: string }>;
  /** The file's method, env family and id, where it named them. */
  method?: Method;
  envName?: string;
  envId?: string;
}

export interface XuanceContext {
  /** The environment's episode limit: XuanCe's feed-forward buffers count transitions, ours episodes. */
  episodeLimit: number;
  /** The file, for messages. */
  source?: string;
}

/** Bookkeeping keys: read, not used, and why. */
const IGNORED: Record<string, string> = {
  log_dir: "logs go to the run folder (out)",
  model_dir: "models go to the run folder (out) or the path given to saveModel",
  logger: "metrics go to metrics.jsonl in the run folder",
  project_name: "a logger setting",
  wandb_user_name: "a logger setting",
  device: "training runs on the CPU through our own engine",
  dl_toolbox: "there is one implementation here (TypeScript), not torch/tensorflow/mindspore",
  vectorize: "parallel environments are stepped in lockstep in this thread (batchSizeRun)",
  runner: "getRunner picks the runner",
  learner: "the learner follows from the method (agent)",
  policy: "the policy follows from the method (agent) and use_rnn",
  render: "rendering is `qmix eval --render` or the browser page",
  render_mode: "rendering is `qmix eval --render` or the browser page",
  fps: "a rendering setting",
  test_mode: "getRunner's isTest says whether to test",
  env_seed: "environments are seeded from seed, one derived stream per environment",
};

/** Keys XuanCe's QMIX/VDN/IQL configs use that this file maps; a file with one of them is read as XuanCe's. */
const MAPPED = [
  "agent", "env_name", "env_id", "continuous_action", "global_state", "use_rnn", "use_recurrent", "rnn", "recurrent_layer_N",
  "N_recurrent_layers", "fc_hidden_sizes", "recurrent_hidden_size", "dropout", "representation", "representation_hidden_size",
  "q_hidden_size", "activation", "use_parameter_sharing", "use_actions_mask", "hidden_dim_mixing_net", "hidden_dim_hyper_net",
  "seed", "parallels", "buffer_size", "batch_size", "learning_rate", "gamma", "double_q", "start_greedy", "end_greedy",
  "decay_step_greedy", "start_training", "running_steps", "train_per_step", "training_frequency", "sync_frequency",
  "use_grad_clip", "grad_clip_norm", "eval_interval", "test_episode", "use_linear_lr_decay", "end_factor_lr_decay",
  "distributed_training", "on_policy",
];

/** Whether a parsed config file is in XuanCe's keys rather than ours. */
export function isXuanceConfig(o: Record<string, unknown>): boolean {
  const ours = new Set<string>(CONFIG_KEYS);
  if (typeof o.agent === "string" && /^(QMIX|VDN|IQL)$/i.test(o.agent) && o.agent !== o.agent.toLowerCase()) return true;
  return Object.keys(o).some((k) => !ours.has(k) && (MAPPED.includes(k) || Object.hasOwn(IGNORED, k)));
}

/**
 * Maps a XuanCe QMIX/VDN/IQL config (parsed YAML) onto a layer of our
 * keys. Throws one ConfigError listing every key it cannot honour.
 */
export function fromXuance(file: Record<string, YamlValue>, ctx: XuanceContext): XuanceMapping {
  const source = ctx.source ?? "XuanCe config";
  const problems: string[] = [];
  const notes: string[] = [];
  const ignored: XuanceMapping["ignored"] = [];
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const has = (k: string) => Object.hasOwn(file, k) && file[k] !== null;
  const get = (k: string): YamlValue | undefined => { seen.add(k); return has(k) ? file[k] : undefined; };
  const refuse = (k: string, why: string) => problems.push(`"${k}": ${why}`);
  const num = (k: string, int = false): number | undefined => {
    const v = get(k);
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || (int && !Number.isInteger(v))) { refuse(k, `must be ${int ? "an integer" : "a number"}, got ${JSON.stringify(v)}`); return undefined; }
    return v;
  };
  const bool = (k: string): boolean | undefined => {
    const v = get(k);
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") { refuse(k, `must be True or False, got ${JSON.stringify(v)}`); return undefined; }
    return v;
  };
  const must = (k: string, ok: (v: YamlValue) => boolean, why: string) => {
    const v = get(k);
    if (v !== undefined && !ok(v)) refuse(k, `${JSON.stringify(v)}: ${why}`);
  };
  const widths = (k: string): number[] | undefined => {
    const v = get(k);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isInteger(x) && x > 0)) { refuse(k, `must be a list of positive integers, got ${JSON.stringify(v)}`); return undefined; }
    return v as number[];
  };

  // The method and environment.
  const agent = get("agent");
  let method: Method | undefined;
  if (agent !== undefined) {
    const m = String(agent).toLowerCase();
    if ((METHODS as readonly string[]).includes(m)) method = m as Method;
    else refuse("agent", `"${String(agent)}" is not a method this library runs (QMIX, VDN, IQL)`);
  }
  if (method) out.mixer = MIXER_OF[method];
  const envName = get("env_name"), envId = get("env_id");
  must("continuous_action", (v) => v === false, "QMIX's agents choose among discrete actions");
  must("global_state", (v) => v === true, "our mixer always sees the environment's global state");
  must("distributed_training", (v) => v === false, "training runs in one process here");
  must("on_policy", (v) => v === false, "QMIX learns off-policy from a replay buffer");

  // The agent network.
  const rnnFlag = bool("use_rnn"), recurrentFlag = bool("use_recurrent");
  if (rnnFlag !== undefined && recurrentFlag !== undefined && rnnFlag !== recurrentFlag) refuse("use_recurrent", `disagrees with use_rnn (${String(rnnFlag)})`);
  const representation = get("representation");
  const recurrent = rnnFlag ?? recurrentFlag ?? (representation === "Basic_RNN");
  if (representation !== undefined && representation !== (recurrent ? "Basic_RNN" : "Basic_MLP")) {
    refuse("representation", `"${String(representation)}" with ${recurrent ? "a recurrent" : "a feed-forward"} agent; ours are Basic_MLP (feed-forward) and Basic_RNN (GRU)`);
  }
  out.agent = recurrent ? "rnn" : "ff";
  must("rnn", (v) => v === "GRU", "our recurrent agent is a GRU");
  for (const k of ["recurrent_layer_N", "N_recurrent_layers"]) must(k, (v) => v === 1, "our recurrent agent has one GRU layer");
  must("dropout", (v) => v === 0, "our agents have no dropout");
  must("activation", (v) => v === "relu", "our agents use ReLU");
  must("use_parameter_sharing", (v) => v === true, "our agents share one network, told apart by a one-hot agent id");
  const fc = widths("fc_hidden_sizes"), rh = num("recurrent_hidden_size", true), rep = widths("representation_hidden_size"), qh = widths("q_hidden_size");
  if (recurrent) {
    // Basic_RNN: fc layers, then the GRU, then the Q head; ours (pymarl's RNNAgent) is fc1 → GRU → fc2 with one width.
    const h = rh ?? fc?.[0] ?? 64;
    if (fc !== undefined && (fc.length !== 1 || fc[0] !== h)) refuse("fc_hidden_sizes", `${JSON.stringify(fc)}: our recurrent agent has one layer before its GRU, as wide as the GRU (recurrent_hidden_size ${h})`);
    if (qh !== undefined && qh.length > 0) refuse("q_hidden_size", `${JSON.stringify(qh)}: our recurrent agent (pymarl's RNNAgent) maps the GRU's output straight to Q values; use []`);
    if (rep !== undefined) ignored.push({ key: "representation_hidden_size", reason: "XuanCe's Basic_RNN uses fc_hidden_sizes; this key is for Basic_MLP" });
    out.rnnHiddenDim = h;
  } else {
    // Basic_MLP then the Q head's hidden layer: two ReLU layers, as our feed-forward agent has; ours gives both one width.
    const a = rep ?? [64], b = qh ?? [64];
    if (a.length !== 1) refuse("representation_hidden_size", `${JSON.stringify(a)}: our feed-forward agent has one representation layer`);
    if (b.length !== 1) refuse("q_hidden_size", `${JSON.stringify(b)}: our feed-forward agent has one hidden layer in its Q head`);
    else if (a.length === 1 && a[0] !== b[0]) refuse("q_hidden_size", `${JSON.stringify(b)} differs from representation_hidden_size ${JSON.stringify(a)}: our feed-forward agent's two hidden layers have one width (rnnHiddenDim); make them equal`);
    out.rnnHiddenDim = a[0];
    if (fc !== undefined) ignored.push({ key: "fc_hidden_sizes", reason: "used by XuanCe's recurrent representation only; this agent is feed-forward" });
    if (rh !== undefined) ignored.push({ key: "recurrent_hidden_size", reason: "used by XuanCe's recurrent representation only; this agent is feed-forward" });
  }
  // XuanCe appends the agent id (with parameter sharing) and not the last action.
  out.obsAgentId = true;
  out.obsLastAction = false;
  const actionsMask = bool("use_actions_mask");
  if (actionsMask === false) notes.push("use_actions_mask False: our agents never choose an unavailable action; where every action is always available (MPE, the matrix games) that changes nothing");

  // The mixer: XuanCe's hypernetworks have one hidden layer of hidden_dim_hyper_net.
  const mix = num("hidden_dim_mixing_net", true), hyp = num("hidden_dim_hyper_net", true);
  if (mix !== undefined) out.mixingEmbedDim = mix;
  if (hyp !== undefined) out.hypernetEmbed = hyp;
  out.hypernetLayers = 2;

  // Learning: XuanCe's MARL agents optimise with Adam; its TD targets are one-step.
  out.optimizer = "adam";
  const lr = num("learning_rate");
  if (lr !== undefined) out.lr = lr;
  const gamma = num("gamma");
  if (gamma !== undefined) out.gamma = gamma;
  const dq = bool("double_q");
  if (dq !== undefined) out.doubleQ = dq;
  const clip = bool("use_grad_clip"), clipNorm = num("grad_clip_norm");
  if (clip === true) {
    if (clipNorm === undefined) refuse("use_grad_clip", "True needs grad_clip_norm");
    else out.gradNormClip = clipNorm;
  } else if (clip === false || clip === undefined) {
    out.gradNormClip = Number.MAX_VALUE;
    if (clipNorm !== undefined) ignored.push({ key: "grad_clip_norm", reason: "use_grad_clip is False" });
  }
  const decay = bool("use_linear_lr_decay"), endFactor = num("end_factor_lr_decay");

  // Exploration and schedule.
  const eps0 = num("start_greedy"), eps1 = num("end_greedy"), epsT = num("decay_step_greedy", true);
  if (eps0 !== undefined) out.epsilonStart = eps0;
  if (eps1 !== undefined) out.epsilonFinish = eps1;
  if (epsT !== undefined) out.epsilonAnnealTime = epsT;
  const seed = num("seed", true);
  if (seed !== undefined) out.seed = seed;
  const steps = num("running_steps", true);
  if (steps !== undefined) out.tMax = steps;
  const start = num("start_training", true);
  if (start !== undefined) out.learningStarts = start;
  const evalInterval = num("eval_interval", true), testEpisodes = num("test_episode", true);
  if (evalInterval !== undefined) { out.testInterval = evalInterval; out.logInterval = evalInterval; }
  if (testEpisodes !== undefined) out.testNEpisode = testEpisodes;
  if (decay === true) {
    out.lrAnnealTime = steps ?? 2_050_000;
    out.lrFinish = (lr ?? 5e-4) * (endFactor ?? 0);
    notes.push(`use_linear_lr_decay: lr falls linearly to ${String(out.lrFinish)} over running_steps`);
  } else if (endFactor !== undefined) {
    ignored.push({ key: "end_factor_lr_decay", reason: "use_linear_lr_decay is off" });
  }

  // Parallel environments and the update rhythm. Ours update between batches of whole episodes.
  const T = ctx.episodeLimit;
  const parallels = num("parallels", true) ?? 1;
  out.batchSizeRun = parallels;
  const perStep = bool("train_per_step"), freq = num("training_frequency", true);
  let updatesPerBatch = 1;
  if (perStep === false) {
    if (freq !== undefined && freq !== 1) refuse("training_frequency", `${freq} with train_per_step False: ours makes one update per collected batch of episodes (training_frequency 1)`);
  } else if (freq !== undefined) {
    // One update every `freq` steps of the parallel environments: T / freq updates per batch of episodes.
    if (freq < 1 || T % freq !== 0) refuse("training_frequency", `${freq}: ours updates between batches of whole episodes, so it must divide the episode limit (${T})`);
    else {
      updatesPerBatch = T / freq;
      if (updatesPerBatch !== 1) notes.push(`training_frequency ${freq}: ${updatesPerBatch} updates after each batch of ${parallels} episodes of ${T} steps`);
    }
  }
  out.updatesPerBatch = updatesPerBatch;

  // Replay: XuanCe's recurrent agents store episodes, its feed-forward ones transitions.
  const bufferSize = num("buffer_size", true), batchSize = num("batch_size", true);
  if (recurrent) {
    if (bufferSize !== undefined) out.bufferSize = bufferSize;
    if (batchSize !== undefined) out.batchSize = batchSize;
  } else {
    if (bufferSize !== undefined) {
      out.bufferSize = Math.max(1, Math.floor(bufferSize / T));
      notes.push(`buffer_size ${bufferSize} transitions → bufferSize ${String(out.bufferSize)} episodes of ${T} steps`);
    }
    if (batchSize !== undefined) {
      out.batchSize = Math.max(1, Math.ceil(batchSize / T));
      notes.push(`batch_size ${batchSize} transitions → batchSize ${String(out.batchSize)} episodes of ${T} steps`);
    }
  }

  // XuanCe copies the target network every sync_frequency updates; ours counts episodes.
  const sync = num("sync_frequency", true);
  if (sync !== undefined) {
    const episodes = Math.max(1, Math.round((sync * parallels) / updatesPerBatch));
    out.targetUpdateInterval = episodes;
    notes.push(`sync_frequency ${sync} updates → targetUpdateInterval ${episodes} episodes (${parallels} episodes per ${updatesPerBatch} update${updatesPerBatch === 1 ? "" : "s"})`);
  }

  for (const k of Object.keys(file)) {
    if (seen.has(k)) continue;
    if (Object.hasOwn(IGNORED, k)) ignored.push({ key: k, reason: IGNORED[k]! });
    else problems.push(`"${k}": not a XuanCe QMIX key this library knows (and not one of ours: ${CONFIG_KEYS.join(", ")})`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`${source}: ${problems.length === 1 ? "a key" : `${problems.length} keys`} this library cannot honour:\n  ${problems.join("\n  ")}`);
  }
  const mapping: XuanceMapping = { config: out, notes, ignored };
  if (method) mapping.method = method;
  if (typeof envName === "string") mapping.envName = envName;
  if (envId !== undefined && envId !== null) mapping.envId = String(envId);
  return mapping;
}
