// Benchmark: one QMIX training update, milliseconds per update.
//
// Workload ("qmix-spread update", bench/README.md): n = 3 agents, O = 18, A = 5,
// S = 54, agent input 26 (obs + one-hot last action + one-hot id), GRU H = 64,
// mixing embed E = 32, hypernet K = 64 (two-layer hypernetworks), B = 32
// episodes of T = 25 transitions (26 steps of observations); double Q,
// RMSprop (lr 5e-4, α 0.99, ε 1e-5), gradient-norm clip 10. Inputs come from a
// seeded Rng; every step is filled, nothing terminates, every action is
// available. One update is QLearner.train(): online unroll, target unroll
// (no grad), double Q, target mixer, mixer, masked TD loss, backward, clip,
// RMSprop step. The episode counter stays at 0, so the target networks are
// never refreshed and every timed call does the same work (as in
// bench/torch_update.py).
//
// FLOP count (updateFlops below): matrix products only, 2 FLOPs per
// multiply-add; elementwise work (gates, activations, optimizer) is left out.
//   agent, per row (26·96 = 2496 rows: steps × episodes × agents):
//     fc1 26→64, GRU input 64→192, GRU hidden 64→192, fc2 64→5
//     = 2·(1664 + 12288 + 12288 + 320) = 53 120  → 132.6 MFLOP per unroll
//   mixer, per row (25·32 = 800 rows: steps × episodes):
//     hyper_w_1 54→64→96, hyper_w_final 54→64→32, hyper_b_1 54→32,
//     V 54→32→1, bmm 1×3·3×32 and 1×32·32×1
//     = 2·(3456 + 6144 + 3456 + 2048 + 1728 + 1728 + 32 + 96 + 32) = 37 440  → 30.0 MFLOP per pass
//   update = agent forward ×2 (online, target) + online backward ≈ 2× forward
//          + mixer forward ×2 (online, target) + online backward ≈ 2× forward
//          = 4·132.6 + 4·30.0 ≈ 650 MFLOP.
// (Our backward skips the gradients of the data inputs and the states, so it
// does a little less than 2× forward; the figure is the conventional count.)
//
// --workload 2s3z: the same networks on SMAClite's 2s3z shapes (n = 5, O = 80,
// A = 11, S = 120, T = 120, so 121 steps of 160 agent rows per episode batch),
// the update ../shared/bench/torch_qmix_update.py --workload 2s3z times.
//
// Usage: npx tsx bench/update.ts [--workload spread|2s3z] [--updates 40] [--warmup 10] [--json]
//          [--vs-torch [--rounds 5] [--threads 1]] [--learner-threads 1] [--breakdown]
//   --learner-threads N  split each update over N threads (this one and N−1
//                worker threads, data parallel over the batch's episodes;
//                src/node/parallel.ts). --threads is torch's thread count.
//   --vs-torch   also time bench/torch_update.py (python: $QMIX_PYTHON, else
//                /usr/bin/python3, else python3), interleaved: each round runs
//                updates/rounds of ours, then a torch subprocess of as many.
//   --breakdown  time the phases of the update (forward pieces, backward per
//                op, clip, optimizer) instead; see breakdown() below.
// Prints figures, never asserts.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { backward } from "../src/autograd/tape.ts";
import { gruLayer } from "../src/nn/functional.ts";
import { clipGradNorm } from "../src/nn/optim.ts";
import { RNNAgent } from "../src/qmix/agents.ts";
import { type EpisodeBatch, emptyBatch } from "../src/qmix/batch.ts";
import { type LearnerConfig, QLearner } from "../src/qmix/learner.ts";
import { QMixer } from "../src/qmix/mixers.ts";
import type { NetworkSpec } from "../src/qmix/networks.ts";
import { workerGradientHelpers } from "../src/node/parallel.ts";
import { zeros } from "../src/tensor/create.ts";
import { backend } from "../src/tensor/backends/active.ts";
import { Rng } from "../src/tensor/random.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { choice, environment, fixed, gflops, hasFlag, option, table } from "./util.ts";

const WORKLOAD = choice("--workload", ["spread", "2s3z"] as const);
const SHAPES = { spread: { n: 3, O: 18, A: 5, S: 54, T: 25 }, "2s3z": { n: 5, O: 80, A: 11, S: 120, T: 120 } } as const;
const W = { ...SHAPES[WORKLOAD], H: 64, E: 32, K: 64, B: 32 } as const;
const D = W.O + W.A + W.n; // agent input: 26 for spread, 96 for 2s3z

/** FLOPs of one update's matrix products (see the comment at the top). */
export function updateFlops(): { agentPass: number; mixerPass: number; total: number } {
  const { n, A, S, H, E, K, B, T } = W;
  const agentRows = (T + 1) * B * n;
  const agentPass = agentRows * 2 * (D * H + H * 3 * H + H * 3 * H + H * A);
  const mixerRows = T * B;
  const mixerPass = mixerRows * 2 * (S * K + K * E * n + S * K + K * E + S * E + S * E + E + n * E + E);
  // forward ×2 (online + target) + backward ≈ 2× the online forward, for each network.
  return { agentPass, mixerPass, total: 4 * agentPass + 4 * mixerPass };
}

const SPEC: NetworkSpec = {
  agent: "rnn", inputDim: D, hidden: W.H, nActions: W.A, mixer: "qmix", nAgents: W.n, stateDim: W.S,
  embedDim: W.E, hypernetEmbed: W.K, hypernetLayers: 2,
};

function makeLearner(seed = 1, learnerThreads = 1): { learner: QLearner; batch: EpisodeBatch } {
  const { n, O, A, S, H, E, K, B, T } = W;
  const rng = new Rng(seed);
  const agent = new RNNAgent(D, H, A, rng);
  const mixer = new QMixer(n, S, { embedDim: E, hypernetEmbed: K, hypernetLayers: 2 }, rng);
  const config: LearnerConfig = {
    nAgents: n, nActions: A, obsDim: O, stateDim: S, inputs: { lastAction: true, agentId: true },
    gamma: 0.99, doubleQ: true, gradNormClip: 10, optimizer: "rmsprop",
    lr: 5e-4, optimAlpha: 0.99, optimEps: 1e-5,
    targetUpdateInterval: 200, targetTau: 0, tdLambda: 0, halfLoss: false,
  };
  const learner = new QLearner(agent, mixer, config);
  if (learnerThreads > 1) learner.setHelpers(workerGradientHelpers(learnerThreads - 1, SPEC, config));
  const batch = emptyBatch({ nAgents: n, obsDim: O, stateDim: S, nActions: A }, B, T);
  for (let k = 0; k < batch.obs.length; k++) batch.obs[k] = rng.normal();
  for (let k = 0; k < batch.state.length; k++) batch.state[k] = rng.normal();
  for (let k = 0; k < batch.actions.length; k++) batch.actions[k] = rng.int(A);
  for (let k = 0; k < batch.reward.length; k++) batch.reward[k] = rng.normal();
  batch.availActions.fill(1);
  batch.filled.fill(1);
  batch.terminated.fill(0);
  return { learner, batch };
}

interface Figures { median: number; min: number; max: number; samples: number }

function figures(times: number[]): Figures {
  const s = times.slice().sort((a, b) => a - b), mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, samples: s.length };
}

/** Runs k updates, returning each one's milliseconds. */
function timeOurs(learner: QLearner, batch: EpisodeBatch, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const t0 = performance.now();
    learner.train(batch, 0);
    out.push(performance.now() - t0);
  }
  return out;
}

// ---- PyTorch side by side ----

interface TorchRun { ms: number[]; system: string; threads: number }

function pythonCommand(): string {
  if (process.env.QMIX_PYTHON) return process.env.QMIX_PYTHON;
  return existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

/** Null and a reason when torch cannot run; otherwise its version string. */
function probeTorch(python: string): { version: string | null; reason: string } {
  const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
  if (r.error) return { version: null, reason: `cannot start ${python}: ${r.error.message}` };
  if (r.status !== 0) {
    const last = (r.stderr ?? "").trim().split("\n").pop() ?? "";
    return { version: null, reason: `${python} cannot import torch (${last})` };
  }
  return { version: r.stdout.trim(), reason: "" };
}

function runTorch(python: string, updates: number, warmup: number, threads: number): TorchRun | string {
  const script = join(import.meta.dirname, "torch_update.py");
  const r = spawnSync(python, [script, "--workload", WORKLOAD, "--updates", String(updates), "--warmup", String(warmup), "--threads", String(threads)], { encoding: "utf8" });
  if (r.error) return `cannot start ${python}: ${r.error.message}`;
  if (r.status !== 0) return `torch_update.py exited with ${r.status}: ${(r.stderr ?? "").trim().split("\n").pop() ?? ""}`;
  const line = r.stdout.trim().split("\n").pop() ?? "";
  try {
    const j = JSON.parse(line) as { samples_ms?: number[]; system?: string; threads?: number };
    if (!Array.isArray(j.samples_ms) || j.samples_ms.length === 0) return `torch_update.py printed no samples: ${line}`;
    return { ms: j.samples_ms, system: j.system ?? "pytorch", threads: j.threads ?? threads };
  } catch {
    return `torch_update.py printed no JSON: ${line}`;
  }
}

// ---- Phase breakdown ----

/** Self-time accumulator: a nested section's time counts for it, not for its parent. */
class Phases {
  readonly ms = new Map<string, number>();
  private stack: number[] = [];

  time<R>(key: string, fn: () => R): R {
    this.stack.push(0);
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      const total = performance.now() - t0;
      const inner = this.stack.pop()!;
      this.add(key, total - inner);
      if (this.stack.length > 0) this.stack[this.stack.length - 1]! += total;
    }
  }

  add(key: string, ms: number): void {
    this.ms.set(key, (this.ms.get(key) ?? 0) + ms);
  }
}

/**
 * Times the parts of an update: the agent unrolls are replaced by a copy of
 * RNNAgent.unroll with each piece timed, the mixers' hypernetworks and
 * forwards are wrapped, every backward node is wrapped (keyed by op, linear
 * by its weight's name), and train()'s tail (zero, backward, clip, step) runs
 * step by step. Plain train() calls on a twin learner alternate with the
 * instrumented ones, so the timers' overhead shows.
 */
function breakdown(learner: QLearner, batch: EpisodeBatch, warmup: number, updates: number): { phases: Phases; instrumented: Figures; plain: Figures } {
  const phases = new Phases();
  const weightName = new Map<Tensor, string>(learner.namedParameters().map(([k, p]) => [p, k.replace(/\.weight$/, "")]));
  for (const [label, net] of [["online", learner.agent], ["target", learner.targetAgent]] as const) {
    if (!(net instanceof RNNAgent)) throw new Error("breakdown expects RNNAgent");
    net.unroll = (inputs: Tensor): Tensor => { // mirrors RNNAgent.unroll
      const R = inputs.shape[1]!;
      const x = phases.time(`fwd ${label} agent: fc1 + relu`, () => net.fc1.forwardRelu(inputs));
      const hs = phases.time(`fwd ${label} agent: GRU layer (input projection + recurrence)`, () => gruLayer(x, net.rnn.weight_ih, net.rnn.bias_ih, zeros([R, net.hiddenDim]), net.rnn.weight_hh, net.rnn.bias_hh));
      return phases.time(`fwd ${label} agent: fc2`, () => net.fc2.forward(hs));
    };
  }
  for (const [label, mixer] of [["online", learner.mixer], ["target", learner.targetMixer]] as const) {
    if (!(mixer instanceof QMixer)) throw new Error("breakdown expects QMixer");
    for (const layer of [mixer.hyper_w_1, mixer.hyper_w_final, mixer.hyper_b_1, mixer.V]) {
      const f = layer.forward.bind(layer);
      layer.forward = (x: Tensor) => phases.time(`fwd ${label} mixer: hypernetworks + V`, () => f(x));
    }
    const f = mixer.forward.bind(mixer);
    mixer.forward = (qs: Tensor, s: Tensor) => phases.time(`fwd ${label} mixer: abs, bmm, elu, add`, () => f(qs, s));
  }
  const computeLoss = learner.computeLoss.bind(learner);
  const params = learner.namedParameters().map(([, p]) => p);

  const one = (): void => {
    const { loss } = phases.time("fwd other: inputs, gather, double Q, targets, loss", () => computeLoss(batch));
    wrapBackwards(loss, phases, weightName);
    learner.optimizer.zeroGrad();
    phases.time("bwd tape walk (ordering, release)", () => backward(loss));
    phases.time("clip grad norm", () => clipGradNorm(params, learner.config.gradNormClip));
    phases.time("RMSprop step", () => learner.optimizer.step());
  };
  // Alternate with plain train() calls on an identical learner, so the
  // instrumentation's overhead is measured under the same machine load.
  const plain = makeLearner();
  for (let i = 0; i < warmup; i++) { one(); plain.learner.train(plain.batch, 0); }
  phases.ms.clear();
  const instrumented: number[] = [], plainMs: number[] = [];
  for (let i = 0; i < updates; i++) {
    let t0 = performance.now();
    one();
    instrumented.push(performance.now() - t0);
    t0 = performance.now();
    plain.learner.train(plain.batch, 0);
    plainMs.push(performance.now() - t0);
  }
  return { phases, instrumented: figures(instrumented), plain: figures(plainMs) };
}

/** Wraps every node's backward under root so its time lands in `ph` by op. */
function wrapBackwards(root: Tensor, ph: Phases, weightName: Map<Tensor, string>): void {
  const seen = new Set<Tensor>(), stack = [root];
  while (stack.length > 0) {
    const t = stack.pop()!, node = t.node;
    if (!node || seen.has(t)) continue;
    seen.add(t);
    let key = `bwd ${node.op}`;
    if (node.op === "linear" || node.op === "linearRelu") key = `bwd ${node.op} ${weightName.get(node.inputs[1]!) ?? "?"}`;
    if (node.op === "gruSequence") key = "bwd gruSequence (recurrence + W_hh grad)";
    if (node.op === "gruLayer") key = "bwd gruLayer (recurrence, then input projection)";
    const f = node.backward.bind(node);
    node.backward = (g: Float32Array) => ph.time(key, () => f(g));
    for (const x of node.inputs) stack.push(x);
  }
}

// ---- Main ----

function main(): void {
  const updates = Math.max(1, Math.round(option("--updates", 40)));
  const warmup = Math.max(0, Math.round(option("--warmup", 10)));
  const rounds = Math.max(1, Math.round(option("--rounds", 5)));
  const threads = Math.max(1, Math.round(option("--threads", 1)));
  const learnerThreads = Math.max(1, Math.round(option("--learner-threads", 1)));
  const json = hasFlag("--json"), vsTorch = hasFlag("--vs-torch");
  const flops = updateFlops();
  const say = (s: string) => (json ? process.stderr.write(s + "\n") : console.log(s));
  const { learner, batch } = makeLearner(1, learnerThreads);
  const ourName = `qmix-ts (${backend().name}, ${learnerThreads} thread${learnerThreads === 1 ? "" : "s"})`;

  say(`${WORKLOAD === "spread" ? "qmix-spread update (bench/README.md)" : "qmix 2s3z update (SMAClite 2s3z shapes)"}: n=${W.n} O=${W.O} A=${W.A} S=${W.S} in=${D} H=${W.H} E=${W.E} K=${W.K} B=${W.B} T=${W.T}; double Q, RMSprop, clip 10`);
  say(`${fixed(flops.total / 1e6, 1)} MFLOP per update (agent pass ${fixed(flops.agentPass / 1e6, 1)}, mixer pass ${fixed(flops.mixerPass / 1e6, 1)}; ×4 each); ${environment()}`);

  if (hasFlag("--breakdown")) {
    const { phases, instrumented, plain } = breakdown(learner, batch, warmup, updates);
    let sum = 0;
    for (const v of phases.ms.values()) sum += v;
    const rows = [...phases.ms.entries()].map(([k, v]) => [k, fixed(v / updates, 2), fixed((100 * v) / sum, 1)]);
    say("");
    say(table(["phase (self time)", "ms/update", "%"], [...rows, ["sum (mean per update)", fixed(sum / updates, 2), "100.0"]]));
    say(`\nmedian ms per update: instrumented ${fixed(instrumented.median, 2)}, plain train() ${fixed(plain.median, 2)} (alternating, ${updates} each)`);
    return;
  }

  let python = "", torchVersion: string | null = null;
  if (vsTorch) {
    python = pythonCommand();
    const probe = probeTorch(python);
    torchVersion = probe.version;
    if (!torchVersion) say(`--vs-torch: ${probe.reason}; set up with apt-get install python3-torch libopenblas0-pthread (or set QMIX_PYTHON). Carrying on with ours only.`);
  }

  timeOurs(learner, batch, warmup);
  const ours: number[] = [], torch: number[] = [];
  let torchInfo: TorchRun | null = null;
  if (torchVersion) {
    const per = Math.max(1, Math.ceil(updates / rounds));
    for (let r = 0; r < rounds; r++) {
      ours.push(...timeOurs(learner, batch, per));
      if (torchVersion) {
        const run = runTorch(python, per, warmup, threads);
        if (typeof run === "string") {
          say(`--vs-torch: round ${r + 1}: ${run}; carrying on with ours only.`);
          torchVersion = null;
          torch.length = 0;
        } else {
          torch.push(...run.ms);
          torchInfo = run;
        }
      }
    }
  } else {
    ours.push(...timeOurs(learner, batch, updates));
  }

  const o = figures(ours);
  const t = torch.length > 0 ? figures(torch) : null;
  const ratio = t ? o.median / t.median : null;
  if (json) {
    const line: Record<string, number | string> = {
      workload: WORKLOAD, ms_median: round3(o.median), ms_min: round3(o.min), ms_max: round3(o.max), gflops: round3(gflops(flops.total, o.median)),
      backend: backend().name, learner_threads: learnerThreads, updates: o.samples, mflop: round3(flops.total / 1e6),
    };
    if (t && ratio !== null && torchInfo) {
      Object.assign(line, { torch_ms_median: round3(t.median), torch_ms_min: round3(t.min), torch_ms_max: round3(t.max), torch_system: torchInfo.system, torch_threads: torchInfo.threads, ratio: round3(ratio) });
    }
    console.log(JSON.stringify(line));
    learner.closeHelpers();
    return;
  }
  const row = (name: string, f: Figures) => [name, String(f.samples), fixed(f.median), fixed(f.min), fixed(f.max), fixed(gflops(flops.total, f.median), 2)];
  const rows = [row(ourName, o)];
  if (t && torchInfo) rows.push(row(`${torchInfo.system}, ${torchInfo.threads} thread${torchInfo.threads === 1 ? "" : "s"}`, t));
  say("");
  say(table(["backend", "updates", "median ms", "min ms", "max ms", "GFLOP/s"], rows));
  if (t && ratio !== null) say(`\nours / torch (medians): ${fixed(ratio, 2)}×  — ${rounds} interleaved rounds, torch via ${python}`);
  learner.closeHelpers();
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

main();
