// Builds the SMAClite results table and win-rate curves from run folders
// (each with config.json and metrics.jsonl):
//
//   npx tsx scripts/results_smaclite.ts OUT_PREFIX RUN_DIR[=LABEL] [RUN_DIR[=LABEL] ...]
//
// writes OUT_PREFIX.md (per run: algorithm, map, seed, best and final greedy
// test win rate with their steps, the first evaluation at 95% or more, the
// mean of the evaluations in the run's second half, environment steps,
// wall-clock summed over a run's resumed segments, and steps per second) and
// OUT_PREFIX.svg (test_battle_won_mean against environment steps, one line
// per run).

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { curveSvg, type Series } from "../src/train/curve.ts";
import type { Metrics } from "../src/train/loop.ts";

const [prefix, ...dirs] = process.argv.slice(2);
if (!prefix || dirs.length === 0) {
  console.error("usage: npx tsx scripts/results_smaclite.ts OUT_PREFIX RUN_DIR[=LABEL] [RUN_DIR[=LABEL] ...]");
  process.exit(2);
}

interface Row { label: string; map: string; seed: number; best: number; bestT: number; final: number; finalT: number; first95: number | null; lateMean: number; steps: number; seconds: number; sizes: number }

const rows: Row[] = [];
const series: Series[] = [];
for (const arg of dirs) {
  const eq = arg.indexOf("=");
  const dir = eq < 0 ? arg : arg.slice(0, eq), given = eq < 0 ? null : arg.slice(eq + 1);
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as { env: string; mixer: string; seed: number; testNEpisode: number };
  const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Metrics & { wall_s?: number });
  // wall_s restarts at 0 in a resumed process: add up the segments.
  let offset = 0, prev = 0;
  for (const m of lines) {
    if (m.wall_s === undefined) continue;
    if (m.wall_s < prev) offset += prev;
    prev = m.wall_s;
  }
  const tests = lines.filter((m) => m.test_battle_won_mean !== undefined && m.t_env > 0);
  if (tests.length === 0) continue;
  const label = given ?? { qmix: "QMIX", vdn: "VDN", none: "IQL" }[config.mixer] ?? config.mixer;
  let best = tests[0]!;
  for (const m of tests) if (m.test_battle_won_mean! >= best.test_battle_won_mean!) best = m; // ties: the later, as the best-model rule
  const last = tests[tests.length - 1]!;
  const first95 = tests.find((m) => m.test_battle_won_mean! >= 0.95)?.t_env ?? null;
  // The mean of the evaluations in the run's second half: how steady the end of the curve is.
  const half = tests.filter((m) => m.t_env > last0(tests) / 2);
  const lateMean = half.reduce((a, m) => a + m.test_battle_won_mean!, 0) / half.length;
  rows.push({
    label, map: config.env.replace(/^smaclite\//, ""), seed: config.seed, best: best.test_battle_won_mean!, bestT: best.t_env,
    final: last.test_battle_won_mean!, finalT: last.t_env, first95, lateMean, steps: lines[lines.length - 1]!.t_env, seconds: offset + prev, sizes: config.testNEpisode,
  });
  series.push({ label: `${label} ${config.env.replace(/^smaclite\//, "")} seed ${config.seed}`, points: tests.map((m) => [m.t_env, 100 * m.test_battle_won_mean!]) });
}

function last0(tests: Array<{ t_env: number }>): number {
  return tests[tests.length - 1]!.t_env;
}

const p = (x: number) => `${(100 * x).toFixed(1)}%`;
const n = (x: number) => x.toLocaleString("en");
const md = [
  "| algorithm | map | seed | best win rate (at steps) | final win rate (at steps) | first ≥ 95% | mean, second half | env steps | wall-clock | steps/s |",
  "|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.label} | ${r.map} | ${r.seed} | ${p(r.best)} (${n(r.bestT)}) | ${p(r.final)} (${n(r.finalT)}) | ${r.first95 === null ? "–" : n(r.first95)} | ${p(r.lateMean)} | ${n(r.steps)} | ${(r.seconds / 60).toFixed(0)} min | ${Math.round(r.steps / r.seconds)} |`),
].join("\n");
writeFileSync(`${prefix}.md`, md + "\n");
const sizes = [...new Set(rows.map((r) => r.sizes))].join(" or ");
writeFileSync(`${prefix}.svg`, curveSvg(series, { title: `SMAClite: greedy test win rate, ${sizes} battles per evaluation`, yLabel: "battles won (%)", width: 760, height: 440, yMin: 0, yMax: 100, legend: "bottom-right" }));
console.log(md);
