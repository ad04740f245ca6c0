// The shipped pretrained QMIX teams for SMAClite (models/, the best weights
// of docs/results-smaclite.md's seed 0 runs on 2s3z and corridor) load
// without any training machinery and win most greedy battles on the port.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { makeEnv } from "../../src/envs/registry.ts";
import { wrapTimestep } from "../../src/envs/timestep.ts";
import { readConfig } from "../../src/train/checkpoint.ts";
import { DecentralisedPolicy } from "../../src/qmix/policy.ts";
import { ParallelRunner } from "../../src/train/runner.ts";
import { Rng } from "../../src/tensor/random.ts";

const MODELS = join(import.meta.dirname, "..", "..", "models");

describe.each([["2s3z", 20], ["corridor", 20]])("pretrained smaclite/%s team", (map, battles) => {
  it(`wins more than 80% of ${battles} greedy battles`, () => {
    const bytes = new Uint8Array(readFileSync(join(MODELS, `smaclite_${map}-qmix.safetensors`)));
    const config = readConfig(bytes);
    expect([config.env, config.mixer]).toEqual([`smaclite/${map}`, "qmix"]);
    const policy = DecentralisedPolicy.fromBytes(bytes);
    const env = wrapTimestep(makeEnv(config.env, { ...config.envArgs, seed: 1 }), config);
    const runner = new ParallelRunner([env], policy);
    const rng = new Rng(5);
    let won = 0;
    for (let k = 0; k < battles; k++) {
      const r = runner.run(0, rng, [9000 + k]);
      expect(r.won[0]).not.toBe(-1);
      won += r.won[0]!;
    }
    expect(won).toBeGreaterThan(0.8 * battles);
  });
});
