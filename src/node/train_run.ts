// Training into a run folder, as `qmix train` does and the Node getRunner
// reuses: config.json, metrics.jsonl, model.safetensors with its replay
// buffer, best.safetensors, curve.svg (and qtot.json for the matrix games),
// the progress line on a terminal, Ctrl-C saving a checkpoint, and a
// train.lock so two processes never train into one folder.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { matrixGameStates, MatrixGameEnv, twoStepStates, type NamedState } from "../envs/index.ts";
import type { MultiAgentEnv } from "../envs/env.ts";
import { encodeBufferParts, encodeModel, encodeWeights, readConfig, restore, type LoopCounters } from "../train/checkpoint.ts";
import type { QMixConfig } from "../train/config.ts";
import { curveSvg } from "../train/curve.ts";
import { NonFiniteError } from "../qmix/learner.ts";
import { trainLoopAsync, type Metrics } from "../train/loop.ts";
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
  ensureDir(out);
  const release = lockRunDir(out);
  try {
    return await trainIn(out, config, opts);
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
    throw new RunFolderError(`${out} already holds a run (model.safetensors); use --resume to continue it or --out to start another`);
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

  let stop = false, signal = "";
  const onSignal = (s: string) => () => { stop = true; signal = s; };
  const sigint = onSignal("SIGINT"), sigterm = onSignal("SIGTERM");
  process.on("SIGINT", sigint);
  process.on("SIGTERM", sigterm);
  const progress = new Progress(config.tMax, !quiet && Boolean(process.stderr.isTTY));
  let lastEval: EvalResult | null = null;
  let lastTest: number | undefined, lastLoss: number | undefined, lastWon: number | undefined;
  const t0 = Date.now();

  const checkpoint = (loop: LoopCounters) => saveCheckpoint(out, encodeModel(trainer, loop), encodeBufferParts(trainer));

  let loop: LoopCounters;
  try {
    // The async loop hands control back every 100 ms so Ctrl-C (SIGINT) and
    // SIGTERM are seen: they stop the loop, and a checkpoint is saved below.
    loop = await trainLoopAsync(trainer, {
      onMetrics: (m: Metrics) => {
        appendLine(metricsPath, JSON.stringify(m));
        if (m.loss !== undefined) lastLoss = m.loss;
        if (m.test_return_mean !== undefined && !progress.enabled) {
          const won = m.test_battle_won_mean === undefined ? "" : `  won ${(100 * m.test_battle_won_mean).toFixed(1)}%`;
          log(`t_env ${m.t_env}  episode ${m.episode}  test return ${m.test_return_mean.toFixed(3)} ± ${m.test_return_std?.toFixed(3)}${won}  ε ${m.epsilon.toFixed(3)}  loss ${m.loss?.toFixed(4) ?? "-"}  ${m.steps_per_sec} steps/s`);
        }
      },
      onEvaluate: (r, improved) => {
        lastEval = r;
        opts.onEvaluate?.(r, improved);
        lastTest = r.returnMean;
        lastWon = r.battleWonMean;
        const won: Record<string, string> = r.battleWonMean === undefined ? {} : { test_battle_won_mean: String(r.battleWonMean) };
        if (improved && trainer.best) writeFileAtomic(join(out, "best.safetensors"), encodeWeights(trainer, trainer.best.weights, { test_return_mean: String(r.returnMean), t_env: String(trainer.tEnv), ...won }));
      },
      onCheckpoint: checkpoint,
      onProgress: (e, _t, sps) => progress.update(e.tEnv, { "ε": e.epsilon, test: lastTest, ...(lastWon === undefined ? {} : { won: lastWon }), loss: lastLoss }, sps),
      shouldStop: () => stop,
    }, start);
  } catch (err) {
    progress.done();
    if (err instanceof NonFiniteError) {
      process.stderr.write(`qmix-ts: ${err.message}\nqmix-ts: the last good checkpoint in ${out} is kept.\n`);
      return { code: 1, tEnv: trainer.tEnv, best: bestOf(trainer), lastTest: lastEval, stopped: false };
    }
    throw err;
  } finally {
    process.off("SIGINT", sigint);
    process.off("SIGTERM", sigterm);
    for (const e of [...trainer.envs, trainer.testEnv]) e.close?.();
    trainer.close();
  }
  progress.done();
  checkpoint(loop);
  writeCurve(metricsPath, join(out, "curve.svg"), `${config.mixer} on ${config.env}, seed ${config.seed}`);
  const states = namedStates(env0);
  if (states) {
    const tables = qtotTables(trainer.learner, states);
    writeFileAtomic(join(out, "qtot.json"), JSON.stringify({ states: tables.map((t) => ({ name: t.name, qtot: t.qtot })) }, null, 1) + "\n");
  }
  const secs = (Date.now() - t0) / 1000;
  const early = config.stopWinRate > 0 && (loop.goalStreak ?? 0) >= config.stopAfterTests;
  const how = stop ? `stopped by ${signal}, checkpoint saved` : early ? `done early: ${config.stopAfterTests} greedy evaluations in a row won ≥ ${(100 * config.stopWinRate).toFixed(1)}% (stopWinRate)` : "done";
  log(`qmix-ts: ${how} at ${trainer.tEnv.toLocaleString("en")} steps in ${formatDuration(secs)}; best greedy return ${trainer.best?.returnMean.toFixed(3) ?? "-"} (at ${trainer.best?.tEnv ?? "-"} steps), last ${lastTest?.toFixed(3) ?? "-"}`);
  log(`qmix-ts: ${join(out, "metrics.jsonl")}, model.safetensors, best.safetensors, curve.svg${states ? ", qtot.json" : ""}`);
  return { code: stop ? 130 : 0, tEnv: trainer.tEnv, best: bestOf(trainer), lastTest: lastEval, stopped: stop };
}

function writeCurve(metricsPath: string, svgPath: string, title: string): void {
  const pts: Array<[number, number]> = [];
  for (const line of readFileSync(metricsPath, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as Metrics;
    if (m.test_return_mean !== undefined) pts.push([m.t_env, m.test_return_mean]);
  }
  writeFileAtomic(svgPath, curveSvg([{ label: "greedy test return", points: pts }], { title }));
}
