// Gradient helpers on Node worker threads: the second core shares each
// update. The learner (src/qmix/learner.ts) gives each helper a share of the
// batch's episodes; the helper's thread holds its own copy of the networks,
// takes the current online and target weights, computes its share's loss and
// gradients, and hands them back.
//
// Everything bulky goes through SharedArrayBuffers written in place: the
// weights (online then target), the batch share, the gradients and five
// statistics. A message on a MessagePort only says "go" (and carries new
// buffers when a batch outgrows the old ones); the worker answers through an
// Int32 flag that this thread waits on with Atomics.wait, so finish() blocks
// without spinning and without the event loop.

import "./wasm_features.ts";
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from "node:worker_threads";
import type { EpisodeBatch } from "../qmix/batch.ts";
import type { GradientHelper, HelperResult } from "../qmix/data_parallel.ts";
import type { LearnerConfig } from "../qmix/learner.ts";
import { type NetworkSpec, buildNetworks } from "../qmix/networks.ts";
import { Rng } from "../tensor/random.ts";

/** What the worker needs to build its copy of the learner. */
export interface HelperSetup {
  spec: NetworkSpec;
  learner: LearnerConfig;
}

/** Values per online parameter in the learner's namedParameters() order (agent, then mixer); the target has the same. */
export function parameterSizes(spec: NetworkSpec): number[] {
  const { agent, mixer } = buildNetworks(spec, new Rng(0));
  return [...agent.parameters(), ...(mixer ? mixer.parameters() : [])].map((p) => p.size);
}

/** The batch fields, each with its own shared buffer. */
export const BATCH_FIELDS = ["obs", "state", "availActions", "actions", "reward", "terminated", "filled"] as const;
export type BatchField = (typeof BATCH_FIELDS)[number];
type BatchArrays = { [K in BatchField]: EpisodeBatch[K] };

/** Job flag values in ctrl[0]. */
export const FLAG = { BUSY: 0, DONE: 1, FAILED: 2 } as const;
/** Startup values in ctrl[1]: the worker built its learner, or could not (the reason waits on the port). */
export const STARTUP = { PENDING: 0, READY: 1, FAILED: 2 } as const;

/** Shared statistics, Float64: weight, loss, tdErrorAbs, qTotMean, targetMean. */
export const STATS_LEN = 5;

export interface JobMessage {
  B: number;
  T: number;
  sizes: { nAgents: number; obsDim: number; stateDim: number; nActions: number };
  /** New batch buffers when the share outgrew the old ones. */
  buffers?: { [K in BatchField]: SharedArrayBuffer };
}

/** The worker's end of the channel (structural, so the declarations need no Node types). */
export interface WorkerPort {
  on(event: "message", listener: (msg: JobMessage) => void): unknown;
  postMessage(msg: { error: string }): void;
}

export interface WorkerData {
  setup: HelperSetup;
  port: WorkerPort;
  ctrl: SharedArrayBuffer;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  stats: SharedArrayBuffer;
}

function makeShared(kind: BatchField, length: number): BatchArrays[BatchField] {
  const bytes = kind === "actions" || kind === "obs" || kind === "state" || kind === "reward" ? 4 : 1;
  const buf = new SharedArrayBuffer(Math.max(1, length) * bytes);
  switch (kind) {
    case "obs": case "state": case "reward": return new Float32Array(buf);
    case "actions": return new Int32Array(buf);
    default: return new Uint8Array(buf);
  }
}

/** Starts the worker thread, with a TypeScript loader when we are running from the .ts sources. */
function spawn(data: WorkerData & { port: MessagePort }): Worker {
  const self = import.meta.url;
  if (!self.endsWith(".ts")) return new Worker(new URL("./learner_worker.js", self), { workerData: data, transferList: [data.port] });
  const entry = new URL("./learner_worker.ts", self).href;
  let api = "tsx/esm/api";
  try {
    api = import.meta.resolve(api);
  } catch {
    // Keep the bare specifier; the worker resolves it from the working directory.
  }
  const boot = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(boot, { eval: true, workerData: data, transferList: [data.port] });
}

export interface WorkerHelperOptions {
  /** How long finish() waits before it calls the worker dead. [120000 ms] */
  timeoutMs?: number;
}

export class WorkerGradientHelper implements GradientHelper {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly ctrl: Int32Array;
  private readonly params: Float32Array;
  private readonly grads: Float32Array;
  private readonly stats: Float64Array;
  private readonly gradViews: Float32Array[];
  private batch: BatchArrays | null = null;
  private busy = false;
  private dead: string | null = null;
  private readonly timeoutMs: number;

  private readonly paramSizes: number[];

  constructor(readonly setup: HelperSetup, options: WorkerHelperOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.paramSizes = parameterSizes(setup.spec);
    const total = this.paramSizes.reduce((s, x) => s + x, 0);
    const ctrl = new SharedArrayBuffer(8), params = new SharedArrayBuffer(8 * total);
    const grads = new SharedArrayBuffer(4 * total), stats = new SharedArrayBuffer(8 * STATS_LEN);
    this.ctrl = new Int32Array(ctrl);
    this.params = new Float32Array(params);
    this.grads = new Float32Array(grads);
    this.stats = new Float64Array(stats);
    this.gradViews = [];
    let o = 0;
    for (const n of this.paramSizes) { this.gradViews.push(this.grads.subarray(o, o + n)); o += n; }
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = spawn({ setup, port: port2, ctrl, params, grads, stats });
    // Neither the worker nor its port keeps the process alive: close() is polite, not required.
    this.worker.unref();
    this.port.unref();
    this.worker.on("error", (err) => { this.dead = `the learner worker failed: ${err instanceof Error ? err.message : String(err)}`; });
    this.worker.on("exit", (code) => { this.dead ??= `the learner worker exited with code ${code}`; });
  }

  start(job: { batch: EpisodeBatch; online: Float32Array[]; target: Float32Array[] }): void {
    if (this.dead) throw new Error(`WorkerGradientHelper: ${this.dead}`);
    if (Atomics.load(this.ctrl, 1) === STARTUP.FAILED) {
      const m = receiveMessageOnPort(this.port)?.message as { error?: string } | undefined;
      this.dead = `the learner worker could not start: ${m?.error ?? "(no message)"}`;
      throw new Error(`WorkerGradientHelper: ${this.dead}`);
    }
    if (this.busy) throw new Error("WorkerGradientHelper: start() called twice without finish()");
    const sizes = this.paramSizes;
    if (job.online.length !== sizes.length || job.target.length !== sizes.length) {
      throw new RangeError(`WorkerGradientHelper: expected ${sizes.length} online and target parameters, got ${job.online.length} and ${job.target.length}`);
    }
    let o = 0;
    for (const [k, a] of job.online.entries()) { this.params.set(a, o); o += sizes[k]!; }
    for (const [k, a] of job.target.entries()) { this.params.set(a, o); o += sizes[k]!; }
    const b = job.batch;
    const msg: JobMessage = { B: b.B, T: b.T, sizes: { nAgents: b.nAgents, obsDim: b.obsDim, stateDim: b.stateDim, nActions: b.nActions } };
    if (this.batch === null || BATCH_FIELDS.some((f) => this.batch![f].length < b[f].length)) {
      const fresh = {} as Record<BatchField, BatchArrays[BatchField]>;
      for (const f of BATCH_FIELDS) fresh[f] = makeShared(f, b[f].length);
      this.batch = fresh as BatchArrays;
      msg.buffers = Object.fromEntries(BATCH_FIELDS.map((f) => [f, this.batch![f].buffer as SharedArrayBuffer])) as JobMessage["buffers"];
    }
    for (const f of BATCH_FIELDS) (this.batch[f] as Float32Array).set(b[f] as Float32Array);
    Atomics.store(this.ctrl, 0, FLAG.BUSY);
    this.busy = true;
    this.port.postMessage(msg);
  }

  finish(): HelperResult {
    if (!this.busy) throw new Error("WorkerGradientHelper: finish() without start()");
    this.busy = false;
    const deadline = performance.now() + this.timeoutMs;
    while (Atomics.load(this.ctrl, 0) === FLAG.BUSY) {
      if (this.dead) throw new Error(`WorkerGradientHelper: ${this.dead}`);
      const left = deadline - performance.now();
      if (left <= 0) {
        this.dead = `the learner worker did not answer within ${this.timeoutMs} ms`;
        void this.worker.terminate();
        throw new Error(`WorkerGradientHelper: ${this.dead}`);
      }
      Atomics.wait(this.ctrl, 0, FLAG.BUSY, Math.min(left, 1000));
    }
    if (Atomics.load(this.ctrl, 0) === FLAG.FAILED) {
      const m = receiveMessageOnPort(this.port)?.message as { error?: string } | undefined;
      throw new Error(`WorkerGradientHelper: the worker's share failed: ${m?.error ?? "(no message)"}`);
    }
    const s = this.stats;
    return {
      weight: s[0]!,
      stats: { loss: s[1]!, tdErrorAbs: s[2]!, qTotMean: s[3]!, targetMean: s[4]! },
      grads: this.gradViews,
    };
  }

  close(): void {
    this.dead ??= "closed";
    this.port.close();
    void this.worker.terminate();
  }
}

/** `count` worker helpers for a learner with these networks (for Trainer's gradientHelpers option). */
export function workerGradientHelpers(count: number, spec: NetworkSpec, learner: LearnerConfig, options?: WorkerHelperOptions): WorkerGradientHelper[] {
  const out: WorkerGradientHelper[] = [];
  for (let k = 0; k < count; k++) out.push(new WorkerGradientHelper({ spec, learner }, options));
  return out;
}
