// Workload: a long QMIX training run with the command line's presets for
// --env (default simple_spread_v3 with presets/simple_spread_v3.json;
// smaclite/2s3z layers presets/smaclite.json: GRU 64, a 5,000-episode
// buffer, batch 128, 32 greedy test episodes every 10,000 steps), for --steps
// N environment steps (default 1,000,000), saving a checkpoint pair every
// saveInterval (100,000) into a temporary folder as the CLI does. Resident
// memory (RSS), the V8 heap and array buffers are sampled every --every
// seconds (default 10) and printed as they are taken, so a run left in the
// background can be read while it goes; at the end, or on Ctrl-C / SIGTERM,
// a summary: first, max and last, and the same after the replay buffer has
// filled (before that, RSS grows by design as the preallocated buffer's pages
// are first written), with a least-squares slope in MB per 100,000 steps.
// Prints figures only; never asserts.
//
//   npm run bench:soak -- [--env NAME] [--steps N] [--every SECONDS] [--set key=value ...] [--json]
//
// (node --max-semi-space-size=2 --import tsx bench/soak.ts, the V8 setting
// the qmix command runs with.)

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../src/envs/index.ts";
import { saveCheckpoint } from "../src/node/files.ts";
import { workerGradientHelpers } from "../src/node/parallel.ts";
import { presetLayers } from "../src/node/presets.ts";
import { encodeBufferParts, encodeModel } from "../src/train/checkpoint.ts";
import { parseAssignment, resolveConfig } from "../src/train/config.ts";
import { trainLoop } from "../src/train/loop.ts";
import { Trainer } from "../src/train/trainer.ts";
import { environment, hasFlag, option } from "./util.ts";

const steps = option("--steps", 1_000_000);
const everyMs = option("--every", 10) * 1000;
const json = hasFlag("--json");
const args = process.argv.slice(2);
const sets: Record<string, unknown> = {};
args.forEach((a, i) => { if (a === "--set" && args[i + 1]) { const [k, v] = parseAssignment(args[i + 1]!); sets[k] = v; } });
const envAt = args.indexOf("--env");
const envName = envAt >= 0 && args[envAt + 1] ? args[envAt + 1]! : "simple_spread_v3";
const config = resolveConfig(...presetLayers(envName), ["soak", { env: envName, tMax: steps, ...sets }]);
const trainer = new Trainer(config, undefined, { gradientHelpers: workerGradientHelpers });
const dir = mkdtempSync(join(tmpdir(), "qmix-soak-"));

interface Sample { s: number; tEnv: number; rss: number; heap: number; arrayBuffers: number; bufferFull: boolean }
const MB = 2 ** 20;
const samples: Sample[] = [];
const t0 = performance.now();
const sample = () => {
  const m = process.memoryUsage();
  const x: Sample = {
    s: Math.round((performance.now() - t0) / 1000), tEnv: trainer.tEnv, rss: m.rss / MB, heap: m.heapUsed / MB,
    arrayBuffers: m.arrayBuffers / MB, bufferFull: trainer.buffer.size === trainer.buffer.capacity,
  };
  samples.push(x);
  if (!json) console.log(`${String(x.s).padStart(6)} s  t_env ${String(x.tEnv).padStart(8)}  rss ${x.rss.toFixed(1).padStart(7)} MB  heap ${x.heap.toFixed(1).padStart(6)} MB  arrayBuffers ${x.arrayBuffers.toFixed(1).padStart(6)} MB${x.bufferFull ? "" : "  (buffer filling)"}`);
};

let stop = false;
process.on("SIGINT", () => { stop = true; });
process.on("SIGTERM", () => { stop = true; });
if (!json) console.log(`soak: QMIX on ${config.env} for ${steps.toLocaleString("en")} steps, sampling every ${everyMs / 1000} s; ${environment()}`);
sample();
let last = performance.now();
trainLoop(trainer, {
  onProgress: () => {
    const now = performance.now();
    if (now - last >= everyMs) { sample(); last = now; }
  },
  onCheckpoint: (loop) => saveCheckpoint(dir, encodeModel(trainer, loop), encodeBufferParts(trainer)),
  shouldStop: () => stop,
});
sample();
rmSync(dir, { recursive: true, force: true });

const summary = (xs: Sample[]) => {
  if (xs.length === 0) return null;
  const rss = xs.map((x) => x.rss), heap = xs.map((x) => x.heap);
  // Least-squares slope of RSS against t_env.
  const n = xs.length, mt = xs.reduce((a, x) => a + x.tEnv, 0) / n, mr = rss.reduce((a, r) => a + r, 0) / n;
  let num = 0, den = 0;
  for (const x of xs) { num += (x.tEnv - mt) * (x.rss - mr); den += (x.tEnv - mt) ** 2; }
  return {
    samples: n, t_env_from: xs[0]!.tEnv, t_env_to: xs[n - 1]!.tEnv,
    rss_mb_first: +rss[0]!.toFixed(1), rss_mb_min: +Math.min(...rss).toFixed(1), rss_mb_max: +Math.max(...rss).toFixed(1), rss_mb_last: +rss[n - 1]!.toFixed(1),
    heap_mb_first: +heap[0]!.toFixed(1), heap_mb_max: +Math.max(...heap).toFixed(1), heap_mb_last: +heap[n - 1]!.toFixed(1),
    rss_mb_per_100k_steps: den > 0 ? +((num / den) * 100_000).toFixed(2) : null,
  };
};
const secs = (performance.now() - t0) / 1000;
const result = {
  steps: trainer.tEnv, seconds: Math.round(secs), steps_per_sec: Math.round(trainer.tEnv / secs), updates: trainer.updates, stopped_early: trainer.tEnv < steps,
  whole_run: summary(samples), after_buffer_full: summary(samples.filter((x) => x.bufferFull)),
};
if (json) console.log(JSON.stringify(result));
else {
  console.log(`soak: ${result.steps.toLocaleString("en")} steps, ${result.updates} updates in ${result.seconds} s (${result.steps_per_sec} steps/s)${result.stopped_early ? ", stopped early" : ""}`);
  for (const [name, s] of [["whole run", result.whole_run], ["after the buffer filled", result.after_buffer_full]] as const) {
    if (!s) { console.log(`${name}: no samples`); continue; }
    console.log(`${name} (t_env ${s.t_env_from}–${s.t_env_to}, ${s.samples} samples): rss first ${s.rss_mb_first} MB, min ${s.rss_mb_min}, max ${s.rss_mb_max}, last ${s.rss_mb_last}; heap first ${s.heap_mb_first} MB, max ${s.heap_mb_max}, last ${s.heap_mb_last}; rss slope ${s.rss_mb_per_100k_steps} MB per 100k steps`);
  }
}
