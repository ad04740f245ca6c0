// `qmix eval --render`: one greedy episode drawn as text, each frame with
// every agent's chosen action and its Q (and, when the checkpoint carries
// its mixer, Q_tot of the joint action). On a terminal the frame redraws in
// place at --fps frames per second under a legend printed once; piped, the
// frames follow one another, each under a "--- step" line, for logs and tests.

import type { MultiAgentEnv } from "../envs/env.ts";
import { BATTLE_LEGEND } from "../envs/smaclite/render.ts";
import { SPREAD_LEGEND } from "../envs/simple_spread_render.ts";
import type { QMixConfig } from "../train/config.ts";
import { recordEpisode, type StepRecord } from "../qmix/episode_record.ts";
import type { Mixer } from "../qmix/mixers.ts";
import { mixerFromBytes } from "../qmix/monotonicity.ts";
import type { DecentralisedPolicy } from "../qmix/policy.ts";
import { Rng } from "../tensor/random.ts";

/** Frames per second on a terminal: a 2s3z battle (about 40 steps) takes ten seconds, slow enough to follow one unit. */
export const DEFAULT_FPS = 4;

export interface TerminalRenderOptions {
  /** Where the text goes; a TTY redraws in place. Default process.stdout. */
  out?: { write(s: string): unknown; isTTY?: boolean };
  /** Frames per second on a TTY; default DEFAULT_FPS. */
  fps?: number;
  /** The checkpoint's bytes and config, to show Q_tot from the mixer saved beside the team (none: no Q_tot). */
  bytes?: Uint8Array;
  config?: QMixConfig;
}

const CSI = "\x1b[";

function legendFor(env: MultiAgentEnv): string {
  if (env.name.startsWith("smaclite")) return BATTLE_LEGEND;
  if (env.name.startsWith("simple_spread")) return SPREAD_LEGEND;
  return "legend: chose = the action each agent's network picks in this frame, Q = that action's Qᵢ; Q_tot = the mixer's estimate of the team's discounted return.";
}

/** Blocks for ms milliseconds: eval runs synchronously, and a frame rate needs a pause without an event loop turn. */
function pause(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function renderEpisodeTerminal(env: MultiAgentEnv, policy: DecentralisedPolicy, seed: number, opts: TerminalRenderOptions = {}): void {
  const out = opts.out ?? process.stdout;
  const fps = opts.fps ?? DEFAULT_FPS;
  if (!(Number.isFinite(fps) && fps > 0 && fps <= 60)) throw new RangeError(`--fps must be a number of frames per second in (0, 60], got ${fps}`);
  const tty = out.isTTY === true;
  let mixer: Mixer | null = null;
  if (opts.bytes && opts.config) {
    try {
      mixer = mixerFromBytes(opts.bytes, opts.config, policy.spec.nAgents, env.stateDim);
    } catch {
      mixer = null; // a mixer that does not fit this environment's state: show the agents' Qs alone
    }
  }
  let shownLines = 0, total = 0;
  let prev: StepRecord | null = null;
  const show = (header: string, rendered: string) => {
    // A frame redrawn in place must fit the screen: on a terminal, runs of map rows where nothing can walk shrink to one.
    const body = tty ? rendered.replace(/^(#+)\n(?:#+\n)+/gm, "$1\n") : rendered;
    const text = `${header}\n${body}\n`;
    if (tty) {
      // Back to the first line of the previous frame, clear to the end of the screen, draw.
      if (shownLines > 0) out.write(`${CSI}${shownLines}F${CSI}J`);
      shownLines = text.split("\n").length - 1;
    }
    out.write(text);
  };
  if (tty) out.write(`${legendFor(env)}\n\n`);
  const rec = recordEpisode(env, policy, {
    mixer, gamma: opts.config?.gamma ?? 0.99, seed, rng: new Rng(seed),
    decide: (t, s) => {
      // The previous step's reward is in by now: it is recorded once the environment has taken the step.
      if (prev) total += prev.reward;
      prev = s;
      const qTot = s.qTot === null ? "" : `  Q_tot ${s.qTot.toFixed(3)}`;
      show(`--- step ${t}  return so far ${total.toFixed(3)}${qTot}`, env.render?.({ actions: s.actions, q: s.q }) ?? "(this environment has no text rendering)");
      if (tty) pause(1000 / fps);
    },
  });
  const first = rec.steps[0];
  const estimate = first?.qTot == null ? "" : `  (Q_tot at step 0 ${first.qTot.toFixed(3)}; the discounted return that followed ${first.returnToGo.toFixed(3)})`;
  show(`--- end  return ${rec.return.toFixed(3)}${estimate}`, env.render?.() ?? "");
}
