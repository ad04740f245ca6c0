// The command line as a user runs it: train writes every promised file,
// eval prints one JSON line, bad input names the key, and --resume
// continues a run to the same weights as an uninterrupted one.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeSafetensors } from "../../src/nn/safetensors.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const dir = mkdtempSync(join(tmpdir(), "qmix-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function qmix(...args: string[]) {
  const r = spawnSync(TSX, [join(ROOT, "src", "node", "cli.ts"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function weights(path: string): Map<string, Float32Array> {
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(path)));
  return new Map([...tensors].map(([k, v]) => [k, v.data]));
}

describe("qmix CLI", () => {
  it("train writes config, metrics, checkpoints, curve and the Q_tot table; eval prints one JSON line", () => {
    const out = join(dir, "two_step");
    const r = qmix("train", "--env", "two_step", "--steps", "600", "--out", out, "--quiet");
    expect(r.code, r.stderr).toBe(0);
    for (const f of ["config.json", "metrics.jsonl", "model.safetensors", "best.safetensors", "curve.svg", "qtot.json"]) expect(existsSync(join(out, f)), f).toBe(true);
    const lines = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    const last = lines[lines.length - 1]!;
    for (const k of ["t_env", "episode", "epsilon", "test_return_mean", "test_return_std"]) expect(last[k], k).toBeTypeOf("number");
    expect(lines.some((l) => typeof l.loss === "number")).toBe(true);
    const q = JSON.parse(readFileSync(join(out, "qtot.json"), "utf8")) as { states: Array<{ name: string; qtot: number[][] }> };
    expect(q.states.map((s) => s.name)).toEqual(["1", "2A", "2B"]);
    expect(readFileSync(join(out, "curve.svg"), "utf8")).toContain("<svg");

    const e = qmix("eval", "--checkpoint", out, "--episodes", "3", "--json");
    expect(e.code, e.stderr).toBe(0);
    const res = JSON.parse(e.stdout.trim()) as Record<string, number>;
    expect(Object.keys(res).sort()).toEqual(["checkpoint", "env", "episodes", "return_mean", "return_std", "trained_steps"]);
    expect(res.episodes).toBe(3);
    // the best weights are never the untrained network's
    expect(res.checkpoint).toBe(join(out, "best.safetensors") as unknown as number);
    expect(res.trained_steps).toBeGreaterThan(0);
  });

  it("--resume continues to the same weights as an uninterrupted run", () => {
    const full = join(dir, "full"), part = join(dir, "part");
    const args = ["--env", "two_step", "--seed", "3", "--set", "saveInterval=200"];
    expect(qmix("train", ...args, "--steps", "800", "--out", full, "--quiet").code).toBe(0);
    expect(qmix("train", ...args, "--steps", "400", "--out", part, "--quiet").code).toBe(0);
    const r = qmix("train", "--resume", "--steps", "800", "--out", part, "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const a = weights(join(full, "model.safetensors")), b = weights(join(part, "model.safetensors"));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(Buffer.from(b.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  });

  it("bad configuration names the key and what is allowed", () => {
    const r1 = qmix("train", "--env", "two_step", "--set", "lr=-1", "--out", join(dir, "bad1"));
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/"lr" must be a finite number in \[0, 10\], got -1/);
    const r2 = qmix("train", "--env", "two_step", "--set", "learning_rate=0.1", "--out", join(dir, "bad2"));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/unknown config key "learning_rate". Did you mean "lr"\? Allowed keys: env, /);
    const r3 = qmix("train", "--env", "two_step", "--mixer", "qmixx", "--out", join(dir, "bad3"));
    expect(r3.stderr).toMatch(/"mixer" must be one of "qmix", "vdn", "none", got "qmixx"/);
    const r4 = qmix("train", "--env", "nope", "--out", join(dir, "bad4"));
    expect(r4.code).not.toBe(0);
    expect(r4.stderr).toMatch(/unknown environment "nope"/);
  });

  it("Ctrl-C (SIGINT) stops training, saves a checkpoint and exits with 130", async () => {
    const out = join(dir, "sigint");
    // node --import tsx, as `npm run qmix` runs it: the tsx launcher would stand between the signal and the trainer.
    const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "node", "cli.ts"), "train", "--env", "simple_spread_v3", "--steps", "10000000", "--out", out, "--quiet",
      "--set", "rnnHiddenDim=16", "--set", "mixingEmbedDim=8", "--set", "hypernetEmbed=16", "--set", "batchSize=4", "--set", "bufferSize=20"], { cwd: ROOT });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    // Wait until training is under way (the first metrics line is the t = 0 evaluation).
    for (let k = 0; k < 200 && !(existsSync(join(out, "metrics.jsonl")) && readFileSync(join(out, "metrics.jsonl"), "utf8").length > 0); k++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    expect(code, stderr).toBe(130);
    expect(existsSync(join(out, "model.safetensors"))).toBe(true);
    const { metadata } = decodeSafetensors(new Uint8Array(readFileSync(join(out, "model.safetensors"))));
    expect((JSON.parse(metadata.counters!) as { tEnv: number }).tEnv).toBeGreaterThan(0);
  });

  it("envs lists the registered environments with the sizes training uses, and the bare ones where the preset changes them", () => {
    const r = qmix("envs");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/simple_spread_v3\s+agents 3, actions 5, obs 19, state 57, limit 25 \(with its preset's t\/limit clock; obs 18, state 54 without\)/);
    expect(r.stdout).toMatch(/two_step\s+agents 2, actions 2, obs 4, state 4, limit 2/);
  });
});
