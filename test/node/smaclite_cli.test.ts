// SMAClite from the command line: a map file of one's own through
// --set envArgs.mapFile, pymarl's test_battle_won_mean on evaluation lines,
// eval's win_rate, the training step it names, the text rendering, and
// --env refusing an environment of other sizes.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { STANDARD_MAPS } from "../../src/envs/index.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const dir = mkdtempSync(join(tmpdir(), "qmix-smaclite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function qmix(...args: string[]) {
  const r = spawnSync(TSX, [join(ROOT, "src", "node", "cli.ts"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const small = ["--set", "batchSizeRun=2", "--set", "batchSize=4", "--set", "bufferSize=8", "--set", "rnnHiddenDim=16", "--set", "testInterval=300", "--set", "testNEpisode=2", "--set", "learnerThreads=1", "--set", "logInterval=300", "--quiet"];

describe("smaclite on the command line", () => {
  it("trains on a map file, logs test_battle_won_mean, evaluates with win_rate, renders", () => {
    const mapPath = join(dir, "my_2m.json");
    writeFileSync(mapPath, JSON.stringify({ ...STANDARD_MAPS["3m"], name: "my_2m", num_allied_units: 2, num_enemy_units: 2, groups: [
      { x: 9, y: 16, faction: "ALLY", units: { MARINE: 2 } }, { x: 23, y: 16, faction: "ENEMY", units: { MARINE: 2 } },
    ] }));
    const out = join(dir, "run");
    const r = qmix("train", "--env", "smaclite", "--set", `envArgs.mapFile=${mapPath}`, "--steps", "900", "--out", out, ...small);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    const tests = lines.filter((l) => l.test_return_mean !== undefined);
    expect(tests.length).toBeGreaterThan(1);
    for (const l of tests) expect(l.test_battle_won_mean, JSON.stringify(l)).toBeTypeOf("number");

    const e = qmix("eval", "--checkpoint", out, "--episodes", "3", "--json");
    expect(e.code, e.stderr).toBe(0);
    const res = JSON.parse(e.stdout.trim()) as Record<string, unknown>;
    expect(res.win_rate).toBeTypeOf("number");
    expect(res.trained_steps).toBeGreaterThan(0);
    expect(res.env).toBe("smaclite");

    const text = qmix("eval", "--checkpoint", out, "--episodes", "1", "--render");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/my_2m {2}step 0 {2}agents 2\/2 {2}enemies 2\/2/);
    expect(text.stdout).toMatch(/agent 1 M \(/);

    const other = qmix("eval", "--checkpoint", out, "--episodes", "1", "--env", "smaclite/3m");
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/--env smaclite\/3m: its sizes \(3 agents, obs 30, 9 actions\) differ from those the team .* was trained on \(2 agents, obs 20, 8 actions, on smaclite\)/);
    expect(other.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("a bad map file is named, without a stack trace", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ ...STANDARD_MAPS["3m"], attack_point: "north" }));
    const r = qmix("train", "--env", "smaclite", "--set", `envArgs.mapFile=${bad}`, "--steps", "10", "--out", join(dir, "bad"), "--quiet");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/smaclite map "3m": attack_point: must be \[x, y\], got "north"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = qmix("train", "--env", "smaclite", "--set", "envArgs.mapFile=/nonexistent.json", "--steps", "10", "--out", join(dir, "bad2"), "--quiet");
    expect(missing.stderr).toMatch(/envArgs.mapFile: \/nonexistent.json does not exist/);
  });
});
