// The promises of docs/reliability.md, each with a test that fails when it is broken:
//   - reproducible: the same seed and config give the same bytes in every
//     file and the same metrics (but wall-clock speed); eval with a seed too;
//   - resumable: SIGKILL at random moments and inside each window of a
//     checkpoint save leaves a loadable checkpoint, and --resume reaches the
//     bytes of an uninterrupted run; a buffer from another moment is refused
//     (and, relabelled with the model's t_env, for its count of episodes);
//   - a full disk, a file size limit, a folder turned read-only or a path
//     through a file: a clear error, the previous checkpoint byte-identical;
//   - hostile configuration (NaN, Infinity, negative sizes, wrong types) via
//     --set, --config and flags: exit code 2 and the key named;
//   - numerical: an overflow inside the network stops training naming the
//     loss, a non-finite gradient names the parameter, the checkpoint stays;
//     misbehaving environments are caught at the boundary.
// The CLI runs as the user runs it (a child process) where signals, exit
// codes or the file system are the point, and in-process (main()) elsewhere.

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { gradOf, record } from "../../src/autograd/tape.ts";
import type { MultiAgentEnv } from "../../src/envs/env.ts";
import { registerEnv } from "../../src/envs/index.ts";
import { type NamedArray, type NamedBytes, decodeSafetensors, encodeSafetensors } from "../../src/nn/safetensors.ts";
import { runMain } from "../util/run_main.ts";
import { BUFFER_FILE, LOCK_FILE, MODEL_FILE, NEXT_BUFFER_FILE, loadCheckpoint } from "../../src/node/files.ts";
import { readConfig, restore } from "../../src/train/checkpoint.ts";
import { resolveConfig } from "../../src/train/config.ts";
import type { QMixer } from "../../src/qmix/mixers.ts";
import { EnvError } from "../../src/train/runner.ts";
import { Trainer } from "../../src/train/trainer.ts";
import { Rng } from "../../src/tensor/random.ts";
import { Tensor } from "../../src/tensor/tensor.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "src", "node", "cli.ts");
// node --import tsx, not the tsx wrapper: one process, so SIGKILL reaches the one that writes.
const NODE = [process.execPath, "--import", "tsx", CLI] as const;
const dir = mkdtempSync(join(tmpdir(), "qmix-reliability-"));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync("umount", ["-l", m]);
  rmSync(dir, { recursive: true, force: true });
});

// simple_spread_v3 with small networks: ~8,000 steps/s, a checkpoint every 500 steps
// (aligned with the metrics, so a resumed run's metrics lines equal an uninterrupted run's).
const SMALL = [
  "--env", "simple_spread_v3", "--seed", "11", "--quiet",
  "--set", "batchSize=4", "--set", "bufferSize=50", "--set", "rnnHiddenDim=16", "--set", "mixingEmbedDim=8", "--set", "hypernetEmbed=16",
  "--set", "testInterval=1000", "--set", "testNEpisode=2", "--set", "logInterval=500", "--set", "saveInterval=500",
  // One environment, one update per episode: checkpoints land every 500 steps whatever the preset says.
  "--set", "batchSizeRun=1", "--set", "updatesPerBatch=1",
];
const T = 2000;

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function qmix(args: string[], env: Record<string, string> = {}, wrap: string[] = []): Run {
  const cmd = [...wrap, ...NODE];
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI and SIGKILLs it when `killOn` says so for a stderr line, or `delayMs` after `file` appears. */
function qmixKilled(args: string[], how: { env?: Record<string, string>; killOn?: (line: string) => boolean; file?: string; delayMs?: number }): Promise<Run> {
  return new Promise((done) => {
    const child: ChildProcess = spawn(NODE[0], [...NODE.slice(1), ...args], { cwd: ROOT, env: { ...process.env, ...how.env } });
    let stdout = "", stderr = "", pending = "";
    const kill = () => child.kill("SIGKILL");
    child.stdout!.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      if (how.killOn && lines.some(how.killOn)) kill();
    });
    let poll: NodeJS.Timeout | undefined;
    if (how.file) {
      poll = setInterval(() => {
        if (!existsSync(how.file!)) return;
        clearInterval(poll);
        setTimeout(kill, how.delayMs ?? 0);
      }, 5);
    }
    child.on("exit", (code, signal) => { clearInterval(poll); done({ code, signal, stdout, stderr }); });
  });
}

/** The k-th stderr marker of the test hook for `file`: the process sleeps right after printing it, before the rename. */
function nth(file: string, k: number): (line: string) => boolean {
  let seen = 0;
  return (line) => line === `qmix-test: committing ${file}` && ++seen === k;
}

const bytes = (path: string) => readFileSync(path);
function metricsWithoutClock(runDir: string): Array<Record<string, unknown>> {
  return readFileSync(join(runDir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => {
    const m = JSON.parse(l) as Record<string, unknown>;
    delete m.steps_per_sec; // wall clock: the only fields allowed to differ
    delete m.wall_s;
    return m;
  });
}
const counters = (model: Uint8Array) => JSON.parse(decodeSafetensors(model).metadata.counters!) as { tEnv: number; episode: number };
const tensorsOf = (path: string) => new Map([...decodeSafetensors(new Uint8Array(bytes(path))).tensors].map(([k, v]) => [k, Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength)]));
const leftovers = (runDir: string) => readdirSync(runDir).filter((f) => f.endsWith(".tmp"));

/** Loads a run folder's checkpoint as --resume would (on a copy, so the CLI later sees the folder as the kill left it). */
function loadCopy(runDir: string): Trainer {
  const copy = `${runDir}-copy`;
  cpSync(runDir, copy, { recursive: true });
  const { model, buffer } = loadCheckpoint(copy);
  const trainer = new Trainer(readConfig(model));
  restore(trainer, model, buffer);
  return trainer;
}

// The uninterrupted run every resumed run must reproduce.
const REF = join(dir, "ref");
let refDone = false;
function reference(): string {
  if (!refDone) {
    const r = qmix(["train", ...SMALL, "--steps", String(T), "--out", REF]);
    expect(r.code, r.stderr).toBe(0);
    refDone = true;
  }
  return REF;
}

/**
 * Same bytes as the reference run. `extended`: the run was stopped and resumed with a larger --steps, so a
 * best.safetensors written before the extension records the old step budget in its config; its weights must match.
 */
function expectSameRun(runDir: string, ref: string, extended = false): void {
  for (const f of [MODEL_FILE, BUFFER_FILE]) expect(bytes(join(runDir, f)).equals(bytes(join(ref, f))), f).toBe(true);
  const best = "best.safetensors";
  if (!extended) expect(bytes(join(runDir, best)).equals(bytes(join(ref, best))), best).toBe(true);
  else for (const [k, v] of tensorsOf(join(ref, best))) expect(tensorsOf(join(runDir, best)).get(k)!.equals(v), `${best} ${k}`).toBe(true);
  expect(metricsWithoutClock(runDir)).toEqual(metricsWithoutClock(ref));
  expect(leftovers(runDir)).toEqual([]);
}

describe("reproducible", () => {
  it("the same seed and config give byte-identical files and identical metrics; another seed does not", () => {
    const a = reference(), b = join(dir, "repro-b"), c = join(dir, "repro-c");
    expect(qmix(["train", ...SMALL, "--steps", String(T), "--out", b]).code).toBe(0);
    for (const f of readdirSync(a)) {
      if (f === "metrics.jsonl") continue;
      expect(bytes(join(b, f)).equals(bytes(join(a, f))), f).toBe(true); // model, buffer, best, config, curve
    }
    expect(metricsWithoutClock(b)).toEqual(metricsWithoutClock(a));
    // The comparison can fail: seed 12 differs in the weights.
    expect(qmix(["train", ...SMALL, "--seed", "12", "--steps", "500", "--out", c]).code).toBe(0);
    expect(tensorsOf(join(c, MODEL_FILE)).get("agent.fc1.weight")!.equals(tensorsOf(join(a, MODEL_FILE)).get("agent.fc1.weight")!)).toBe(false);
  });

  it("eval with a given seed prints the same result every time, and another seed another one", () => {
    const ref = reference();
    const ev = (seed: string) => qmix(["eval", "--checkpoint", join(ref, MODEL_FILE), "--episodes", "4", "--seed", seed, "--json"]);
    const [x, y, z] = [ev("5"), ev("5"), ev("6")];
    expect(x.code, x.stderr).toBe(0);
    expect(y.stdout).toBe(x.stdout);
    expect(z.stdout).not.toBe(x.stdout);
  });
});

describe("resumable after SIGKILL", () => {
  // Each save is three renames: buffer.next (new buffer beside the old), model (the commit), buffer.next → buffer.
  // Kill just before each of them during the 3rd save (t_env 1500 of 2000); the kept checkpoint is the 2nd or the 3rd.
  const windows: Array<[string, string, number]> = [
    ["before the new buffer is complete", NEXT_BUFFER_FILE, 1000],
    ["between the new buffer and the model (the model is older than the newest buffer)", MODEL_FILE, 1000],
    ["after the model, before the new buffer replaces the old", BUFFER_FILE, 1500],
  ];
  it.each(windows)("killed %s: the checkpoint loads and --resume reaches the uninterrupted run's bytes", async (_name, file, keptT) => {
    const ref = reference(), d = join(dir, `kill-${file}`);
    const r = await qmixKilled(["train", ...SMALL, "--steps", String(T), "--out", d], { env: { QMIX_TEST_SLOW_WRITE_MS: "60" }, killOn: nth(file, 3) });
    expect(r.signal, r.stderr).toBe("SIGKILL");
    expect(loadCopy(d).tEnv).toBe(keptT);
    const resumed = qmix(["train", "--resume", "--out", d, "--quiet"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expectSameRun(d, ref);
  });

  it("killed at random moments (seeded), three times: the same", async () => {
    const ref = reference(), rng = new Rng(2024);
    for (let k = 0; k < 3; k++) {
      const d = join(dir, `random-${k}`), delayMs = Math.round(rng.uniform(0, 250));
      // A short pause before each rename stretches the saves, so random kills also land inside them.
      const r = await qmixKilled(["train", ...SMALL, "--steps", String(T), "--out", d], { env: { QMIX_TEST_SLOW_WRITE_MS: "25" }, file: join(d, MODEL_FILE), delayMs });
      expect(r.signal, `kill ${k} after ${delayMs} ms came too late: ${r.stderr}`).toBe("SIGKILL");
      const kept = loadCopy(d).tEnv;
      expect(kept % 500, `checkpoint at t_env ${kept}`).toBe(0);
      const resumed = qmix(["train", "--resume", "--out", d, "--quiet"]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expectSameRun(d, ref);
    }
  });

  it("a buffer from another moment is refused, naming both t_env; relabelled, it is refused for its count of episodes", async () => {
    const ref = reference(), d = join(dir, "mismatch");
    const r = await qmixKilled(["train", ...SMALL, "--steps", String(T), "--out", d], { env: { QMIX_TEST_SLOW_WRITE_MS: "60" }, killOn: nth(MODEL_FILE, 3) });
    expect(r.signal).toBe("SIGKILL");
    // What the old order (buffer, then model, in place) left after this kill: the t_env 1500 buffer beside the t_env 1000 model.
    const newer = new Uint8Array(bytes(join(d, NEXT_BUFFER_FILE)));
    writeFileSync(join(d, BUFFER_FILE), newer);
    rmSync(join(d, NEXT_BUFFER_FILE));
    const refused = qmix(["train", "--resume", "--out", d, "--quiet"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no replay buffer belongs to model\.safetensors \(buffer\.safetensors: the buffer was saved at t_env 1500, episode 60; the model at t_env 1000, episode 40\)/);

    // Relabelled with the model's t_env, the newer buffer still does not pass: it holds another count of episodes.
    const { tensors, bytes: raw, metadata } = decodeSafetensors(newer);
    const all = new Map<string, NamedArray | NamedBytes>([...tensors, ...[...raw].map(([k, v]) => [k, { shape: v.shape, chunks: [v.data] }] as const)]);
    writeFileSync(join(d, BUFFER_FILE), encodeSafetensors(all, { ...metadata, t_env: "1000", episode: "40" }));
    const relabelled = qmix(["train", "--resume", "--out", d, "--quiet"]);
    expect(relabelled.code).toBe(1);
    expect(relabelled.stderr).toMatch(/checkpoint buffer: "episodes" and "episode_bytes" for 40 episodes are missing or of the wrong size/);
  });

  it("a second training in the same folder is refused, naming the first's pid; a lock left by a dead process is taken over", () => {
    const d = join(dir, "locked");
    mkdirSync(d, { recursive: true });
    // A live process (this one) holds the folder.
    writeFileSync(join(d, LOCK_FILE), `${process.pid}\n`);
    const refused = qmix(["train", ...SMALL, "--steps", "500", "--out", d]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`locked is in use by another training process \\(pid ${process.pid}\\)`));
    expect(existsSync(join(d, MODEL_FILE))).toBe(false);
    // The pid of a process that has exited.
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    writeFileSync(join(d, LOCK_FILE), `${gone}\n`);
    const ran = qmix(["train", ...SMALL, "--steps", "500", "--out", d]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
  });

  it("a partial last line in metrics.jsonl (killed during an append) and stale temporary files are cleaned up on resume", () => {
    const ref = reference(), d = join(dir, "partial");
    expect(qmix(["train", ...SMALL, "--steps", "1000", "--out", d]).code).toBe(0);
    writeFileSync(join(d, "metrics.jsonl"), readFileSync(join(d, "metrics.jsonl"), "utf8") + '{"t_env":1025,"epis');
    writeFileSync(join(d, `${MODEL_FILE}.99999.tmp`), "half a file");
    const r = qmix(["train", "--resume", "--steps", String(T), "--out", d, "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    expectSameRun(d, ref, true);
  });
});

describe("write failures keep the previous checkpoint", () => {
  const isRoot = process.getuid?.() === 0;
  const canMount = isRoot && process.platform === "linux" && (() => {
    const m = join(dir, "probe");
    mkdirSync(m);
    const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", m]).status === 0;
    if (ok) spawnSync("umount", [m]);
    return ok;
  })();

  /** A run stopped cleanly at t_env 1000, and the bytes of its checkpoint. */
  function started(d: string): Map<string, Buffer> {
    const r = qmix(["train", ...SMALL, "--steps", "1000", "--out", d]);
    expect(r.code, r.stderr).toBe(0);
    return new Map([MODEL_FILE, BUFFER_FILE].map((f) => [f, bytes(join(d, f))]));
  }
  function expectUnchanged(d: string, before: Map<string, Buffer>): void {
    for (const [f, b] of before) expect(bytes(join(d, f)).equals(b), `${f} changed`).toBe(true);
    const { model, buffer } = loadCheckpoint(d);
    expect(counters(model).tEnv).toBe(1000);
    restore(new Trainer(readConfig(model)), model, buffer);
  }
  function tmpfs(d: string, size: number): void {
    mkdirSync(d, { recursive: true });
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", d]).status).toBe(0);
    mounts.push(d);
  }

  it("a file size limit (ulimit -f, EFBIG) fails the save with a clear error; after it, --resume reaches the uninterrupted run", () => {
    const ref = reference(), d = join(dir, "efbig");
    const before = started(d);
    // 300 blocks (150 or 300 KB, by shell): above the 71 KB model, below the 671 KB buffer.
    const r = qmix(["train", "--resume", "--steps", String(T), "--out", d, "--quiet"], {}, ["sh", "-c", 'ulimit -f 300 && exec "$0" "$@"']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not save the checkpoint in .*efbig: the file is larger than this process or file system allows; the previous checkpoint \(model\.safetensors with its buffer\.safetensors\) is unchanged/);
    expect(leftovers(d)).toEqual([]);
    expectUnchanged(d, before);
    const again = qmix(["train", "--resume", "--steps", String(T), "--out", d, "--quiet"]);
    expect(again.code, again.stderr).toBe(0);
    expectSameRun(d, ref, true);
  });

  it.skipIf(!canMount)("a full disk (a small tmpfs, filled) fails the save with 'the disk is full'; freed, --resume reaches the uninterrupted run", () => {
    const ref = reference(), d = join(dir, "full");
    tmpfs(d, 4 << 20);
    const before = started(d);
    // Leave ~200 KB: enough for config.json and metrics, not for the new 671 KB buffer.
    const free = statfsSync(d).bavail * statfsSync(d).bsize;
    writeFileSync(join(d, "filler"), Buffer.alloc(Math.max(0, free - 200_000)));
    const r = qmix(["train", "--resume", "--steps", String(T), "--out", d, "--quiet"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not save the checkpoint in .*full: the disk is full; the previous checkpoint \(model\.safetensors with its buffer\.safetensors\) is unchanged/);
    rmSync(join(d, "filler"));
    expect(leftovers(d)).toEqual([]);
    expectUnchanged(d, before);
    const again = qmix(["train", "--resume", "--steps", String(T), "--out", d, "--quiet"]);
    expect(again.code, again.stderr).toBe(0);
    expectSameRun(d, ref, true);
  });

  it.skipIf(!canMount)("a folder turned read-only in the middle of a save (remount ro, EROFS): a clear error; writable again, --resume reaches the uninterrupted run", async () => {
    const ref = reference(), d = join(dir, "readonly");
    tmpfs(d, 8 << 20);
    const before = started(d);
    let remounted = false;
    const r = await qmixKilled(["train", "--resume", "--steps", String(T), "--out", d, "--quiet"], {
      env: { QMIX_TEST_SLOW_WRITE_MS: "300" },
      // While the process waits to rename the new buffer into place, the folder becomes read-only.
      killOn: (line) => {
        if (line === `qmix-test: committing ${NEXT_BUFFER_FILE}` && !remounted) {
          remounted = spawnSync("mount", ["-o", "remount,ro", d]).status === 0;
        }
        return false;
      },
    });
    expect(remounted).toBe(true);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/could not save the checkpoint in .*readonly: the folder is not writable \(EROFS\); the previous checkpoint \(model\.safetensors with its buffer\.safetensors\) is unchanged/);
    for (const [f, b] of before) expect(bytes(join(d, f)).equals(b), `${f} changed`).toBe(true);
    // Read-only, even --resume cannot start: it says why instead of training and failing later.
    const ro = qmix(["train", "--resume", "--steps", String(T), "--out", d, "--quiet"]);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toMatch(/not writable \(EROFS\)/);
    expect(spawnSync("mount", ["-o", "remount,rw", d]).status).toBe(0);
    expectUnchanged(d, before);
    const again = qmix(["train", "--resume", "--steps", String(T), "--out", d, "--quiet"]);
    expect(again.code, again.stderr).toBe(0);
    expectSameRun(d, ref, true);
  });

  it.skipIf(isRoot)("a read-only folder (chmod 555, for a non-root user): a clear error and the checkpoint unchanged", () => {
    const d = join(dir, "chmod");
    const before = started(d);
    spawnSync("chmod", ["555", d]);
    try {
      const r = qmix(["train", "--resume", "--steps", String(T), "--out", d, "--quiet"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/the folder is not writable \(EACCES\)/);
      for (const [f, b] of before) expect(bytes(join(d, f)).equals(b), `${f} changed`).toBe(true);
    } finally {
      spawnSync("chmod", ["755", d]);
    }
  });

  it("an output path through a regular file (ENOTDIR; refuses even root) is a clear error", () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    const r = qmix(["train", ...SMALL, "--steps", "100", "--out", join(file, "run")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not create the output folder .*a-file\/run: a part of the path is a file, not a folder/);
  });
});

describe("hostile configuration: exit code 2 and the key named", () => {
  const train = (...extra: string[]) => runMain(["train", "--env", "two_step", "--out", join(dir, "never"), ...extra]);
  const sets: Array<[string, string]> = [
    ["lr=NaN", "lr"], ["lr=Infinity", "lr"], ["lr=-Infinity", "lr"], ["lr=1e999", "lr"], ["lr=", "lr"], ["gradNormClip=NaN", "gradNormClip"],
    ["gamma=-0.5", "gamma"], ["gamma=1.5", "gamma"], ["gamma=[0.9]", "gamma"], ["bufferSize=-5", "bufferSize"], ["batchSize=0", "batchSize"],
    ["batchSize=1000", "batchSize"], ["rnnHiddenDim=1.5", "rnnHiddenDim"], ['rnnHiddenDim="16"', "rnnHiddenDim"], ["rnnHiddenDim=1e9", "rnnHiddenDim"],
    ["batchSizeRun=true", "batchSizeRun"], ["testNEpisode=null", "testNEpisode"], ["tMax=1e400", "tMax"], ["epsilonAnnealTime=-1", "epsilonAnnealTime"],
    ["seed=-1", "seed"], ["seed=4294967296", "seed"], ["envArgs=[1]", "envArgs"], ["doubleQ=1", "doubleQ"], ["optimizer=sgd", "optimizer"],
    ["hypernetLayers=3", "hypernetLayers"], ["learning_rate=0.1", "learning_rate"],
  ];
  it.each(sets)("--set %s names %s", async (assignment, key) => {
    const r = await train("--set", assignment);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`"${key}"`);
  });

  // Object.prototype's member names must not pass as config keys.
  it.each(["toString=1", "constructor=5", "__proto__={}"])("--set %s is refused as an unknown key", async (assignment) => {
    const r = await train("--set", assignment, "--steps", "0");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown config key");
  });

  const files: Array<[string, string]> = [
    ['{"lr": "fast"}', '"lr"'], ['{"bufferSize": -1}', '"bufferSize"'], ['{"gamma": 1e999}', '"gamma"'], ['{"rnnHiddenDim": 64.5}', '"rnnHiddenDim"'],
    ['{"batchSize": "32"}', '"batchSize"'], ['{"nope": 1}', '"nope"'], ['{"envArgs": null}', '"envArgs"'], ['{"mixer": ["qmix"]}', '"mixer"'],
    ["[1, 2]", "expected a JSON object"], ['{"lr": NaN}', "is not valid JSON"],
  ];
  it.each(files)("--config file %s: %s", async (text, named) => {
    const f = join(dir, `config-${files.findIndex(([t]) => t === text)}.json`);
    writeFileSync(f, text);
    const r = await train("--config", f);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(named);
    expect(r.stderr).toContain(f);
  });

  const flags: Array<[string, string, string]> = [
    ["--steps", "-5", "--steps"], ["--steps", "NaN", "--steps"], ["--steps", "1e999", "--steps"], ["--seed", "1.5", "--seed"], ["--seed", "99999999999", '"seed"'],
  ];
  it.each(flags)("%s %s names %s", async (flag, value, named) => {
    const r = await train(flag, value);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(named);
  });

  it("a garbage or truncated checkpoint is a clear error (exit 1), not a crash", async () => {
    const ref = reference(), d = join(dir, "garbage");
    mkdirSync(d);
    writeFileSync(join(d, "junk.safetensors"), Buffer.from("not a safetensors file at all"));
    const e = await runMain(["eval", "--checkpoint", join(d, "junk.safetensors")]);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^qmix: decode: header length \d+ exceeds the limit/);
    cpSync(ref, join(d, "run"), { recursive: true });
    const model = bytes(join(d, "run", MODEL_FILE));
    writeFileSync(join(d, "run", MODEL_FILE), model.subarray(0, model.length - 100));
    const r = await runMain(["train", "--resume", "--out", join(d, "run"), "--quiet"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^qmix: .*run\/model\.safetensors is not a readable checkpoint: decode: /);
  });
});

/** Two agents, two actions, two steps; reward 1 when they agree, until the `poisonAfter`-th episode, then 3e38 (finite, but its square is not). */
class OverflowEnv implements MultiAgentEnv {
  readonly name = "overflow"; readonly nAgents = 2; readonly obsDim = 2; readonly stateDim = 2; readonly nActions = 2; readonly episodeLimit = 2;
  private t = 0;
  private episodes = 0;
  constructor(private readonly poisonAfter: number) {}
  reset(): void { this.t = 0; this.episodes++; }
  step(a: ArrayLike<number>) {
    this.t++;
    const reward = this.episodes > this.poisonAfter ? 3e38 : a[0] === a[1] ? 1 : 0;
    return { reward, terminated: this.t >= 2, truncated: false };
  }
  getObs() { return Float32Array.of(this.t, 1, this.t, -1); }
  getState() { return Float32Array.of(this.t, 1); }
  getAvailActions() { return new Uint8Array(4).fill(1); }
}

describe("numerical failures", () => {
  registerEnv("overflow", (o) => new OverflowEnv(Number(o.poisonAfter ?? 25)), { replace: true });
  // Episodes of 2 steps; a checkpoint every 10 episodes; batch = buffer, so the 26th episode is in the next update.
  const args = ["--env", "overflow", "--quiet", "--set", "agent=ff", "--set", "obsLastAction=false", "--set", "rnnHiddenDim=8", "--set", "mixingEmbedDim=4",
    "--set", "hypernetEmbed=8", "--set", "bufferSize=4", "--set", "batchSize=4", "--set", "saveInterval=20", "--set", "logInterval=20", "--set", "testInterval=20", "--set", "testNEpisode=1"];

  it("an overflow inside the network stops training with a message naming the loss, and keeps the last good checkpoint", async () => {
    const d = join(dir, "overflow"), good = join(dir, "overflow-good");
    const r = await runMain(["train", ...args, "--steps", "200", "--out", d]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/QLearner: the loss is Infinity \(Q_tot mean [-\d.e]+, target mean [\d.]+e\+3[78]\); training stopped before the parameters were touched/);
    expect(r.stderr).toContain(`the last good checkpoint in ${d} is kept`);
    // The kept checkpoint is the last save before episode 26 (t_env 52): t_env 40, equal to a run that stops there.
    const { model, buffer } = loadCheckpoint(d);
    expect(counters(model).tEnv).toBe(40);
    restore(new Trainer(readConfig(model)), model, buffer);
    expect((await runMain(["train", ...args, "--steps", "40", "--out", good])).code).toBe(0);
    const kept = tensorsOf(join(d, MODEL_FILE)), clean = tensorsOf(join(good, MODEL_FILE));
    expect([...kept.keys()]).toEqual([...clean.keys()]);
    for (const [k, v] of kept) expect(v.equals(clean.get(k)!), k).toBe(true);
  });

  it("a non-finite gradient names the parameter where it first appeared and leaves the parameters untouched", () => {
    const trainer = new Trainer(resolveConfig(["test", { env: "two_step", agent: "ff", obsLastAction: false, rnnHiddenDim: 8, mixingEmbedDim: 4, hypernetEmbed: 8, bufferSize: 8, batchSize: 4 }]));
    while (trainer.updates < 2) trainer.step();
    // Poison the backward pass of one hypernetwork only: its forward is unchanged, so the loss stays finite,
    // and the agents' gradients (which see only its forward values) stay finite too.
    const layer = (trainer.learner.mixer as QMixer).hyper_w_final;
    const forward = layer.forward.bind(layer);
    layer.forward = (x: Tensor) => {
      const y = forward(x);
      return record(new Tensor(y.data.slice(), y.shape), "poison", [y], () => { gradOf(y).fill(Number.NaN); });
    };
    const before = trainer.weights();
    expect(() => trainer.step()).toThrow(/the gradient norm is NaN; first non-finite gradient in "mixer\.hyper_w_final\.0\.weight"; training stopped before the parameters were touched/);
    const after = trainer.weights();
    for (const [k, v] of before) expect(Buffer.from(after.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  });

  const bad = (over: Partial<Record<"obs" | "nanObs" | "state" | "avail" | "reward" | "truncate", boolean>>): MultiAgentEnv => {
    const env = new OverflowEnv(1e9);
    return Object.assign(env, {
      name: "bad_env",
      getObs: () => (over.obs ? Float32Array.of(0, 1, 0) : over.nanObs ? Float32Array.of(0, 1, Number.NaN, -1) : Float32Array.of(0, 1, 0, -1)),
      getState: () => (over.state ? Float32Array.of(0) : Float32Array.of(0, 1)),
      getAvailActions: () => (over.avail ? Uint8Array.of(1, 0, 0, 0) : new Uint8Array(4).fill(1)),
      step: (a: ArrayLike<number>) => ({ ...OverflowEnv.prototype.step.call(env, a), ...(over.reward ? { reward: Number.NaN } : {}), ...(over.truncate ? { terminated: false, truncated: true } : {}) }),
    });
  };
  const envCases: Array<[string, Parameters<typeof bad>[0], RegExp]> = [
    ["a wrong observation length", { obs: true }, /bad_env: getObs\(\) returned 3 values, expected nAgents × obsDim = 2 × 2/],
    ["a NaN observation", { nanObs: true }, /bad_env: observation of agent 1 has a non-finite value \(NaN\) at step 0/],
    ["a wrong state length", { state: true }, /bad_env: getState\(\) returned 1 values, expected stateDim = 2/],
    ["a NaN reward", { reward: true }, /bad_env: step returned a non-finite reward \(NaN\) at step 0/],
    ["an action mask with no available action", { avail: true }, /bad_env: getAvailActions\(\) gives agent 1 no available action at step 0/],
    ["truncation before episodeLimit", { truncate: true }, /bad_env: truncated at step 1, before its episodeLimit 2/],
  ];
  it.each(envCases)("an environment with %s is stopped at the boundary, naming it and the field", (_name, over, message) => {
    const trainer = new Trainer(resolveConfig(["test", { env: "bad_env", agent: "ff", obsLastAction: false, rnnHiddenDim: 8, mixingEmbedDim: 4, hypernetEmbed: 8, bufferSize: 8, batchSize: 4 }]), () => bad(over));
    expect(() => trainer.step()).toThrow(EnvError);
    expect(() => trainer.step()).toThrow(message);
  });
});
