// Builds the results table and learning-curve picture for simple_spread_v3
// from run directories (each with config.json and metrics.jsonl):
//
//   npx tsx scripts/results.ts OUT_PREFIX RUN_DIR[=LABEL] [RUN_DIR[=LABEL] ...]
//
// LABEL (optional) replaces the algorithm name in the table and the legend,
// e.g. to tell two settings of the same algorithm apart.
//
// writes OUT_PREFIX.md (a table per run: algorithm, seed, best and final
// greedy evaluation, environment steps, wall-clock) and OUT_PREFIX.svg
// (greedy test return against environment steps, one line per run).

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { curveSvg, type Series } from "../src/train/curve.ts";
import type { Metrics } from "../src/train/loop.ts";

const [prefix, ...dirs] = process.argv.slice(2);
if (!prefix || dirs.length === 0) {
  console.error("usage: npx tsx scripts/results.ts OUT_PREFIX RUN_DIR [RUN_DIR ...]");
  process.exit(2);
}

interface Row { label: string; seed: number; best: number; bestT: number; final: number; steps: number; seconds: number | null }

const rows: Row[] = [];
const series: Series[] = [];
const evalSizes = new Set<number>();
for (const arg of dirs) {
  const eq = arg.indexOf("=");
  const dir = eq < 0 ? arg : arg.slice(0, eq), given = eq < 0 ? null : arg.slice(eq + 1);
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as { mixer: string; seed: number; testNEpisode: number };
  evalSizes.add(config.testNEpisode);
  const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Metrics & { wall_s?: number });
  const tests = lines.filter((m) => m.test_return_mean !== undefined);
  if (tests.length === 0) continue;
  const label = given ?? { qmix: "QMIX", vdn: "VDN", none: "IQL" }[config.mixer] ?? config.mixer;
  let best = tests[0]!;
  for (const m of tests) if (m.test_return_mean! > best.test_return_mean!) best = m;
  const last = tests[tests.length - 1]!;
  rows.push({ label, seed: config.seed, best: best.test_return_mean!, bestT: best.t_env, final: last.test_return_mean!, steps: last.t_env, seconds: last.wall_s ?? null });
  series.push({ label: `${label} seed ${config.seed}`, points: tests.map((m) => [m.t_env, m.test_return_mean!]) });
}

const fmt = (x: number) => x.toFixed(2);
const md = [
  "| algorithm | seed | best greedy return (at steps) | final greedy return | env steps | wall-clock |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.label} | ${r.seed} | ${fmt(r.best)} (${r.bestT.toLocaleString("en")}) | ${fmt(r.final)} | ${r.steps.toLocaleString("en")} | ${r.seconds === null ? "-" : `${(r.seconds / 60).toFixed(1)} min`} |`),
].join("\n");
writeFileSync(`${prefix}.md`, md + "\n");
// The axis stops at −6, above every evaluation so far, and at −30 (random play, about −29) below.
const episodes = [...evalSizes].sort((a, b) => a - b).join(" or ");
writeFileSync(`${prefix}.svg`, curveSvg(series, { title: `simple_spread_v3 (3 agents): greedy test return, ${episodes} episodes per evaluation (axis clipped at −30)`, width: 760, height: 440, yMin: -30, yMax: -6, legend: "bottom-right" }));
console.log(md);
