// One typed configuration with the defaults of pymarl's config/default.yaml
// and config/algs/qmix.yaml. Every default names its source, in the doc
// comments and in CONFIG_HELP, which `qmix config` prints. Overrides are
// checked: an unknown key or a bad value is an error naming the key and what
// is allowed.

import { didYouMean } from "../envs/suggest.ts";
import { AGENT_KINDS, type AgentKind } from "../qmix/agents.ts";

export interface QMixConfig {
  /** Registered environment name. */
  env: string;
  /** Options passed to the environment factory. */
  envArgs: Record<string, unknown>;
  /** "qmix", "vdn" or "none" (independent Q-learning). [qmix] */
  mixer: "qmix" | "vdn" | "none";
  /** Agent network: recurrent, feed-forward, or feed-forward with a dueling head (V + A − mean A). [rnn, pymarl rnn_agent] */
  agent: AgentKind;
  /** Agent hidden width H. [64, pymarl default.yaml rnn_hidden_dim] */
  rnnHiddenDim: number;
  /** Append the one-hot previous action to observations. [true, pymarl obs_last_action] */
  obsLastAction: boolean;
  /** Append the one-hot agent id. [true, pymarl obs_agent_id] */
  obsAgentId: boolean;
  /** Mixing embed E. [32, pymarl qmix.yaml] */
  mixingEmbedDim: number;
  /** Hypernetwork hidden width K. [64, pymarl qmix.yaml] */
  hypernetEmbed: number;
  /** Hypernetwork layers. [2, pymarl qmix.yaml] */
  hypernetLayers: 1 | 2;
  /** Discount γ. [0.99, pymarl default.yaml] */
  gamma: number;
  /** Double Q targets. [true, pymarl qmix.yaml] */
  doubleQ: boolean;
  /** Global gradient-norm clip. [10, pymarl default.yaml] */
  gradNormClip: number;
  /** [rmsprop, pymarl default.yaml] */
  optimizer: "rmsprop" | "adam";
  /** [5e-4, pymarl default.yaml] */
  lr: number;
  /**
   * Learning rate at the end of its linear decay: lr falls from `lr` to
   * `lrFinish` over the first `lrAnnealTime` environment steps, then stays.
   * Ignored while lrAnnealTime is 0. [0]
   */
  lrFinish: number;
  /** Environment steps to decay the learning rate over (0 = constant lr). [0, pymarl has no decay] */
  lrAnnealTime: number;
  /** RMSprop α. [0.99, pymarl optim_alpha] */
  optimAlpha: number;
  /** RMSprop ε. [1e-5, pymarl optim_eps] */
  optimEps: number;
  /** Hard target update period in episodes. [200, pymarl default.yaml] */
  targetUpdateInterval: number;
  /** Soft target update τ per update (0 = hard updates). [0] */
  targetTau: number;
  /** TD(λ) (0 = one-step targets). [0; pymarl2 uses 0.6] */
  tdLambda: number;
  /** 0.5 factor on the loss. [false] */
  halfLoss: boolean;
  /**
   * Train on standardised rewards (r − mean) / std, with the mean and std
   * running over every collected step; the policy is unchanged where
   * episodes end only by time limits (as in simple_spread), Q values and
   * losses are then in standardised units. [false, EPyMARL
   * standardise_rewards]
   */
  standardiseRewards: boolean;
  /**
   * Store an episode's time-limit end as terminal, so its last target is the
   * reward alone. pymarl bootstraps there (false); with recurrent agents
   * the bootstrap reads Q at a step the loss never trains. [false]
   */
  timeLimitTerminal: boolean;
  /**
   * Append the episode's progress t / episodeLimit to the state the mixer
   * sees (src/envs/timestep.ts). With timeLimitTerminal the value of a state
   * depends on the steps left; without this only the agents' memories know
   * them. [false]
   */
  stateTimestep: boolean;
  /**
   * Append t / episodeLimit to every agent's observation (src/envs/timestep.ts
   * ObsTimestep), so the agents' Qs, and VDN's and IQL's, can tell the steps
   * left; where the state is the concatenated observations (MPE) the mixer
   * sees it too and stateTimestep is not needed. Applied before
   * stateTimestep when both are set. [false]
   */
  obsTimestep: boolean;
  /** ε-greedy start. [1.0, pymarl qmix.yaml epsilon_start] */
  epsilonStart: number;
  /** ε-greedy end. [0.05, pymarl qmix.yaml epsilon_finish] */
  epsilonFinish: number;
  /** Environment steps to anneal ε over. [50000, pymarl qmix.yaml epsilon_anneal_time] */
  epsilonAnnealTime: number;
  /** Episodes in the replay buffer. [5000, pymarl default.yaml buffer_size] */
  bufferSize: number;
  /** Episodes per update. [32, pymarl default.yaml batch_size] */
  batchSize: number;
  /** Parallel environments stepped in lockstep. [1, pymarl batch_size_run] */
  batchSizeRun: number;
  /** Gradient updates per collected batch of episodes. [1, pymarl: one update per episode batch] */
  updatesPerBatch: number;
  /**
   * Environment steps collected before the first update (XuanCe's
   * start_training); updates also wait until the buffer holds batchSize
   * episodes. [0, pymarl starts as soon as it can sample a batch]
   */
  learningStarts: number;
  /**
   * Threads that share each update (data parallel over the batch's episodes;
   * the others are worker threads, Node only). Runs with equal seeds match
   * byte for byte only at equal thread counts. [1]
   */
  learnerThreads: number;
  /**
   * Consecutive shares of episodes each update's batch is taken in on this
   * thread, longest first, each padded only as far as its own episodes need
   * (src/qmix/length_shares.ts), their gradients combined as the threads'
   * shares are (weighted by their masked steps): the same update up to float
   * rounding, with the working memory of one share and less padding. Runs
   * with equal seeds match byte for byte only at equal counts. [1]
   */
  learnerChunks: number;
  /** Environment steps to train for. [2,050,000, pymarl default.yaml t_max] */
  tMax: number;
  /**
   * Stop before tMax once this many greedy evaluations in a row have each
   * won at least stopWinRate of their battles (for environments that report
   * battle_won; 0 = never stop early). [0]
   */
  stopWinRate: number;
  /** The evaluations in a row that stopWinRate asks for. [20: 200k steps at pymarl's test_interval] */
  stopAfterTests: number;
  /** Greedy evaluation period in environment steps. [10000, pymarl default.yaml test_interval] */
  testInterval: number;
  /** Episodes per greedy evaluation. [32, pymarl default.yaml test_nepisode] */
  testNEpisode: number;
  /** Metrics period in environment steps. [10000] */
  logInterval: number;
  /** Checkpoint period in environment steps (0 = only at the end). [100000] */
  saveInterval: number;
  /** Seed for networks, exploration, sampling and environments. [0] */
  seed: number;
}

export const DEFAULT_CONFIG: Readonly<QMixConfig> = Object.freeze({
  env: "simple_spread_v3",
  envArgs: {},
  mixer: "qmix",
  agent: "rnn",
  rnnHiddenDim: 64,
  obsLastAction: true,
  obsAgentId: true,
  mixingEmbedDim: 32,
  hypernetEmbed: 64,
  hypernetLayers: 2,
  gamma: 0.99,
  doubleQ: true,
  gradNormClip: 10,
  optimizer: "rmsprop",
  lr: 5e-4,
  lrFinish: 0,
  lrAnnealTime: 0,
  optimAlpha: 0.99,
  optimEps: 1e-5,
  targetUpdateInterval: 200,
  targetTau: 0,
  tdLambda: 0,
  halfLoss: false,
  standardiseRewards: false,
  timeLimitTerminal: false,
  stateTimestep: false,
  obsTimestep: false,
  epsilonStart: 1.0,
  epsilonFinish: 0.05,
  epsilonAnnealTime: 50000,
  bufferSize: 5000,
  batchSize: 32,
  batchSizeRun: 1,
  updatesPerBatch: 1,
  learningStarts: 0,
  learnerThreads: 1,
  learnerChunks: 1,
  tMax: 2_050_000,
  stopWinRate: 0,
  stopAfterTests: 20,
  testInterval: 10000,
  testNEpisode: 32,
  logInterval: 10000,
  saveInterval: 100000,
  seed: 0,
});

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Rule =
  | { kind: "int"; min: number; max?: number }
  | { kind: "num"; min: number; max: number }
  | { kind: "bool" }
  | { kind: "enum"; values: readonly (string | number)[] }
  | { kind: "string" }
  | { kind: "object" };

const RULES: Record<keyof QMixConfig, Rule> = {
  env: { kind: "string" },
  envArgs: { kind: "object" },
  mixer: { kind: "enum", values: ["qmix", "vdn", "none"] },
  agent: { kind: "enum", values: AGENT_KINDS },
  rnnHiddenDim: { kind: "int", min: 1, max: 4096 },
  obsLastAction: { kind: "bool" },
  obsAgentId: { kind: "bool" },
  mixingEmbedDim: { kind: "int", min: 1, max: 4096 },
  hypernetEmbed: { kind: "int", min: 1, max: 4096 },
  hypernetLayers: { kind: "enum", values: [1, 2] },
  gamma: { kind: "num", min: 0, max: 1 },
  doubleQ: { kind: "bool" },
  gradNormClip: { kind: "num", min: 0, max: Number.MAX_VALUE },
  optimizer: { kind: "enum", values: ["rmsprop", "adam"] },
  lr: { kind: "num", min: 0, max: 10 },
  lrFinish: { kind: "num", min: 0, max: 10 },
  lrAnnealTime: { kind: "int", min: 0 },
  optimAlpha: { kind: "num", min: 0, max: 1 },
  optimEps: { kind: "num", min: 0, max: 1 },
  targetUpdateInterval: { kind: "int", min: 1 },
  targetTau: { kind: "num", min: 0, max: 1 },
  tdLambda: { kind: "num", min: 0, max: 1 },
  halfLoss: { kind: "bool" },
  standardiseRewards: { kind: "bool" },
  timeLimitTerminal: { kind: "bool" },
  stateTimestep: { kind: "bool" },
  obsTimestep: { kind: "bool" },
  epsilonStart: { kind: "num", min: 0, max: 1 },
  epsilonFinish: { kind: "num", min: 0, max: 1 },
  epsilonAnnealTime: { kind: "int", min: 0 },
  bufferSize: { kind: "int", min: 1, max: 10_000_000 },
  batchSize: { kind: "int", min: 1, max: 100_000 },
  batchSizeRun: { kind: "int", min: 1, max: 1024 },
  updatesPerBatch: { kind: "int", min: 1, max: 1024 },
  learningStarts: { kind: "int", min: 0 },
  learnerThreads: { kind: "int", min: 1, max: 64 },
  learnerChunks: { kind: "int", min: 1, max: 1024 },
  tMax: { kind: "int", min: 0 },
  stopWinRate: { kind: "num", min: 0, max: 1 },
  stopAfterTests: { kind: "int", min: 1 },
  testInterval: { kind: "int", min: 1 },
  testNEpisode: { kind: "int", min: 0, max: 1_000_000 },
  logInterval: { kind: "int", min: 1 },
  saveInterval: { kind: "int", min: 0 },
  seed: { kind: "int", min: 0, max: 4294967295 },
};

export const CONFIG_KEYS = Object.keys(RULES) as (keyof QMixConfig)[];

/**
 * What each key means and where its default comes from, one line each: the
 * table `qmix config` prints beside the type (from RULES) and the default
 * (from DEFAULT_CONFIG), so the three cannot drift apart. A key added to
 * QMixConfig without a line here does not compile.
 */
export const CONFIG_HELP: Readonly<Record<keyof QMixConfig, { meaning: string; source: string }>> = {
  env: { meaning: "registered environment name (qmix envs lists them)", source: "" },
  envArgs: { meaning: "options passed to the environment factory (--set envArgs.NAME=VALUE sets one)", source: "" },
  mixer: { meaning: "qmix, vdn, or none (independent Q-learning)", source: "pymarl qmix.yaml" },
  agent: { meaning: "agent network: rnn (GRU), mlp, or mlp with a dueling head", source: "pymarl rnn_agent" },
  rnnHiddenDim: { meaning: "agent hidden width", source: "pymarl default.yaml rnn_hidden_dim" },
  obsLastAction: { meaning: "append the one-hot previous action to observations", source: "pymarl obs_last_action" },
  obsAgentId: { meaning: "append the one-hot agent id to observations", source: "pymarl obs_agent_id" },
  mixingEmbedDim: { meaning: "mixing network embedding width", source: "pymarl qmix.yaml mixing_embed_dim" },
  hypernetEmbed: { meaning: "hypernetwork hidden width", source: "pymarl qmix.yaml hypernet_embed" },
  hypernetLayers: { meaning: "hypernetwork layers (1 or 2)", source: "pymarl qmix.yaml hypernet_layers" },
  gamma: { meaning: "discount factor", source: "pymarl default.yaml gamma" },
  doubleQ: { meaning: "double Q-learning targets", source: "pymarl qmix.yaml double_q" },
  gradNormClip: { meaning: "global gradient-norm clip", source: "pymarl default.yaml grad_norm_clip" },
  optimizer: { meaning: "rmsprop or adam", source: "pymarl default.yaml (RMSprop)" },
  lr: { meaning: "learning rate", source: "pymarl default.yaml lr" },
  lrFinish: { meaning: "learning rate at the end of its linear decay (used when lrAnnealTime > 0)", source: "" },
  lrAnnealTime: { meaning: "environment steps to decay the learning rate over (0 = constant)", source: "pymarl has no decay" },
  optimAlpha: { meaning: "RMSprop smoothing constant alpha", source: "pymarl default.yaml optim_alpha" },
  optimEps: { meaning: "RMSprop epsilon", source: "pymarl default.yaml optim_eps" },
  targetUpdateInterval: { meaning: "hard target-network update period, in episodes", source: "pymarl default.yaml target_update_interval" },
  targetTau: { meaning: "soft target update rate per update (0 = hard updates)", source: "" },
  tdLambda: { meaning: "TD(lambda) (0 = one-step targets)", source: "pymarl2 uses 0.6" },
  halfLoss: { meaning: "multiply the loss by 0.5", source: "" },
  standardiseRewards: { meaning: "train on running-standardised rewards", source: "EPyMARL standardise_rewards" },
  timeLimitTerminal: { meaning: "treat a time-limit end as terminal (no bootstrap there)", source: "pymarl bootstraps" },
  stateTimestep: { meaning: "append t / episodeLimit to the state the mixer sees", source: "" },
  obsTimestep: { meaning: "append t / episodeLimit to every observation", source: "" },
  epsilonStart: { meaning: "epsilon-greedy exploration at the start", source: "pymarl qmix.yaml epsilon_start" },
  epsilonFinish: { meaning: "epsilon-greedy exploration after the anneal", source: "pymarl qmix.yaml epsilon_finish" },
  epsilonAnnealTime: { meaning: "environment steps to anneal epsilon over", source: "pymarl qmix.yaml epsilon_anneal_time" },
  bufferSize: { meaning: "episodes the replay buffer holds", source: "pymarl default.yaml buffer_size" },
  batchSize: { meaning: "episodes per update", source: "pymarl default.yaml batch_size" },
  batchSizeRun: { meaning: "parallel environments stepped in lockstep", source: "pymarl batch_size_run" },
  updatesPerBatch: { meaning: "gradient updates per collected batch of episodes", source: "pymarl" },
  learningStarts: { meaning: "environment steps collected before the first update", source: "XuanCe start_training" },
  learnerThreads: { meaning: "threads sharing each update (Node worker threads)", source: "" },
  learnerChunks: { meaning: "shares each update's batch is taken in on one thread (less memory, less padding)", source: "" },
  tMax: { meaning: "environment steps to train for (--steps)", source: "pymarl default.yaml t_max" },
  stopWinRate: { meaning: "stop early once stopAfterTests evaluations in a row each won this share (0 = never)", source: "" },
  stopAfterTests: { meaning: "evaluations in a row that stopWinRate asks for", source: "200k steps at pymarl's test_interval" },
  testInterval: { meaning: "greedy evaluation period, in environment steps", source: "pymarl default.yaml test_interval" },
  testNEpisode: { meaning: "episodes per greedy evaluation", source: "pymarl default.yaml test_nepisode" },
  logInterval: { meaning: "metrics.jsonl period, in environment steps", source: "" },
  saveInterval: { meaning: "checkpoint period, in environment steps (0 = only at the end)", source: "" },
  seed: { meaning: "seed for networks, exploration, sampling and environments (--seed)", source: "" },
};

/**
 * Other projects' names for our keys (XuanCe's config files, pymarl's
 * YAML, snake_case spellings), for "did you mean" when one is used in a
 * --set or an own-keys config file. Spellings that differ only in case or
 * underscores (batch_size, buffer_size) are found without a line here.
 */
export const FOREIGN_KEYS: Readonly<Record<string, keyof QMixConfig>> = {
  learning_rate: "lr", learningRate: "lr", t_max: "tMax", running_steps: "tMax", steps: "tMax",
  start_greedy: "epsilonStart", end_greedy: "epsilonFinish", decay_step_greedy: "epsilonAnnealTime",
  start_training: "learningStarts", sync_frequency: "targetUpdateInterval", grad_clip_norm: "gradNormClip",
  eval_interval: "testInterval", test_episode: "testNEpisode", test_nepisode: "testNEpisode", parallels: "batchSizeRun",
  hidden_dim_mixing_net: "mixingEmbedDim", hidden_dim_hyper_net: "hypernetEmbed", recurrent_hidden_size: "rnnHiddenDim",
  save_model_interval: "saveInterval", env_args: "envArgs", env_name: "env", env_id: "env", optim: "optimizer",
  epsilon: "epsilonStart", lambda: "tdLambda", discount: "gamma",
};

/** One row per key: name, type (the values it accepts), default, meaning, source. */
export function configTable(): Array<{ key: keyof QMixConfig; type: string; default: string; meaning: string; source: string }> {
  return CONFIG_KEYS.map((key) => ({ key, type: describe(RULES[key]), default: JSON.stringify(DEFAULT_CONFIG[key]), ...CONFIG_HELP[key] }));
}

function describe(rule: Rule): string {
  switch (rule.kind) {
    case "int": return `an integer in [${rule.min}, ${rule.max ?? "∞"}]`;
    case "num": return `a finite number in [${rule.min}, ${rule.max === Number.MAX_VALUE ? "∞" : rule.max}]`;
    case "bool": return "true or false";
    case "enum": return `one of ${rule.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "string": return "a non-empty string";
    case "object": return "a JSON object";
  }
}

/** Checks one value against its key's rule; returns it (numbers from strings are not converted here). */
function check(key: string, value: unknown, source: string): unknown {
  // Own keys only: "toString" or "__proto__" must not find Object.prototype's.
  const rule = Object.hasOwn(RULES, key) ? RULES[key as keyof QMixConfig] : undefined;
  if (!rule) {
    throw new ConfigError(`${source}: unknown config key "${key}".${didYouMean(key, CONFIG_KEYS, FOREIGN_KEYS)} Allowed keys: ${CONFIG_KEYS.join(", ")} (qmix config explains each)`);
  }
  const bad = () => new ConfigError(`${source}: "${key}" must be ${describe(rule)}, got ${JSON.stringify(value) ?? String(value)}`);
  switch (rule.kind) {
    case "int":
      if (typeof value !== "number" || !Number.isInteger(value) || value < rule.min || (rule.max !== undefined && value > rule.max)) throw bad();
      break;
    case "num":
      if (typeof value !== "number" || !Number.isFinite(value) || value < rule.min || value > rule.max) throw bad();
      break;
    case "bool":
      if (typeof value !== "boolean") throw bad();
      break;
    case "enum":
      if (!rule.values.includes(value as string | number)) throw bad();
      break;
    case "string":
      if (typeof value !== "string" || value.length === 0) throw bad();
      break;
    case "object":
      if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad();
      break;
  }
  return value;
}

/** Applies overrides on top of a base config, checking every key and value. */
export function mergeConfig(base: QMixConfig, overrides: Record<string, unknown>, source = "config"): QMixConfig {
  if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) {
    throw new ConfigError(`${source}: expected a JSON object of config keys`);
  }
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    // "envArgs.name" sets one environment option, keeping the others (--set envArgs.mapFile=my_map.json)
    if (k.startsWith("envArgs.") && k.length > "envArgs.".length) {
      out.envArgs = { ...(out.envArgs as Record<string, unknown>), [k.slice("envArgs.".length)]: v };
      continue;
    }
    Object.defineProperty(out, k, { value: check(k, v, source), enumerable: true, writable: true, configurable: true });
  }
  const cfg = out as unknown as QMixConfig;
  if (cfg.batchSize > cfg.bufferSize) throw new ConfigError(`${source}: "batchSize" (${cfg.batchSize}) must not exceed "bufferSize" (${cfg.bufferSize})`);
  if (cfg.lrAnnealTime > 0 && cfg.lrFinish > cfg.lr) throw new ConfigError(`${source}: "lrFinish" (${cfg.lrFinish}) must not exceed "lr" (${cfg.lr}): the schedule only decays`);
  if (cfg.epsilonFinish > cfg.epsilonStart) throw new ConfigError(`${source}: "epsilonFinish" (${cfg.epsilonFinish}) must not exceed "epsilonStart" (${cfg.epsilonStart})`);
  return cfg;
}

/**
 * Parses a command-line `key=value`: the value is read as JSON when it
 * parses (numbers, booleans, objects), else taken as a string.
 */
export function parseAssignment(text: string): [string, unknown] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new ConfigError(`--set: expected key=value, got "${text}"`);
  const key = text.slice(0, eq), raw = text.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a bare string such as qmix or simple_spread_v3
  }
  const rule = Object.hasOwn(RULES, key) ? RULES[key as keyof QMixConfig] : undefined;
  if (rule?.kind === "string" || rule?.kind === "enum") {
    if (typeof value !== "string" && typeof value !== "number") value = raw;
  }
  return [key, value];
}

export function resolveConfig(...layers: Array<[string, Record<string, unknown>]>): QMixConfig {
  let cfg: QMixConfig = { ...DEFAULT_CONFIG, envArgs: {} };
  for (const [source, o] of layers) cfg = mergeConfig(cfg, o, source);
  return cfg;
}
