// File I/O for the Node layer. Every file is written to a temporary name,
// fsynced and renamed over the old one, so a crash leaves the old file or the
// new one, never half of either. A checkpoint is two files (the model and the
// replay buffer); saveCheckpoint orders their renames so that a crash at any
// instant still leaves a model with the buffer it was saved with, and
// loadCheckpoint finds that buffer. See docs/reliability.md.

import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CheckpointError, bufferMismatch, readConfig } from "../train/checkpoint.ts";

export const MODEL_FILE = "model.safetensors";
export const BUFFER_FILE = "buffer.safetensors";
/** The newer buffer while a checkpoint is being saved (see saveCheckpoint). */
export const NEXT_BUFFER_FILE = "buffer.next.safetensors";

export class WriteError extends Error {
  override name = "WriteError";
}

/** What a failed write means for the user, by errno. */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case "ENOSPC": return "the disk is full";
    case "EDQUOT": return "the disk quota is used up";
    case "EFBIG": return "the file is larger than this process or file system allows";
    case "EACCES": case "EPERM": case "EROFS": return `the folder is not writable (${e.code})`;
    case "ENOTDIR": return "a part of the path is a file, not a folder";
    default: return e.message;
  }
}

// Test-only hook: with QMIX_TEST_SLOW_WRITE_MS=n, every rename that commits a
// file is announced on stderr ("qmix-test: committing NAME") and delayed by n
// ms, so a test can SIGKILL the process inside that window
// (test/node/reliability.test.ts). Unset, it costs one comparison.
function beforeCommit(path: string): void {
  const ms = Number(process.env.QMIX_TEST_SLOW_WRITE_MS ?? 0);
  if (!(ms > 0)) return;
  process.stderr.write(`qmix-test: committing ${basename(path)}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Makes a rename durable across a power cut, where the platform can (Linux, macOS; not Windows). */
function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    closeSync(fd);
  }
}

function commit(from: string, to: string): void {
  beforeCommit(to);
  renameSync(from, to);
  fsyncDir(dirname(to));
}

/** Temp file, fsync, rename; throws the errno error and leaves no temp file behind. Parts are written one after another. */
function writeAtomic(path: string, data: Uint8Array | readonly Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, "w");
    try {
      for (const bytes of data instanceof Uint8Array ? [data] : data) {
        let off = 0;
        while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    commit(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // On a folder turned read-only the temp file cannot go; loadCheckpoint removes it later. The first error is the one to report.
    }
    throw err;
  }
}

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new WriteError(`could not create the output folder ${dir}: ${reason(err)}`);
  }
}

/** Appends one line (a log, not a checkpoint: a crash may cut the last line short, which filterJsonLines drops). */
export function appendLine(path: string, line: string): void {
  try {
    appendFileSync(path, line + "\n");
  } catch (err) {
    throw new WriteError(`could not append to ${path}: ${reason(err)}`);
  }
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    writeAtomic(path, bytes);
  } catch (err) {
    throw new WriteError(`could not write ${path}: ${reason(err)}; the previous file, if any, is unchanged`);
  }
}

/**
 * Saves a checkpoint pair in three steps: (1) the new buffer goes beside the
 * old one as buffer.next.safetensors, (2) the model is renamed into place —
 * the commit point — and (3) buffer.next replaces buffer. A crash before (2)
 * leaves the old model with the old buffer; after (2), the new model with
 * buffer.next, which loadCheckpoint then moves into place. The buffer may
 * come as parts (encodeBufferParts), written without joining them.
 */
export function saveCheckpoint(dir: string, model: Uint8Array, buffer: Uint8Array | readonly Uint8Array[]): void {
  try {
    writeAtomic(join(dir, NEXT_BUFFER_FILE), buffer);
    writeAtomic(join(dir, MODEL_FILE), model);
  } catch (err) {
    throw new WriteError(`could not save the checkpoint in ${dir}: ${reason(err)}; the previous checkpoint (${MODEL_FILE} with its ${BUFFER_FILE}) is unchanged`);
  }
  try {
    commit(join(dir, NEXT_BUFFER_FILE), join(dir, BUFFER_FILE));
  } catch (err) {
    throw new WriteError(`saved ${MODEL_FILE} in ${dir} but could not rename its buffer from ${NEXT_BUFFER_FILE} to ${BUFFER_FILE}: ${reason(err)}; --resume will find it`);
  }
}

/** The file that marks a run folder as in use by one training process (its pid). */
export const LOCK_FILE = "train.lock";

export class LockError extends Error {
  override name = "LockError";
}

/**
 * Claims a run folder for this process, so two trainings never write (or
 * clean up) the same checkpoint: a second one is refused, naming the first's
 * pid. A lock left by a process that no longer runs (SIGKILL, a crash) is
 * taken over. Returns the function that releases it.
 */
export function lockRunDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw new WriteError(`could not create ${path}: ${reason(err)}`);
    }
    let pid = NaN;
    try {
      pid = Number(readFileSync(path, "utf8").trim());
    } catch {
      // Gone in between: try again.
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && running(pid)) {
      throw new LockError(`${dir} is in use by another training process (pid ${pid}); wait for it to stop, or remove ${path} if no such process is training there`);
    }
    try {
      rmSync(path, { force: true });
    } catch (err) {
      throw new WriteError(`could not take over ${path}, left by a process that no longer runs: ${reason(err)}`);
    }
  }
  return () => {
    try {
      if (readFileSync(path, "utf8").trim() === String(process.pid)) rmSync(path, { force: true });
    } catch {
      // Already gone, or the folder went away: nothing to release.
    }
  };
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Reads a checkpoint pair written by saveCheckpoint: the model and whichever
 * buffer was saved with it, finishing step (3) if a crash interrupted it.
 * Also removes temporary files a killed process left behind.
 */
export function loadCheckpoint(dir: string): { model: Uint8Array; buffer: Uint8Array } {
  for (const f of readdirSync(dir)) {
    if (!/\.(safetensors|json|svg)\.\d+\.tmp$/.test(f)) continue;
    try {
      rmSync(join(dir, f), { force: true });
    } catch {
      // A read-only folder: the run fails at its first write, with a clearer message than this one.
    }
  }
  const modelPath = join(dir, MODEL_FILE);
  const model = new Uint8Array(readFileSync(modelPath));
  try {
    readConfig(model);
  } catch (err) {
    throw new CheckpointError(`${modelPath} is not a readable checkpoint: ${(err as Error).message}`);
  }
  const refused: string[] = [];
  for (const name of [BUFFER_FILE, NEXT_BUFFER_FILE]) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const buffer = new Uint8Array(readFileSync(path));
    let why: string | null;
    try {
      why = bufferMismatch(model, buffer);
    } catch (err) {
      why = (err as Error).message; // a damaged buffer file: the other one may still belong to the model
    }
    if (why === null) {
      // Promote now: the next save overwrites buffer.next, which must not be the only copy.
      if (name === NEXT_BUFFER_FILE) {
        try {
          commit(path, join(dir, BUFFER_FILE));
        } catch (err) {
          throw new WriteError(`could not rename ${path} to ${BUFFER_FILE}: ${reason(err)}`);
        }
      }
      return { model, buffer };
    }
    refused.push(`${name}: ${why}`);
  }
  throw new CheckpointError(`${dir}: no replay buffer belongs to ${MODEL_FILE} (${refused.length ? refused.join("; ") : `no ${BUFFER_FILE}`}), so the run cannot continue exactly`);
}

/**
 * Keeps the lines of a JSON-lines file that `keep` accepts and drops lines
 * that do not parse (a process killed during an append leaves half a line).
 */
export function filterJsonLines(path: string, keep: (o: Record<string, unknown>) => boolean): void {
  if (!existsSync(path)) return;
  const kept: string[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof o === "object" && o !== null && keep(o as Record<string, unknown>)) kept.push(line + "\n");
  }
  writeFileAtomic(path, kept.join(""));
}
