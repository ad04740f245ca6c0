// bridges/python/smaclite_env.py, SMAClite behind the process bridge, tested
// against a stand-in (test/fixtures/fake_smaclite: SMAClite's interface, not
// its battles) so CI needs no SMAClite: SMAC's time limit as truncation,
// battle_won in the info, a print at construction kept off the protocol,
// bad options named; and `qmix eval --env` playing a team on it.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEnvWithProcess } from "../../src/node/process_env.ts";
import { ParallelRunner } from "../../src/train/runner.ts";
import { DecentralisedPolicy } from "../../src/qmix/policy.ts";
import { Rng } from "../../src/tensor/random.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const ADAPTER = join(ROOT, "bridges", "python", "smaclite_env.py");
const FAKE = join(ROOT, "test", "fixtures", "fake_smaclite");
const HAS_PYTHON = spawnSync("python3", ["--version"]).status === 0;
const dir = mkdtempSync(join(tmpdir(), "qmix-smaclite-bridge-"));
let saved: string | undefined;
beforeAll(() => {
  saved = process.env.SMACLITE_PATH;
  process.env.SMACLITE_PATH = FAKE; // children inherit it
});
afterAll(() => {
  if (saved === undefined) delete process.env.SMACLITE_PATH;
  else process.env.SMACLITE_PATH = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAS_PYTHON)("smaclite_env.py", () => {
  it("serves SMAClite's interface with SMAC's time limit and battle_won", () => {
    const env = makeEnvWithProcess(`process:python3 ${ADAPTER} --map 2s3z --episode_limit 4`, { seed: 3, stderr: "capture" });
    try {
      expect([env.nAgents, env.obsDim, env.stateDim, env.nActions, env.episodeLimit]).toEqual([5, 9, 15, 11, 4]);
      env.reset(1);
      let r = env.step([1, 1, 1, 1, 1]);
      expect(r).toMatchObject({ terminated: false, truncated: false, info: { battle_won: false } });
      for (let t = 1; t < 4; t++) r = env.step([1, 1, 1, 1, 1]);
      expect(r).toMatchObject({ terminated: false, truncated: true });
      env.reset(2);
      env.step([6, 6, 6, 6, 6]);
      env.step([6, 6, 6, 6, 6]);
      r = env.step([6, 6, 6, 6, 6]);
      expect(r).toMatchObject({ terminated: true, truncated: false, info: { battle_won: true, dead_enemies: 5 } });
      // the runner reads the win from the last step's info
      const policy = DecentralisedPolicy.create({ agent: "ff", hidden: 8, nAgents: 5, obsDim: 9, nActions: 11, inputs: { lastAction: false, agentId: false } });
      const res = new ParallelRunner([env], policy).run(1, new Rng(0), [5]);
      expect([0, 1]).toContain(res.won[0]);
    } finally {
      env.close?.();
    }
  });

  it("names a bad map and unknown options", () => {
    expect(() => makeEnvWithProcess(`process:python3 ${ADAPTER} --map 9z`, { stderr: "capture" })).toThrow(/unknown map '9z'; SMAClite's maps: 2s3z, mmm/);
    expect(() => makeEnvWithProcess(`process:python3 ${ADAPTER} --map 2s3z --colour red`, { stderr: "capture" })).toThrow(/unknown options \['colour'\]/);
  });

  it("qmix eval --env plays a trained team on it and reports win_rate", () => {
    const out = join(dir, "run");
    const cmd = `process:python3 ${ADAPTER} --map 2s3z --episode_limit 6`;
    const tsx = join(ROOT, "node_modules", ".bin", "tsx"), cli = join(ROOT, "src", "node", "cli.ts");
    const run = (...a: string[]) => spawnSync(tsx, [cli, ...a], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    const t = run("train", "--env", cmd, "--steps", "120", "--set", "agent=ff", "--set", "batchSize=2", "--set", "bufferSize=4", "--set", "testInterval=60", "--set", "testNEpisode=1", "--out", out, "--quiet");
    expect(t.status, t.stderr).toBe(0);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.some((l) => typeof l.test_battle_won_mean === "number")).toBe(true);
    const e = run("eval", "--checkpoint", out, "--episodes", "2", "--env", `process:python3 ${ADAPTER} --map 2s3z --episode_limit 8`, "--json");
    expect(e.status, e.stderr).toBe(0);
    const res = JSON.parse(e.stdout.trim()) as Record<string, unknown>;
    expect(res).toMatchObject({ episodes: 2, env: `process:python3 ${ADAPTER} --map 2s3z --episode_limit 8` });
    expect(res.win_rate).toBeTypeOf("number");
    const bad = run("eval", "--checkpoint", out, "--episodes", "1", "--env", `process:python3 ${ADAPTER} --map mmm`);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/its sizes \(10 agents, obs 14, 16 actions\) differ from those the team .* was trained on \(5 agents, obs 9, 11 actions/);
  });
});
