// XuanCe's config keys onto ours: each key mapped, converted with a note,
// ignored with a reason, or refused by name; its env names onto ours.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { ConfigError, resolveConfig } from "../../src/train/config.ts";
import { fromXuance, isXuanceConfig } from "../../src/xuance/xuance_config.ts";
import { envNameOf, mixerOf } from "../../src/xuance/xuance_envs.ts";
import { parseYaml } from "../../src/train/yaml.ts";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "xuance", "qmix_simple_spread_v3.yaml");
const fixture = () => parseYaml(readFileSync(FIXTURE, "utf8"), FIXTURE) as Record<string, never>;

function refusal(file: Record<string, unknown>, episodeLimit = 25): string {
  try {
    fromXuance(file as Record<string, never>, { episodeLimit, source: "my.yaml" });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("no error");
}

describe("fromXuance", () => {
  it("maps the fixture key by key onto a config resolveConfig accepts", () => {
    const m = fromXuance(fixture(), { episodeLimit: 25 });
    expect(m.method).toBe("qmix");
    expect(m.envName).toBe("mpe");
    expect(m.envId).toBe("simple_spread_v3");
    const c = resolveConfig(["xuance", m.config]);
    expect(c).toMatchObject({
      mixer: "qmix", agent: "ff", rnnHiddenDim: 32, mixingEmbedDim: 16, hypernetEmbed: 16, optimizer: "adam", lr: 0.001, gamma: 0.95,
      doubleQ: true, gradNormClip: 10, epsilonStart: 1, epsilonFinish: 0.05, epsilonAnnealTime: 500, seed: 3, tMax: 300, learningStarts: 100,
      testInterval: 150, testNEpisode: 2, batchSizeRun: 2, updatesPerBatch: 1, obsLastAction: false, obsAgentId: true,
      // transitions → episodes of 25 steps; updates → episodes
      bufferSize: 100, batchSize: 4, targetUpdateInterval: 20,
    });
    expect(m.notes.join("\n")).toMatch(/buffer_size 2500 transitions → bufferSize 100 episodes/);
    expect(m.ignored.map((i) => i.key).sort()).toEqual(["env_seed", "learner", "log_dir", "model_dir", "policy", "runner", "vectorize"]);
    for (const i of m.ignored) expect(i.reason.length).toBeGreaterThan(5);
  });

  it("a recurrent config keeps episode counts and the GRU width", () => {
    const m = fromXuance({ agent: "VDN", use_rnn: true, representation: "Basic_RNN", rnn: "GRU", fc_hidden_sizes: [48], recurrent_hidden_size: 48, q_hidden_size: [], buffer_size: 5000, batch_size: 32, parallels: 8, train_per_step: false, training_frequency: 1, sync_frequency: 200 } as never, { episodeLimit: 120 });
    expect(m.config).toMatchObject({ mixer: "vdn", agent: "rnn", rnnHiddenDim: 48, bufferSize: 5000, batchSize: 32, batchSizeRun: 8, updatesPerBatch: 1, targetUpdateInterval: 1600 });
    expect(m.ignored).toEqual([]);
    expect(fromXuance({ agent: "IQL" } as never, { episodeLimit: 25 }).config.mixer).toBe("none");
  });

  it("refuses what it cannot honour, naming every key", () => {
    const msg = refusal({ ...fixture(), q_hidden_size: [128], use_parameter_sharing: false, rnn: "LSTM", activation: "tanh", colour: "blue" });
    expect(msg).toMatch(/^my\.yaml: 5 keys this library cannot honour/);
    expect(msg).toMatch(/"q_hidden_size": \[128\] differs from representation_hidden_size \[32\]/);
    expect(msg).toMatch(/"use_parameter_sharing": false: our agents share one network/);
    expect(msg).toMatch(/"rnn": "LSTM"/);
    expect(msg).toMatch(/"activation": "tanh": our agents use ReLU/);
    expect(msg).toMatch(/"colour": not a XuanCe QMIX key this library knows/);
    expect(refusal({ agent: "MAPPO" })).toMatch(/"agent": "MAPPO" is not a method/);
    expect(refusal({ training_frequency: 7 })).toMatch(/"training_frequency": 7: .* must divide the episode limit \(25\)/);
    expect(refusal({ continuous_action: true })).toMatch(/"continuous_action"/);
    expect(refusal({ learning_rate: "fast" })).toMatch(/"learning_rate": must be a number, got "fast"/);
    expect(refusal({ use_rnn: true, q_hidden_size: [64] }, 120)).toMatch(/"q_hidden_size": \[64\]: our recurrent agent/);
  });

  it("tells XuanCe's files from ours", () => {
    expect(isXuanceConfig(fixture())).toBe(true);
    expect(isXuanceConfig({ agent: "QMIX" })).toBe(true);
    expect(isXuanceConfig({ agent: "rnn", lr: 0.001, gamma: 0.9 })).toBe(false);
    expect(isXuanceConfig({ mixer: "vdn", learning_rate: 0.01 })).toBe(true);
  });
});

describe("envNameOf and mixerOf", () => {
  it("maps XuanCe's families and ids onto our environments", () => {
    expect(envNameOf("mpe", "simple_spread_v3")).toBe("simple_spread_v3");
    expect(envNameOf("smaclite", "2s3z")).toBe("smaclite/2s3z");
    expect(envNameOf("smaclite", "MMM2")).toBe("smaclite/mmm2");
    expect(envNameOf("matrix", "two_step")).toBe("two_step");
    expect(envNameOf("two_step")).toBe("two_step");
    expect(mixerOf("iql")).toBe("none");
    expect(mixerOf("QMIX")).toBe("qmix");
  });
  it("names what is not here", () => {
    expect(() => envNameOf("sc2", "3m")).toThrow(/StarCraft II is not here; env "smaclite"/);
    expect(() => envNameOf("football", "3v1")).toThrow(/Football is not here/);
    expect(() => envNameOf("mpe", "simple_tag_v3")).toThrow(/envId: "simple_tag_v3" for env "mpe"; allowed: "simple_spread_v3"/);
    expect(() => envNameOf("smaclite", "no_such_map")).toThrow(/allowed: .*"2s3z"/);
    expect(() => envNameOf("nowhere")).toThrow(/neither a family we know .*registerEnv adds your own/);
    expect(() => mixerOf("mappo")).toThrow(/"mappo" is not one this library runs/);
  });
});
