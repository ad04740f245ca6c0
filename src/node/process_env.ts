// An environment in another process: `process:<command>` starts the command
// and speaks the line-delimited JSON protocol of docs/bridge.md with it over
// its stdin/stdout, so QMIX can train on SMAC, Google Research Football or
// PettingZoo in Python. Node-only.
//
// Our MultiAgentEnv is synchronous and child-process I/O in Node is not. A
// worker thread owns the child and its pipes; the main thread posts a request
// and sleeps in Atomics.wait until the worker bumps a shared counter, then
// takes the reply with receiveMessageOnPort. The wait has a deadline (a hung
// environment becomes an error, not a stall), the worker sees the child exit
// (a crash becomes an error with the child's last stderr lines), and it
// drains stderr while the main thread sleeps (a chatty child never blocks on
// a full pipe). Blocking reads on the pipe's descriptor from the main thread
// were as fast (docs/bridge.md, "Transport"), but they need non-public
// handles, spin on EAGAIN while the environment computes and cannot drain
// stderr at the same time.

import { readEnvFiles } from "./env_files.ts";
import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { EnvOptions, MultiAgentEnv, StepResult } from "../envs/env.ts";
import { makeEnv } from "../envs/registry.ts";

export const PROTOCOL_VERSION = 1;
export const PROCESS_PREFIX = "process:";

export interface ProcessEnvOptions {
  /** The command line (split like a shell would, without one: no pipes, globs or $VARS), or argv. */
  command: string | string[];
  /** Per-request limit in ms after the first reset. [30000] */
  timeoutMs?: number;
  /** Limit for start-up, "info" and the first reset, which may launch a game (SC2 takes ~10 s). [120000] */
  startupTimeoutMs?: number;
  /** How arrays travel: base64 little-endian Float32 ("b64") or JSON lists ("json"). [b64] */
  encoding?: "b64" | "json";
  /** "inherit" copies the child's stderr to ours; "capture" only keeps its tail for error messages. [inherit] */
  stderr?: "inherit" | "capture";
  /** Working directory of the child. [ours] */
  cwd?: string;
  /** Seed for the environment's construction (sent with "info"). */
  seed?: number;
  /** Further options for the environment, sent with "info". */
  options?: Record<string, unknown>;
}

/** Which part failed: the process died, stopped answering, broke the protocol, or the environment raised. */
export type ProcessEnvErrorKind = "crash" | "timeout" | "protocol" | "env";

export class ProcessEnvError extends Error {
  override name = "ProcessEnvError";
  constructor(message: string, readonly kind: ProcessEnvErrorKind, readonly command: string) {
    super(message);
  }
}

/** Keys of envArgs that configure the bridge; the rest go to the environment. */
const BRIDGE_KEYS = ["timeoutMs", "startupTimeoutMs", "encoding", "stderr", "cwd"] as const;

type FromWorker =
  | { kind: "spawned"; pid: number }
  | { kind: "line"; text: string }
  | ExitMessage;
type ExitMessage = { kind: "exit"; code: number | null; signal: string | null; error?: string; tail: string };

// The worker is plain JavaScript evaluated from this string, so it loads the
// same under node, tsx and vitest without a TypeScript loader in the thread.
const WORKER_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const { spawn } = require("node:child_process");
const { writeSync } = require("node:fs");
const { port, counter, file, args, cwd, inheritStderr } = workerData;
const flag = new Int32Array(counter);
const post = (m) => { port.postMessage(m); Atomics.add(flag, 0, 1); Atomics.notify(flag, 0); };
const group = process.platform !== "win32";
let tail = "", exited = false, child;
const finish = (code, signal, error) => {
  if (exited) return;
  exited = true;
  post({ kind: "exit", code, signal, error, tail });
};
try {
  // Its own process group: a terminal's Ctrl-C goes to the trainer, which shuts the child down.
  child = spawn(file, args, { cwd, stdio: ["pipe", "pipe", "pipe"], detached: group, windowsHide: true });
} catch (e) {
  finish(null, null, e.message);
}
if (child) {
  child.on("spawn", () => post({ kind: "spawned", pid: child.pid }));
  child.on("error", (e) => finish(null, null, e.message));
  // 'close' waits for stdio to drain, so the stderr tail is complete; a grandchild holding the pipes open must not delay the report.
  child.on("exit", (code, signal) => setTimeout(() => finish(code, signal), 250).unref());
  child.on("close", (code, signal) => finish(code, signal));
  child.stdin.on("error", () => {});
  let buf = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d) => {
    buf += d;
    for (let i = buf.indexOf("\\n"); i >= 0; i = buf.indexOf("\\n")) {
      post({ kind: "line", text: buf.slice(0, i) });
      buf = buf.slice(i + 1);
    }
  });
  child.stderr.on("data", (d) => {
    if (inheritStderr) { try { writeSync(2, d); } catch {} }
    tail = (tail + d.toString("utf8")).slice(-8192);
  });
  port.on("message", (m) => {
    if (m.op === "send") child.stdin.write(m.line + "\\n");
    else if (m.op === "end") child.stdin.end();
    else if (m.op === "kill" && !exited) {
      try { if (group) process.kill(-child.pid, "SIGKILL"); else child.kill("SIGKILL"); } catch { child.kill("SIGKILL"); }
    }
  });
}
`;

export class ProcessEnv implements MultiAgentEnv {
  readonly name: string;
  readonly nAgents: number;
  readonly obsDim: number;
  readonly stateDim: number;
  readonly nActions: number;
  readonly episodeLimit: number;
  /** The environment's own name, from its "info" reply. */
  readonly remoteName: string;
  readonly pid: number;
  private readonly label: string;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly timeoutMs: number;
  private readonly startupTimeoutMs: number;
  private readonly b64: boolean;
  private nextId = 0;
  private resets = 0;
  private exit: ExitMessage | null = null;
  private closed = false;
  private obs: Float32Array;
  private state: Float32Array;
  private avail: Uint8Array;

  constructor(opts: ProcessEnvOptions) {
    const argv = typeof opts.command === "string" ? splitCommand(opts.command) : [...opts.command];
    const commandLine = typeof opts.command === "string" ? opts.command.trim() : argv.join(" ");
    this.name = PROCESS_PREFIX + commandLine;
    this.label = `process env "${commandLine}"`;
    if (argv.length === 0) throw new ProcessEnvError(`${this.label}: the command is empty; write process:<command>, e.g. process:python3 bridges/python/toy_env.py`, "crash", commandLine);
    this.timeoutMs = positive(opts.timeoutMs ?? 30_000, "timeoutMs", this.label);
    this.startupTimeoutMs = positive(opts.startupTimeoutMs ?? 120_000, "startupTimeoutMs", this.label);
    if (opts.encoding !== undefined && opts.encoding !== "b64" && opts.encoding !== "json") throw new Error(`${this.label}: option "encoding" must be "b64" or "json", got ${JSON.stringify(opts.encoding)}`);
    if (opts.stderr !== undefined && opts.stderr !== "inherit" && opts.stderr !== "capture") throw new Error(`${this.label}: option "stderr" must be "inherit" or "capture", got ${JSON.stringify(opts.stderr)}`);
    this.b64 = opts.encoding !== "json";

    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, counter: this.counter.buffer, file: argv[0], args: argv.slice(1), cwd: opts.cwd, inheritStderr: opts.stderr !== "capture" },
      transferList: [port2],
    });
    // Neither the thread nor the port may keep the trainer alive; if it exits
    // without close(), the child reads end of input and shuts down.
    this.worker.unref();
    this.port.unref();

    const started = this.receive(this.startupTimeoutMs);
    if (started === null || started.kind !== "spawned") {
      this.dispose();
      if (started?.kind === "exit") throw this.crashed(started, (how) => `could not start ${JSON.stringify(argv[0])}: it ${how}; is it installed and on the PATH?`);
      throw new ProcessEnvError(`${this.label}: the process did not start within ${this.startupTimeoutMs} ms`, "timeout", commandLine);
    }
    this.pid = started.pid;

    let info: Record<string, unknown>;
    try {
      info = this.call("info", { version: PROTOCOL_VERSION, encoding: this.b64 ? "b64" : "json", seed: opts.seed, options: opts.options ?? {} }, this.startupTimeoutMs);
    } catch (e) {
      this.close(); // an environment that raised while starting is still running
      throw e;
    }
    if (info["version"] !== PROTOCOL_VERSION) {
      this.fail(`info: the environment speaks protocol version ${JSON.stringify(info["version"])}; qmix-ts speaks ${PROTOCOL_VERSION} (update bridges/python/qmix_bridge.py on its side)`);
    }
    const size = (key: string): number => {
      const v = info[key];
      if (!Number.isInteger(v) || (v as number) < 1) this.fail(`info: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
      return v as number;
    };
    this.nAgents = size("n_agents");
    this.obsDim = size("obs_dim");
    this.stateDim = size("state_dim");
    this.nActions = size("n_actions");
    this.episodeLimit = size("episode_limit");
    this.remoteName = typeof info["name"] === "string" ? info["name"] : commandLine;
    this.obs = new Float32Array(this.nAgents * this.obsDim);
    this.state = new Float32Array(this.stateDim);
    this.avail = new Uint8Array(this.nAgents * this.nActions).fill(1);
  }

  reset(seed?: number): void {
    // The first reset may launch the game (SMAC starts StarCraft II here).
    const r = this.call("reset", { seed }, this.resets++ === 0 ? this.startupTimeoutMs : this.timeoutMs);
    this.observe(r, "reset");
  }

  step(actions: ArrayLike<number>): StepResult {
    if (actions.length !== this.nAgents) throw new RangeError(`${this.label}: step: got ${actions.length} actions, expected one per agent (${this.nAgents})`);
    const r = this.call("step", { actions: Array.from(actions) }, this.timeoutMs);
    const reward = r["reward"], terminated = flag(r["terminated"]), truncated = flag(r["truncated"]);
    if (typeof reward !== "number" || !Number.isFinite(reward)) this.fail(`step: "reward" must be a finite number, got ${JSON.stringify(reward)}`);
    if (terminated === null || truncated === null) this.fail(`step: "terminated" and "truncated" must be booleans, got ${JSON.stringify(r["terminated"])} and ${JSON.stringify(r["truncated"])}`);
    this.observe(r, "step");
    const out: StepResult = { reward, terminated, truncated };
    const info = r["info"];
    if (info !== undefined && info !== null && typeof info === "object" && !Array.isArray(info)) {
      const kept: Record<string, number | boolean | string> = {};
      for (const [k, v] of Object.entries(info)) if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") kept[k] = v;
      out.info = kept;
    }
    return out;
  }

  getObs(): Float32Array {
    return this.obs;
  }

  getState(): Float32Array {
    return this.state;
  }

  getAvailActions(): Uint8Array {
    return this.avail;
  }

  /** Ask the environment to close, wait for the process to end (killing it after 5 s), stop the thread. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.exit === null) {
      try {
        this.call("close", {}, Math.min(this.timeoutMs, 10_000));
      } catch {
        // Closing must not throw over an environment that is already broken.
      }
      if (this.closed) return; // the close request found it crashed or hung, and cleaned up
      this.port.postMessage({ op: "end" });
      if (!this.awaitExit(5_000)) {
        this.port.postMessage({ op: "kill" });
        this.awaitExit(2_000);
      }
    }
    this.dispose();
  }

  /** One request, one reply: the core of the protocol. */
  private call(cmd: string, body: Record<string, unknown>, timeoutMs: number): Record<string, unknown> {
    if (this.exit !== null) throw this.crashed(this.exit, (how) => `${cmd}: the process is no longer running (it ${how})`);
    if (this.closed) throw new ProcessEnvError(`${this.label}: ${cmd}: the environment was closed`, "crash", this.command);
    const id = ++this.nextId;
    this.port.postMessage({ op: "send", line: JSON.stringify({ id, cmd, ...body }) });
    const m = this.receive(timeoutMs);
    if (m === null) {
      this.port.postMessage({ op: "kill" });
      const gone = this.awaitExit(2_000);
      this.dispose();
      throw new ProcessEnvError(
        `${this.label}: no reply to "${cmd}" within ${timeoutMs} ms; the process (pid ${this.pid}) was killed. ` +
          `If the environment is just slow, raise envArgs.${this.resets <= 1 && cmd !== "step" ? "startupTimeoutMs" : "timeoutMs"}.` + stderrTail(gone ? (this.exit as ExitMessage | null)?.tail : ""),
        "timeout", this.command);
    }
    if (m.kind === "exit") {
      this.dispose();
      throw this.crashed(m, (how) => `the process ${how} while handling "${cmd}" (request ${id})`);
    }
    if (m.kind !== "line") this.fail(`${cmd}: unexpected message from the bridge thread`);
    let reply: unknown;
    try {
      reply = JSON.parse(m.text);
    } catch {
      this.fail(`${cmd}: the environment wrote a line that is not JSON: ${JSON.stringify(m.text.slice(0, 200))}. Only protocol replies may go to stdout; qmix_bridge.py sends print() output to stderr for you`);
    }
    if (reply === null || typeof reply !== "object" || Array.isArray(reply)) this.fail(`${cmd}: a reply must be a JSON object, got ${m.text.slice(0, 200)}`);
    const r = reply as Record<string, unknown>;
    if (typeof r["error"] === "string") {
      // A Python traceback ends with the error line itself; say it once.
      let tb = typeof r["traceback"] === "string" ? r["traceback"].trimEnd() : "";
      if (tb.endsWith(r["error"])) tb = tb.slice(0, tb.length - r["error"].length).trimEnd();
      if (tb) tb = `\n${indent(tb)}`;
      throw new ProcessEnvError(`${this.label}: ${cmd} failed in the environment: ${r["error"]}${tb}`, "env", this.command);
    }
    if (r["id"] !== id) this.fail(`${cmd}: reply to request ${JSON.stringify(r["id"])} arrived while waiting for request ${id}`);
    return r;
  }

  /** obs, state and avail_actions of a reset or step reply, checked against the sizes from "info". */
  private observe(r: Record<string, unknown>, cmd: string): void {
    const n = this.nAgents;
    this.obs = this.floats(r["obs"], n * this.obsDim, `${cmd}: "obs"`, `n_agents × obs_dim = ${n} × ${this.obsDim}`);
    this.state = this.floats(r["state"], this.stateDim, `${cmd}: "state"`, `state_dim = ${this.stateDim}`);
    const avail = this.floats(r["avail_actions"], n * this.nActions, `${cmd}: "avail_actions"`, `n_agents × n_actions = ${n} × ${this.nActions}`);
    const a = new Uint8Array(avail.length);
    for (let i = 0; i < a.length; i++) a[i] = avail[i] !== 0 ? 1 : 0;
    this.avail = a;
  }

  /** A wire array: {"b64": …} (Float32 LE, or bytes with "dtype": "u8"), a flat list, or one list per agent. */
  private floats(v: unknown, expected: number, what: string, why: string): Float32Array {
    let out: Float32Array;
    if (v !== null && typeof v === "object" && !Array.isArray(v) && typeof (v as { b64?: unknown }).b64 === "string") {
      const { b64, dtype } = v as { b64: string; dtype?: unknown };
      const bytes = Buffer.from(b64, "base64");
      if (dtype === "u8") {
        out = Float32Array.from(bytes);
      } else {
        if (dtype !== undefined && dtype !== "f32") this.fail(`${what}: unknown dtype ${JSON.stringify(dtype)}; expected "f32" or "u8"`);
        if (bytes.length % 4 !== 0) this.fail(`${what}: base64 Float32 data has ${bytes.length} bytes, not a multiple of 4`);
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
        out = new Float32Array(bytes.length / 4);
        for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
      }
    } else if (Array.isArray(v)) {
      const flat: unknown[] = v.flat(Infinity as 1);
      out = new Float32Array(flat.length);
      for (let i = 0; i < flat.length; i++) {
        const x = flat[i];
        if (typeof x !== "number" && typeof x !== "boolean") this.fail(`${what}: element ${i} is ${JSON.stringify(x)}, not a number`);
        out[i] = Number(x);
      }
    } else {
      this.fail(`${what}: expected a list of numbers or {"b64": "..."}, got ${v === undefined ? "nothing" : JSON.stringify(v).slice(0, 100)}`);
    }
    if (out.length !== expected) this.fail(`${what} has ${out.length} values, expected ${why} = ${expected}`);
    return out;
  }

  /** The next message from the bridge thread, or null at the deadline. */
  private receive(timeoutMs: number): FromWorker | null {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(this.counter, 0);
      // Read after loading the counter: a message posted later bumps it and ends the wait.
      const m = receiveMessageOnPort(this.port);
      if (m !== undefined) {
        const msg = m.message as FromWorker;
        if (msg.kind === "exit") this.exit = msg;
        return msg;
      }
      const left = deadline - performance.now();
      if (left <= 0) return null;
      Atomics.wait(this.counter, 0, seen, left);
    }
  }

  private awaitExit(timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs;
    while (this.exit === null) {
      if (this.receive(Math.max(0, deadline - performance.now())) === null) return false;
    }
    return true;
  }

  private get command(): string {
    return this.name.slice(PROCESS_PREFIX.length);
  }

  private crashed(e: ExitMessage, say: (how: string) => string): ProcessEnvError {
    const how = e.error !== undefined ? `failed (${e.error})` : e.signal !== null ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
    return new ProcessEnvError(`${this.label}: ${say(how)}${stderrTail(e.tail)}`, "crash", this.command);
  }

  /** A protocol violation: the process cannot be trusted further, so it is killed. */
  private fail(msg: string): never {
    if (this.exit === null) {
      this.port.postMessage({ op: "kill" });
      this.awaitExit(2_000);
    }
    this.dispose();
    throw new ProcessEnvError(`${this.label}: ${msg}`, "protocol", this.command);
  }

  private dispose(): void {
    this.closed = true;
    void this.worker.terminate();
    this.port.close();
  }
}

/** Make `process:<command>` environments, and registered ones otherwise: a drop-in for makeEnv. */
export function makeEnvWithProcess(name: string, options: EnvOptions & { seed?: number } = {}): MultiAgentEnv {
  if (!name.startsWith(PROCESS_PREFIX)) return makeEnv(name, readEnvFiles(options));
  return new ProcessEnv(processEnvOptions(name.slice(PROCESS_PREFIX.length), options));
}

/** A registry factory for one command, e.g. registerEnv("smac_3m", processEnvFactory("python3 bridges/python/smac_env.py --map_name 3m")). */
export function processEnvFactory(command: string | string[]): (options: EnvOptions & { seed?: number }) => ProcessEnv {
  return (options) => new ProcessEnv(processEnvOptions(command, options));
}

/** envArgs split: the bridge's own keys configure ProcessEnv, the rest go to the environment. */
function processEnvOptions(command: string | string[], options: EnvOptions & { seed?: number }): ProcessEnvOptions {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (k !== "seed" && !(BRIDGE_KEYS as readonly string[]).includes(k)) rest[k] = v;
  const o = options as Record<string, unknown>;
  return {
    command,
    timeoutMs: o["timeoutMs"] as number | undefined,
    startupTimeoutMs: o["startupTimeoutMs"] as number | undefined,
    encoding: o["encoding"] as "b64" | "json" | undefined,
    stderr: o["stderr"] as "inherit" | "capture" | undefined,
    cwd: o["cwd"] as string | undefined,
    seed: options.seed,
    options: rest,
  };
}

/** A file-name-safe short name for an environment: registered names as they are, process commands by their script and arguments. */
export function envSlug(name: string): string {
  if (!name.startsWith(PROCESS_PREFIX)) return name.replace(/[^\w.-]+/g, "_");
  let words: string[];
  try {
    words = splitCommand(name.slice(PROCESS_PREFIX.length));
  } catch {
    words = [name.slice(PROCESS_PREFIX.length)];
  }
  // Drop the interpreter; keep the script's base name and the arguments.
  if (words.length > 1) words = words.slice(1);
  const parts = words.map((w, i) => (i === 0 ? w.replace(/^.*[\\/]/, "").replace(/\.\w+$/, "") : w.replace(/^-+/, "")));
  const slug = parts.join("_").replace(/[^\w.-]+/g, "_").replace(/_+/g, "_").replace(/^_|_$/g, "");
  return (slug || "process").slice(0, 80);
}

/** Split a command line into argv like a POSIX shell: whitespace, '…', "…", backslash escapes; nothing expanded. */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let word = "", inWord = false, quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new Error(`process env: unterminated ${quote} quote in command ${JSON.stringify(line)}`);
  if (inWord) out.push(word);
  return out;
}

function positive(v: unknown, key: string, label: string): number {
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) throw new Error(`${label}: option "${key}" must be a positive number of milliseconds, got ${JSON.stringify(v)}`);
  return v;
}

function flag(v: unknown): boolean | null {
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  return null;
}

function indent(s: string): string {
  return s.split("\n").map((l) => `  | ${l}`).join("\n");
}

function stderrTail(tail: string | undefined): string {
  const lines = (tail ?? "").trimEnd().split("\n").filter((l) => l.length > 0).slice(-15);
  return lines.length > 0 ? `\nLast lines of its stderr:\n${indent(lines.join("\n"))}` : "";
}
