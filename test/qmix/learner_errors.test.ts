// The learner on bad input, and its target-network bookkeeping:
//   - batches whose sizes do not match the networks, arrays of the wrong
//     length, actions out of range, an all-zero mask: errors that name the
//     field, the expected shape, the episode/step/agent;
//   - a mixer or agent network that does not fit the config, and state dicts
//     from another configuration (StateDictError naming the tensor);
//   - soft target updates move targets toward the online parameters by τ;
//     hard updates happen exactly every targetUpdateInterval episodes;
//   - a non-finite reward makes train() throw NonFiniteError and leaves every
//     parameter (online and target) and the optimizer state untouched.

import { describe, expect, it } from "vitest";
import { FFAgent, RNNAgent } from "../../src/qmix/agents.ts";
import { BatchError, type BatchSizes, type EpisodeBatch, emptyBatch } from "../../src/qmix/batch.ts";
import { inputDim } from "../../src/qmix/inputs.ts";
import { type LearnerConfig, NonFiniteError, QLearner } from "../../src/qmix/learner.ts";
import { QMixer, VDNMixer } from "../../src/qmix/mixers.ts";
import { type Module, StateDictError } from "../../src/nn/module.ts";
import { Rng } from "../../src/tensor/random.ts";

const SIZES: BatchSizes = { nAgents: 2, obsDim: 3, stateDim: 4, nActions: 3 };
const INPUTS = { lastAction: true, agentId: true };
const IN = inputDim(SIZES.obsDim, SIZES.nActions, SIZES.nAgents, INPUTS); // 3 + 3 + 2 = 8
const HIDDEN = 8, EMBED = 4, HYPER = 8;

function makeConfig(over: Partial<LearnerConfig> = {}): LearnerConfig {
  return {
    ...SIZES, inputs: INPUTS, gamma: 0.99, doubleQ: true, gradNormClip: 10, optimizer: "rmsprop",
    lr: 5e-4, optimAlpha: 0.99, optimEps: 1e-5, targetUpdateInterval: 200, targetTau: 0, tdLambda: 0, halfLoss: false,
    ...over,
  };
}

function makeMixer(opts: { nAgents?: number; embedDim?: number; hypernetLayers?: 1 | 2 } = {}): QMixer {
  return new QMixer(opts.nAgents ?? SIZES.nAgents, SIZES.stateDim,
    { embedDim: opts.embedDim ?? EMBED, hypernetEmbed: HYPER, hypernetLayers: opts.hypernetLayers ?? 2 }, new Rng(2));
}

function makeLearner(over: Partial<LearnerConfig> = {}): QLearner {
  return new QLearner(new RNNAgent(IN, HIDDEN, SIZES.nActions, new Rng(1)), makeMixer(), makeConfig(over));
}

/**
 * B = 3 episodes, T = 4: episode 0 runs the full length, episode 1 is
 * terminal at step 2 (final observation at step 3), episode 2 is terminal
 * at step 0. Random observations, states, actions and rewards; all actions
 * available at filled steps.
 */
function makeBatch(seed = 7, sizes: BatchSizes = SIZES, B = 3, T = 4): EpisodeBatch {
  const b = emptyBatch(sizes, B, T);
  const rng = new Rng(seed);
  const { nAgents: n, obsDim: O, stateDim: S, nActions: A } = sizes;
  const T1 = T + 1, lengths = [T, 3, 1].slice(0, B);
  for (let e = 0; e < B; e++) {
    const L = lengths[e] ?? T;
    for (let t = 0; t <= L; t++) {
      const k = e * T1 + t;
      b.filled[k] = 1;
      for (let j = 0; j < n * O; j++) b.obs[k * n * O + j] = rng.normal();
      for (let j = 0; j < S; j++) b.state[k * S + j] = rng.normal();
      b.availActions.fill(1, k * n * A, (k + 1) * n * A);
      if (t < L) {
        for (let i = 0; i < n; i++) b.actions[k * n + i] = rng.int(A);
        b.reward[k] = rng.normal();
      }
    }
    if (L < T) b.terminated[e * T1 + L - 1] = 1;
  }
  return b;
}

/** Copies of every value of the given modules, by name. */
function snapshot(mods: Record<string, Module>): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [prefix, m] of Object.entries(mods)) for (const [k, p] of m.namedParameters(`${prefix}.`)) out.set(k, p.data.slice());
  return out;
}

function expectSameBytes(a: Map<string, Float32Array>, b: Map<string, Float32Array>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, v] of a) {
    const w = b.get(k)!;
    expect(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(w.buffer, w.byteOffset, w.byteLength)), k).toBe(true);
  }
}

function allModules(l: QLearner): Record<string, Module> {
  return { agent: l.agent, mixer: l.mixer!, targetAgent: l.targetAgent, targetMixer: l.targetMixer! };
}

describe("batches that do not fit the networks", () => {
  it("a good batch trains (the fixture itself is valid)", () => {
    const stats = makeLearner().train(makeBatch(), 1);
    expect(Number.isFinite(stats.loss)).toBe(true);
  });

  it.each(["nAgents", "obsDim", "stateDim", "nActions"] as const)("%s differs from the networks: BatchError naming the field and both sizes", (key) => {
    const learner = makeLearner();
    const sizes = { ...SIZES, [key]: SIZES[key] + 2 };
    const batch = makeBatch(7, sizes); // internally consistent, but for other networks
    const msg = new RegExp(`${key} is ${SIZES[key] + 2} but the networks were built for ${SIZES[key]}`);
    expect(() => learner.computeLoss(batch)).toThrow(BatchError);
    expect(() => learner.computeLoss(batch)).toThrow(msg);
    expect(() => learner.train(batch, 1)).toThrow(msg);
  });

  const B = 3, T = 4, T1 = T + 1, { nAgents: n, obsDim: O, stateDim: S, nActions: A } = SIZES;
  const fields: Array<[keyof EpisodeBatch, number, string]> = [
    ["obs", B * T1 * n * O, `[${B}, ${T1}, ${n}, ${O}]`],
    ["state", B * T1 * S, `[${B}, ${T1}, ${S}]`],
    ["availActions", B * T1 * n * A, `[${B}, ${T1}, ${n}, ${A}]`],
    ["actions", B * T1 * n, `[${B}, ${T1}, ${n}]`],
    ["reward", B * T1, `[${B}, ${T1}]`],
    ["terminated", B * T1, `[${B}, ${T1}]`],
    ["filled", B * T1, `[${B}, ${T1}]`],
  ];
  it.each(fields)("%s of the wrong length: BatchError naming the field and the expected shape", (field, want, shape) => {
    const learner = makeLearner();
    for (const got of [want - 1, want + 5, 0]) {
      const batch = makeBatch();
      const old = batch[field] as Float32Array | Uint8Array | Int32Array;
      (batch as unknown as Record<string, unknown>)[field] = new (old.constructor as new (k: number) => typeof old)(got);
      const esc = shape.replace(/[[\]]/g, "\\$&");
      expect(() => learner.computeLoss(batch)).toThrow(BatchError);
      expect(() => learner.computeLoss(batch)).toThrow(new RegExp(`batch: ${field} has ${got} values, expected ${want} for shape ${esc}`));
    }
  });

  it("a non-positive or fractional size: BatchError naming it", () => {
    const learner = makeLearner();
    expect(() => learner.computeLoss({ ...makeBatch(), T: 0 })).toThrow(/T must be a positive integer, got 0/);
    expect(() => learner.computeLoss({ ...makeBatch(), B: 1.5 })).toThrow(/B must be a positive integer, got 1.5/);
  });

  it("an action out of range: BatchError naming the episode, step and agent", () => {
    const learner = makeLearner();
    for (const [e, t, i, a] of [[2, 3, 1, 3], [0, 0, 0, -1], [1, 4, 1, 99]] as const) {
      const batch = makeBatch();
      batch.actions[(e * T1 + t) * n + i] = a;
      expect(() => learner.computeLoss(batch)).toThrow(BatchError);
      expect(() => learner.computeLoss(batch)).toThrow(`action ${a} of agent ${i} at episode ${e}, step ${t} is outside [0, ${A})`);
    }
  });

  it("an all-zero mask: a clear error, not a NaN loss", () => {
    const learner = makeLearner();
    const empty = makeBatch();
    empty.filled.fill(0);
    expect(() => learner.computeLoss(empty)).toThrow(/no valid step \(every mask entry is 0\)/);
    // Only post-terminal steps filled: every mask entry is 0 as well.
    const postTerminal = makeBatch();
    postTerminal.filled.fill(0);
    postTerminal.terminated.fill(0);
    for (let e = 0; e < B; e++) { postTerminal.terminated[e * T1] = 1; postTerminal.filled[e * T1 + 1] = 1; }
    expect(() => learner.train(postTerminal, 1)).toThrow(/no valid step/);
  });
});

describe("networks that do not fit the config", () => {
  it("a mixer built for a different number of agents", () => {
    const agent = new RNNAgent(IN, HIDDEN, SIZES.nActions);
    expect(() => new QLearner(agent, makeMixer({ nAgents: 3 }), makeConfig())).toThrow(/mixer was built for 3 agents, the config has 2/);
    expect(() => new QLearner(agent, new VDNMixer(5), makeConfig())).toThrow(/mixer was built for 5 agents, the config has 2/);
  });

  it("an agent network whose input size does not match obs + last action + agent id", () => {
    expect(() => new QLearner(new RNNAgent(IN + 1, HIDDEN, SIZES.nActions), makeMixer(), makeConfig()))
      .toThrow(/takes 9 inputs but the config implies 8 \(obs 3 \+ last action 3 \+ agent id 2\)/);
    // Built for the default inputs, configured without the last action.
    expect(() => new QLearner(new RNNAgent(IN, HIDDEN, SIZES.nActions), makeMixer(), makeConfig({ inputs: { lastAction: false, agentId: true } })))
      .toThrow(/takes 8 inputs but the config implies 5 \(obs 3 \+ last action 0 \+ agent id 2\)/);
  });

  it("an agent network with a different number of actions", () => {
    expect(() => new QLearner(new RNNAgent(IN, HIDDEN, 4), makeMixer(), makeConfig())).toThrow(/has 4 actions, the config 3/);
  });
});

describe("state dicts from another configuration", () => {
  it("a mixer with another embed size: StateDictError naming each tensor and both shapes; nothing is written", () => {
    const mixer = makeMixer(), before = snapshot({ mixer });
    const other = makeMixer({ embedDim: 5 });
    let err: unknown;
    try { mixer.loadStateDict(other.stateDict()); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(StateDictError);
    const msg = (err as Error).message;
    expect(msg).toContain(`"hyper_w_1.2.weight" has shape [10, ${HYPER}], expected [8, ${HYPER}]`);
    expect(msg).toContain(`"hyper_w_final.2.weight" has shape [5, ${HYPER}], expected [4, ${HYPER}]`);
    expect(msg).toContain(`"hyper_b_1.weight" has shape [5, 4], expected [4, 4]`);
    expect(msg).toContain(`"V.2.weight" has shape [1, 5], expected [1, 4]`);
    expectSameBytes(snapshot({ mixer }), before);
  });

  it("1 vs 2 hypernetwork layers: the missing and the unexpected names", () => {
    const mixer = makeMixer({ hypernetLayers: 1 });
    expect(() => mixer.loadStateDict(makeMixer({ hypernetLayers: 2 }).stateDict())).toThrow(StateDictError);
    expect(() => mixer.loadStateDict(makeMixer({ hypernetLayers: 2 }).stateDict()))
      .toThrow(/missing "hyper_w_1\.weight" \(expected shape \[8, 4\]\).*unexpected "hyper_w_1\.0\.weight"/);
  });

  it("an agent with another hidden size, through the learner's pymarl names (agent.*)", () => {
    const learner = makeLearner(), before = snapshot({ agent: learner.agent });
    const big = new QLearner(new RNNAgent(IN, 16, SIZES.nActions), makeMixer(), makeConfig());
    const sd = new Map(big.namedParameters());
    expect(() => learner.agent.loadStateDict(sd, { prefix: "agent.", strict: false })).toThrow(StateDictError);
    expect(() => learner.agent.loadStateDict(sd, { prefix: "agent.", strict: false }))
      .toThrow(`"agent.fc1.weight" has shape [16, ${IN}], expected [${HIDDEN}, ${IN}]`);
    expectSameBytes(snapshot({ agent: learner.agent }), before);
  });

  it("a feed-forward agent's weights into an RNN agent", () => {
    const rnn = new RNNAgent(IN, HIDDEN, SIZES.nActions);
    expect(() => rnn.loadStateDict(new FFAgent(IN, HIDDEN, SIZES.nActions).stateDict()))
      .toThrow(/missing "rnn\.weight_ih".*unexpected "fc3\.weight"/);
  });
});

describe("target networks", () => {
  it("soft updates (τ > 0): target ← (1 − τ)·target + τ·online after every step, whatever the episode", () => {
    const tau = 0.05;
    const learner = makeLearner({ targetTau: tau, targetUpdateInterval: 1 });
    // Make the targets differ from the online networks, so a copy and a soft step differ.
    const rng = new Rng(11);
    for (const m of [learner.targetAgent, learner.targetMixer!]) for (const p of m.parameters()) for (let k = 0; k < p.size; k++) p.data[k] = rng.normal();
    for (const episode of [1, 2, 500]) {
      const t0 = snapshot({ agent: learner.targetAgent, mixer: learner.targetMixer! });
      learner.train(makeBatch(episode), episode);
      const online = snapshot({ agent: learner.agent, mixer: learner.mixer! });
      const t1 = snapshot({ agent: learner.targetAgent, mixer: learner.targetMixer! });
      for (const [k, v] of t1) {
        const a = t0.get(k)!, b = online.get(k)!;
        const want = Float32Array.from(a, (x, i) => (1 - tau) * x + tau * b[i]!);
        expect(Array.from(v), k).toEqual(Array.from(want));
        // Really moved, and only part of the way.
        const moved = v.some((x, i) => x !== a[i]);
        expect(moved, k).toBe(true);
      }
    }
  });

  function hardUpdateEpisodes(episodes: number[], interval: number): number[] {
    const learner = makeLearner({ targetUpdateInterval: interval });
    let lastCopy = snapshot({ agent: learner.agent, mixer: learner.mixer! }); // the targets start as copies
    const updated: number[] = [];
    for (const ep of episodes) {
      learner.train(makeBatch(ep), ep);
      const online = snapshot({ agent: learner.agent, mixer: learner.mixer! });
      const target = snapshot({ agent: learner.targetAgent, mixer: learner.targetMixer! });
      if ([...target].every(([k, v]) => v.every((x, i) => x === online.get(k)![i]))) {
        updated.push(ep);
        lastCopy = online;
      } else {
        expectSameBytes(target, lastCopy); // untouched since the last copy
      }
    }
    return updated;
  }

  it("hard updates happen exactly every targetUpdateInterval episodes", () => {
    expect(hardUpdateEpisodes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 4)).toEqual([4, 8, 12]);
    expect(hardUpdateEpisodes([1, 2, 3], 1)).toEqual([1, 2, 3]);
  });

  it("with several episodes per update (parallel runners), at the first update at least targetUpdateInterval episodes after the last copy", () => {
    // pymarl: (episode − last_target_update_episode) / target_update_interval ≥ 1.
    expect(hardUpdateEpisodes([3, 6, 9, 12, 15, 18], 4)).toEqual([6, 12, 18]);
    expect(hardUpdateEpisodes([8, 16, 24], 8)).toEqual([8, 16, 24]);
  });
});

describe("non-finite input", () => {
  const poison: Array<[string, (b: EpisodeBatch) => void]> = [
    ["a NaN reward", (b) => { b.reward[2] = Number.NaN; }],
    ["an infinite reward", (b) => { b.reward[1 * 5 + 1] = Number.POSITIVE_INFINITY; }],
    ["a NaN observation", (b) => { b.obs[7] = Number.NaN; }],
    ["a NaN state", (b) => { b.state[3] = Number.NaN; }],
  ];

  it.each(poison)("%s: train() throws NonFiniteError and leaves every parameter and the optimizer untouched", (_name, inject) => {
    const learner = makeLearner({ targetUpdateInterval: 1 });
    learner.train(makeBatch(1), 1); // some optimizer state and a target copy already
    const before = snapshot(allModules(learner));
    const bad = makeBatch(2);
    inject(bad);
    expect(() => learner.train(bad, 2)).toThrow(NonFiniteError);
    expect(() => learner.train(bad, 2)).toThrow(/training stopped before the parameters were touched/);
    expectSameBytes(snapshot(allModules(learner)), before);

    // The optimizer state is untouched too: the next good update is the same as without the bad batch.
    const control = makeLearner({ targetUpdateInterval: 1 });
    control.train(makeBatch(1), 1);
    learner.train(makeBatch(3), 3);
    control.train(makeBatch(3), 3);
    expectSameBytes(snapshot(allModules(learner)), snapshot(allModules(control)));
  });
});
