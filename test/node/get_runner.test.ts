// getRunner for Node: a XuanCe YAML config trains simple_spread_v3 into a
// run folder as `qmix train` writes it, isTest reads the team back from that
// folder, benchmark returns the best team's file, progress reaches the
// caller's hooks, and errors speak the API's words.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchmarkResult, RunSummary } from "../../src/xuance/get_runner.ts";
import type { EvalResult } from "../../src/train/trainer.ts";
import { getRunner } from "../../src/node/get_runner.ts";

const dir = mkdtempSync(join(tmpdir(), "qmix-get-runner-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const YAML = join(import.meta.dirname, "..", "fixtures", "xuance", "qmix_simple_spread_v3.yaml");

describe("getRunner (Node)", () => {
  it("trains simple_spread_v3 from a XuanCe YAML config into the run folder, then tests it", async () => {
    const out = join(dir, "spread");
    const runner = await getRunner({ method: "qmix", env: "mpe", envId: "simple_spread_v3", configPath: YAML, quiet: true, overrides: { out } });
    expect(runner.out).toBe(out);
    expect(runner.config).toMatchObject({ env: "simple_spread_v3", agent: "ff", rnnHiddenDim: 32, tMax: 300, batchSizeRun: 2, bufferSize: 100, batchSize: 4, learningStarts: 100 });
    expect(runner.notes.join("\n")).toMatch(/batch_size 100 transitions → batchSize 4 episodes/);
    const s = (await runner.run()) as RunSummary;
    expect(s.tEnv).toBe(300);
    for (const f of ["config.json", "metrics.jsonl", "model.safetensors", "buffer.safetensors", "best.safetensors", "curve.svg"]) expect(existsSync(join(out, f)), f).toBe(true);
    expect(existsSync(join(out, "train.lock"))).toBe(false);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.some((l) => typeof l.loss === "number")).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toMatchObject({ lr: 0.001, gamma: 0.95, mixingEmbedDim: 16 });

    const t = (await (await getRunner({ method: "qmix", env: "mpe", envId: "simple_spread_v3", configPath: YAML, isTest: true, quiet: true, overrides: { out } })).run()) as EvalResult;
    expect(t.episodes).toBe(2);
    expect(Number.isFinite(t.returnMean)).toBe(true);
  });

  it("benchmark on our preset returns the best team; a folder holding a run is refused", async () => {
    const out = join(dir, "two_step");
    const opts = { method: "qmix", env: "matrix", envId: "two_step", quiet: true, overrides: { out, tMax: 400, testInterval: 200 } } as const;
    // Progress reaches the caller's hooks (the progress line is for terminals only).
    let progressed = 0, evaluations = 0;
    const b = (await (await getRunner({ ...opts, hooks: { onProgress: () => progressed++, onEvaluate: () => evaluations++ } })).benchmark()) as BenchmarkResult;
    expect(b.best?.tEnv).toBeGreaterThan(0);
    expect(progressed).toBeGreaterThan(0);
    expect(evaluations).toBeGreaterThanOrEqual(3);
    expect(b.bestModel).toEqual(new Uint8Array(readFileSync(join(out, "best.safetensors"))));
    // The API's words, not the command line's flags.
    const again = (await getRunner(opts)).run();
    await expect(again).rejects.toThrow(/already holds a run \(model.safetensors\); use .* or overrides: \{ out: "another\/folder" \} to start another/);
    await expect(again).rejects.not.toThrow(/use --resume|--out to/);
    await expect((await getRunner({ ...opts, isTest: true, overrides: { out: join(dir, "empty") } })).run()).rejects.toThrow(/isTest: no saved team at/);
  });
});
