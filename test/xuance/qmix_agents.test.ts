// QMixAgents: the agents you drive yourself train as Trainer does, save and
// load through their store, and refuse to work after finish().

import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { resolveConfig } from "../../src/train/config.ts";
import { trainLoop } from "../../src/train/loop.ts";
import { makeEnvs, MemoryStore, QMixAgents } from "../../src/xuance/qmix_agents.ts";
import { Trainer } from "../../src/train/trainer.ts";

const config = resolveConfig(["test", {
  env: "two_step", agent: "ff", obsLastAction: false, mixingEmbedDim: 8, hypernetLayers: 1, epsilonFinish: 1,
  bufferSize: 100, batchSize: 8, batchSizeRun: 2, targetUpdateInterval: 20, tMax: 200, testInterval: 100, testNEpisode: 2, logInterval: 100,
}]);

describe("QMixAgents", () => {
  it("makeEnvs + QMixAgents.train equals Trainer + trainLoop", async () => {
    const agents = new QMixAgents(config, makeEnvs(config));
    expect(agents.trainer.envs).toHaveLength(2);
    const s = await agents.train(config.tMax / config.batchSizeRun);
    expect(s.tEnv).toBe(200);
    const ref = new Trainer(config);
    trainLoop(ref);
    const w = ref.weights();
    for (const [k, v] of agents.trainer.weights()) expect(Array.from(v), k).toEqual(Array.from(w.get(k)!));
    expect(s.best?.tEnv).toBe(ref.best?.tEnv);
    agents.finish();
  });

  it("trains in installments, tests, saves and loads", async () => {
    const store = new MemoryStore();
    const a = new QMixAgents(config, makeEnvs(config), { store });
    await a.train(40);
    await a.train(40);
    expect(a.trainer.tEnv).toBe(160);
    expect(a.test(3).episodes).toBe(3);
    await a.saveModel("final.safetensors");
    const b = new QMixAgents(config, makeEnvs(config), { store });
    await b.loadModel("final.safetensors");
    expect(b.trainer.tEnv).toBe(160);
    for (const [k, v] of a.trainer.weights()) expect(Array.from(b.trainer.weights().get(k)!), k).toEqual(Array.from(v));
    const best = a.bestModelBytes();
    expect(best).not.toBeNull();
    const c = new QMixAgents(config, makeEnvs(config));
    c.loadModelBytes(best!);
    for (const [k, v] of a.trainer.best!.weights) expect(Array.from(c.trainer.weights().get(k)!), k).toEqual(Array.from(v));
    await expect(b.loadModel("missing.safetensors")).rejects.toThrow(/no model saved at "missing.safetensors"/);
    a.finish();
    await expect(a.train(1)).rejects.toThrow(/finish\(\) was called/);
  });

  it("needs batchSizeRun environments", () => {
    expect(() => new QMixAgents(config, makeEnvs({ ...config, batchSizeRun: 1 }))).toThrow(/got 1 environments for batchSizeRun 2/);
  });
});
