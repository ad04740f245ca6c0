// getRunner (portable): run trains on the preset and overrides, benchmark
// keeps the best team, isTest tests a saved one, the event loop keeps
// running while it trains, and XuanCe's names or options with no meaning
// here are errors that say so.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { type BenchmarkResult, getRunner, type GetRunnerOptions, type RunSummary, SHIPPED_PRESETS } from "../../src/xuance/get_runner.ts";
import type { EvalResult } from "../../src/train/trainer.ts";

const PRESETS = join(import.meta.dirname, "..", "..", "presets");
const loadPreset = (name: string) => {
  try {
    return JSON.parse(readFileSync(join(PRESETS, `${name}.json`), "utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
};
const base: GetRunnerOptions = { method: "qmix", env: "matrix", envId: "two_step", loadPreset, overrides: { tMax: 400, testInterval: 200 } };

describe("getRunner", () => {
  it("layers the preset, then overrides, and run() trains for tMax", async () => {
    const runner = await getRunner(base);
    expect(runner.config).toMatchObject({ env: "two_step", mixer: "qmix", agent: "ff", mixingEmbedDim: 8, tMax: 400, testInterval: 200 });
    const s = (await runner.run()) as RunSummary;
    expect(s.tEnv).toBe(400);
    expect(s.best?.tEnv).toBeGreaterThan(0);
    expect(s.final?.episodes).toBe(1);
  });

  it("benchmark() returns the best and final scores and the best team, which isTest then tests", async () => {
    const b = (await (await getRunner({ ...base, method: "vdn" })).benchmark()) as BenchmarkResult;
    expect(b.best).not.toBeNull();
    expect(b.final).not.toBeNull();
    expect(b.bestModel).toBeInstanceOf(Uint8Array);
    const t = (await (await getRunner({ ...base, method: "vdn", isTest: true, model: b.bestModel! })).run()) as EvalResult;
    expect(t.episodes).toBe(1);
    expect(t.returnMean).toBe(b.best!.returnMean); // the two-step game is deterministic under greedy play
    await expect((await getRunner({ ...base, isTest: true })).run()).rejects.toThrow(/isTest: give the team to test as `model`/);
  });

  it("iql is mixer none; smaclite + map and mpe + id name our environments", async () => {
    expect((await getRunner({ ...base, method: "iql" })).config.mixer).toBe("none");
    const s = await getRunner({ method: "qmix", env: "smaclite", envId: "2s3z", loadPreset });
    expect(s.config).toMatchObject({ env: "smaclite/2s3z", agent: "rnn", batchSize: 128 });
    expect((await getRunner({ method: "qmix", env: "mpe", envId: "simple_spread_v3", loadPreset })).config).toMatchObject({ env: "simple_spread_v3", agent: "ff", obsTimestep: true });
  });

  it("keeps the event loop running while it trains", async () => {
    const runner = await getRunner({ ...base, sliceMs: 0, overrides: { tMax: 200 } });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await runner.run();
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it("errors name what is wrong", async () => {
    await expect(getRunner({ ...base, method: "mappo" })).rejects.toThrow(/method: "mappo" is not one this library runs/);
    await expect(getRunner({ ...base, env: "sc2", envId: "3m" })).rejects.toThrow(/StarCraft II is not here; env "smaclite"/);
    await expect(getRunner({ ...base, env: "mpe", envId: "simple_tag_v3" })).rejects.toThrow(/envId: "simple_tag_v3"/);
    await expect(getRunner({ ...base, env_id: "two_step" } as never)).rejects.toThrow(/"env_id" is "envId" here/);
    await expect(getRunner({ ...base, parser_args: {} } as never)).rejects.toThrow(/"parser_args" has no meaning here/);
    await expect(getRunner({ ...base, overrides: { learningRate: 1 } })).rejects.toThrow(/overrides: unknown config key "learningRate"/);
    const readText = () => "lr: 0.01\nmixer: vdn\n";
    await expect(getRunner({ ...base, configPath: "mine.yaml", readText })).rejects.toThrow(/mine\.yaml: "mixer" is "vdn", the run was asked for "qmix"/);
    const bad = () => "agent: QMIX\nlearning_rate: 0.01\ncolour: blue\n";
    await expect(getRunner({ ...base, configPath: "x.yaml", readText: bad })).rejects.toThrow(/x\.yaml: a key this library cannot honour:\n {2}"colour"/);
    await expect(getRunner({ ...base, configPath: "x.txt", readText })).rejects.toThrow(/expected a \.json, \.yaml or \.yml file/);
  });

  it("knows the presets the package ships; without a loader it says how to read them", async () => {
    expect([...SHIPPED_PRESETS].sort()).toEqual(readdirSync(PRESETS).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort());
    // Node's fetch does not read file: URLs.
    await expect(getRunner({ method: "qmix", env: "matrix", envId: "two_step" })).rejects.toThrow(/preset two_step: could not fetch .*"qmix-ts\/node"/);
    // An environment with no preset needs no loader.
    expect((await getRunner({ method: "qmix", env: "matrix", envId: "matrix_game" })).config.env).toBe("matrix_game");
  });

  it("reads our keys from YAML over the preset", async () => {
    const readText = () => "# ours\nlr: 0.01\nenvArgs: {}\n";
    const r = await getRunner({ ...base, configPath: "ours.yml", readText });
    expect(r.config).toMatchObject({ lr: 0.01, mixingEmbedDim: 8, env: "two_step" });
  });
});
