// The process bridge (docs/bridge.md): QMIX trains on a Python environment
// over stdin/stdout exactly as on the same game in TypeScript, each parallel
// copy gets its own process, and a crash, a hang or a broken reply becomes
// an error that says what happened, never a stall.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { envSlug, makeEnvWithProcess, ProcessEnv, ProcessEnvError, splitCommand } from "../../src/node/process_env.ts";
import { resolveConfig } from "../../src/train/config.ts";
import { trainLoop } from "../../src/train/loop.ts";
import { Trainer } from "../../src/train/trainer.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const PY = join(ROOT, "bridges", "python");
const TOY = `process:python3 ${join(PY, "toy_env.py")}`;
const HAS_PYTHON = spawnSync("python3", ["--version"]).status === 0;
if (!HAS_PYTHON) console.warn("bridge.test.ts: python3 is not on the PATH; skipping the tests that run bridges/python (the rest still run)");

const dir = mkdtempSync(join(tmpdir(), "qmix-bridge-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function preset(name: string): Record<string, unknown> {
  const o = JSON.parse(readFileSync(join(ROOT, "presets", `${name}.json`), "utf8")) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith("_")));
}

function faulty(mode: string, at = 3, envArgs: Record<string, unknown> = {}): ProcessEnv {
  return new ProcessEnv({ command: ["python3", join(PY, "faulty_env.py"), "--mode", mode, "--at", String(at)], stderr: "capture", ...envArgs });
}

/** Plays whole episodes with action 0 until the environment throws; returns the error. */
function playUntilError(env: ProcessEnv): ProcessEnvError {
  try {
    for (let k = 0; k < 10; k++) {
      env.reset(k);
      for (let t = 0; t < env.episodeLimit; t++) if (env.step([0, 0]).terminated) break;
    }
  } catch (e) {
    expect(e).toBeInstanceOf(ProcessEnvError);
    return e as ProcessEnvError;
  } finally {
    env.close();
  }
  throw new Error("the environment never failed");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("command lines", () => {
  it("split like a shell, without one", () => {
    expect(splitCommand(`python3 "my env.py" --map_name 3m --opt='{"a": 1}' a\\ b`)).toEqual(["python3", "my env.py", "--map_name", "3m", `--opt={"a": 1}`, "a b"]);
    expect(() => splitCommand(`python3 "oops`)).toThrow(/unterminated " quote/);
  });

  it("name run folders by script and arguments", () => {
    expect(envSlug("two_step")).toBe("two_step");
    expect(envSlug("process:python3 bridges/python/smac_env.py --map_name 3m")).toBe("smac_env_map_name_3m");
    expect(envSlug("process:python3 /x/football_env.py --env_name academy_3_vs_1_with_keeper")).toBe("football_env_env_name_academy_3_vs_1_with_keeper");
  });
});

describe.skipIf(!HAS_PYTHON)("process environments over the bridge", () => {
  it("QMIX learns the Python two-step game (greedy return 8), to the same weights as on the TypeScript twin", () => {
    const train = (env: string) => {
      const trainer = new Trainer(resolveConfig(["preset", preset("two_step")], ["test", { env, seed: 0 }]), makeEnvWithProcess);
      try {
        trainLoop(trainer);
        return { trainer, ret: trainer.evaluate(1).returnMean };
      } finally {
        for (const e of [...trainer.envs, trainer.testEnv]) e.close?.();
      }
    };
    const py = train(TOY);
    expect(py.trainer.envs[0]).toBeInstanceOf(ProcessEnv);
    expect(py.ret).toBe(8);
    const ts = train("two_step");
    const a = py.trainer.weights(), b = ts.trainer.weights();
    for (const [k, v] of b) expect(Buffer.from(a.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  });

  it("gives every parallel copy its own process and ends them all on close", () => {
    const trainer = new Trainer(resolveConfig(["preset", preset("two_step")], ["test", { env: TOY, batchSizeRun: 3 }]), makeEnvWithProcess);
    const envs = [...trainer.envs, trainer.testEnv] as ProcessEnv[];
    const pids = envs.map((e) => e.pid);
    expect(new Set(pids).size).toBe(4);
    expect(trainer.step().tEnv).toBe(6);
    for (const e of envs) e.close();
    for (const e of envs) e.close(); // idempotent
    expect(pids.filter(alive)).toEqual([]);
  });

  it("carries arrays as JSON lists as well as base64 Float32, to the same values", () => {
    const seen = (encoding: "b64" | "json") => {
      const env = new ProcessEnv({ command: `python3 ${join(PY, "toy_env.py")} --pad 3`, encoding });
      try {
        env.reset(1);
        const out = [Array.from(env.getObs()), Array.from(env.getState()), Array.from(env.getAvailActions())];
        const r = env.step([1, 0]);
        out.push(Array.from(env.getObs()), [r.reward, Number(r.terminated)]);
        return out;
      } finally {
        env.close();
      }
    };
    const b64 = seen("b64");
    expect(b64[0]).toHaveLength(2 * 7);
    expect(seen("json")).toEqual(b64);
  });

  it("serves any pymarl-style factory through qmix_bridge.py MODULE:FACTORY", () => {
    const env = makeEnvWithProcess(`process:python3 ${join(PY, "qmix_bridge.py")} toy_env:make_env`, { pad: 1, seed: 4 });
    try {
      expect([env.nAgents, env.obsDim, env.stateDim, env.nActions, env.episodeLimit]).toEqual([2, 5, 5, 2, 2]);
      env.reset(0);
      env.step([1, 1]);
      expect(env.step([1, 1])).toEqual({ reward: 8, terminated: true, truncated: false, info: {} });
    } finally {
      env.close?.();
    }
  });

  it("a crash mid-episode stops training with the exit code and the last stderr lines", () => {
    const env = `process:python3 ${join(PY, "faulty_env.py")} --mode crash --at 5`;
    const trainer = new Trainer(resolveConfig(["preset", preset("two_step")], ["test", { env, envArgs: { stderr: "capture" } }]), makeEnvWithProcess);
    let err: unknown;
    try {
      trainLoop(trainer);
    } catch (e) {
      err = e;
    } finally {
      for (const e of [...trainer.envs, trainer.testEnv]) e.close?.();
    }
    expect(err).toBeInstanceOf(ProcessEnvError);
    expect((err as ProcessEnvError).kind).toBe("crash");
    expect((err as Error).message).toMatch(/^process env "python3 .*faulty_env.py --mode crash --at 5": the process exited with code 3 while handling "step" \(request \d+\)\nLast lines of its stderr:\n {2}\| faulty_env: simulated crash in step 5$/);
  });

  it("a hang becomes a timeout error naming the request and the option to raise, and the process is killed", () => {
    const env = faulty("hang", 3, { timeoutMs: 1000 });
    const pid = env.pid;
    const err = playUntilError(env);
    expect(err.kind).toBe("timeout");
    expect(err.message).toMatch(/: no reply to "step" within 1000 ms; the process \(pid \d+\) was killed\. If the environment is just slow, raise envArgs\.timeoutMs\./);
    expect(alive(pid)).toBe(false);
    expect(() => env.reset()).toThrow(/reset: the process is no longer running \(it was killed by SIGKILL\)/);
  });

  it("broken replies are protocol errors that quote what came", () => {
    expect(playUntilError(faulty("bad_json")).message).toMatch(/: step: the environment wrote a line that is not JSON: "this is not JSON"\. Only protocol replies may go to stdout/);
    expect(playUntilError(faulty("wrong_id")).message).toMatch(/: step: reply to request \d+ arrived while waiting for request \d+$/);
    const size = playUntilError(faulty("wrong_size"));
    expect(size.kind).toBe("protocol");
    expect(size.message).toMatch(/: step: "obs" has 7 values, expected n_agents × obs_dim = 2 × 4 = 8$/);
  });

  it("an exception in the environment comes back with its type, message and traceback", () => {
    const err = playUntilError(faulty("raise"));
    expect(err.kind).toBe("env");
    expect(err.message).toMatch(/: step failed in the environment: RuntimeError: simulated failure in step 3\n {2}\| Traceback \(most recent call last\):\n[^]*faulty_env\.py", line \d+, in fault/);
  });

  it("start-up failures say what to do: a missing program, a missing library, a crash or hang while starting", () => {
    expect(() => makeEnvWithProcess("process:python3-that-does-not-exist env.py")).toThrow(/could not start "python3-that-does-not-exist": it failed \(spawn python3-that-does-not-exist ENOENT\); is it installed and on the PATH\?/);
    expect(() => makeEnvWithProcess(`process:python3 ${join(PY, "smac_env.py")} --map_name 3m`, { stderr: "capture" })).toThrow(/info failed in the environment: ImportError: smac_env\.py needs SMAC: pip install git\+https:\/\/github\.com\/oxwhirl\/smac\.git/);
    expect(() => faulty("crash", 0)).toThrow(/the process exited with code 3 while handling "info" \(request 1\)\nLast lines of its stderr:\n {2}\| faulty_env: simulated crash in info/);
    expect(() => faulty("hang", 0, { startupTimeoutMs: 1000 })).toThrow(/no reply to "info" within 1000 ms; .* raise envArgs\.startupTimeoutMs\./);
    expect(() => makeEnvWithProcess("process:   ")).toThrow(/the command is empty/);
    expect(() => makeEnvWithProcess(TOY, { encoding: "msgpack" })).toThrow(/option "encoding" must be "b64" or "json", got "msgpack"/);
  });

  it("the CLI trains and evaluates on process:COMMAND, with no preset lookup and a tidy run folder", () => {
    const tsx = join(ROOT, "node_modules", ".bin", "tsx");
    const qmix = (...args: string[]) => spawnSync(tsx, [join(ROOT, "src", "node", "cli.ts"), ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    const env = `process:python3 ${join(PY, "toy_env.py")}`;
    const r = qmix("train", "--env", env, "--config", join(ROOT, "presets", "two_step.json"), "--steps", "400", "--quiet");
    expect(r.status, r.stderr).toBe(0);
    const out = join(dir, "runs", "toy_env-qmix-seed0");
    expect(existsSync(join(out, "best.safetensors"))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8")).env).toBe(env);
    const e = qmix("eval", "--checkpoint", out, "--episodes", "2", "--json");
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).episodes).toBe(2);
    const bad = qmix("train", "--env", `process:python3 ${join(PY, "faulty_env.py")} --mode crash --at 2`, "--steps", "100", "--quiet", "--out", join(dir, "crash"));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/qmix: process env ".*faulty_env.py --mode crash --at 2": the process exited with code 3 while handling "step"/);
  });
});
