#!/usr/bin/env node
// The command line: train, eval, envs. Node-only (files, signals, progress);
// everything it drives is the portable core.

import "./wasm_features.ts";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { listEnvs, makeEnv, wrapTimestep } from "../envs/index.ts";
import { readConfig, readTrainingStep } from "../train/checkpoint.ts";
import { CONFIG_KEYS, ConfigError, DEFAULT_CONFIG, parseAssignment, resolveConfig, type QMixConfig } from "../train/config.ts";
import { fileEnvName, parseConfigFile, xuanceLayer } from "../xuance/config_file.ts";
import { DecentralisedPolicy } from "../qmix/policy.ts";
import { ParallelRunner } from "../train/runner.ts";
import { deriveSeed, summarize } from "../train/trainer.ts";
import { Rng } from "../tensor/random.ts";
import { MODEL_FILE } from "./files.ts";
import { readTextFile } from "./get_runner.ts";
import { presetLayers } from "./presets.ts";
import { renderEpisodeTerminal } from "./render_terminal.ts";
import { envSlug, makeEnvWithProcess } from "./process_env.ts";
import { sweepCommand } from "./sweep_cli.ts";
import { RunFolderError, trainRunFolder } from "./train_run.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const USAGE = `qmix — QMIX for cooperative multi-agent RL

  qmix train --env NAME|process:COMMAND [--mixer qmix|vdn|none] [--seed N] [--steps N]
             [--config FILE.json|FILE.yaml] [--set key=value ...] [--out DIR] [--resume] [--quiet]
  qmix eval  --checkpoint FILE_OR_RUN_DIR [--episodes N] [--seed N] [--env NAME|process:COMMAND] [--render [--fps N]] [--json]
  qmix envs

Config keys (for --set and --config files): ${CONFIG_KEYS.join(", ")}
A --config YAML file may also be in XuanCe's keys (learning_rate, running_steps, …); see docs/usage.md.
`;

class UsageError extends Error {
  override name = "UsageError";
}

interface Args {
  command: string;
  flags: Map<string, string[]>;
}

const BOOLEAN_FLAGS = new Set(["resume", "render", "json", "quiet", "help"]);
const VALUE_FLAGS: Record<string, string[]> = {
  train: ["env", "mixer", "seed", "steps", "config", "set", "out"],
  eval: ["checkpoint", "episodes", "seed", "env", "fps"],
  envs: [],
};

function parseArgs(argv: string[]): Args {
  const command = argv[0] ?? "help";
  const flags = new Map<string, string[]>();
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument "${a}"`);
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (BOOLEAN_FLAGS.has(name)) {
      flags.set(name, ["true"]);
      continue;
    }
    if (!(VALUE_FLAGS[command] ?? []).includes(name)) {
      throw new UsageError(`unknown option --${name} for "${command}"; allowed: ${[...(VALUE_FLAGS[command] ?? []), ...BOOLEAN_FLAGS].map((f) => `--${f}`).join(", ")}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { command, flags };
}

function one(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  return v?.[v.length - 1];
}

function intFlag(args: Args, name: string): number | undefined {
  const v = one(args, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

/**
 * Defaults → the environment's preset → --config → flags → --set, each layer
 * checked. A XuanCe config file (YAML in its keys) replaces the presets: it
 * describes a whole run; notes say how its keys were converted.
 */
function buildConfig(args: Args): { config: QMixConfig; notes: string[] } {
  const path = one(args, "config");
  const file = path ? parseConfigFile(path, readTextFile(path)) : null;
  const sets = (args.flags.get("set") ?? []).map(parseAssignment);
  const setLayer = Object.fromEntries(sets);
  const flagLayer: Record<string, unknown> = {};
  const env = one(args, "env");
  if (env) flagLayer.env = env;
  const mixer = one(args, "mixer");
  if (mixer) flagLayer.mixer = mixer;
  const seed = intFlag(args, "seed");
  if (seed !== undefined) flagLayer.seed = seed;
  const steps = intFlag(args, "steps");
  if (steps !== undefined) flagLayer.tMax = steps;
  const asked = (setLayer.env ?? flagLayer.env) as string | undefined;
  const envName = asked ?? (file ? fileEnvName(file) : undefined) ?? DEFAULT_CONFIG.env;
  const late: Array<[string, Record<string, unknown>]> = [["command line", flagLayer], ["--set", setLayer]];
  if (file?.xuance) {
    const envArgs = Object.fromEntries(Object.entries(setLayer).filter(([k]) => k.startsWith("envArgs.")).map(([k, v]) => [k.slice(8), v]));
    const x = xuanceLayer(file, envName, (setLayer.mixer ?? flagLayer.mixer) as string | undefined, envArgs, makeEnvWithProcess);
    const ignored = x.ignored.map((i) => `ignored ${i.key}: ${i.reason}`);
    return { config: resolveConfig([`--config ${file.path}`, x.layer[1]], ...late), notes: [`read ${file.path} as a XuanCe config`, ...x.notes, ...ignored] };
  }
  const fileLayer: Array<[string, Record<string, unknown>]> = file ? [[`--config ${file.path}`, file.data]] : [];
  return { config: resolveConfig(...presetLayers(envName), ...fileLayer, ...late), notes: [] };
}

async function train(args: Args): Promise<number> {
  const { config, notes } = buildConfig(args);
  const out = resolve(one(args, "out") ?? join("runs", `${envSlug(config.env)}-${config.mixer}-seed${config.seed}`));
  if (args.flags.has("resume") && !existsSync(join(out, MODEL_FILE))) throw new UsageError(`--resume: no checkpoint at ${join(out, MODEL_FILE)}`);
  const r = await trainRunFolder(out, config, { resume: args.flags.has("resume"), quiet: args.flags.has("quiet"), steps: intFlag(args, "steps"), notes });
  return r.code;
}

function evaluate(args: Args): number {
  let path = one(args, "checkpoint");
  if (!path) throw new UsageError("eval needs --checkpoint FILE_OR_RUN_DIR");
  if (existsSync(path) && statSync(path).isDirectory()) {
    const best = join(path, "best.safetensors");
    path = existsSync(best) ? best : join(path, "model.safetensors");
  }
  if (!existsSync(path)) throw new UsageError(`--checkpoint: ${path} does not exist`);
  const bytes = new Uint8Array(readFileSync(path));
  const config = readConfig(bytes);
  const trainedAt = readTrainingStep(bytes);
  const policy = DecentralisedPolicy.fromBytes(bytes);
  const episodes = intFlag(args, "episodes") ?? 32;
  const seed = intFlag(args, "seed") ?? 12345;
  // --env: the same task from another implementation (the original behind
  // the process bridge, say); it must have the sizes the team was trained on.
  const envName = one(args, "env") ?? config.env;
  const envArgs = one(args, "env") === undefined ? config.envArgs : {};
  const env = wrapTimestep(makeEnvWithProcess(envName, { ...envArgs, seed }), config);
  const spec = policy.spec;
  const sizes = (e: { nAgents: number; obsDim: number; nActions: number }) => `${e.nAgents} agents, obs ${e.obsDim}, ${e.nActions} actions`;
  if (env.nAgents !== spec.nAgents || env.obsDim !== spec.obsDim || env.nActions !== spec.nActions) {
    env.close?.();
    throw new Error(`--env ${envName}: its sizes (${sizes(env)}) differ from those the team in ${path} was trained on (${sizes(spec)}, on ${config.env})`);
  }
  if (args.flags.has("render")) renderEpisodeTerminal(env, policy, deriveSeed(seed, 9, 0), { bytes, config, fps: intFlag(args, "fps") });
  const runner = new ParallelRunner([env], policy);
  const rng = new Rng(deriveSeed(seed, 8, 0));
  const returns: number[] = [];
  const won: number[] = [];
  for (let k = 0; k < episodes; k++) {
    const res = runner.run(0, rng, [deriveSeed(seed, 9, k)]);
    returns.push(res.returns[0]!);
    won.push(res.won[0]!);
  }
  env.close?.();
  const r = summarize(returns, won);
  const winRate = r.battleWonMean === undefined ? {} : { win_rate: r.battleWonMean };
  if (args.flags.has("json")) {
    process.stdout.write(JSON.stringify({ return_mean: r.returnMean, return_std: r.returnStd, episodes: r.episodes, ...winRate, checkpoint: path, trained_steps: trainedAt, env: envName }) + "\n");
  } else {
    const w = r.battleWonMean === undefined ? "" : `, won ${(100 * r.battleWonMean).toFixed(1)}%`;
    process.stdout.write(`${config.mixer} on ${envName}: greedy return ${r.returnMean.toFixed(3)} ± ${r.returnStd.toFixed(3)}${w} over ${r.episodes} episodes (${path}, trained ${trainedAt === null ? "for an unknown number of" : trainedAt.toLocaleString("en")} steps)\n`);
  }
  return 0;
}

function envs(): number {
  for (const { name, description } of listEnvs()) {
    let sizes = "";
    try {
      const e = makeEnv(name, {});
      sizes = `agents ${e.nAgents}, actions ${e.nActions}, obs ${e.obsDim}, state ${e.stateDim}, limit ${e.episodeLimit}`;
    } catch {
      sizes = "sizes depend on its options";
    }
    process.stdout.write(`${name.padEnd(22)} ${sizes}\n${"".padEnd(22)} ${description}\n`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  try {
    // sweep and report parse their own arguments (src/node/sweep_cli.ts); their runs start this script again.
    if (argv[0] === "sweep" || argv[0] === "report") return await sweepCommand(argv, [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)]);
    const args = parseArgs(argv);
    if (args.flags.has("help") || args.command === "help" || args.command === "--help") {
      process.stdout.write(USAGE);
      return 0;
    }
    switch (args.command) {
      case "train": return await train(args);
      case "eval": return evaluate(args);
      case "envs": return envs();
      default: throw new UsageError(`unknown command "${args.command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof RunFolderError) {
      process.stderr.write(`qmix: ${err.message}\n\n${err instanceof UsageError ? USAGE : ""}`);
      return 2;
    }
    process.stderr.write(`qmix: ${(err as Error).message}\n`);
    return 1;
  }
}

// npm links bins as symlinks: compare real paths so the installed `qmix` runs too.
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = await main(process.argv.slice(2));
}
