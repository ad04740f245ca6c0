// `qmix sweep --emit slurm` against a real Slurm: Debian's slurm-wlm started
// here as a one-node cluster on localhost (munged, slurmctld, slurmd, each
// with its own socket, ports, state and spool folders in a temp folder, so
// nothing of the machine's own configuration is touched). A tiny sweep
// submitted as a job array must leave the same models, byte for byte, as the
// same sweep run locally; a task cancelled mid-run and submitted again must
// end with the bytes of an uninterrupted run. Skipped, with the reason
// printed, where the binaries are missing or the daemons do not start
// (`apt-get install -y slurm-wlm`; .ci/run installs it).

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const CLI = join(ROOT, "src", "node", "cli.ts");
const BINARIES = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"];
const SBIN = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

function which(name: string): string | null {
  for (const d of [...(process.env.PATH ?? "").split(":"), ...SBIN]) if (d && existsSync(join(d, name))) return join(d, name);
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` every 200 ms for at most `ms`; the last error or "timed out" otherwise. */
async function until(ms: number, what: string, ok: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (ok()) return;
    await sleep(200);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

interface Cluster {
  dir: string;
  env: NodeJS.ProcessEnv;
  daemons: ChildProcess[];
  mungePid: number | null;
}

async function startCluster(): Promise<Cluster | string> {
  // npm test's second pass runs the suite again on the JavaScript kernels; the runs' bytes were compared in the first.
  if (process.env.QMIX_BACKEND === "js") return "it runs once, in npm test's first pass (QMIX_BACKEND=js changes nothing Slurm does)";
  if (process.platform !== "linux") return `Slurm runs on Linux; this is ${process.platform}`;
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length) return `no ${missing.join(", ")} (apt-get install -y slurm-wlm)`;
  if (process.getuid?.() !== 0) return "the one-node cluster runs its daemons as root (SlurmUser=root); this test is not root";
  const dir = mkdtempSync(join(tmpdir(), "qmix-slurm-"));
  for (const d of ["state", "spool"]) mkdirSync(join(dir, d));
  const key = join(dir, "munge.key");
  writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 131 + 7) & 255)));
  chmodSync(key, 0o600);
  const sock = join(dir, "munge.sock");
  const m = spawnSync(which("munged")!, ["--force", "-S", sock, `--key-file=${key}`, `--log-file=${join(dir, "munged.log")}`, `--pid-file=${join(dir, "munged.pid")}`, `--seed-file=${join(dir, "munged.seed")}`], { encoding: "utf8", timeout: 10_000 });
  if (m.status !== 0) return `munged did not start: ${(m.stderr || m.stdout || String(m.error)).trim()}`;
  const mungePid = Number(readFileSync(join(dir, "munged.pid"), "utf8").trim()) || null;
  const host = hostname().split(".")[0]!;
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, "slurm.conf");
  writeFileSync(conf, `ClusterName=qmixtest
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${sock}
CredType=cred/munge
SlurmctldPort=${ctldPort}
SlurmdPort=${dPort}
StateSaveLocation=${join(dir, "state")}
SlurmdSpoolDir=${join(dir, "spool")}
SlurmctldPidFile=${join(dir, "slurmctld.pid")}
SlurmdPidFile=${join(dir, "slurmd.pid")}
SlurmctldLogFile=${join(dir, "slurmctld.log")}
SlurmdLogFile=${join(dir, "slurmd.log")}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
KillWait=20
NodeName=${host} NodeAddr=127.0.0.1 CPUs=2 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
`);
  const env = { ...process.env, SLURM_CONF: conf };
  const cluster: Cluster = { dir, env, daemons: [], mungePid };
  for (const d of ["slurmctld", "slurmd"]) {
    const p = spawn(which(d)!, d === "slurmctld" ? ["-D", "-i"] : ["-D"], { env, stdio: "ignore" });
    cluster.daemons.push(p);
  }
  try {
    await until(20_000, "the node to be idle (sinfo)", () => spawnSync(which("sinfo")!, ["-h", "-o", "%T"], { env, encoding: "utf8", timeout: 5000 }).stdout?.trim() === "idle");
  } catch (e) {
    const log = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").trim().split("\n").slice(-3).join(" / ") : "(no log)");
    stopCluster(cluster);
    return `the daemons did not come up: ${(e as Error).message}; slurmctld.log: ${log("slurmctld.log")}; slurmd.log: ${log("slurmd.log")}`;
  }
  return cluster;
}

function stopCluster(c: Cluster): void {
  for (const p of c.daemons) if (p.exitCode === null) p.kill("SIGTERM");
  if (c.mungePid) {
    try {
      process.kill(c.mungePid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}

const started = await startCluster();
const cluster = typeof started === "string" ? null : started;
const reason = typeof started === "string" ? started : "";
if (!cluster) console.warn(`SKIPPING the Slurm test: ${reason}`);

const work = mkdtempSync(join(tmpdir(), "qmix-slurm-sweep-"));
afterAll(async () => {
  if (cluster) {
    stopCluster(cluster);
    await sleep(500);
    rmSync(cluster.dir, { recursive: true, force: true });
  }
  rmSync(work, { recursive: true, force: true });
});

function qmix(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(TSX, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking: Slurm's tasks run meanwhile. */
function qmixAsync(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const p = spawn(TSX, [CLI, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    p.stdout.on("data", (d) => (output += d));
    p.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 90_000);
    p.on("exit", (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

function sweepFile(name: string, out: string, base: string, grid: string): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, `name: ${name}\nout: ${out}\nbase:\n${base}grid:\n${grid}`);
  return path;
}

function submit(file: string): string {
  const script = qmix(["sweep", file, "--emit", "slurm", "--time", "00:10:00"], cluster!.env);
  expect(script.code, script.stderr).toBe(0);
  const path = `${file}.sbatch`;
  writeFileSync(path, script.stdout);
  const r = spawnSync(which("sbatch")!, ["--parsable", path], { env: cluster!.env, encoding: "utf8", timeout: 10_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split(";")[0]!;
}

function queued(job: string): boolean {
  const r = spawnSync(which("squeue")!, ["-h", "-j", job, "-o", "%i %T"], { env: cluster!.env, encoding: "utf8", timeout: 5000 });
  return r.stdout.trim() !== "";
}

const bytes = (p: string) => readFileSync(p);
const TINY = "  env: two_step\n  tMax: 2000\n  saveInterval: 500\n";

describe.skipIf(!cluster)(`qmix sweep on a one-node Slurm cluster${cluster ? "" : ` — SKIPPED: ${reason}`}`, () => {
  it("a job array leaves the models a local sweep leaves, byte for byte", async () => {
    const grid = "  mixer: [qmix, vdn]\n  seed: [0, 1]\n";
    const onSlurm = sweepFile("tiny_slurm", "slurm", TINY, grid), here = sweepFile("tiny_local", "local", TINY, grid);
    const job = submit(onSlurm);
    const local = await qmixAsync(["sweep", here, "--jobs", "2"]);
    expect(local.code, local.output).toBe(0);
    await until(60_000, `job ${job} to leave the queue`, () => !queued(job));
    const status = qmix(["sweep", onSlurm, "--status"]);
    expect(status.stdout, status.stdout).toMatch(/4 done, 0 running, 0 pending, 0 failed/);
    for (const run of ["two_step-qmix-seed0", "two_step-qmix-seed1", "two_step-vdn-seed0", "two_step-vdn-seed1"]) {
      for (const f of ["model.safetensors", "best.safetensors"]) {
        expect(bytes(join(work, "slurm", run, f)).equals(bytes(join(work, "local", run, f))), `${run}/${f}`).toBe(true);
      }
    }
  }, 120_000);

  it("a task cancelled mid-run saves a checkpoint; submitted again, it ends with the uninterrupted run's bytes", async () => {
    const base = "  env: two_step\n  tMax: 10000\n  saveInterval: 0\n";
    const grid = "  mixer: [qmix]\n  seed: [3]\n";
    const onSlurm = sweepFile("long_slurm", "long_slurm", base, grid), here = sweepFile("long_local", "long_local", base, grid);
    const dir = join(work, "long_slurm", "two_step-qmix-seed3");
    const job = submit(onSlurm);
    const local = qmixAsync(["sweep", here]);
    // Cancel once the run has logged 2,000 steps: well inside its 10,000.
    await until(60_000, "the run to log 2,000 steps", () => existsSync(join(dir, "metrics.jsonl")) && readFileSync(join(dir, "metrics.jsonl"), "utf8").includes('"t_env":2000'));
    expect(spawnSync(which("scancel")!, [job], { env: cluster!.env, timeout: 5000 }).status).toBe(0);
    await until(30_000, `job ${job} to leave the queue`, () => !queued(job));
    const state = JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")) as { state: string };
    expect(state.state).toBe("stopped");
    const status = qmix(["sweep", onSlurm, "--status"]);
    expect(status.stdout).toMatch(/pending .* resumes from its checkpoint/);
    const again = submit(onSlurm);
    await until(60_000, `job ${again} to leave the queue`, () => !queued(again));
    expect(readFileSync(join(dir, "train.log"), "utf8")).toMatch(/resumed at \d+/);
    const l = await local;
    expect(l.code, l.output).toBe(0);
    for (const f of ["model.safetensors", "best.safetensors"]) {
      expect(bytes(join(dir, f)).equals(bytes(join(work, "long_local", "two_step-qmix-seed3", f))), f).toBe(true);
    }
  }, 150_000);
});
