// Workload: a default QMIX training run on simple_spread_v3 (3 agents,
// pymarl's settings from presets/simple_spread_v3.json) for a fixed number of
// environment steps (default 50,000; --steps N, --set key=value for
// overrides such as batchSizeRun=8). Prints environment steps per second
// including every update, and resident memory sampled over the run (it
// should stay flat). Prints figures only; never asserts.
//
//   npm run bench:train -- [--steps N] [--set key=value ...] [--json]
//
// (node --max-semi-space-size=2 --import tsx bench/train.ts: the V8 setting
// the qmix command runs with; plain `npx tsx` leaves V8's default young
// generation, which holds about 65 MB more on a long run.)

import { workerGradientHelpers } from "../src/node/parallel.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import "../src/envs/index.ts";
import { parseAssignment, resolveConfig } from "../src/qmix/config.ts";
import { trainLoop } from "../src/qmix/loop.ts";
import { Trainer } from "../src/qmix/trainer.ts";
import { environment, hasFlag, option } from "./util.ts";

const steps = option("--steps", 50_000);
const args = process.argv.slice(2);
const sets: Record<string, unknown> = {};
args.forEach((a, i) => { if (a === "--set" && args[i + 1]) { const [k, v] = parseAssignment(args[i + 1]!); sets[k] = v; } });
const preset = JSON.parse(readFileSync(join(import.meta.dirname, "..", "presets", "simple_spread_v3.json"), "utf8")) as Record<string, unknown>;
delete preset._about;
const config = resolveConfig(["preset", preset], ["bench", { tMax: steps, testNEpisode: 0, saveInterval: 0, ...sets }]);
// learnerThreads > 1 shares each update with worker threads, as the CLI does.
const trainer = new Trainer(config, undefined, { gradientHelpers: workerGradientHelpers });

const mb = () => process.memoryUsage().rss / 2 ** 20;
const samples: Array<[number, number]> = [[0, mb()]];
const t0 = performance.now();
let lastSample = t0;
trainLoop(trainer, {
  onProgress: () => {
    const now = performance.now();
    if (now - lastSample > 2000) { samples.push([trainer.tEnv, mb()]); lastSample = now; }
  },
});
const secs = (performance.now() - t0) / 1000;
samples.push([trainer.tEnv, mb()]);
const rss = samples.map((s) => s[1]);
const result = {
  steps: trainer.tEnv, updates: trainer.updates, seconds: +secs.toFixed(2), steps_per_sec: Math.round(trainer.tEnv / secs),
  rss_mb_first: +rss[0]!.toFixed(1), rss_mb_max: +Math.max(...rss).toFixed(1), rss_mb_last: +rss[rss.length - 1]!.toFixed(1),
  batch_size_run: config.batchSizeRun,
};
if (hasFlag("--json")) {
  console.log(JSON.stringify(result));
} else {
  console.log(`QMIX training on simple_spread_v3, ${environment()}`);
  console.log(`${result.steps} env steps, ${result.updates} updates in ${result.seconds} s: ${result.steps_per_sec} env steps/s (batchSizeRun ${config.batchSizeRun}, updatesPerBatch ${config.updatesPerBatch}, learnerThreads ${config.learnerThreads})`);
  console.log(`resident memory (MB) over the run: ${samples.map(([t, m]) => `${t}:${m.toFixed(0)}`).join(" ")}`);
}
trainer.close();
