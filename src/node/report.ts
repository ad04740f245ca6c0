// `qmix report DIR...`: run folders grouped by everything in their config
// but the seed, each group summarised over its seeds (the median, and the
// mean with a 95% bootstrap confidence interval, of the best and the final
// greedy evaluation; steps to a target; speed) as a Markdown table, and its
// median learning curve with the interquartile band as an SVG.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CONFIG, type QMixConfig } from "../train/config.ts";
import { curveSvg } from "../train/curve.ts";
import { Rng } from "../tensor/random.ts";
import { writeFileAtomic } from "./files.ts";
import { envSlug } from "./process_env.ts";
import { wallSeconds } from "./sweep.ts";

export type ReportMetric = "win_rate" | "return";

interface Line {
  t_env: number;
  wall_s?: number;
  test_return_mean?: number;
  test_battle_won_mean?: number;
}

export interface ReportRun {
  dir: string;
  config: QMixConfig;
  /** Greedy evaluations in order, t = 0 included: [t_env, score]. */
  evals: Array<[number, number]>;
  steps: number;
  seconds: number;
}

/**
 * Keys that say how a run was executed, not what it learns: runs that differ
 * only in them are seeds of one group (learnerThreads and learnerChunks give
 * the same updates to float rounding, src/qmix/length_shares.ts). tMax is
 * the budget, which a resumed run may extend; the table gives the steps
 * each group ran.
 */
const EXECUTION_KEYS = new Set(["seed", "tMax", "learnerThreads", "learnerChunks", "saveInterval", "logInterval"]);

/** The run folders (config.json and metrics.jsonl) in each DIR: DIR itself if it is one, else its subfolders, sorted. */
export function findRunDirs(dirs: string[]): string[] {
  const isRun = (d: string) => existsSync(join(d, "config.json")) && existsSync(join(d, "metrics.jsonl"));
  const out: string[] = [];
  for (const d of dirs) {
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new Error(`report: ${d} is not a folder`);
    if (isRun(d)) out.push(d);
    else out.push(...readdirSync(d).sort().map((f) => join(d, f)).filter((f) => statSync(f).isDirectory() && isRun(f)));
  }
  if (out.length === 0) throw new Error(`report: no run folders (with config.json and metrics.jsonl) in ${dirs.join(", ")}`);
  return out;
}

export function readRun(dir: string, metric: ReportMetric): ReportRun {
  const config = { ...DEFAULT_CONFIG, ...(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Partial<QMixConfig>) } as QMixConfig;
  const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").split("\n").filter((l) => l.trim()).flatMap((l) => {
    try {
      return [JSON.parse(l) as Line];
    } catch {
      return []; // a line cut short by a kill
    }
  });
  const key = metric === "win_rate" ? "test_battle_won_mean" : "test_return_mean";
  const evals = lines.filter((m) => typeof m[key] === "number").map((m): [number, number] => [m.t_env, m[key]!]);
  return { dir, config, evals, steps: lines[lines.length - 1]?.t_env ?? 0, seconds: wallSeconds(lines) };
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

/** Linear interpolation between order statistics (numpy's default). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * q, lo = Math.floor(h);
  return s[lo]! + (h - lo) * ((s[Math.min(lo + 1, s.length - 1)] ?? s[lo]!) - s[lo]!);
}

/**
 * The 95% percentile-bootstrap interval of the mean: `resamples` draws of
 * the values with replacement from a generator seeded with `seed`, so the
 * same values give the same interval. One value gives the value itself.
 */
export function bootstrapMeanCi(xs: readonly number[], resamples = 10_000, seed = 0): [number, number] {
  const n = xs.length;
  if (n === 0) return [NaN, NaN];
  const rng = new Rng(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[rng.int(n)]!;
    means[b] = s / n;
  }
  means.sort();
  return [means[Math.floor(0.025 * resamples)]!, means[Math.min(resamples - 1, Math.ceil(0.975 * resamples) - 1)]!];
}

export interface Group {
  /** The config keys, other than env and mixer, whose values tell this group from the others. */
  label: Record<string, unknown>;
  config: QMixConfig;
  runs: ReportRun[];
}

function groupKey(c: QMixConfig): string {
  return JSON.stringify(Object.entries(c).filter(([k]) => !EXECUTION_KEYS.has(k)).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Runs grouped by their config less the seed and the execution keys, in the order their first run came. */
export function groupRuns(runs: ReportRun[]): Group[] {
  const byKey = new Map<string, ReportRun[]>();
  for (const r of runs) {
    const k = groupKey(r.config);
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  const groups = [...byKey.values()].map((rs) => ({ config: rs[0]!.config, runs: rs.sort((a, b) => a.config.seed - b.config.seed), label: {} as Record<string, unknown> }));
  // The keys that differ between groups, beside env and mixer, label them.
  const varying = Object.keys(DEFAULT_CONFIG).filter((k) => !EXECUTION_KEYS.has(k) && k !== "env" && k !== "mixer"
    && new Set(groups.map((g) => JSON.stringify((g.config as unknown as Record<string, unknown>)[k]))).size > 1);
  for (const g of groups) for (const k of varying) g.label[k] = (g.config as unknown as Record<string, unknown>)[k];
  return groups;
}

const METHOD: Record<string, string> = { qmix: "QMIX", vdn: "VDN", none: "IQL" };

export interface ReportOptions {
  metric?: ReportMetric;
  /** The score to reach, in the metric's units (a win rate as a fraction). [0.95 for win rate, none for return] */
  target?: number;
  /** Where the SVGs go; none written when absent. */
  svgDir?: string;
}

export interface Report {
  markdown: string;
  svgs: string[];
}

/** The table and the curves for the run folders in `dirs`. */
export function report(dirs: string[], opts: ReportOptions = {}): Report {
  const runDirs = findRunDirs(dirs);
  const metric: ReportMetric = opts.metric ?? (runDirs.every((d) => readRun(d, "win_rate").evals.length > 0) ? "win_rate" : "return");
  const runs = runDirs.map((d) => readRun(d, metric)).filter((r) => r.evals.length > 0);
  if (runs.length === 0) throw new Error(`report: no run in ${dirs.join(", ")} has a greedy evaluation of ${metric === "win_rate" ? "the win rate" : "the return"}`);
  const target = opts.target ?? (metric === "win_rate" ? 0.95 : undefined);
  const win = metric === "win_rate";
  const f = (x: number) => (win ? `${(100 * x).toFixed(1)}%` : x.toFixed(3));
  const fi = (x: number) => (win ? (100 * x).toFixed(1) : x.toFixed(3));
  const n = (x: number) => Math.round(x).toLocaleString("en");
  // Minutes, as the results documents give them; seconds for runs under one.
  const wall = (s: number) => (s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);
  const groups = groupRuns(runs);
  const extraKeys = Object.keys(groups[0]!.label);
  const stat = (xs: number[]) => {
    const [lo, hi] = bootstrapMeanCi(xs);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return `${f(median(xs))}; ${f(mean)} [${fi(lo)}, ${fi(hi)}]${xs.length === 1 ? "*" : ""}`;
  };
  const what = win ? "win rate" : "return";
  const header = ["method", "env", ...extraKeys, "seeds", `best ${what}: median; mean [95% CI]`, `final ${what}: median; mean [95% CI]`, ...(target === undefined ? [] : [`steps to ≥ ${f(target)}: median (reached)`]), "env steps (median)", "steps/s (median)", "wall-clock (median)"];
  const rows: string[] = [];
  const svgs: string[] = [];
  for (const g of groups) {
    // "Best" and "final" count evaluations after t = 0 (the untrained network's is not a result).
    const trained = g.runs.map((r) => r.evals.filter(([t]) => t > 0));
    const usable = trained.filter((e) => e.length > 0);
    const best = usable.map((e) => Math.max(...e.map(([, y]) => y)));
    const final = usable.map((e) => e[e.length - 1]![1]);
    const reach = target === undefined ? [] : usable.map((e) => e.find(([, y]) => y >= target - 1e-12)?.[0]).filter((t): t is number => t !== undefined);
    const seeds = g.runs.map((r) => r.config.seed).join(", ");
    rows.push([
      METHOD[g.config.mixer] ?? g.config.mixer, g.config.env, ...extraKeys.map((k) => JSON.stringify(g.label[k])),
      `${g.runs.length} (${seeds})`, usable.length ? stat(best) : "–", usable.length ? stat(final) : "–",
      ...(target === undefined ? [] : [reach.length ? `${n(median(reach))} (${reach.length} of ${usable.length})` : `– (0 of ${usable.length})`]),
      n(median(g.runs.map((r) => r.steps))), n(median(g.runs.map((r) => (r.seconds > 0 ? r.steps / r.seconds : NaN)).filter(Number.isFinite))),
      wall(median(g.runs.map((r) => r.seconds))),
    ].join(" | "));
    if (opts.svgDir) svgs.push(writeGroupSvg(g, opts.svgDir, metric));
  }
  const note = groups.some((g) => g.runs.length === 1) ? ["", "\\* one seed: the interval is the value itself."] : [];
  const markdown = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r} |`), ...note].join("\n") + "\n";
  return { markdown, svgs };
}

/** The k-th evaluation of every seed that has one: its median step, and the median and quartiles of the score. */
export function medianCurve(runs: ReportRun[], scale = 1): { points: Array<[number, number]>; band: Array<[number, number, number]> } {
  const points: Array<[number, number]> = [], band: Array<[number, number, number]> = [];
  const longest = Math.max(...runs.map((r) => r.evals.length));
  for (let k = 0; k < longest; k++) {
    const at = runs.filter((r) => r.evals.length > k).map((r) => r.evals[k]!);
    const x = median(at.map(([t]) => t)), ys = at.map(([, y]) => scale * y);
    points.push([x, median(ys)]);
    band.push([x, quantile(ys, 0.25), quantile(ys, 0.75)]);
  }
  return { points, band };
}

function writeGroupSvg(g: Group, dir: string, metric: ReportMetric): string {
  const win = metric === "win_rate";
  const { points, band } = medianCurve(g.runs, win ? 100 : 1);
  const extra = Object.entries(g.label).map(([k, v]) => `-${k}${String(JSON.stringify(v)).replace(/[^\w.-]+/g, "_")}`).join("");
  const name = `${envSlug(g.config.env)}-${g.config.mixer}${extra}.svg`;
  const seeds = g.runs.length;
  const label = `${METHOD[g.config.mixer] ?? g.config.mixer}, median of ${seeds} seed${seeds === 1 ? "" : "s"}${seeds > 1 ? " (band: interquartile range)" : ""}`;
  const svg = curveSvg([{ label, points, band: seeds > 1 ? band : [] }], {
    title: `${g.config.env}${extra ? ` ${extra.slice(1)}` : ""}: greedy test ${win ? "win rate" : "return"}, ${g.config.testNEpisode} episode${g.config.testNEpisode === 1 ? "" : "s"} per evaluation`,
    yLabel: win ? "battles won (%)" : "greedy test return", ...(win ? { yMin: 0, yMax: 100 } : {}), legend: win ? "bottom-right" : "top-left",
  });
  const path = join(dir, name);
  writeFileAtomic(path, svg);
  return path;
}
