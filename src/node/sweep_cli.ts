// The `sweep` and `report` commands of the command line (src/node/cli.ts
// hands them their arguments).

import { ConfigError } from "../train/config.ts";
import { ensureDir } from "./files.ts";
import { formatStatus, runOne, runSweepLocal } from "./sweep.ts";
import { readSweep } from "./sweep_file.ts";
import { emitCommands, emitSlurm } from "./slurm.ts";
import { report, type ReportMetric } from "./report.ts";

export const SWEEP_USAGE = `  qmix sweep FILE.yaml|FILE.json [--jobs N]        run every run of the grid here, N at once; again: resume
  qmix sweep FILE --status                         one line per run: pending, running (pid), done, failed
  qmix sweep FILE --emit slurm [--partition P] [--time HH:MM:SS] [--cpus-per-task N] [--mem M]
                                                   an sbatch job-array script on standard output
  qmix sweep FILE --emit commands                  one shell command per run
  qmix report DIR... [--metric win_rate|return] [--target X] [--out SVG_DIR]
                                                   a Markdown table over seeds, one SVG curve per group
`;

/** A bad command line for sweep or report: reported with the usage, exit code 2. */
export class SweepUsageError extends ConfigError {
  override name = "SweepUsageError";
}

const FLAGS: Record<string, { values: string[]; booleans: string[] }> = {
  sweep: { values: ["jobs", "run", "emit", "partition", "time", "cpus-per-task", "mem"], booleans: ["status"] },
  report: { values: ["metric", "target", "out"], booleans: [] },
};

function parse(argv: string[]): { command: string; positional: string[]; flags: Map<string, string> } {
  const command = argv[0]!;
  const spec = FLAGS[command]!;
  const positional: string[] = [], flags = new Map<string, string>();
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (spec.booleans.includes(name)) {
      flags.set(name, "true");
      continue;
    }
    if (!spec.values.includes(name)) throw new SweepUsageError(`unknown option --${name} for "${command}"; allowed: ${[...spec.values, ...spec.booleans].map((f) => `--${f}`).join(", ")}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new SweepUsageError(`--${name} needs a value`);
    flags.set(name, value);
  }
  return { command, positional, flags };
}

function positiveInt(flags: Map<string, string>, name: string): number | undefined {
  const v = flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new SweepUsageError(`--${name} must be a positive integer, got "${v}"`);
  return n;
}

/**
 * Runs `qmix sweep …` or `qmix report …`; `self` is how to start this CLI
 * again (the Node binary, its flags, the script), for the runs' processes
 * and the emitted scripts.
 */
export async function sweepCommand(argv: string[], self: string[]): Promise<number> {
  if (argv.includes("--help")) {
    process.stdout.write(`qmix sweep and qmix report (docs/usage.md#sweeps)\n\n${SWEEP_USAGE}`);
    return 0;
  }
  const { command, positional, flags } = parse(argv);
  if (command === "report") return reportCommand(positional, flags);
  if (positional.length !== 1) throw new SweepUsageError(`sweep needs one sweep file, got ${positional.length ? positional.join(" ") : "none"}\n\n${SWEEP_USAGE}`);
  const sweep = readSweep(positional[0]!);
  const run = flags.get("run");
  if (run !== undefined) {
    const r = sweep.runs.find((x) => x.name === run);
    if (!r) throw new SweepUsageError(`--run ${run}: no run of that name in ${sweep.path}; its runs: ${sweep.runs.map((x) => x.name).join(", ")}`);
    return runOne(r);
  }
  if (flags.has("status")) {
    process.stdout.write(formatStatus(sweep));
    return 0;
  }
  const emit = flags.get("emit");
  if (emit !== undefined) {
    if (emit === "commands") process.stdout.write(emitCommands(sweep, self, process.cwd()));
    else if (emit === "slurm") {
      // Slurm opens each task's --output file in the sweep's folder before the script runs: it must exist.
      ensureDir(sweep.out);
      const cpus = positiveInt(flags, "cpus-per-task");
      process.stdout.write(emitSlurm(sweep, self, process.cwd(), {
        ...(flags.has("partition") ? { partition: flags.get("partition")! } : {}),
        ...(flags.has("time") ? { time: flags.get("time")! } : {}),
        ...(flags.has("mem") ? { mem: flags.get("mem")! } : {}),
        ...(cpus === undefined ? {} : { cpusPerTask: cpus }),
      }));
    } else throw new SweepUsageError(`--emit must be "slurm" or "commands", got "${emit}"`);
    return 0;
  }
  for (const k of ["partition", "time", "cpus-per-task", "mem"]) if (flags.has(k)) throw new SweepUsageError(`--${k} goes with --emit slurm`);
  const jobs = positiveInt(flags, "jobs");
  return runSweepLocal(sweep, { self, ...(jobs === undefined ? {} : { jobs }) });
}

function reportCommand(dirs: string[], flags: Map<string, string>): number {
  if (dirs.length === 0) throw new SweepUsageError(`report needs one or more run folders, or folders of them\n\n${SWEEP_USAGE}`);
  const metric = flags.get("metric");
  if (metric !== undefined && metric !== "win_rate" && metric !== "return") throw new SweepUsageError(`--metric must be "win_rate" or "return", got "${metric}"`);
  const t = flags.get("target");
  let target: number | undefined;
  if (t !== undefined) {
    // A win rate may be given as a fraction (0.95) or in percent (95%).
    target = t.endsWith("%") ? Number(t.slice(0, -1)) / 100 : Number(t);
    if (!Number.isFinite(target)) throw new SweepUsageError(`--target must be a number (a win rate as 0.95 or 95%), got "${t}"`);
  }
  const r = report(dirs, { ...(metric ? { metric: metric as ReportMetric } : {}), ...(target === undefined ? {} : { target }), ...(flags.has("out") ? { svgDir: flags.get("out")! } : {}) });
  process.stdout.write(r.markdown);
  for (const s of r.svgs) process.stderr.write(`qmix report: wrote ${s}\n`);
  return 0;
}
