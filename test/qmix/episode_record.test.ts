// recordEpisode against the pieces it reads: the Qs it records are the ones
// DecentralisedPolicy computes when it plays the same battle on its own,
// Q_tot is the mixer's own forward pass at the chosen actions, the credit is
// equation (5) (≥ 0, equal to mixerGradients) and the return-to-go satisfies
// Gₜ = rₜ + γ·Gₜ₊₁ with G after the last step 0. On the shipped 2s3z team.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { makeEnv } from "../../src/envs/registry.ts";
import { wrapTimestep } from "../../src/envs/timestep.ts";
import { noGrad } from "../../src/autograd/tape.ts";
import { readConfig } from "../../src/train/checkpoint.ts";
import { plainRecord, recordEpisode } from "../../src/qmix/episode_record.ts";
import { QMixer, VDNMixer } from "../../src/qmix/mixers.ts";
import { mixerFromBytes, mixerGradients } from "../../src/qmix/monotonicity.ts";
import { DecentralisedPolicy } from "../../src/qmix/policy.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import { Rng } from "../../src/tensor/random.ts";

const MODEL = join(import.meta.dirname, "..", "..", "models", "smaclite_2s3z-qmix.safetensors");

describe("recordEpisode on the pretrained smaclite/2s3z team", () => {
  const bytes = new Uint8Array(readFileSync(MODEL));
  const config = readConfig(bytes);
  const policy = DecentralisedPolicy.fromBytes(bytes);
  const env = wrapTimestep(makeEnv(config.env, { ...config.envArgs, seed: 1 }), config);
  const mixer = mixerFromBytes(bytes, config, policy.spec.nAgents, env.stateDim) as QMixer;
  const seed = 4242;
  const states: Float32Array[] = [];
  const rec = recordEpisode(env, policy, { mixer, gamma: config.gamma, seed, observe: () => states.push(env.getState()) });
  const { nAgents: n, nActions: A } = rec;

  it("records the Qs, available actions and actions DecentralisedPolicy produces on the same battle", () => {
    expect(mixer).toBeInstanceOf(QMixer);
    expect(rec.steps.length).toBeGreaterThan(10);
    const other = DecentralisedPolicy.fromBytes(bytes);
    const again = wrapTimestep(makeEnv(config.env, { ...config.envArgs, seed: 1 }), config);
    again.reset(seed);
    other.reset(1);
    const rng = new Rng(99);
    for (const [t, s] of rec.steps.entries()) {
      const avail = again.getAvailActions();
      const a = other.act(again.getObs(), avail, 0, rng);
      expect(Array.from(s.avail), `step ${t}`).toEqual(Array.from(avail));
      expect(Array.from(s.q), `step ${t}`).toEqual(Array.from(other.lastQ));
      expect(Array.from(s.actions), `step ${t}`).toEqual(Array.from(a));
      // Greedy: each chosen action is the best available one.
      for (let i = 0; i < n; i++) {
        let best = -Infinity;
        for (let k = 0; k < A; k++) if (s.avail[i * A + k]) best = Math.max(best, s.q[i * A + k]!);
        expect(s.avail[i * A + s.actions[i]!]).toBe(1);
        expect(s.q[i * A + s.actions[i]!]).toBe(best);
      }
      const r = again.step(a);
      expect(s.reward).toBe(r.reward);
    }
    expect(rec.won).toBeTypeOf("boolean");
    expect(rec.return).toBeCloseTo(rec.steps.reduce((x, s) => x + s.reward, 0), 9);
  });

  it("Q_tot is the mixer's forward pass at the chosen actions; the credit is (5), never below 0", () => {
    expect(states.length).toBe(rec.steps.length + 1);
    for (const [t, s] of rec.steps.entries()) {
      const chosen = Float32Array.from({ length: n }, (_, i) => s.q[i * A + s.actions[i]!]!);
      const qTot = noGrad(() => mixer.forward(new Tensor(chosen, [1, n]), new Tensor(states[t]!, [1, env.stateDim]))).data[0]!;
      expect(s.qTot!, `step ${t}`).toBeCloseTo(qTot, 4);
      const grads = mixerGradients(mixer, chosen, states[t]!);
      expect(Array.from(s.credit!)).toEqual(Array.from(grads));
      for (const g of s.credit!) expect(g).toBeGreaterThanOrEqual(0);
    }
  });

  it("the return-to-go is the discounted return that followed", () => {
    const T = rec.steps.length;
    expect(rec.steps[T - 1]!.returnToGo).toBeCloseTo(rec.steps[T - 1]!.reward, 12);
    for (let t = 0; t < T - 1; t++) expect(rec.steps[t]!.returnToGo).toBeCloseTo(rec.steps[t]!.reward + config.gamma * rec.steps[t + 1]!.returnToGo, 9);
    const plain = plainRecord(rec);
    expect(JSON.parse(JSON.stringify(plain)).steps[0].q).toEqual(Array.from(rec.steps[0]!.q));
  });

  it("VDN's Q_tot is the sum with credit 1; without a mixer neither is recorded; a bad gamma is named", () => {
    const vdn = recordEpisode(env, policy, { mixer: new VDNMixer(n), gamma: 0.9, seed });
    const s = vdn.steps[0]!;
    expect(s.qTot).toBeCloseTo(Array.from({ length: n }, (_, i) => s.q[i * A + s.actions[i]!]!).reduce((a, b) => a + b, 0), 5);
    expect(Array.from(s.credit!)).toEqual(new Array(n).fill(1));
    const none = recordEpisode(env, policy, { gamma: 0.9, seed });
    expect(none.steps[0]!.qTot).toBeNull();
    expect(none.steps[0]!.credit).toBeNull();
    expect(() => recordEpisode(env, policy, { gamma: 1.5 })).toThrow(/gamma must be in \[0, 1\], got 1.5/);
  });
});
