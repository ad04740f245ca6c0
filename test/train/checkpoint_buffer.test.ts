// The replay buffer in a checkpoint: packed episodes go out and come back
// byte for byte, and a buffer file written before packing (padded
// [capacity, T+1, ...] float32 arrays) is packed on the way in, so a run
// saved by an older version resumes onto the same episodes in the same slots.

import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { decodeSafetensors, encodeSafetensors } from "../../src/nn/safetensors.ts";
import { emptyBatch } from "../../src/qmix/batch.ts";
import { unpackEpisode } from "../../src/qmix/buffer.ts";
import { CheckpointError, encodeBuffer, encodeModel, restore } from "../../src/train/checkpoint.ts";
import { type QMixConfig, resolveConfig } from "../../src/train/config.ts";
import { Trainer } from "../../src/train/trainer.ts";

const LOOP = { lastTestT: 0, lastLogT: 0, lastSaveT: 0 };

function trained(env: string, extra: Partial<QMixConfig> = {}): Trainer {
  const t = new Trainer(config(env, extra));
  for (let k = 0; k < 4; k++) t.step();
  return t;
}

function config(env: string, extra: Partial<QMixConfig> = {}): QMixConfig {
  return resolveConfig(["test", {
    env, seed: 3, batchSizeRun: 3, batchSize: 2, bufferSize: 10, rnnHiddenDim: 8, mixingEmbedDim: 4, hypernetEmbed: 8,
    envArgs: env.startsWith("smaclite") ? { episodeLimit: 30 } : {}, ...extra,
  }]);
}

/** The buffer file as versions before packing wrote it: every slot padded to the episode limit, all as float32. */
function paddedFile(t: Trainer): Uint8Array {
  const buf = t.buffer, full = emptyBatch(buf.sizes, buf.capacity, buf.maxSteps);
  for (let i = 0; i < buf.size; i++) unpackEpisode(buf.layout, buf.slot(i), full, i);
  const f = (a: ArrayLike<number>) => ({ shape: [a.length], data: Float32Array.from(a) });
  const tensors = new Map([
    ["obs", f(full.obs)], ["avail_actions", f(full.availActions)], ["actions", f(full.actions)],
    ["reward", f(full.reward)], ["terminated", f(full.terminated)], ["filled", f(full.filled)],
  ]);
  if (!buf.layout.stateIsObs) tensors.set("state", f(full.state));
  return encodeSafetensors(tensors, { format: "qmix-ts-buffer", t_env: String(t.tEnv), episode: String(t.episode) });
}

const slots = (t: Trainer) => Array.from({ length: t.buffer.size }, (_, i) => Array.from(t.buffer.slot(i)));

describe("the replay buffer in a checkpoint", () => {
  for (const env of ["smaclite/3m", "simple_spread_v3"]) {
    it(`${env}: packed episodes come back byte for byte; a padded file from before packing restores the same slots`, () => {
      const a = trained(env), model = encodeModel(a, LOOP);
      expect(a.buffer.size).toBe(10);
      expect(a.buffer.cursor).toBe(2);
      for (const file of [encodeBuffer(a), paddedFile(a)]) {
        const b = new Trainer(config(env));
        restore(b, model, file);
        expect([b.buffer.size, b.buffer.cursor]).toEqual([10, 2]);
        expect(slots(b)).toEqual(slots(a));
        expect(b.buffer.bytes).toBe(a.buffer.bytes);
      }
    });
  }

  it("refuses a buffer packed for other sizes, naming both", () => {
    const a = trained("smaclite/3m"), b = trained("smaclite/3m", { obsTimestep: true });
    // a's episodes, labelled as b's buffer.
    const { bytes: raw, metadata } = decodeSafetensors(encodeBuffer(a));
    const file = encodeSafetensors(new Map([...raw].map(([k, v]) => [k, { shape: v.shape, chunks: [v.data] }])), { ...metadata, t_env: String(b.tEnv), episode: String(b.episode) });
    const c = new Trainer(config("smaclite/3m", { obsTimestep: true }));
    expect(() => restore(c, encodeModel(b, LOOP), file)).toThrow(CheckpointError);
    expect(() => restore(c, encodeModel(b, LOOP), file)).toThrow(/its episodes were packed for \{"nAgents":3,"obsDim":30,.*this run's buffer is \{"nAgents":3,"obsDim":31,/);
  });
});
