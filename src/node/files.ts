// File I/O for the Node layer: atomic writes (temp file, fsync, rename) so a
// crash or a full disk never leaves a half-written checkpoint behind.

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, "w");
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new Error(`could not write ${path}: ${e.code === "ENOSPC" ? "the disk is full" : e.code === "EACCES" || e.code === "EROFS" || e.code === "EPERM" ? "the folder is not writable" : e.message}; the previous file, if any, is unchanged`);
  }
}
