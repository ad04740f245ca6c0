// A sweep for other schedulers: an sbatch job-array script (one array task
// per run) and plain shell commands (one line per run, for GNU parallel and
// the like). Both start `qmix sweep FILE --run NAME`, which skips a finished
// run and resumes one with a checkpoint, so a requeued task or a second
// submission continues where the first stopped.

import { join } from "node:path";
import type { Sweep } from "./sweep_file.ts";
import { LOG_FILE } from "./sweep.ts";
import { runMemory } from "./sweep_memory.ts";

/** Quotes a word for sh: as is when it is safe, else in single quotes. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface SlurmOptions {
  partition?: string;
  /** HH:MM:SS (or any sbatch --time format). */
  time?: string;
  cpusPerTask?: number;
  /** sbatch --mem, e.g. 4G. [the largest run's resident memory, rounded up to 100 MB] */
  mem?: string;
  /** Seconds before the time limit at which the run is told to save a checkpoint. [120] */
  signalSeconds?: number;
}

/** The command that runs one run of the sweep, as words. */
function runWords(self: string[], sweep: Sweep, name: string): string[] {
  return [...self, "sweep", sweep.path, "--run", name];
}

/**
 * One shell line per run: make the folder, then run it with its output
 * appended to the folder's train.log. The working directory is this one, so
 * a Node loader flag such as `--import tsx` still resolves.
 */
export function emitCommands(sweep: Sweep, self: string[], cwd: string): string {
  return sweep.runs.map((r) => `mkdir -p ${shellQuote(r.dir)} && cd ${shellQuote(cwd)} && ${runWords(self, sweep, r.name).map(shellQuote).join(" ")} >> ${shellQuote(join(r.dir, LOG_FILE))} 2>&1`).join("\n") + "\n";
}

/**
 * An sbatch script with one array task per run. Before the time limit Slurm
 * sends USR1 to the batch shell (--signal=B:USR1@S), which passes SIGTERM to
 * the run: it saves a checkpoint and exits with 130, and the task requeues
 * itself to continue from it. scancel's SIGTERM reaches the run the same way.
 */
export function emitSlurm(sweep: Sweep, self: string[], cwd: string, opts: SlurmOptions = {}): string {
  const n = sweep.runs.length;
  const cpus = opts.cpusPerTask ?? Math.max(1, ...sweep.runs.map((r) => r.config.learnerThreads));
  const mem = opts.mem ?? `${Math.ceil(Math.max(...sweep.runs.map((r) => runMemory(r.config).mb)) / 100) * 100}M`;
  const signal = opts.signalSeconds ?? 120;
  const directives = [
    `--job-name=${sweep.name.replace(/[^\w.-]+/g, "_")}`,
    `--array=0-${n - 1}`,
    `--output=${join(sweep.out, "slurm-%A_%a.out")}`,
    "--ntasks=1",
    `--cpus-per-task=${cpus}`,
    `--mem=${mem}`,
    "--requeue",
    `--signal=B:USR1@${signal}`,
    ...(opts.partition ? [`--partition=${opts.partition}`] : []),
    ...(opts.time ? [`--time=${opts.time}`] : []),
  ];
  const cmd = runWords(self, sweep, "$RUN").map((w) => (w === "$RUN" ? `"$RUN"` : shellQuote(w))).join(" ");
  return `#!/bin/bash
# ${sweep.name}: ${n} runs of ${sweep.path}, one array task each.
# Submit with: sbatch THIS_FILE. Submitting again, or a requeue, resumes
# unfinished runs from their checkpoints and skips finished ones.
${directives.map((d) => `#SBATCH ${d}`).join("\n")}

RUNS=(${sweep.runs.map((r) => shellQuote(r.name)).join(" ")})
RUN=\${RUNS[$SLURM_ARRAY_TASK_ID]}
OUT=${shellQuote(sweep.out)}
mkdir -p "$OUT/$RUN"
cd ${shellQuote(cwd)} || exit 1

# USR1 (the time limit is near) and TERM (scancel) ask the run to save a
# checkpoint and stop; the shell waits for it to finish saving.
timeup=0
trap 'timeup=1; kill -TERM "$child" 2>/dev/null' USR1
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
${cmd} >> "$OUT/$RUN/${LOG_FILE}" 2>&1 &
child=$!
wait "$child"
while kill -0 "$child" 2>/dev/null; do wait "$child"; done
wait "$child"; code=$?
if [ "$timeup" = 1 ] && [ "$code" = 130 ]; then
  scontrol requeue "$SLURM_JOB_ID"
fi
exit "$code"
`;
}
