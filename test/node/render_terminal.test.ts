// `eval --render`'s text: on a terminal, the legend once and every frame
// redrawn in place (cursor up over the last frame, clear, draw); piped, the
// frames one after another as before. SMAClite frames keep the per-unit
// table and add each agent's chosen action and its Q, the agent network's
// (recordEpisode, the same numbers the browser's battle view shows).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { makeEnv } from "../../src/envs/registry.ts";
import { smacliteActionName } from "../../src/envs/smaclite/render.ts";
import { wrapTimestep } from "../../src/envs/timestep.ts";
import { readConfig } from "../../src/train/checkpoint.ts";
import { recordEpisode } from "../../src/qmix/episode_record.ts";
import { DecentralisedPolicy } from "../../src/qmix/policy.ts";
import { renderEpisodeTerminal } from "../../src/node/render_terminal.ts";
import { Rng } from "../../src/tensor/random.ts";

const MODELS = join(import.meta.dirname, "..", "..", "models");

function load(file: string) {
  const bytes = new Uint8Array(readFileSync(join(MODELS, file)));
  const config = readConfig(bytes);
  const env = wrapTimestep(makeEnv(config.env, { ...config.envArgs, seed: 1 }), config);
  return { bytes, config, env, policy: DecentralisedPolicy.fromBytes(bytes) };
}

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  return { out: { isTTY, write: (s: string) => chunks.push(s) }, text: () => chunks.join(""), chunks };
}

describe("eval --render in the terminal", () => {
  it("piped: frames one after another, each agent's chosen action and its Q in the unit table, no escape codes", () => {
    const { bytes, config, env, policy } = load("smaclite_2s3z-qmix.safetensors");
    const c = capture(false);
    renderEpisodeTerminal(env, policy, 77, { out: c.out, bytes, config });
    const text = c.text();
    expect(text).not.toContain("\x1b[");
    expect(text).not.toContain("legend:");
    expect(text).toMatch(/^--- step 0 {2}return so far 0\.000 {2}Q_tot -?\d+\.\d{3}\n2s3z {2}step 0 {2}agents 5\/5 {2}enemies 5\/5/);
    expect(text).toMatch(/\n--- end {2}return \d+\.\d{3} {2}\(Q_tot at step 0 -?\d+\.\d{3}; the discounted return that followed \d+\.\d{3}\)\n/);
    // The same battle recorded: step 0's actions and Qs are the ones printed.
    const rec = recordEpisode(env, policy, { gamma: config.gamma, seed: 77, rng: new Rng(77) });
    const frames = text.split(/^--- /m).filter(Boolean);
    expect(frames.length).toBe(rec.steps.length + 1);
    const A = rec.nActions;
    for (const [t, s] of rec.steps.entries()) {
      for (let i = 0; i < rec.nAgents; i++) {
        const line = frames[t]!.split("\n").find((l) => l.startsWith(`agent ${i} `));
        if (line === undefined) continue; // dead: no line, no choice
        const a = s.actions[i]!;
        expect(line, `step ${t} agent ${i}`).toContain(`  chose ${smacliteActionName(a)} Q ${s.q[i * A + a]!.toFixed(2)}`);
      }
    }
    expect(text).toMatch(/chose attack enemy \d Q/);
  });

  it("on a terminal: the legend once, then each frame drawn over the last", () => {
    const { bytes, config, env, policy } = load("smaclite_2s3z-qmix.safetensors");
    const c = capture(true);
    renderEpisodeTerminal(env, policy, 77, { out: c.out, bytes, config, fps: 60 });
    const text = c.text();
    expect(text.match(/legend:/g)?.length).toBe(1);
    expect(text.indexOf("legend:")).toBe(0);
    const frames = c.chunks.filter((s) => s.startsWith("--- "));
    const redraws = c.chunks.filter((s) => /^\x1b\[\d+F\x1b\[J$/.test(s));
    expect(redraws.length).toBe(frames.length - 1);
    // The unwalkable rows above and below 2s3z's band shrink to one each, so a frame fits a terminal.
    expect(frames[0]!).toMatch(/step 0 {2}agents 5\/5 {2}enemies 5\/5\n#{32}\n\.{32}\n/);
    expect(frames[0]!).not.toMatch(/#{32}\n#{32}/);
    expect(frames[0]!.split("\n").length).toBeLessThan(35);
    // Each redraw climbs exactly the lines of the frame before it.
    let k = 0;
    for (let j = 1; j < c.chunks.length; j++) {
      const m = /^\x1b\[(\d+)F/.exec(c.chunks[j]!);
      if (!m) continue;
      expect(Number(m[1])).toBe(frames[k]!.split("\n").length - 1);
      k++;
    }
  });

  it("simple_spread frames name the moves; a bad --fps is named", () => {
    const { bytes, config, env, policy } = load("simple_spread_v3-qmix.safetensors");
    const c = capture(false);
    renderEpisodeTerminal(env, policy, 5, { out: c.out, bytes, config });
    expect(c.text()).toMatch(/agent 0 {4}\(.*\) {2}chose (no-op|left|right|down|up) Q -?\d+\.\d\d/);
    expect(() => renderEpisodeTerminal(env, policy, 5, { out: c.out, fps: 0 })).toThrow(/--fps must be a number of frames per second in \(0, 60\], got 0/);
  });
});
