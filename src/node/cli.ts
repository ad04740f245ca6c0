#!/usr/bin/env node
// The command line: train, eval, envs. Node-only (files, signals, progress);
// everything it drives is the portable core.

import "./wasm_features.ts";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { listEnvs, makeEnv, UnknownEnvError, wrapTimestep } from "../envs/index.ts";
import { didYouMean } from "../envs/suggest.ts";
import type { MultiAgentEnv } from "../envs/env.ts";
import { readConfig, readTrainingStep } from "../train/checkpoint.ts";
import { ConfigError, configTable, DEFAULT_CONFIG, parseAssignment, resolveConfig, type QMixConfig } from "../train/config.ts";
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
import { type Args, COMMANDS, commandHelp, mainHelp, parseArgs, UsageError } from "./cli_commands.ts";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The teams shipped in the package's models/ folder, for --checkpoint pretrained:NAME. */
const MODELS = join(REPO, "models");

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
  if (path !== undefined && !(existsSync(path) && statSync(path).isFile())) throw new UsageError(`--config: no file at ${resolve(path)}`, "train");
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
  if (!path) throw new UsageError("eval needs --checkpoint FILE|DIR|pretrained:NAME", "eval");
  if (path.startsWith("pretrained:")) path = pretrained(path.slice("pretrained:".length));
  if (existsSync(path) && statSync(path).isDirectory()) {
    const best = join(path, "best.safetensors");
    path = existsSync(best) ? best : join(path, "model.safetensors");
  }
  if (!existsSync(path)) throw new UsageError(`--checkpoint: no file or run folder at ${resolve(path)}`, "eval");
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
    throw new UsageError(`--env ${envName}: its sizes (${sizes(env)}) differ from those the team in ${path} was trained on (${sizes(spec)}, on ${config.env})`);
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
    process.stdout.write(`${config.mixer} on ${envName}: greedy return ${r.returnMean.toFixed(3)} ± ${r.returnStd.toFixed(3)}${w} over ${r.episodes} episode${r.episodes === 1 ? "" : "s"} (${path}, trained ${trainedAt === null ? "for an unknown number of" : trainedAt.toLocaleString("en")} steps)\n`);
  }
  return 0;
}

/** An environment as training makes it: its preset's envArgs and time-step wrappers applied. */
function trainingSizes(name: string): { bare: MultiAgentEnv; trained: MultiAgentEnv } {
  const config = resolveConfig(...presetLayers(name), ["envs", { env: name }]);
  const bare = makeEnv(name, config.envArgs);
  return { bare, trained: wrapTimestep(bare, config) };
}

function envs(): number {
  const size = (e: MultiAgentEnv) => `obs ${e.obsDim}, state ${e.stateDim}`;
  for (const { name, description } of listEnvs()) {
    let sizes = "";
    try {
      const { bare, trained } = trainingSizes(name);
      const changed = trained.obsDim !== bare.obsDim || trained.stateDim !== bare.stateDim;
      sizes = `agents ${bare.nAgents}, actions ${bare.nActions}, ${size(trained)}, limit ${bare.episodeLimit}`
        + (changed ? ` (with its preset's t/limit clock; ${size(bare)} without)` : "");
      bare.close?.();
    } catch {
      sizes = "sizes depend on its options";
    }
    process.stdout.write(`${name.padEnd(22)} ${sizes}\n${"".padEnd(22)} ${description}\n`);
  }
  return 0;
}

/** pretrained:NAME: models/NAME.safetensors in the package's own folder. */
function pretrained(name: string): string {
  const names = existsSync(MODELS) ? readdirSync(MODELS).filter((f) => f.endsWith(".safetensors")).map((f) => f.slice(0, -".safetensors".length)) : [];
  if (!names.includes(name)) throw new UsageError(`--checkpoint pretrained:${name}: no such team in ${MODELS}.${didYouMean(name, names)} Shipped: ${names.join(", ") || "(none)"}`, "eval");
  return join(MODELS, `${name}.safetensors`);
}

function config(args: Args): number {
  const rows = configTable();
  if (args.flags.has("json")) {
    process.stdout.write(JSON.stringify(rows, null, 1) + "\n");
    return 0;
  }
  const w = Math.max(...rows.map((r) => r.key.length));
  process.stdout.write("Config keys, for --set KEY=VALUE and --config files (presets/ override some defaults per environment):\n\n");
  for (const r of rows) {
    process.stdout.write(`${r.key.padEnd(w)}  ${r.meaning}\n${"".padEnd(w)}  ${r.type}; default ${r.default}${r.source ? ` (${r.source})` : ""}\n`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let command: string | undefined;
  try {
    // sweep and report parse their own arguments (src/node/sweep_cli.ts); their runs start this script again.
    const self = [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)];
    if (argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) && COMMANDS[argv[0]]!.ownParser) return await sweepCommand(argv, self);
    const args = parseArgs(argv);
    command = args.command;
    if (args.command === "help") {
      const about = args.positional[0];
      if (about !== undefined && Object.hasOwn(COMMANDS, about) && COMMANDS[about]!.ownParser) return await sweepCommand([about, "--help"], self);
      process.stdout.write(about !== undefined && Object.hasOwn(COMMANDS, about) ? commandHelp(about) : mainHelp());
      return 0;
    }
    if (args.flags.has("help")) {
      process.stdout.write(commandHelp(args.command));
      return 0;
    }
    switch (args.command) {
      case "train": return await train(args);
      case "eval": return evaluate(args);
      case "envs": return envs();
      case "config": return config(args);
      default: throw new UsageError(`command "${args.command}" is listed but not implemented`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof RunFolderError || err instanceof UnknownEnvError) {
      const cmd = (err instanceof UsageError ? err.command : undefined) ?? command;
      const hint = err instanceof UsageError ? (cmd && cmd !== "help" ? `(qmix ${cmd} --help lists its options)` : "(qmix --help lists the commands)") : "";
      process.stderr.write(`qmix: ${err.message}\n${hint ? hint + "\n" : ""}`);
      return 2;
    }
    process.stderr.write(`qmix: ${(err as Error).message}\n`);
    return 1;
  }
}

// npm links bins as symlinks: compare real paths so the installed `qmix` runs too.
// `qmix config | head` closes the pipe early: stop quietly, as other commands do.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = await main(process.argv.slice(2));
}
