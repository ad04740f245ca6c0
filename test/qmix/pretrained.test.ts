// The shipped pretrained QMIX team for simple_spread_v3 loads without any
// training machinery and plays clearly better than random on seeded episodes.

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

const MODEL = join(import.meta.dirname, "..", "..", "models", "simple_spread_v3-qmix.safetensors");

describe("pretrained simple_spread_v3 team", () => {
  it("loads as a decentralised policy and beats the random policy (about −29) by a wide margin", () => {
    const bytes = new Uint8Array(readFileSync(MODEL));
    expect(bytes.length).toBeLessThan(400_000);
    const config = readConfig(bytes);
    expect(config.env).toBe("simple_spread_v3");
    expect(config.mixer).toBe("qmix");
    const policy = DecentralisedPolicy.fromBytes(bytes);
    const env = wrapTimestep(makeEnv("simple_spread_v3", { seed: 1 }), config);
    const runner = new ParallelRunner([env], policy);
    const rng = new Rng(2);
    let total = 0;
    const episodes = 8;
    for (let k = 0; k < episodes; k++) total += runner.run(0, rng, [777 + k]).returns[0]!;
    expect(total / episodes).toBeGreaterThan(-16);
  });
});
