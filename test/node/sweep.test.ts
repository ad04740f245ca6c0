// Sweep files and local sweeps: the grid's expansion into named run folders
// with their resolved configs, errors that name the file's line, the memory
// check, the emitted Slurm script and commands, and `qmix sweep` itself:
// a failing run does not stop the others, --status says how each run stands,
// a second invocation skips what is done, and SIGTERM stops every run with a
// checkpoint that the next invocation resumes.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emitCommands, emitSlurm, shellQuote } from "../../src/node/slurm.ts";
import { defaultJobs } from "../../src/node/sweep.ts";
import { parseSweep } from "../../src/node/sweep_file.ts";
import { estimateMb, memoryRefusal, runMemory } from "../../src/node/sweep_memory.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "src", "node", "cli.ts");
const dir = mkdtempSync(join(tmpdir(), "qmix-sweep-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Node with tsx's loader, as `npm run qmix` starts it, so a signal reaches the sweep's own process.
const NODE = [process.execPath, "--import", "tsx", CLI];
function qmix(...args: string[]) {
  const r = spawnSync(NODE[0]!, [...NODE.slice(1), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FILE = `# QMIX and VDN on two_step, two seeds
name: demo
out: runs
base:
  env: two_step
  tMax: 600
grid:
  mixer: [qmix, vdn]
  seed: [0, 1]
  lr: [0.001]
`;

describe("sweep files", () => {
  it("expand every combination, first key outermost, into named folders with resolved configs", () => {
    const s = parseSweep("/work/sweeps/demo.yaml", FILE);
    expect(s.name).toBe("demo");
    expect(s.out).toBe("/work/sweeps/runs");
    expect(s.runs.map((r) => r.name)).toEqual([
      "two_step-qmix-seed0-lr0.001", "two_step-qmix-seed1-lr0.001", "two_step-vdn-seed0-lr0.001", "two_step-vdn-seed1-lr0.001",
    ]);
    const r = s.runs[2]!;
    expect(r.dir).toBe("/work/sweeps/runs/two_step-vdn-seed0-lr0.001");
    // presets/two_step.json under base under the grid
    expect(r.config).toMatchObject({ env: "two_step", mixer: "vdn", seed: 0, lr: 0.001, tMax: 600, agent: "ff", mixingEmbedDim: 8 });
    expect(parseSweep("d.json", JSON.stringify({ name: "j", out: "o", grid: { env: ["two_step", "nonmonotonic_3x3"] } })).runs.map((x) => x.name))
      .toEqual(["two_step-qmix-seed0", "nonmonotonic_3x3-qmix-seed0"]);
  });

  it("name the file's line and the key of an unknown or bad entry", () => {
    expect(() => parseSweep("s.yaml", FILE.replace("name: demo", "nmae: demo"))).toThrow(/s\.yaml, line 2: unknown key "nmae" in a sweep file; allowed: name, out, base, grid/);
    expect(() => parseSweep("s.yaml", FILE.replace("tMax: 600", "tMaxx: 600"))).toThrow(/s\.yaml, line 6: unknown config key "tMaxx" in base/);
    expect(() => parseSweep("s.yaml", FILE.replace("lr: [0.001]", "lrr: [0.001]"))).toThrow(/s\.yaml, line 10: unknown config key "lrr" in grid/);
    expect(() => parseSweep("s.yaml", FILE.replace("lr: [0.001]", "lr: [-1]"))).toThrow(/^s\.yaml, line 10, grid point mixer=qmix, seed=0, lr=-1: "lr" must be a finite number in \[0, 10\], got -1$/);
    expect(() => parseSweep("s.yaml", FILE.replace("tMax: 600", "tMax: 1.5"))).toThrow(/^s\.yaml, line 6, base: "tMax" must be an integer/);
    expect(() => parseSweep("s.yaml", FILE.replace("lr: [0.001]", "lr: 0.001"))).toThrow(/line 10: grid "lr" must be a non-empty list/);
    expect(() => parseSweep("s.txt", FILE)).toThrow(/expected a \.yaml, \.yml or \.json file/);
    expect(() => parseSweep("s.yaml", FILE.replace("out: runs\n", ""))).toThrow(/"out" must name the folder/);
  });

  it("the examples in examples/sweeps/ are valid: docs/usage.md shows them", () => {
    const smac = parseSweep(join(ROOT, "examples", "sweeps", "smaclite.yaml"), readFileSync(join(ROOT, "examples", "sweeps", "smaclite.yaml"), "utf8"));
    expect(smac.runs).toHaveLength(12);
    expect(smac.out).toBe(join(ROOT, "runs", "smaclite"));
    expect(smac.runs[11]!.config).toMatchObject({ env: "smaclite/3s5z", mixer: "vdn", seed: 2, tMax: 1010000, batchSize: 128 });
    expect(parseSweep(join(ROOT, "examples", "sweeps", "two_step.yaml"), readFileSync(join(ROOT, "examples", "sweeps", "two_step.yaml"), "utf8")).runs).toHaveLength(4);
  });

  it("refuse a grid that would make two runs share a folder", () => {
    expect(() => parseSweep("s.yaml", FILE.replace("seed: [0, 1]", "seed: [1, 1]"))).toThrow(/two runs share the folder two_step-qmix-seed1-lr0.001/);
    expect(() => parseSweep("s.yaml", FILE.replace("lr: [0.001]", "envArgs.x: [\"a b\", \"a/b\"]"))).toThrow(/share the folder/);
  });
});

describe("memory and jobs", () => {
  const cfg = (env: string) => parseSweep("m.json", JSON.stringify({ out: "o", base: { env } })).runs[0]!;
  it("use the measured figure of a map, else the stated estimate", () => {
    expect(runMemory(cfg("smaclite/mmm2").config)).toMatchObject({ mb: 2093 });
    expect(runMemory(cfg("smaclite/MMM2").config).mb).toBe(2093);
    const m = runMemory(cfg("smaclite/3m").config);
    expect(m.how).toMatch(/^estimated: 300 MB \+ 0\.3 × 5000 episodes × 60 steps × 3 agents/);
    expect(estimateMb(cfg("smaclite/2s3z").config, { nAgents: 5, obsDim: 80, episodeLimit: 120 })).toBe(588);
  });

  it("refuse --jobs that would not fit, before starting", () => {
    const runs = [0, 1, 2].map(() => cfg("smaclite/mmm2"));
    expect(memoryRefusal(runs, 2, 5000)).toBeNull();
    expect(memoryRefusal(runs, 3, 5000)).toMatch(/--jobs 3: the largest 3 runs need 6,279 MB at once, more than the 5,000 MB available now/);
  });

  it("default to the cores over the runs' learner threads", () => {
    const s = parseSweep("j.json", JSON.stringify({ out: "o", base: { env: "two_step" }, grid: { learnerThreads: [1, 2] } }));
    expect(defaultJobs(s.runs, 4)).toEqual({ jobs: 2, why: "--jobs 2: 4 cores / 2 learner threads per run" });
    expect(defaultJobs(s.runs.slice(0, 1), 2).jobs).toBe(2);
    expect(defaultJobs(s.runs, 1).jobs).toBe(1);
  });
});

describe("emitted scripts", () => {
  const s = parseSweep("/w/demo.yaml", FILE);
  const self = ["/usr/bin/node", "--import", "tsx", "/repo/src/node/cli.ts"];
  it("an sbatch array with one task per run, resuming, with a signal before the time limit", () => {
    const script = emitSlurm(s, self, "/repo", { partition: "gpu", time: "04:00:00", cpusPerTask: 2, mem: "4G" });
    for (const d of ["--array=0-3", "--partition=gpu", "--time=04:00:00", "--cpus-per-task=2", "--mem=4G", "--requeue", "--signal=B:USR1@120", "--output=/w/runs/slurm-%A_%a.out"]) expect(script).toContain(`#SBATCH ${d}\n`);
    expect(script).toContain("RUNS=(two_step-qmix-seed0-lr0.001 two_step-qmix-seed1-lr0.001 two_step-vdn-seed0-lr0.001 two_step-vdn-seed1-lr0.001)");
    expect(script).toContain(`/usr/bin/node --import tsx /repo/src/node/cli.ts sweep /w/demo.yaml --run "$RUN" >> "$OUT/$RUN/train.log" 2>&1 &`);
    expect(emitSlurm(s, self, "/repo")).toContain("#SBATCH --mem=200M\n"); // two_step's measured 120 MB, rounded up
    const bash = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
    expect(bash.status, bash.stderr).toBe(0);
  });

  it("one shell line per run, quoted", () => {
    const lines = emitCommands(s, self, "/my repo").trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("mkdir -p /w/runs/two_step-vdn-seed1-lr0.001 && cd '/my repo' && /usr/bin/node --import tsx /repo/src/node/cli.ts sweep /w/demo.yaml --run two_step-vdn-seed1-lr0.001 >> /w/runs/two_step-vdn-seed1-lr0.001/train.log 2>&1");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

// npm test's second pass (QMIX_BACKEND=js) reruns the suite on the JavaScript kernels; these test the processes around them, once.
const ONCE = process.env.QMIX_BACKEND === "js";
if (ONCE) console.warn("SKIPPING the qmix sweep process tests in the QMIX_BACKEND=js pass: they ran in the first");

describe.skipIf(ONCE)("qmix sweep", () => {
  it("runs the grid; a failing run does not stop the others; --status; again: done runs are skipped", () => {
    // The second env is a process that exits at once: that run fails when it starts.
    const file = join(dir, "mixed.yaml");
    writeFileSync(file, `name: mixed\nout: mixed\nbase:\n  tMax: 400\n  env: two_step\ngrid:\n  env: [two_step, "process:/bin/false"]\n  seed: [0, 1]\n`);
    const r = qmix("sweep", file, "--jobs", "2");
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/--jobs 2\n/);
    expect(r.stdout).toMatch(/mixed: 2 done, 2 failed, 0 stopped in/);
    const st = qmix("sweep", file, "--status");
    expect(st.code).toBe(0);
    const lines = st.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^mixed: 4 runs under .*: 2 done, 0 running, 0 pending, 2 failed$/);
    expect(lines[2]).toMatch(/^two_step-qmix-seed0 +done +400 +return \d/);
    expect(lines[4]).toMatch(/^false-qmix-seed0 +failed +- +- +- +.*false/);
    const again = qmix("sweep", file);
    expect(again.stdout).toMatch(/4 runs under .*; 2 done, 2 to run; --jobs/);
    expect(readFileSync(join(dir, "mixed", "two_step-qmix-seed0", "train.log"), "utf8").match(/qmix-ts: training/g)).toHaveLength(1);
    // A larger budget in the file: the finished runs continue to it.
    writeFileSync(file, readFileSync(file, "utf8").replace("tMax: 400", "tMax: 600").replace(', "process:/bin/false"', ""));
    expect(qmix("sweep", file, "--status").stdout).toMatch(/two_step-qmix-seed1 +pending +400 .* resumes from its checkpoint to the sweep's 600 steps/);
    expect(qmix("sweep", file).code).toBe(0);
    expect(readFileSync(join(dir, "mixed", "two_step-qmix-seed1", "train.log"), "utf8")).toMatch(/for 600 steps, seed 1, resumed at 400/);
  });

  it("SIGTERM stops every run with a checkpoint; the same command resumes them", async () => {
    const file = join(dir, "stop.yaml");
    writeFileSync(file, `name: stop\nout: stop\nbase:\n  env: two_step\n  tMax: 5000\ngrid:\n  mixer: [qmix, vdn]\n`);
    const p = spawn(NODE[0]!, [...NODE.slice(1), "sweep", file, "--jobs", "2"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    const metrics = (m: string) => join(dir, "stop", `two_step-${m}-seed0`, "metrics.jsonl");
    const logged = () => ["qmix", "vdn"].every((m) => existsSync(metrics(m)) && readFileSync(metrics(m), "utf8").includes('"t_env":1000'));
    for (let i = 0; i < 300 && !logged(); i++) await new Promise((r) => setTimeout(r, 200));
    expect(logged()).toBe(true);
    p.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => p.on("exit", r));
    expect(code, out).toBe(130);
    expect(out).toMatch(/SIGTERM: stopping every run with a checkpoint/);
    expect(out).toMatch(/stop: 0 done, 0 failed, 2 stopped in .*; run the same command again to resume/);
    expect(qmix("sweep", file, "--status").stdout).toMatch(/two_step-qmix-seed0 +pending .* resumes from its checkpoint/);
    const r = qmix("sweep", file);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, "stop", "two_step-vdn-seed0", "train.log"), "utf8")).toMatch(/resumed at \d+/);
    expect(qmix("sweep", file, "--status").stdout).toMatch(/2 done, 0 running, 0 pending, 0 failed/);
  }, 120_000);
});
