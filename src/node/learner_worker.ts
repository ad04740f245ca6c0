// The thread behind a WorkerGradientHelper (src/node/parallel.ts): its own
// copy of the learner, fed through shared memory. Per job: take the weights,
// compute the share's loss and gradients, write them back, raise the flag.

import "./wasm_features.ts";
import { workerData } from "node:worker_threads";
import type { EpisodeBatch } from "../qmix/batch.ts";
import { QLearner } from "../qmix/learner.ts";
import { buildNetworks } from "../qmix/networks.ts";
import { Rng } from "../tensor/random.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { BATCH_FIELDS, type BatchField, FLAG, type JobMessage, STARTUP, type WorkerData } from "./parallel.ts";

const data = workerData as WorkerData;
const ctrl = new Int32Array(data.ctrl);
const params = new Float32Array(data.params);
const grads = new Float32Array(data.grads);
const stats = new Float64Array(data.stats);

// A learner that cannot be built is reported on every job (and through
// ctrl[1] at once), never by crashing the thread: the main thread is blocked
// in Atomics.wait and would not see a crash until its timeout.
let learner: QLearner | null = null, online: Tensor[] = [], target: Tensor[] = [], startupError = "";
try {
  const { agent, mixer } = buildNetworks(data.setup.spec, new Rng(0));
  learner = new QLearner(agent, mixer, data.setup.learner);
  online = learner.namedParameters().map(([, p]) => p);
  target = learner.targetParameters();
  Atomics.store(ctrl, 1, STARTUP.READY);
} catch (err) {
  startupError = `building the learner failed: ${describe(err)}`;
  data.port.postMessage({ error: startupError });
  Atomics.store(ctrl, 1, STARTUP.FAILED);
}
Atomics.notify(ctrl, 1);

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
let buffers: JobMessage["buffers"] | null = null;

function view(f: BatchField, length: number): EpisodeBatch[BatchField] {
  const buf = buffers![f];
  if (f === "actions") return new Int32Array(buf, 0, length);
  if (f === "availActions" || f === "terminated" || f === "filled") return new Uint8Array(buf, 0, length);
  return new Float32Array(buf, 0, length);
}

function run(msg: JobMessage): void {
  if (learner === null) throw new Error(startupError);
  if (msg.buffers) buffers = msg.buffers;
  if (!buffers) throw new Error("no batch buffers received");
  const { B, T, sizes } = msg;
  const L = B * (T + 1), { nAgents: n, obsDim: O, stateDim: S, nActions: A } = sizes;
  const lengths: Record<BatchField, number> = { obs: L * n * O, state: L * S, availActions: L * n * A, actions: L * n, reward: L, terminated: L, filled: L };
  const batch = { ...sizes, B, T } as EpisodeBatch;
  for (const f of BATCH_FIELDS) (batch as unknown as Record<BatchField, unknown>)[f] = view(f, lengths[f]);
  let o = 0;
  for (const p of online) { p.data.set(params.subarray(o, o + p.size)); o += p.size; }
  for (const p of target) { p.data.set(params.subarray(o, o + p.size)); o += p.size; }
  const { stats: s, weight } = learner.lossAndGradients(batch);
  o = 0;
  for (const p of online) {
    if (p.grad) grads.set(p.grad, o);
    else grads.fill(0, o, o + p.size);
    o += p.size;
  }
  stats[0] = weight; stats[1] = s.loss; stats[2] = s.tdErrorAbs; stats[3] = s.qTotMean; stats[4] = s.targetMean;
}

data.port.on("message", (msg: JobMessage) => {
  let flag: number = FLAG.DONE;
  try {
    run(msg);
  } catch (err) {
    data.port.postMessage({ error: describe(err) });
    flag = FLAG.FAILED;
  }
  Atomics.store(ctrl, 0, flag);
  Atomics.notify(ctrl, 0);
});
