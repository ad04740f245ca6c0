// The training side of the page, in a module Web Worker so the tab stays
// responsive: plain ES modules straight from the built package (dist/), no
// bundler. One worker trains one run. Messages in:
//   { type: "train", env, overrides? }   start from presets/<env>.json + overrides (e.g. { mixer: "vdn" })
//   { type: "stop" }                     pause after the current slice
//   { type: "resume" }
//   { type: "save" }                     → { type: "saved", bytes } (the greedy team, safetensors)
//   { type: "play", bytes? }             → one greedy episode of the loaded (or current) team
// Messages out: "started", "progress", "eval", "metrics", "qtot", "episode", "done", "error".
// A simple_spread "episode" carries `monotonicity`: ∂Q_tot/∂Qᵢ of each agent
// at each step, from the team's mixer by the closed form of equation (5)
// (src/qmix/monotonicity.ts), or null when the team came without a mixer.
//
// trainLoop() is synchronous, so training runs in slices of SLICE_MS: its
// shouldStop hook ends a slice, the loop counters it returns resume the next
// one, and between slices the worker posts what changed and reads messages.

import {
  DecentralisedPolicy, makeEnv, mixerFromBytes, mixerGradients, qtotTables, readConfig, resolveConfig, Rng, Trainer, trainLoop,
  twoStepStates, wrapTimestep,
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
    lastReplay: -Infinity, replaySeed: 1, playRng: new Rng(7),
    tWindow: performance.now(), stepsWindow: 0, sps: 0,
  };
  post({ type: "started", env, mixer: config.mixer, config });
  setTimeout(slice, 0);
}

function hooks(deadline) {
  return {
    shouldStop: () => performance.now() >= deadline,
    onEvaluate: (r, improved) => post({ type: "eval", tEnv: run.trainer.tEnv, returnMean: r.returnMean, returnStd: r.returnStd, battleWonMean: r.battleWonMean, improved }),
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
  if ((config.env === "simple_spread_v3" || config.env.startsWith("smaclite/")) && (run.finished || now - run.lastReplay >= REPLAY_MS)) {
    run.lastReplay = now;
    post(greedyEpisode(new DecentralisedPolicy(trainer.policy.agent, trainer.policy.spec), config, "training", trainer.learner.mixer));
  }
  if (run.finished) post({ type: "done", tEnv: trainer.tEnv, mixer: config.mixer, best: trainer.best?.returnMean ?? null });
  else setTimeout(slice, 0);
}

/**
 * One greedy episode, every frame recorded for the canvas. The team acts on
 * the world as it was trained to see it: with the episode's progress
 * appended to its observations when its config says obsTimestep. With a
 * mixer, simple_spread episodes also record ∂Q_tot/∂Qᵢ at every step: the
 * chosen actions' Qs and the state the mixer was trained on.
 */
function greedyEpisode(policy, config, source, mixer = null) {
  const world = makeEnv(config.env, { ...config.envArgs, seed: run ? run.replaySeed++ : 1 });
  const env = wrapTimestep(world, config);
  env.reset();
  policy.reset(1);
  const rng = run?.playRng ?? new Rng(7);
  const frames = [world.frame()];
  const watch = mixer && config.env === "simple_spread_v3";
  const monotonicity = watch ? [] : null;
  let ret = 0, won = null;
  for (;;) {
    const state = watch ? env.getState() : null;
    const actions = policy.act(env.getObs(), env.getAvailActions(), 0, rng);
    if (watch) {
      const n = env.nAgents, A = env.nActions, q = policy.lastQ;
      const chosen = Array.from({ length: n }, (_, i) => q[i * A + actions[i]]);
      monotonicity.push(Array.from(mixerGradients(mixer, chosen, state)));
    }
    const r = env.step(actions);
    ret += r.reward;
    frames.push(world.frame());
    if (r.terminated || r.truncated) {
      if (typeof r.info?.battle_won === "boolean") won = r.info.battle_won;
      break;
    }
  }
  return { type: "episode", env: config.env, source, tEnv: run?.trainer.tEnv ?? 0, return: ret, won, frames, monotonicity };
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
  if (config.env !== "simple_spread_v3" || !config.mixer) return null;
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
