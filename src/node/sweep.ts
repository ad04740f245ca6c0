// Running a sweep: one run folder per grid point, each trained with `qmix
// train`'s semantics (src/node/train_run.ts: lock, checkpoints,
// best.safetensors, metrics.jsonl, curve). Every executor, this machine's
// scheduler, a Slurm array task, a line of `--emit commands`, starts the same
// entry, `qmix sweep FILE --run NAME`, which skips a finished run, resumes
// one with a checkpoint and starts the rest. Each folder's sweep.json says
// how its last attempt ended; train.log holds its output.

import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import { join, relative } from "node:path";
import { decodeSafetensors } from "../nn/safetensors.ts";
import { readConfig, readTrainingStep } from "../train/checkpoint.ts";
import type { Metrics } from "../train/loop.ts";
import { LOCK_FILE, LockError, MODEL_FILE, ensureDir, writeFileAtomic } from "./files.ts";
import { formatDuration } from "./progress.ts";
import type { Sweep, SweepRun } from "./sweep_file.ts";
import { memoryRefusal } from "./sweep_memory.ts";
import { trainRunFolder } from "./train_run.ts";

export const STATE_FILE = "sweep.json";
export const LOG_FILE = "train.log";

export interface RunState {
  state: "running" | "done" | "failed" | "stopped";
  pid: number;
  host: string;
  /** The error's message, for a failed run. */
  error?: string;
}

function readState(dir: string): RunState | null {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), "utf8")) as RunState;
  } catch {
    return null;
  }
}

function writeState(dir: string, s: RunState): void {
  writeFileAtomic(join(dir, STATE_FILE), JSON.stringify(s) + "\n");
}

/**
 * A run is done when its last attempt finished and its checkpoint has
 * reached the sweep's step budget, or the early stop of its config
 * (stopWinRate) ended it: raising tMax in the sweep file makes finished
 * runs continue.
 */
function isDone(run: SweepRun, state = readState(run.dir)): boolean {
  if (state?.state !== "done") return false;
  try {
    const model = new Uint8Array(readFileSync(join(run.dir, MODEL_FILE)));
    const stored = readConfig(model);
    const { metadata } = decodeSafetensors(model);
    const goalStreak = (JSON.parse(metadata.counters ?? "{}") as { goalStreak?: number }).goalStreak ?? 0;
    return (readTrainingStep(model) ?? 0) >= run.config.tMax || (stored.stopWinRate > 0 && goalStreak >= stored.stopAfterTests);
  } catch {
    return false;
  }
}

/** The last non-empty line of a run's train.log: what a failed run said last. */
function lastLogLine(dir: string): string {
  try {
    const lines = readFileSync(join(dir, LOG_FILE), "utf8").split("\n").map((l) => l.trim()).filter(Boolean);
    return lines[lines.length - 1] ?? "";
  } catch {
    return "";
  }
}

/**
 * One run of a sweep, in this process: skipped when done, resumed from its
 * checkpoint when it has one, started otherwise. The exit code is `qmix
 * train`'s: 0 done, 130 stopped by a signal with a checkpoint, 1 failed.
 */
export async function runOne(run: SweepRun): Promise<number> {
  ensureDir(run.dir);
  const resume = existsSync(join(run.dir, MODEL_FILE));
  if (isDone(run)) {
    process.stdout.write(`qmix sweep: ${run.name} is done; skipped\n`);
    return 0;
  }
  const self = { pid: process.pid, host: hostname() };
  writeState(run.dir, { state: "running", ...self });
  let code: number;
  try {
    // With a checkpoint the stored config wins, as with `qmix train --resume`; the sweep's step budget is passed on.
    const r = await trainRunFolder(run.dir, run.config, { resume, steps: resume ? run.config.tMax : undefined, notes: [`sweep run ${run.name}${resume ? ", resumed from its checkpoint" : ""}`] });
    code = r.code;
  } catch (e) {
    // Another process holds the folder: its state is its own to write.
    if (e instanceof LockError) throw e;
    writeState(run.dir, { state: "failed", ...self, error: (e as Error).message });
    throw e;
  }
  if (code === 0) writeState(run.dir, { state: "done", ...self });
  else if (code === 130) writeState(run.dir, { state: "stopped", ...self });
  else writeState(run.dir, { state: "failed", ...self, error: lastLogLine(run.dir) || `exit code ${code}` });
  return code;
}

/** The default --jobs: the cores over the largest learnerThreads of the runs, at least 1, and the sentence that says so. */
export function defaultJobs(runs: SweepRun[], cores = availableParallelism()): { jobs: number; why: string } {
  const threads = Math.max(1, ...runs.map((r) => r.config.learnerThreads));
  const jobs = Math.max(1, Math.floor(cores / threads));
  return { jobs, why: `--jobs ${jobs}: ${cores} cores / ${threads} learner thread${threads === 1 ? "" : "s"} per run` };
}

export interface LocalOptions {
  /** How to start this CLI again: the Node binary, its flags and the script. */
  self: string[];
  jobs?: number;
  log?: (line: string) => void;
}

/**
 * Runs every unfinished run of the sweep here, `jobs` at once, each a child
 * process of the same CLI (`qmix sweep FILE --run NAME`) whose output goes to
 * its folder's train.log. Ctrl-C and SIGTERM reach every child (the terminal
 * signals the whole process group; this process passes SIGTERM on), each
 * saves a checkpoint, and no further run starts. A failed run does not stop
 * the others. Returns 0 when all are done, 130 when stopped, 1 when any failed.
 */
export async function runSweepLocal(sweep: Sweep, opts: LocalOptions): Promise<number> {
  const log = opts.log ?? ((s: string) => process.stdout.write(s + "\n"));
  const todo = sweep.runs.filter((r) => !isDone(r));
  const def = defaultJobs(todo.length ? todo : sweep.runs);
  const jobs = opts.jobs ?? def.jobs;
  if (jobs < 1) throw new Error(`--jobs must be at least 1, got ${jobs}`);
  const refusal = memoryRefusal(todo, Math.min(jobs, todo.length));
  if (refusal) throw new Error(refusal);
  log(`qmix sweep: ${sweep.name}: ${sweep.runs.length} runs under ${shown(sweep.out)}; ${sweep.runs.length - todo.length} done, ${todo.length} to run${todo.length === 0 ? "" : `; ${opts.jobs === undefined ? def.why : `--jobs ${jobs}`}`}`);
  if (todo.length === 0) return 0;

  const children = new Set<ReturnType<typeof spawn>>();
  let stopping = "";
  const onSignal = (s: NodeJS.Signals) => () => {
    if (!stopping) log(`qmix sweep: ${s}: stopping every run with a checkpoint`);
    stopping = s;
    for (const c of children) c.kill("SIGTERM");
  };
  const sigint = onSignal("SIGINT"), sigterm = onSignal("SIGTERM");
  process.on("SIGINT", sigint);
  process.on("SIGTERM", sigterm);
  const counts = { done: 0, failed: 0, stopped: 0 };
  const t0 = Date.now();
  const start = (run: SweepRun) => new Promise<void>((resolveRun) => {
    ensureDir(run.dir);
    const fd = openSync(join(run.dir, LOG_FILE), "a");
    const [cmd, ...args] = opts.self;
    const child = spawn(cmd!, [...args, "sweep", sweep.path, "--run", run.name], { cwd: process.cwd(), stdio: ["ignore", fd, fd] });
    closeSync(fd);
    children.add(child);
    log(`qmix sweep: ${run.name}: started (pid ${child.pid})`);
    const t = Date.now();
    const finish = (code: number | null, why: string) => {
      children.delete(child);
      const took = formatDuration((Date.now() - t) / 1000);
      if (code === 0) { counts.done++; log(`qmix sweep: ${run.name}: done in ${took}`); }
      else if (code === 130) { counts.stopped++; log(`qmix sweep: ${run.name}: stopped with a checkpoint after ${took}`); }
      else { counts.failed++; log(`qmix sweep: ${run.name}: failed (${why}): ${readState(run.dir)?.error ?? lastLogLine(run.dir)}`); }
      resolveRun();
    };
    child.on("error", (e) => finish(null, e.message));
    child.on("exit", (code, signal) => finish(code, signal ? `killed by ${signal}` : `exit code ${code}`));
  });
  try {
    const queue = [...todo];
    const lanes = Array.from({ length: Math.min(jobs, queue.length) }, async () => {
      for (let run = queue.shift(); run && !stopping; run = queue.shift()) await start(run);
    });
    await Promise.all(lanes);
  } finally {
    process.off("SIGINT", sigint);
    process.off("SIGTERM", sigterm);
  }
  const notStarted = todo.length - counts.done - counts.failed - counts.stopped;
  log(`qmix sweep: ${sweep.name}: ${counts.done} done, ${counts.failed} failed, ${counts.stopped} stopped${notStarted ? `, ${notStarted} not started` : ""} in ${formatDuration((Date.now() - t0) / 1000)}${counts.done === todo.length ? "" : "; run the same command again to resume"}`);
  if (counts.failed) return 1;
  return stopping || counts.stopped ? 130 : 0;
}

/** A folder as the user would type it: relative to the working directory when inside it. */
function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith("..") ? r : path;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface RunStatus {
  name: string;
  state: "pending" | "running" | "done" | "failed";
  detail: string;
  steps: number | null;
  /** The latest greedy evaluation: win rate where the environment reports one, else return. */
  latest: string;
  wallSeconds: number;
}

function readMetrics(dir: string): Array<Metrics & { wall_s?: number }> {
  try {
    return readFileSync(join(dir, "metrics.jsonl"), "utf8").split("\n").flatMap((l) => {
      try {
        return l.trim() ? [JSON.parse(l) as Metrics] : [];
      } catch {
        return []; // a line cut short by a kill
      }
    });
  } catch {
    return [];
  }
}

/** Wall-clock over a run's segments: wall_s restarts at 0 in a resumed process. */
export function wallSeconds(lines: Array<{ wall_s?: number }>): number {
  let offset = 0, prev = 0;
  for (const m of lines) {
    if (m.wall_s === undefined) continue;
    if (m.wall_s < prev) offset += prev;
    prev = m.wall_s;
  }
  return offset + prev;
}

export function runStatus(run: SweepRun): RunStatus {
  const s = readState(run.dir);
  const lines = readMetrics(run.dir);
  const last = lines[lines.length - 1];
  const test = [...lines].reverse().find((m) => m.test_return_mean !== undefined);
  const latest = test === undefined ? "-" : test.test_battle_won_mean !== undefined ? `won ${(100 * test.test_battle_won_mean).toFixed(1)}%` : `return ${test.test_return_mean!.toFixed(3)}`;
  const base = { name: run.name, steps: last?.t_env ?? null, latest, wallSeconds: wallSeconds(lines) };
  let lockPid = NaN;
  try {
    lockPid = Number(readFileSync(join(run.dir, LOCK_FILE), "utf8").trim());
  } catch {
    // no lock: nobody trains here
  }
  const here = s?.host === undefined || s.host === hostname();
  if (Number.isInteger(lockPid) && lockPid > 0 && (here ? alive(lockPid) : s?.state === "running")) return { ...base, state: "running", detail: `pid ${lockPid}${here ? "" : ` on ${s!.host}`}` };
  const hasModel = existsSync(join(run.dir, MODEL_FILE));
  if (isDone(run, s)) return { ...base, state: "done", detail: "" };
  if (s?.state === "failed") return { ...base, state: "failed", detail: s.error ?? lastLogLine(run.dir) };
  if (hasModel) return { ...base, state: "pending", detail: `resumes from its checkpoint${s?.state === "running" ? " (its process ended without saying how)" : s?.state === "done" ? ` to the sweep's ${run.config.tMax.toLocaleString("en")} steps` : ""}` };
  return { ...base, state: "pending", detail: "" };
}

/** `qmix sweep FILE --status`: one line per run. */
export function formatStatus(sweep: Sweep): string {
  const rows = sweep.runs.map(runStatus);
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  const head = `${"run".padEnd(w)}  ${"state".padEnd(7)}  ${"steps".padStart(9)}  ${"latest".padEnd(13)}  ${"wall".padStart(7)}  detail`;
  const body = rows.map((r) => `${r.name.padEnd(w)}  ${r.state.padEnd(7)}  ${(r.steps === null ? "-" : r.steps.toLocaleString("en")).padStart(9)}  ${r.latest.padEnd(13)}  ${(r.wallSeconds ? formatDuration(r.wallSeconds) : "-").padStart(7)}  ${r.detail}`);
  const n = (st: string) => rows.filter((r) => r.state === st).length;
  return [`${sweep.name}: ${rows.length} runs under ${shown(sweep.out)}: ${n("done")} done, ${n("running")} running, ${n("pending")} pending, ${n("failed")} failed`, head, ...body].join("\n") + "\n";
}
