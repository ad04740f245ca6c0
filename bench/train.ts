// Workload: a QMIX training run with the command line's presets for --env
// (default simple_spread_v3, presets/simple_spread_v3.json; smaclite/2s3z
// layers presets/smaclite.json) for a fixed number of environment steps
// (default 50,000; --steps N, --set key=value for overrides such as
// learnerThreads=1), without evaluations or checkpoints. Prints environment
// steps per second including every update, how the time splits between the
// environments' steps, acting (the agents' forward pass and action choice
// for every parallel environment), the updates and the rest (storing
// episodes, sampling batches), and resident memory sampled over the run.
// Prints figures only; never asserts.
//
//   npm run bench:train -- [--env NAME] [--steps N] [--config FILE.json] [--set key=value ...] [--json]
//
// (node --max-semi-space-size=2 --import tsx bench/train.ts: the V8 setting
// the qmix command runs with; plain `npx tsx` leaves V8's default young
// generation, which holds about 65 MB more on a long run.)

import { workerGradientHelpers } from "../src/node/parallel.ts";
import "../src/envs/index.ts";
import { parseAssignment, resolveConfig } from "../src/train/config.ts";
import { trainLoop } from "../src/train/loop.ts";
import { Trainer } from "../src/train/trainer.ts";
import { presetLayers, readJsonObject } from "../src/node/presets.ts";
import { environment, hasFlag, option } from "./util.ts";

const steps = option("--steps", 50_000);
const args = process.argv.slice(2);
const sets: Record<string, unknown> = {};
args.forEach((a, i) => { if (a === "--set" && args[i + 1]) { const [k, v] = parseAssignment(args[i + 1]!); sets[k] = v; } });
const envAt = args.indexOf("--env");
const envName = envAt >= 0 && args[envAt + 1] ? args[envAt + 1]! : "simple_spread_v3";
// --config FILE.json layers a JSON config over the presets, as the command line's --config does (presets/epymarl_qmix.json: EPyMARL's QMIX settings).
const configAt = args.indexOf("--config");
const fileLayers: Array<[string, Record<string, unknown>]> = configAt >= 0 && args[configAt + 1] ? [[args[configAt + 1]!, readJsonObject(args[configAt + 1]!, "--config")]] : [];
const config = resolveConfig(...presetLayers(envName), ...fileLayers, ["bench", { env: envName, tMax: steps, testNEpisode: 0, saveInterval: 0, ...sets }]);
// learnerThreads > 1 shares each update with worker threads, as the CLI does.
const trainer = new Trainer(config, undefined, { gradientHelpers: workerGradientHelpers });

// Where the time goes: the environments' steps and the updates are timed by
// wrapping them; acting is the runner's time less its environments' steps.
const spent = { env: 0, runner: 0, update: 0 };
for (const env of trainer.envs) {
  const step = env.step.bind(env), reset = env.reset.bind(env);
  env.step = (a) => { const t = performance.now(); const r = step(a); spent.env += performance.now() - t; return r; };
  env.reset = (seed) => { const t = performance.now(); const r = reset(seed); spent.env += performance.now() - t; return r; };
}
const run = trainer.runner.run.bind(trainer.runner);
trainer.runner.run = (...a) => { const t = performance.now(); const r = run(...a); spent.runner += performance.now() - t; return r; };
const train = trainer.learner.train.bind(trainer.learner);
trainer.learner.train = (...a) => { const t = performance.now(); const r = train(...a); spent.update += performance.now() - t; return r; };

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
function msEach(ms: number, n: number): number | null { return n > 0 ? +(ms / n).toFixed(1) : null; }
samples.push([trainer.tEnv, mb()]);
const rss = samples.map((s) => s[1]);
const result = {
  steps: trainer.tEnv, updates: trainer.updates, seconds: +secs.toFixed(2), steps_per_sec: Math.round(trainer.tEnv / secs),
  rss_mb_first: +rss[0]!.toFixed(1), rss_mb_max: +Math.max(...rss).toFixed(1), rss_mb_last: +rss[rss.length - 1]!.toFixed(1),
  batch_size_run: config.batchSizeRun, env: config.env, learner_threads: config.learnerThreads,
  share: {
    env: +(spent.env / 1000 / secs).toFixed(3), acting: +((spent.runner - spent.env) / 1000 / secs).toFixed(3),
    update: +(spent.update / 1000 / secs).toFixed(3), other: +(1 - (spent.runner + spent.update) / 1000 / secs).toFixed(3),
  },
  ms_per_update: msEach(spent.update, trainer.updates),
};
if (hasFlag("--json")) {
  console.log(JSON.stringify(result));
} else {
  console.log(`QMIX training on ${config.env}, ${environment()}`);
  console.log(`${result.steps} env steps, ${result.updates} updates in ${result.seconds} s: ${result.steps_per_sec} env steps/s (batchSizeRun ${config.batchSizeRun}, updatesPerBatch ${config.updatesPerBatch}, learnerThreads ${config.learnerThreads})`);
  const sh = result.share;
  console.log(`time: environment steps ${(100 * sh.env).toFixed(1)}%, acting ${(100 * sh.acting).toFixed(1)}%, updates ${(100 * sh.update).toFixed(1)}% (${result.ms_per_update} ms each), other ${(100 * sh.other).toFixed(1)}%`);
  console.log(`resident memory (MB) over the run: ${samples.map(([t, m]) => `${t}:${m.toFixed(0)}`).join(" ")}`);
}
trainer.close();
