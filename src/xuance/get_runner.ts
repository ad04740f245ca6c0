// getRunner: XuanCe's get_runner in TypeScript.
//   const runner = await getRunner({ method: "qmix", env: "mpe", envId: "simple_spread_v3" });
//   await runner.run();        // train (or, with isTest, test a saved team)
//   await runner.benchmark();  // train with greedy evaluations, keep the best team
// The config is our preset for the environment, or a config file of ours or
// XuanCe's (configPath), then `overrides`. Portable: files come through
// readText (fetch by default, which a browser resolves against the page)
// and presets through loadPreset; src/node/get_runner.ts reads files and
// writes the run folder.

import type { MultiAgentEnv } from "../envs/env.ts";
import { makeEnv } from "../envs/registry.ts";
import { wrapTimestep } from "../envs/timestep.ts";
import { Rng } from "../tensor/random.ts";
import { readConfig } from "../train/checkpoint.ts";
import { ConfigError, resolveConfig, type QMixConfig } from "../train/config.ts";
import { type ConfigFile, type ConfigLayer, parseConfigFile, xuanceLayer } from "./config_file.ts";
import type { LoopHooks } from "../train/loop.ts";
import { DecentralisedPolicy } from "../qmix/policy.ts";
import { makeEnvs, QMixAgents, type ModelStore } from "./qmix_agents.ts";
import { ParallelRunner } from "../train/runner.ts";
import { deriveSeed, type EvalResult, summarize, type TrainerOptions } from "../train/trainer.ts";
import { envNameOf, mixerOf } from "./xuance_envs.ts";

type EnvFactory = (name: string, options: Record<string, unknown>) => MultiAgentEnv;

export interface GetRunnerOptions {
  /** "qmix", "vdn" or "iql" (our mixer "none"). */
  method: string;
  /** XuanCe's family ("mpe", "smaclite", "matrix") or a registered environment's name. */
  env: string;
  /** XuanCe's env_id: "simple_spread_v3", "2s3z", "two_step", … */
  envId?: string;
  /** A config file: .json or .yaml/.yml, in our keys or XuanCe's. */
  configPath?: string;
  /** Test a saved team instead of training (XuanCe's is_test). */
  isTest?: boolean;
  /** Config keys of ours on top of everything else; "out" is the Node runner's run folder. */
  overrides?: Record<string, unknown>;
  /** With isTest: the team to test (a checkpoint or weights file's bytes). The Node runner reads it from the run folder. */
  model?: Uint8Array;
  /** Reads configPath. [fetch] */
  readText?: (path: string) => string | Promise<string>;
  /** Our preset by name (simple_spread_v3, smaclite, smaclite_2s3z), or null. [fetch of the package's presets/] */
  loadPreset?: (name: string) => Record<string, unknown> | null | Promise<Record<string, unknown> | null>;
  /** Makes environments. [makeEnv] */
  makeEnv?: EnvFactory;
  /** Gradient helpers for learnerThreads > 1 (src/node passes worker threads). */
  trainer?: Omit<TrainerOptions, "envs">;
  /** Hooks into the training schedule: metrics, evaluations, progress. */
  hooks?: LoopHooks;
  /** Hand control back to the event loop this often while training. [100 ms] */
  sliceMs?: number;
  /** Where the agents' saveModel goes. [memory] */
  store?: ModelStore;
}

// get_runner's Python names and options with no meaning here: each is an error that says so.
const XUANCE_OPTIONS: Record<string, string> = {
  env_id: 'is "envId" here',
  config_path: 'is "configPath" here',
  is_test: 'is "isTest" here',
  parser_args: "has no meaning here: put config keys in overrides",
  parserArgs: "has no meaning here: put config keys in overrides",
};
const OPTION_KEYS = new Set(["method", "env", "envId", "configPath", "isTest", "overrides", "model", "readText", "loadPreset", "makeEnv", "trainer", "hooks", "sliceMs", "store"]);

export function checkRunnerOptions(o: Record<string, unknown>, extra: readonly string[] = []): void {
  for (const k of Object.keys(o)) {
    if (OPTION_KEYS.has(k) || extra.includes(k)) continue;
    if (Object.hasOwn(XUANCE_OPTIONS, k)) throw new ConfigError(`getRunner: "${k}" ${XUANCE_OPTIONS[k]}`);
    throw new ConfigError(`getRunner: unknown option "${k}"; allowed: ${[...OPTION_KEYS, ...extra].join(", ")}`);
  }
  if (typeof o.method !== "string") throw new ConfigError('getRunner: "method" is required: "qmix", "vdn" or "iql"');
  if (typeof o.env !== "string") throw new ConfigError('getRunner: "env" is required: "mpe", "smaclite", "matrix" or a registered environment');
}

/** The presets of an environment, as the command line layers them: NAME, or for FAMILY/MAP, FAMILY then FAMILY_map (the map in lower case: smaclite/MMM2 reads smaclite_mmm2). */
export function presetNames(envName: string): string[] {
  const m = /^([\w.-]+)(?:\/([\w.-]+))?$/.exec(envName);
  if (m === null) return [];
  return m[2] === undefined ? [m[1]!] : [m[1]!, `${m[1]}_${m[2].toLowerCase()}`];
}

async function fetchText(path: string): Promise<string> {
  const res = await fetch(path);
  if (!res.ok) throw new ConfigError(`configPath ${path}: ${res.status} ${res.statusText}`);
  return res.text();
}

/** The presets the package ships (presets/*.json; test/xuance/get_runner.test.ts keeps this list in step with the folder). */
export const SHIPPED_PRESETS: readonly string[] = ["epymarl_qmix", "nonmonotonic_3x3", "simple_spread_v3", "smaclite", "smaclite_3s5z_vs_3s6z", "smaclite_mmm2", "two_step"];

/** A shipped preset, fetched beside the package's code; other names have none. */
async function fetchPreset(name: string): Promise<Record<string, unknown> | null> {
  if (!SHIPPED_PRESETS.includes(name)) return null;
  const url = new URL(`../../presets/${name}.json`, import.meta.url);
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
    return (await res.json()) as Record<string, unknown>;
  } catch (err) {
    // Node's fetch does not read file: URLs; its getRunner (qmix-ts/node) reads presets from disk.
    throw new ConfigError(`preset ${name}: could not fetch ${url.href} (${(err as Error).message}); in Node use getRunner from "qmix-ts/node", elsewhere pass loadPreset`);
  }
}

export interface ResolvedRun {
  config: QMixConfig;
  /** How a XuanCe config was read: conversions worth knowing. */
  notes: string[];
  /** XuanCe keys read and not used, with the reason. */
  ignored: Array<{ key: string; reason: string }>;
  /** overrides.out, for the Node runner. */
  out?: string;
  /** The config file was XuanCe's. */
  xuance: boolean;
}

/** The config a getRunner call means: presets or a XuanCe file, then overrides, every layer checked. */
export async function resolveRunConfig(o: GetRunnerOptions, parsed?: ConfigFile): Promise<ResolvedRun> {
  const mixer = mixerOf(o.method);
  const envName = envNameOf(o.env, o.envId);
  const { out, ...overrides } = o.overrides ?? {};
  if (out !== undefined && typeof out !== "string") throw new ConfigError(`overrides: "out" must be a folder path, got ${JSON.stringify(out)}`);
  const asked: ConfigLayer = ["getRunner", { env: envName, mixer }];
  let layers: ConfigLayer[];
  let notes: string[] = [], ignored: ResolvedRun["ignored"] = [];
  const file = parsed ?? (o.configPath === undefined ? null : parseConfigFile(o.configPath, await (o.readText ?? fetchText)(o.configPath)));
  if (file?.xuance) {
    const envArgs = (overrides.envArgs ?? {}) as Record<string, unknown>;
    const x = xuanceLayer(file, envName, mixer, envArgs, o.makeEnv ?? makeEnv);
    ({ notes, ignored } = x);
    layers = [asked, x.layer];
  } else {
    for (const k of ["env", "mixer"] as const) {
      const v = file?.data[k];
      if (v !== undefined && v !== asked[1][k]) throw new ConfigError(`${file!.path}: "${k}" is ${JSON.stringify(v)}, the run was asked for ${JSON.stringify(asked[1][k])}; make them agree`);
    }
    const load = o.loadPreset ?? fetchPreset;
    layers = [];
    for (const n of presetNames(envName)) {
      const p = await load(n);
      if (p) layers.push([`preset ${n}`, Object.fromEntries(Object.entries(p).filter(([k]) => !k.startsWith("_")))]);
    }
    if (file) layers.push([file.path, file.data]);
    layers.push(asked);
  }
  layers.push(["overrides", overrides]);
  const r: ResolvedRun = { config: resolveConfig(...layers), notes, ignored, xuance: file?.xuance === true };
  if (typeof out === "string") r.out = out;
  return r;
}

export interface RunSummary {
  tEnv: number;
  /** The best greedy evaluation (after t = 0). */
  best: { returnMean: number; battleWonMean?: number; tEnv: number } | null;
  /** The last greedy evaluation, of the final weights. */
  final: EvalResult | null;
  /** True when training was stopped early (Ctrl-C in Node) rather than reaching tMax. */
  stopped?: boolean;
}

export interface BenchmarkResult extends RunSummary {
  /** The best evaluation's weights (safetensors), as best.safetensors holds them. */
  bestModel: Uint8Array | null;
}

export class Runner {
  agents: QMixAgents | null = null;

  constructor(readonly options: GetRunnerOptions, readonly resolved: ResolvedRun) {}

  get config(): QMixConfig {
    return this.resolved.config;
  }

  /** How a XuanCe config was read: conversions worth knowing. */
  get notes(): string[] {
    return this.resolved.notes;
  }

  /** The XuanCe keys read and not used, with the reason. */
  get ignored(): Array<{ key: string; reason: string }> {
    return this.resolved.ignored;
  }

  get isTest(): boolean {
    return this.options.isTest === true;
  }

  /** Trains for the config's tMax steps; with isTest, tests the saved team for testNEpisode greedy episodes instead. */
  async run(): Promise<RunSummary | EvalResult> {
    if (this.isTest) return this.test();
    return this.train();
  }

  /**
   * Trains with a greedy evaluation every testInterval steps (and at the
   * end), keeping the best evaluation's weights; returns the best and final
   * scores and the best team. With isTest, tests as run() does.
   */
  async benchmark(): Promise<BenchmarkResult | EvalResult> {
    if (this.isTest) return this.test();
    if (this.config.testNEpisode === 0) throw new ConfigError('benchmark: "testNEpisode" is 0, so there is nothing to score; give it a number of greedy episodes');
    const s = await this.train();
    return { ...s, bestModel: await this.bestModel() };
  }

  /** The best evaluation's weights after training. */
  protected async bestModel(): Promise<Uint8Array | null> {
    return this.agents?.bestModelBytes() ?? null;
  }

  protected async train(): Promise<RunSummary> {
    const o = this.options, c = this.config;
    const agents = new QMixAgents(c, makeEnvs(c, o.makeEnv ?? makeEnv), {
      ...o.trainer, makeEnv: o.makeEnv ?? makeEnv, hooks: o.hooks, sliceMs: o.sliceMs, store: o.store,
    });
    this.agents = agents;
    try {
      const s = await agents.trainTo(c.tMax);
      return { tEnv: s.tEnv, best: s.best, final: s.lastTest };
    } finally {
      agents.finish();
    }
  }

  /** The saved team's bytes for isTest. */
  protected async model(): Promise<Uint8Array> {
    if (!this.options.model) throw new ConfigError("isTest: give the team to test as `model` (the bytes of a checkpoint or weights file)");
    return this.options.model;
  }

  /** Greedy episodes of the saved team on the run's environment. */
  protected async test(): Promise<EvalResult> {
    return testTeam(await this.model(), this.config, this.options.makeEnv ?? makeEnv);
  }
}

/** testNEpisode greedy episodes of a saved team on config.env, checked against the sizes it was trained for. */
export function testTeam(bytes: Uint8Array, config: QMixConfig, make: EnvFactory = makeEnv): EvalResult {
  const trained = readConfig(bytes);
  const policy = DecentralisedPolicy.fromBytes(bytes);
  const env = wrapTimestep(make(config.env, { ...config.envArgs, seed: config.seed }), trained);
  try {
    const spec = policy.spec;
    if (env.nAgents !== spec.nAgents || env.obsDim !== spec.obsDim || env.nActions !== spec.nActions) {
      throw new ConfigError(`isTest: ${config.env} has ${env.nAgents} agents, obs ${env.obsDim}, ${env.nActions} actions; the saved team was trained on ${trained.env} with ${spec.nAgents}, ${spec.obsDim}, ${spec.nActions}`);
    }
    const runner = new ParallelRunner([env], policy);
    const rng = new Rng(deriveSeed(config.seed, 8, 0));
    const returns: number[] = [], won: number[] = [];
    for (let k = 0; k < Math.max(1, config.testNEpisode); k++) {
      const res = runner.run(0, rng, [deriveSeed(config.seed, 9, k)]);
      returns.push(res.returns[0]!);
      won.push(res.won[0]!);
    }
    return summarize(returns, won);
  } finally {
    env.close?.();
  }
}

export type LoadConfigOptions = Omit<GetRunnerOptions, "method" | "env" | "configPath" | "isTest" | "model"> & {
  /** Needed when the file does not say (XuanCe's agent, our mixer). */
  method?: string;
  /** Needed when the file does not say (XuanCe's env_name, our env). */
  env?: string;
  envId?: string;
};

/**
 * XuanCe's get_configs: a config file (ours or XuanCe's) read into our
 * config, its method and environment taken from the file unless given. A
 * custom environment must be registered first: its name and episode limit
 * are needed to read XuanCe's keys.
 */
export async function loadConfig(configPath: string, options: LoadConfigOptions = {}): Promise<QMixConfig> {
  const file = parseConfigFile(configPath, await (options.readText ?? fetchText)(configPath));
  const d = file.data;
  let method = options.method, env = options.env, envId = options.envId;
  if (file.xuance) {
    method ??= typeof d.agent === "string" ? d.agent : undefined;
    if (env === undefined && typeof d.env_name === "string") {
      env = d.env_name;
      envId ??= d.env_id === undefined || d.env_id === null ? undefined : String(d.env_id);
    }
  } else {
    method ??= d.mixer === "none" ? "iql" : typeof d.mixer === "string" ? d.mixer : "qmix";
    env ??= typeof d.env === "string" ? d.env : undefined;
  }
  if (method === undefined) throw new ConfigError(`${configPath}: the file names no method ("agent"); pass one`);
  if (env === undefined) throw new ConfigError(`${configPath}: the file names no environment (${file.xuance ? '"env_name"' : '"env"'}); pass env`);
  return (await resolveRunConfig({ ...options, method, env, envId, configPath }, file)).config;
}

/** XuanCe's get_runner: resolves the config and returns a Runner. */
export async function getRunner(options: GetRunnerOptions): Promise<Runner> {
  checkRunnerOptions(options as unknown as Record<string, unknown>);
  return new Runner(options, await resolveRunConfig(options));
}
