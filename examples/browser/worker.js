// The training side of the page, in a module Web Worker so the tab stays
// responsive: plain ES modules straight from the built package (dist/), no
// bundler. One worker trains one run. Messages in:
//   { type: "train", env, overrides? }   start from presets/<env>.json + overrides (e.g. { mixer: "vdn" })
//   { type: "stop" }                     pause after the current slice
//   { type: "resume" }
//   { type: "save" }                     → { type: "saved", bytes } (the greedy team, safetensors)
//   { type: "play", bytes? }             → one greedy episode of the loaded (or current) team
// Messages out: "started", "progress", "eval", "metrics", "qtot", "episode", "done", "error".
// An "episode" carries its frames and `record` (recordEpisode, in
// src/qmix/episode_record.ts): at every step each agent's Q for every action
// as its network computed them, the available and chosen actions, and from
// the team's mixer Q_tot of the joint action and ∂Q_tot/∂Qᵢ by the closed
// form of equation (5) (null without a mixer), and the discounted return
// that followed. A simple_spread episode also carries `monotonicity`, the
// credit alone, for its chart. SMAClite training replays the latest greedy
// battle after every evaluation; simple_spread's every REPLAY_MS.
//
// trainLoop() is synchronous, so training runs in slices of SLICE_MS: its
// shouldStop hook ends a slice, the loop counters it returns resume the next
// one, and between slices the worker posts what changed and reads messages.

import {
  DecentralisedPolicy, makeEnv, mixerFromBytes, plainRecord, qtotTables, readConfig, recordEpisode, resolveConfig, Rng,
  smacliteActionName, SPREAD_ACTION_NAMES, Trainer, trainLoop, twoStepStates, wrapTimestep,
} from "../../dist/index.js";

const SLICE_MS = 200;
// A greedy episode of the current team is replayed on the page this often.
const REPLAY_MS = 2500;

let run = null;

function post(msg, transfer) {
  self.postMessage(msg, transfer ?? []);
}

async function presetFor(env) {
  const res = await fetch(new URL(`../../presets/${env}.json`, import.meta.url));
  if (!res.ok) return {};
  // Keys starting with "_" are comments, as the CLI reads presets.
  return Object.fromEntries(Object.entries(await res.json()).filter(([k]) => !k.startsWith("_")));
}

/** The presets the command line layers for env: presets/<env>.json, or for a family/<member> presets/<family>.json then presets/<family>_<member>.json. */
async function presetLayers(env) {
  const [family, member] = env.split("/");
  const names = member === undefined ? [env] : [family, `${family}_${member}`];
  return Promise.all(names.map(async (n) => [`presets/${n}.json`, await presetFor(n)]));
}

async function start(env, overrides = {}) {
  const config = resolveConfig(...(await presetLayers(env)), ["page", { env, ...overrides }]);
  const trainer = new Trainer(config);
  run = {
    trainer, config, loop: undefined, paused: false, finished: false,
    lastReplay: -Infinity, replaySeed: 1, playRng: new Rng(7), evaluated: null,
    tWindow: performance.now(), stepsWindow: 0, sps: 0,
  };
  post({ type: "started", env, mixer: config.mixer, config });
  setTimeout(slice, 0);
}

function hooks(deadline) {
  return {
    shouldStop: () => performance.now() >= deadline,
    onEvaluate: (r, improved) => {
      run.evaluated = { returnMean: r.returnMean, battleWonMean: r.battleWonMean ?? null };
      post({ type: "eval", tEnv: run.trainer.tEnv, returnMean: r.returnMean, returnStd: r.returnStd, battleWonMean: r.battleWonMean, improved });
    },
    onMetrics: (m) => post({ type: "metrics", metrics: m }),
  };
}

function slice() {
  if (!run || run.paused || run.finished) return;
  const { trainer, config } = run;
  try {
    run.loop = trainLoop(trainer, hooks(performance.now() + SLICE_MS), run.loop);
    if (trainer.tEnv >= config.tMax) {
      // The last slice may have ended on its deadline before trainLoop's
      // closing evaluation; one more call with no deadline runs it.
      run.loop = trainLoop(trainer, hooks(Infinity), run.loop);
      run.finished = true;
    }
  } catch (err) {
    run.finished = true;
    post({ type: "error", message: `${err.name}: ${err.message}` });
    return;
  }
  const now = performance.now();
  if (now - run.tWindow >= 1000) {
    run.sps = ((trainer.tEnv - run.stepsWindow) * 1000) / (now - run.tWindow);
    run.tWindow = now;
    run.stepsWindow = trainer.tEnv;
  }
  post({
    type: "progress", tEnv: trainer.tEnv, tMax: config.tMax, episode: trainer.episode, updates: trainer.updates,
    epsilon: trainer.epsilon, stepsPerSec: run.sps, best: trainer.best?.returnMean ?? null, bestWon: trainer.best?.battleWonMean ?? null,
  });
  if (config.env === "two_step") post({ type: "qtot", tEnv: trainer.tEnv, mixer: config.mixer, tables: qtotTables(trainer.learner, twoStepStates()) });
  const smaclite = config.env.startsWith("smaclite/");
  if ((config.env === "simple_spread_v3" && (run.finished || now - run.lastReplay >= REPLAY_MS)) || (smaclite && run.evaluated)) {
    run.lastReplay = now;
    const ep = greedyEpisode(new DecentralisedPolicy(trainer.policy.agent, trainer.policy.spec), config, "training", trainer.learner.mixer);
    post(smaclite ? { ...ep, evaluation: run.evaluated } : ep);
    run.evaluated = null;
  }
  if (run.finished) post({ type: "done", tEnv: trainer.tEnv, mixer: config.mixer, best: trainer.best?.returnMean ?? null });
  else setTimeout(slice, 0);
}

/**
 * One greedy episode, every frame recorded for the canvas and every step's
 * Qs, Q_tot, credit and return-to-go (recordEpisode). The team acts on the
 * world as it was trained to see it: with the episode's progress appended to
 * its observations when its config says obsTimestep; the mixer reads the
 * state it was trained on.
 */
function greedyEpisode(policy, config, source, mixer = null) {
  const seed = run ? run.replaySeed++ : 1;
  const world = makeEnv(config.env, { ...config.envArgs, seed });
  const env = wrapTimestep(world, config);
  const frames = [];
  const rec = recordEpisode(env, policy, {
    mixer, gamma: config.gamma ?? 0.99, seed, rng: run?.playRng ?? new Rng(7), observe: () => frames.push(world.frame()),
  });
  const record = plainRecord(rec);
  const smaclite = config.env.startsWith("smaclite");
  // Each agent's action names: SMAClite's by the agent's unit (a healer heals agents where others attack enemies).
  const actionNames = Array.from({ length: env.nAgents }, (_, i) => Array.from({ length: env.nActions }, (_, a) => {
    if (!smaclite) return SPREAD_ACTION_NAMES[a] ?? `action ${a}`;
    const unit = frames[0].units.find((u) => u.ally && u.idInFaction === i);
    return smacliteActionName(a, unit?.heals === true);
  }));
  const monotonicity = mixer && config.env === "simple_spread_v3" ? record.steps.map((s) => s.credit) : null;
  return {
    type: "episode", env: config.env, source, tEnv: run?.trainer.tEnv ?? 0, seed, gamma: rec.gamma,
    return: rec.return, won: rec.won, frames, record, actionNames, monotonicity,
  };
}

/**
 * The settings a loaded team was trained with: a checkpoint written by the
 * CLI carries its config; a team saved from this page carries only its
 * policy spec, whose observation width tells whether the clock was appended.
 */
function loadedConfig(bytes, policy) {
  try {
    return readConfig(bytes);
  } catch {
    if (run?.config.env.startsWith("smaclite/")) return run.config;
    const nAgents = policy.spec.nAgents;
    const world = makeEnv("simple_spread_v3", { nAgents });
    return { env: world.name, envArgs: { nAgents }, obsTimestep: policy.spec.obsDim === world.obsDim + 1 };
  }
}

/** The mixer saved beside a loaded team (CLI checkpoints and best weights carry it; a team saved from this page does not). */
function loadedMixer(bytes, config, policy) {
  if (!config.mixer) return null;
  const env = wrapTimestep(makeEnv(config.env, config.envArgs ?? {}), config);
  return mixerFromBytes(bytes, config, policy.spec.nAgents, env.stateDim);
}

self.onmessage = async (e) => {
  const msg = e.data;
  try {
    switch (msg.type) {
      case "train": await start(msg.env, msg.overrides); break;
      case "stop": if (run) run.paused = true; break;
      case "resume": if (run?.paused) { run.paused = false; run.tWindow = performance.now(); run.stepsWindow = run.trainer.tEnv; setTimeout(slice, 0); } break;
      case "save": {
        if (!run) throw new Error("nothing to save: start training first");
        const bytes = run.trainer.policy.toBytes();
        post({ type: "saved", bytes, tEnv: run.trainer.tEnv }, [bytes.buffer]);
        break;
      }
      case "play": {
        const bytes = msg.bytes ? new Uint8Array(msg.bytes) : null;
        const policy = bytes ? DecentralisedPolicy.fromBytes(bytes) : new DecentralisedPolicy(run.trainer.policy.agent, run.trainer.policy.spec);
        const config = bytes ? loadedConfig(bytes, policy) : run.config;
        post(greedyEpisode(policy, config, msg.bytes ? "loaded" : "training", bytes ? loadedMixer(bytes, config, policy) : run.trainer.learner.mixer));
        break;
      }
      default: throw new Error(`unknown message type "${msg.type}"`);
    }
  } catch (err) {
    post({ type: "error", message: `${err.name}: ${err.message}` });
  }
};
