// Training into a run folder, as `qmix train` does and the Node getRunner
// reuses: config.json, metrics.jsonl, model.safetensors with its replay
// buffer, best.safetensors, curve.svg (and qtot.json for the matrix games),
// the progress line on a terminal, Ctrl-C, SIGTERM and SIGHUP (and the
// parent process going away) saving a checkpoint, and a train.lock so two
// processes never train into one folder.

import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { matrixGameStates, MatrixGameEnv, twoStepStates, type NamedState } from "../envs/index.ts";
import type { MultiAgentEnv } from "../envs/env.ts";
import { encodeBufferParts, encodeModel, encodeWeights, readConfig, restore, type LoopCounters } from "../train/checkpoint.ts";
import type { QMixConfig } from "../train/config.ts";
import { curveSvg } from "../train/curve.ts";
import { NonFiniteError } from "../qmix/learner.ts";
import { trainLoopAsync, type LoopHooks, type Metrics } from "../train/loop.ts";
import { qtotTables } from "../train/qtot_table.ts";
import { Trainer, type EvalResult } from "../train/trainer.ts";
import { MODEL_FILE, appendLine, ensureDir, filterJsonLines, loadCheckpoint, lockRunDir, saveCheckpoint, writeFileAtomic } from "./files.ts";
import { workerGradientHelpers } from "./parallel.ts";
import { Progress, formatDuration } from "./progress.ts";
import { makeEnvWithProcess } from "./process_env.ts";

/** A run folder that cannot take this run (it holds another one). */
export class RunFolderError extends Error {
  override name = "RunFolderError";
}

export interface TrainRunOptions {
  /** Continue the run in the folder from its checkpoint. */
  resume?: boolean;
  /** No lines on stdout and no progress line. */
  quiet?: boolean;
  /** With resume: the new step budget (the stored config's otherwise). */
  steps?: number;
  /** Lines printed after the header (how a XuanCe config was read, say). */
  notes?: string[];
  onEvaluate?(r: EvalResult, improved: boolean): void;
  /** The caller's hooks, called after the run folder's own: each metrics line, evaluation, and progress (every collected batch). */
  hooks?: Pick<LoopHooks, "onMetrics" | "onEvaluate" | "onProgress">;
  /** How errors name the options: the command line's flags, or the API's words. [the flags] */
  words?: { resume: string; out: string };
}

export interface TrainRunResult {
  /** The command line's exit code: 0 done, 130 stopped by a signal, 1 a non-finite loss. */
  code: number;
  tEnv: number;
  best: { returnMean: number; battleWonMean?: number; tEnv: number } | null;
  lastTest: EvalResult | null;
  stopped: boolean;
}

/** Trains `config` into the folder `out`, holding its train.lock throughout. */
export async function trainRunFolder(out: string, config: QMixConfig, opts: TrainRunOptions = {}): Promise<TrainRunResult> {
  const created = !existsSync(out);
  ensureDir(out);
  const release = lockRunDir(out);
  try {
    return await trainIn(out, config, opts);
  } catch (err) {
    // A run that failed before its first checkpoint (an unknown environment,
    // a bad option) leaves no folder behind if it made the folder.
    if (created) {
      release();
      if (!existsSync(join(out, MODEL_FILE)) && readdirSync(out).every((f) => ["config.json", "metrics.jsonl"].includes(f))) rmSync(out, { recursive: true, force: true });
    }
    throw err;
  } finally {
    release();
  }
}

function bestOf(t: Trainer): TrainRunResult["best"] {
  if (!t.best) return null;
  const b: NonNullable<TrainRunResult["best"]> = { returnMean: t.best.returnMean, tEnv: t.best.tEnv };
  if (t.best.battleWonMean !== undefined) b.battleWonMean = t.best.battleWonMean;
  return b;
}

function namedStates(env: MultiAgentEnv): NamedState[] | null {
  if (env.name === "two_step") return twoStepStates();
  if (env instanceof MatrixGameEnv) return matrixGameStates(env);
  return null;
}

async function trainIn(out: string, config: QMixConfig, opts: TrainRunOptions): Promise<TrainRunResult> {
  const resume = opts.resume === true;
  const quiet = opts.quiet === true;
  const modelPath = join(out, MODEL_FILE);
  let saved: { model: Uint8Array; buffer: Uint8Array } | null = null;
  if (resume) {
    saved = loadCheckpoint(out); // the model and the buffer saved with it
    const stored = readConfig(saved.model);
    // The stored run's config wins; only the step budget may be extended.
    config = { ...stored, tMax: opts.steps ?? stored.tMax };
  } else if (existsSync(modelPath)) {
    const w = opts.words ?? { resume: "--resume", out: "--out" };
    throw new RunFolderError(`${out} already holds a run (model.safetensors); use ${w.resume} to continue it or ${w.out} to start another`);
  }
  const trainer = new Trainer(config, makeEnvWithProcess, { gradientHelpers: workerGradientHelpers });
  let start: LoopCounters | undefined;
  if (saved) start = restore(trainer, saved.model, saved.buffer);
  saved = null; // the files' bytes are not needed once restored (a buffer file can be large)
  writeFileAtomic(join(out, "config.json"), JSON.stringify(config, null, 2) + "\n");
  const metricsPath = join(out, "metrics.jsonl");
  // Lines logged after the checkpoint will be logged again by the resumed run.
  if (resume) filterJsonLines(metricsPath, (m) => typeof m.t_env === "number" && m.t_env <= trainer.tEnv);
  else writeFileAtomic(metricsPath, "");

  const log = (s: string) => { if (!quiet) process.stdout.write(s + "\n"); };
  const env0 = trainer.envs[0]!;
  log(`qmix-ts: training ${config.mixer} on ${config.env} (${env0.nAgents} agents, ${env0.nActions} actions, obs ${env0.obsDim}, state ${env0.stateDim}) for ${config.tMax.toLocaleString("en")} steps, seed ${config.seed}${resume ? `, resumed at ${trainer.tEnv}` : ""}`);
  log(`qmix-ts: writing to ${out}`);
  for (const n of opts.notes ?? []) log(`qmix-ts: ${n}`);

  // Ctrl-C, SIGTERM (timeout, kill, npm run passing one on) and SIGHUP (a
  // closed terminal or SSH session) all stop the loop at its next slice, and
  // a checkpoint is saved below. A parent that goes away without a signal
  // reaching us (npm killed by SIGHUP does not pass it on) counts as a
  // hang-up: the parent process id changes.
  let stop = false, signal = "";
  const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const handlers = SIGNALS.map((s) => [s, () => { stop = true; signal ||= s; }] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const parent = process.ppid;
  const orphaned = () => {
    if (!stop && process.ppid !== parent) { stop = true; signal = "its parent process exiting"; }
    return stop;
  };
  const progress = new Progress(config.tMax, !quiet && Boolean(process.stderr.isTTY));
  let lastEval: EvalResult | null = null;
  let lastTest: number | undefined, lastLoss: number | undefined, lastWon: number | undefined;
  const t0 = Date.now();

  const title = `${config.mixer} on ${config.env}, seed ${config.seed}`;
  // SMAClite scales a battle's reward so that a perfect one earns 20 (src/envs/smaclite/env.ts).
  const maxReturn = config.env.startsWith("smaclite") ? 20 : undefined;
  const checkpoint = (loop: LoopCounters) => saveCheckpoint(out, encodeModel(trainer, loop), encodeBufferParts(trainer));

  let loop: LoopCounters;
  try {
    // The async loop hands control back every 100 ms so Ctrl-C (SIGINT) and
    // SIGTERM are seen: they stop the loop, and a checkpoint is saved below.
    loop = await trainLoopAsync(trainer, {
      onMetrics: (m: Metrics) => {
        appendLine(metricsPath, JSON.stringify(m));
        // The curve is redrawn at every evaluation, so a running or killed run has one.
        if (m.test_return_mean !== undefined) writeCurve(metricsPath, join(out, "curve.svg"), title);
        opts.hooks?.onMetrics?.(m);
        if (m.loss !== undefined) lastLoss = m.loss;
        if (m.test_return_mean !== undefined && !progress.enabled) {
          const won = m.test_battle_won_mean === undefined ? "" : `  won ${(100 * m.test_battle_won_mean).toFixed(1)}%`;
          log(`t_env ${m.t_env}  episode ${m.episode}  test return ${m.test_return_mean.toFixed(3)} ± ${m.test_return_std?.toFixed(3)}${maxReturn === undefined ? "" : ` of ${maxReturn}`}${won}  ε ${m.epsilon.toFixed(3)}  loss ${m.loss?.toFixed(4) ?? "-"}  ${m.steps_per_sec} steps/s`);
        }
      },
      onEvaluate: (r, improved) => {
        lastEval = r;
        opts.onEvaluate?.(r, improved);
        opts.hooks?.onEvaluate?.(r, improved);
        lastTest = r.returnMean;
        lastWon = r.battleWonMean;
        const won: Record<string, string> = r.battleWonMean === undefined ? {} : { test_battle_won_mean: String(r.battleWonMean) };
        if (improved && trainer.best) writeFileAtomic(join(out, "best.safetensors"), encodeWeights(trainer, trainer.best.weights, { test_return_mean: String(r.returnMean), t_env: String(trainer.tEnv), ...won }));
      },
      onCheckpoint: checkpoint,
      onProgress: (e, t, sps) => {
        opts.hooks?.onProgress?.(e, t, sps);
        const test = lastTest === undefined ? undefined : maxReturn === undefined ? lastTest : `${lastTest.toFixed(2)} of ${maxReturn}`;
        progress.update(e.tEnv, { "ε": e.epsilon, test, ...(lastWon === undefined ? {} : { won: `${(100 * lastWon).toFixed(1)}%` }), loss: lastLoss }, sps);
      },
      shouldStop: orphaned,
    }, start);
  } catch (err) {
    progress.done();
    if (err instanceof NonFiniteError) {
      process.stderr.write(`qmix-ts: ${err.message}\nqmix-ts: the last good checkpoint in ${out} is kept.\n`);
      return { code: 1, tEnv: trainer.tEnv, best: bestOf(trainer), lastTest: lastEval, stopped: false };
    }
    throw err;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    for (const e of [...trainer.envs, trainer.testEnv]) e.close?.();
    trainer.close();
  }
  progress.done();
  checkpoint(loop);
  writeCurve(metricsPath, join(out, "curve.svg"), title);
  const states = namedStates(env0);
  if (states) {
    const tables = qtotTables(trainer.learner, states);
    writeFileAtomic(join(out, "qtot.json"), JSON.stringify({ states: tables.map((t) => ({ name: t.name, qtot: t.qtot })) }, null, 1) + "\n");
  }
  const secs = (Date.now() - t0) / 1000;
  const early = config.stopWinRate > 0 && (loop.goalStreak ?? 0) >= config.stopAfterTests;
  const how = stop ? `stopped by ${signal}, checkpoint saved (${(opts.words ?? { resume: "--resume" }).resume} continues)` : early ? `done early: ${config.stopAfterTests} greedy evaluations in a row won ≥ ${(100 * config.stopWinRate).toFixed(1)}% (stopWinRate)` : "done";
  log(`qmix-ts: ${how} at ${trainer.tEnv.toLocaleString("en")} steps in ${formatDuration(secs)}; best greedy return ${trainer.best?.returnMean.toFixed(3) ?? "-"} (at ${trainer.best?.tEnv ?? "-"} steps), last ${lastTest?.toFixed(3) ?? "-"}`);
  log(`qmix-ts: ${join(out, "metrics.jsonl")}, model.safetensors, best.safetensors, curve.svg${states ? ", qtot.json" : ""}`);
  return { code: stop ? 130 : 0, tEnv: trainer.tEnv, best: bestOf(trainer), lastTest: lastEval, stopped: stop };
}

/** curve.svg from metrics.jsonl: the greedy return, and the win rate (right axis, per cent) where the environment reports one. */
export function writeCurve(metricsPath: string, svgPath: string, title: string): void {
  const pts: Array<[number, number]> = [], won: Array<[number, number]> = [];
  for (const line of readFileSync(metricsPath, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as Metrics;
    if (m.test_return_mean !== undefined) pts.push([m.t_env, m.test_return_mean]);
    if (m.test_battle_won_mean !== undefined) won.push([m.t_env, 100 * m.test_battle_won_mean]);
  }
  const right = won.length ? { series: [{ label: "greedy win rate", points: won }], yLabel: "win rate (%)", yMin: 0, yMax: 100, format: (v: number) => `${v.toFixed(0)}%` } : undefined;
  writeFileAtomic(svgPath, curveSvg([{ label: "greedy test return", points: pts }], { title, ...(right ? { right } : {}) }));
}
