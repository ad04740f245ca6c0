// Workload: QMIX updates at SMAClite 2s3z's shapes (5 agents, observations
// of 80, 11 actions, a state of 120, GRU 64, QMIX 32/64 with 2-layer
// hypernets: presets/smaclite.json's networks) on batches of --batch
// episodes (default 128, the preset's) whose length changes from update to
// update as a replay buffer's do: the first 121 steps (2s3z's limit + 1),
// then drawn from 60-121. Prints resident memory after each update and the
// pieces it is made of: the learner's array pool (the update's working
// arrays), WebAssembly memory (the kernels' operands) and array buffers.
// Also the time of each update (the figures move with the machine's load).
// No environment and no replay buffer: `npm run bench:soak -- --env
// smaclite/2s3z` measures a whole run. Prints figures only; never asserts.
//
// --chunks K takes each batch in K consecutive shares of episodes
// (learnerChunks), which holds the working memory of one share.
//
//   node --max-semi-space-size=2 --import tsx bench/memory.ts [--updates N] [--batch B] [--chunks K] [--json]

import { emptyBatch } from "../src/qmix/batch.ts";
import { inputDim } from "../src/qmix/inputs.ts";
import { QLearner } from "../src/qmix/learner.ts";
import { buildNetworks, type NetworkSpec } from "../src/qmix/networks.ts";
import { Rng } from "../src/tensor/random.ts";
import { backend } from "../src/tensor/backends/active.ts";
import { wasmKernelExports } from "../src/tensor/backends/wasm/module.ts";
import { environment, hasFlag, option } from "./util.ts";

const updates = option("--updates", 16), B = option("--batch", 128), chunks = option("--chunks", 1), json = hasFlag("--json");
const n = 5, O = 80, S = 120, A = 11, LIMIT = 120;
const inputs = { lastAction: true, agentId: true };
const spec: NetworkSpec = {
  agent: "rnn", inputDim: inputDim(O, A, n, inputs), hidden: 64, nActions: A, mixer: "qmix", nAgents: n,
  stateDim: S, embedDim: 32, hypernetEmbed: 64, hypernetLayers: 2,
};
const { agent, mixer } = buildNetworks(spec, new Rng(0));
const learner = new QLearner(agent, mixer, {
  nAgents: n, nActions: A, obsDim: O, stateDim: S, inputs, gamma: 0.99, doubleQ: true, gradNormClip: 10, optimizer: "adam",
  lr: 1e-3, optimAlpha: 0.99, optimEps: 1e-5, targetUpdateInterval: 200, targetTau: 0, tdLambda: 0.6, halfLoss: false,
  learnerChunks: chunks,
});
const rng = new Rng(1);
const MB = 2 ** 20;
const rows: Array<{ update: number; T: number; ms: number; rss: number; pool: number; wasm: number; arrayBuffers: number }> = [];
if (!json) console.log(`QMIX updates at 2s3z's shapes, batch ${B} in ${chunks} share${chunks === 1 ? "" : "s"} (learnerChunks), ${environment()}`);
for (let u = 0; u < updates; u++) {
  const T = u === 0 ? LIMIT + 1 : 60 + rng.int(LIMIT + 2 - 60);
  const b = emptyBatch({ nAgents: n, obsDim: O, stateDim: S, nActions: A }, B, T);
  for (let k = 0; k < b.obs.length; k++) b.obs[k] = 0.1 * rng.normal();
  for (let k = 0; k < b.state.length; k++) b.state[k] = 0.1 * rng.normal();
  for (let k = 0; k < b.reward.length; k++) b.reward[k] = rng.normal();
  b.availActions.fill(1);
  for (let e = 0; e < B; e++) {
    const len = e === 0 ? T : 1 + rng.int(T);
    for (let t = 0; t <= T; t++) {
      const k = e * (T + 1) + t;
      b.filled[k] = t < len ? 1 : 0;
      for (let i = 0; i < n; i++) b.actions[k * n + i] = rng.int(A);
    }
  }
  const t0 = performance.now();
  learner.train(b, 8 * u);
  const ms = performance.now() - t0;
  const m = process.memoryUsage(), wasm = backend().name === "js" ? 0 : wasmKernelExports()?.memory.buffer.byteLength ?? 0;
  const row = { update: u, T, ms: +ms.toFixed(1), rss: +(m.rss / MB).toFixed(1), pool: +(learner.pooledFloats * 4 / MB).toFixed(1), wasm: +(wasm / MB).toFixed(1), arrayBuffers: +(m.arrayBuffers / MB).toFixed(1) };
  rows.push(row);
  if (!json) console.log(`update ${String(u).padStart(3)}  T ${String(T).padStart(3)}  ${ms.toFixed(0).padStart(5)} ms  rss ${row.rss.toFixed(0).padStart(5)} MB  pool ${row.pool.toFixed(0).padStart(4)} MB  wasm ${row.wasm.toFixed(0).padStart(4)} MB  arrayBuffers ${row.arrayBuffers.toFixed(0).padStart(4)} MB`);
}
const rss = rows.map((r) => r.rss);
const later = rows.slice(1).map((r) => r.ms).sort((a, b) => a - b);
const summary = { batch: B, chunks, updates, ms_median_after_first: later.length ? later[later.length >> 1]! : null, rss_mb_max: Math.max(...rss), rss_mb_last: rss[rss.length - 1], pool_mb_max: Math.max(...rows.map((r) => r.pool)), wasm_mb: rows[rows.length - 1]!.wasm };
if (json) console.log(JSON.stringify(summary));
else console.log(`update ms median (after the first) ${summary.ms_median_after_first}; rss max ${summary.rss_mb_max} MB, last ${summary.rss_mb_last} MB; pool max ${summary.pool_mb_max} MB; wasm memory ${summary.wasm_mb} MB`);
