// getRunner for Node: config files and presets read from disk, training
// written to a run folder as `qmix train` writes it (config.json,
// metrics.jsonl, model.safetensors with its buffer, best.safetensors,
// curve.svg; the progress line on a terminal), and isTest reading the team
// from that folder.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../train/config.ts";
import { checkRunnerOptions, type GetRunnerOptions, loadConfig as portableLoadConfig, type LoadConfigOptions, resolveRunConfig, Runner, type RunSummary } from "../xuance/get_runner.ts";
import type { QMixConfig } from "../train/config.ts";
import type { EvalResult } from "../train/trainer.ts";
import { workerGradientHelpers } from "./parallel.ts";
import { readPreset } from "./presets.ts";
import { envSlug, makeEnvWithProcess } from "./process_env.ts";
import { trainRunFolder } from "./train_run.ts";

export interface NodeGetRunnerOptions extends GetRunnerOptions {
  /** No lines on stdout and no progress line. */
  quiet?: boolean;
  /** With isTest: the checkpoint or weights file to test. [the run folder's best.safetensors, else model.safetensors] */
  modelPath?: string;
}

export function readTextFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`);
  }
}

export class NodeRunner extends Runner {
  /** The run folder: overrides.out, else runs/<env>-<mixer>-seed<seed> under the working directory. */
  readonly out: string;

  constructor(readonly nodeOptions: NodeGetRunnerOptions, resolved: Awaited<ReturnType<typeof resolveRunConfig>>) {
    super(nodeOptions, resolved);
    const c = resolved.config;
    this.out = resolve(resolved.out ?? join("runs", `${envSlug(c.env)}-${c.mixer}-seed${c.seed}`));
  }

  protected override async train(): Promise<RunSummary> {
    const notes = this.resolved.xuance ? [`read ${this.options.configPath} as a XuanCe config`, ...this.notes, ...this.ignored.map((i) => `ignored ${i.key}: ${i.reason}`)] : [];
    const r = await trainRunFolder(this.out, this.config, {
      quiet: this.nodeOptions.quiet, notes, ...(this.options.hooks ? { hooks: this.options.hooks } : {}),
      words: { resume: "the command line's qmix train --resume", out: "overrides: { out: \"another/folder\" }" },
    });
    if (r.code === 1) throw new Error(`training stopped at ${r.tEnv} steps: a loss or gradient was not finite; the last good checkpoint in ${this.out} is kept`);
    return { tEnv: r.tEnv, best: r.best, final: r.lastTest, stopped: r.stopped };
  }

  protected override async bestModel(): Promise<Uint8Array | null> {
    const path = join(this.out, "best.safetensors");
    return existsSync(path) ? new Uint8Array(readFileSync(path)) : null;
  }

  protected override async model(): Promise<Uint8Array> {
    if (this.options.model) return this.options.model;
    const candidates = this.nodeOptions.modelPath !== undefined ? [resolve(this.nodeOptions.modelPath)] : [join(this.out, "best.safetensors"), join(this.out, "model.safetensors")];
    for (const p of candidates) if (existsSync(p)) return new Uint8Array(readFileSync(p));
    throw new ConfigError(`isTest: no saved team at ${candidates.join(" or ")}; train first (isTest: false) or give modelPath`);
  }

  protected override async test(): Promise<EvalResult> {
    const r = await super.test();
    if (!this.nodeOptions.quiet) {
      const w = r.battleWonMean === undefined ? "" : `, won ${(100 * r.battleWonMean).toFixed(1)}%`;
      process.stdout.write(`qmix-ts: ${this.config.mixer} on ${this.config.env}: greedy return ${r.returnMean.toFixed(3)} ± ${r.returnStd.toFixed(3)}${w} over ${r.episodes} episodes\n`);
    }
    return r;
  }
}

/** XuanCe's get_runner for Node. */
export async function getRunner(options: NodeGetRunnerOptions): Promise<NodeRunner> {
  checkRunnerOptions(options as unknown as Record<string, unknown>, ["quiet", "modelPath"]);
  const o: NodeGetRunnerOptions = {
    readText: readTextFile,
    loadPreset: readPreset,
    makeEnv: makeEnvWithProcess,
    trainer: { gradientHelpers: workerGradientHelpers },
    ...options,
  };
  return new NodeRunner(o, await resolveRunConfig(o));
}

/** XuanCe's get_configs for Node: a config file read from disk into our config (see the portable loadConfig). */
export function loadConfig(configPath: string, options: LoadConfigOptions = {}): Promise<QMixConfig> {
  return portableLoadConfig(configPath, { readText: readTextFile, loadPreset: readPreset, makeEnv: makeEnvWithProcess, ...options });
}
