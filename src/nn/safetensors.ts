/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian u64 header length N,
 * N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`
 * padded with spaces, then the data section, which the tensors' byte ranges must tile exactly.
 *
 * We write F32 and U8 and read F32, F64, F16 and BF16 (PyTorch checkpoints arrive in all four) into
 * Float32Array, and U8 as bytes (a replay buffer's packed episodes). The decoder treats its input as hostile: every failure is a SafetensorsError, it
 * reads only inside the buffer, and what it allocates is bounded by the size of the file.
 */

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

/** Raw bytes (dtype U8), given as chunks written one after another, so a large store need not be joined first. */
export interface NamedBytes {
  shape: number[];
  chunks: readonly Uint8Array[];
}

export interface DecodeOptions {
  /** Refuse headers longer than this many bytes. Default 100 000 000 (the reference's MAX_HEADER_SIZE). */
  maxHeaderBytes?: number;
}

export interface DecodedSafetensors {
  /** In the order of their bytes in the file (for files we wrote: sorted by name). */
  tensors: Map<string, NamedArray>;
  /** The U8 tensors, as views into the decoded file's bytes (copy what must outlive them). */
  bytes: Map<string, { shape: number[]; data: Uint8Array }>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

const MAX_HEADER_BYTES = 100_000_000; // huggingface/safetensors lib.rs MAX_HEADER_SIZE
// Our headers nest three deep (root, entry, shape); the bound keeps the key scan's stack small.
const MAX_JSON_DEPTH = 64;
const METADATA_KEY = "__metadata__";
// A Map, not an object literal: a hostile dtype such as "toString" must not find a prototype member.
const BYTES_PER_ELEMENT = new Map([["F32", 4], ["F64", 8], ["F16", 2], ["BF16", 2], ["U8", 1]]);
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// Encoding

type Tensors = Record<string, NamedArray | NamedBytes> | Map<string, NamedArray | NamedBytes>;

export function encodeSafetensors(
  tensors: Tensors,
  metadata?: Record<string, string>,
): Uint8Array {
  return joinBytes(encodeSafetensorsParts(tensors, metadata));
}

/**
 * The same file as encodeSafetensors, as parts to write one after another:
 * the header, then each tensor's bytes. On a little-endian host those are
 * views of the tensors' own memory, so a large file (a replay buffer) is
 * written without a second copy of it; the views are valid until the
 * tensors change.
 */
export function encodeSafetensorsParts(
  tensors: Tensors,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  // Sorted by UTF-16 code units, not locale, so equal inputs give equal bytes everywhere.
  entries.sort(([a], [b]) => compare(a, b));

  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compare);
    const fields = keys.map((k) => {
      const v: unknown = metadata[k];
      if (typeof v !== "string") {
        throw new SafetensorsError(`encode: metadata ${quote(k)} must be a string, got ${describe(v)}`);
      }
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    if (keys.length > 0) parts.push(`"${METADATA_KEY}":{${fields.join(",")}}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === METADATA_KEY) throw new SafetensorsError(`encode: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    const bytes = typeof t === "object" && t !== null && "chunks" in t && Array.isArray(t.chunks) && t.chunks.every((c) => c instanceof Uint8Array);
    if (!bytes && (typeof t !== "object" || t === null || !("data" in t) || !(t.data instanceof Float32Array))) {
      throw new SafetensorsError(`encode: tensor ${quote(name)} must be {shape: number[], data: Float32Array} or {shape: number[], chunks: Uint8Array[]}`);
    }
    const numel = checkedNumel(`encode: tensor ${quote(name)}`, t.shape);
    const count = bytes ? (t as NamedBytes).chunks.reduce((a, c) => a + c.length, 0) : (t as NamedArray).data.length;
    if (numel !== count) {
      throw new SafetensorsError(
        `encode: tensor ${quote(name)} has shape [${t.shape.join(", ")}] (${numel} elements) but ${count} ${bytes ? "bytes" : "values"}`,
      );
    }
    const end = offset + (bytes ? 1 : 4) * numel;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${bytes ? "U8" : "F32"}","shape":[${t.shape.join(",")}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }

  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  // Padding the header to 8 bytes puts the data section on an 8-byte boundary, as the reference does.
  const n = Math.ceil(json.length / 8) * 8;
  const header = new Uint8Array(8 + n);
  const view = new DataView(header.buffer);
  view.setUint32(0, n % 2 ** 32, true);
  view.setUint32(4, Math.floor(n / 2 ** 32), true);
  header.set(json, 8);
  header.fill(0x20, 8 + json.length, 8 + n);
  const out: Uint8Array[] = [header];
  for (const [, t] of entries) {
    if ("chunks" in t) {
      out.push(...t.chunks);
    } else if (HOST_LE) {
      out.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    } else {
      const bytes = new Uint8Array(t.data.byteLength);
      writeF32LE(t.data, bytes, 0);
      out.push(bytes);
    }
  }
  return out;
}

/** The parts one after another in a new array. */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  numel: number;
  begin: number;
  end: number;
}

export function decodeSafetensors(bytes: Uint8Array, options: DecodeOptions = {}): DecodedSafetensors {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError(`decode: expected a Uint8Array, got ${describe(bytes)}`);
  const maxHeader = options?.maxHeaderBytes ?? MAX_HEADER_BYTES;
  if (!Number.isSafeInteger(maxHeader) || maxHeader < 0) {
    throw new SafetensorsError(`decode: maxHeaderBytes must be a non-negative integer, got ${String(maxHeader)}`);
  }
  if (bytes.length < 8) {
    throw new SafetensorsError(`decode: file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  // The u64 is read as two u32 words: a non-zero high word already means > 4 GiB of header.
  const lo = u32LE(bytes, 0);
  const hi = u32LE(bytes, 4);
  if (hi !== 0 || lo > maxHeader) {
    const n = (BigInt(hi) << 32n) | BigInt(lo);
    throw new SafetensorsError(`decode: header length ${n} exceeds the limit of ${maxHeader} bytes`);
  }
  if (8 + lo > bytes.length) {
    throw new SafetensorsError(`decode: header length ${lo} runs past the end of the ${bytes.length}-byte file`);
  }
  const dataStart = 8 + lo;
  const dataLength = bytes.length - dataStart;

  const root = parseHeader(bytes.subarray(8, dataStart));
  let metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const name of Object.keys(root)) {
    if (name === METADATA_KEY) metadata = readMetadata(root[name]);
    else entries.push(readEntry(name, root[name], dataLength));
  }
  checkTiling(entries, dataLength);

  const tensors = new Map<string, NamedArray>();
  const raw = new Map<string, { shape: number[]; data: Uint8Array }>();
  for (const e of entries) {
    if (e.dtype === "U8") raw.set(e.name, { shape: e.shape, data: bytes.subarray(dataStart + e.begin, dataStart + e.end) });
    else tensors.set(e.name, { shape: e.shape, data: readData(bytes, dataStart + e.begin, e.numel, e.dtype) });
  }
  return { tensors, bytes: raw, metadata };
}

function parseHeader(raw: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, where the '{' check below rejects it.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    throw new SafetensorsError("decode: header is not valid UTF-8");
  }
  if (text.charCodeAt(0) !== 0x7b) throw new SafetensorsError(`decode: header must be a JSON object starting with '{', got ${describe(text.slice(0, 20))}`);
  checkDuplicateKeys(text);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError(`decode: header is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(root)) throw new SafetensorsError("decode: header must be a JSON object");
  return root;
}

/**
 * JSON.parse keeps the last of two equal keys, which would let a file show one tensor to us and
 * another to a different reader. This pass finds the keys of every object (decoding escapes, so
 * "a" and "\u0061" collide) with an explicit stack; JSON.parse then judges everything else.
 */
function checkDuplicateKeys(text: string): void {
  const stack: (Set<string> | null)[] = []; // a Set of keys per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (j >= text.length) throw new SafetensorsError("decode: header is not valid JSON (unterminated string)");
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = parseJsonString(text.slice(i, j + 1));
        if (keys.has(key)) {
          const where = stack.length === 1 ? "tensor name" : `key in the header object at depth ${stack.length}`;
          throw new SafetensorsError(`decode: duplicate ${where} ${quote(key)}`);
        }
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      if (stack.length >= MAX_JSON_DEPTH) throw new SafetensorsError(`decode: header JSON nests deeper than ${MAX_JSON_DEPTH}`);
      stack.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
    } else if (c === 0x2c) {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else if (c === 0x3a) {
      expectKey = false;
    }
  }
}

function parseJsonString(token: string): string {
  try {
    return JSON.parse(token) as string;
  } catch {
    throw new SafetensorsError(`decode: header is not valid JSON (bad string ${describe(token)})`);
  }
}

function readMetadata(value: unknown): Record<string, string> {
  if (!isObject(value)) throw new SafetensorsError(`decode: "${METADATA_KEY}" must be an object of strings, got ${describe(value)}`);
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new SafetensorsError(`decode: "${METADATA_KEY}" entry ${quote(k)} must be a string, got ${describe(v)}`);
    out.push([k, v]);
  }
  return Object.fromEntries(out);
}

function readEntry(name: string, value: unknown, dataLength: number): Entry {
  const where = `decode: tensor ${quote(name)}`;
  if (!isObject(value)) throw new SafetensorsError(`${where}: entry must be {dtype, shape, data_offsets}, got ${describe(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string") throw new SafetensorsError(`${where}: dtype must be a string, got ${describe(dtype)}`);
  const size = BYTES_PER_ELEMENT.get(dtype);
  if (size === undefined) {
    throw new SafetensorsError(`${where}: dtype ${describe(dtype)} is not supported (supported: ${[...BYTES_PER_ELEMENT.keys()].join(", ")})`);
  }
  const numel = checkedNumel(where, shape);
  const dims = (shape as number[]).map((d) => d + 0); // JSON allows -0; shapes hold plain 0
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    throw new SafetensorsError(`${where}: data_offsets must be [begin, end] of non-negative integers, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) {
    throw new SafetensorsError(`${where}: data_offsets [${begin}, ${end}] run past the ${dataLength}-byte data section`);
  }
  const nbytes = end - begin;
  if (nbytes % size !== 0 || nbytes / size !== numel) {
    throw new SafetensorsError(
      `${where}: shape [${dims.join(", ")}] of ${dtype} needs ${numel} × ${size} bytes but data_offsets [${begin}, ${end}] span ${nbytes}`,
    );
  }
  return { name, dtype, shape: dims, numel, begin, end };
}

/** Sorts entries by position and demands they tile [0, dataLength) with no overlap and no hole. */
function checkTiling(entries: Entry[], dataLength: number): void {
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end || compare(a.name, b.name));
  let covered = 0;
  let previous: Entry | undefined;
  for (const e of entries) {
    if (e.begin < covered && previous) {
      throw new SafetensorsError(
        `decode: tensors ${quote(previous.name)} [${previous.begin}, ${previous.end}] and ${quote(e.name)} [${e.begin}, ${e.end}] overlap`,
      );
    }
    if (e.begin > covered) {
      const after = previous ? `between ${quote(previous.name)} and` : "before";
      throw new SafetensorsError(`decode: data bytes [${covered}, ${e.begin}) belong to no tensor (a hole ${after} ${quote(e.name)})`);
    }
    covered = e.end;
    previous = e;
  }
  if (covered !== dataLength) {
    const last = previous ? ` after ${quote(previous.name)}` : "";
    throw new SafetensorsError(`decode: data bytes [${covered}, ${dataLength}) belong to no tensor (trailing bytes${last})`);
  }
}

/** Copies the elements out (the result never aliases the input) at any alignment, on any host. */
function readData(bytes: Uint8Array, offset: number, n: number, dtype: string): Float32Array {
  if (dtype === "F32") return readF32LE(bytes, offset, n);
  const out = new Float32Array(n);
  if (dtype === "F64") {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, true);
    return out;
  }
  // F16 and BF16 widen exactly, so we write float32 bit patterns; a Uint32Array over the same
  // buffer shares the host's byte order with the Float32Array, so this holds on any host.
  const bits = new Uint32Array(out.buffer);
  for (let i = 0, p = offset; i < n; i++, p += 2) {
    const h = bytes[p]! | (bytes[p + 1]! << 8);
    if (dtype === "BF16") {
      bits[i] = h << 16 >>> 0;
      continue;
    }
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) out[i] = (sign ? -mant : mant) * 2 ** -24; // zero or subnormal: m × 2^-24, exact in f32
    else bits[i] = (sign | ((exp === 31 ? 0xff : exp + 112) << 23) | (mant << 13)) >>> 0; // rebias 15 → 127
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Little-endian float32 transfer. Exported only so the test can run the big-endian path.

/** @internal Reads n little-endian float32 values starting at bytes[offset], preserving every bit. */
export function readF32LE(bytes: Uint8Array, offset: number, n: number, hostLE = HOST_LE): Float32Array {
  const out = new Float32Array(n);
  if (hostLE) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 4 * n));
    return out;
  }
  const bits = new Uint32Array(out.buffer);
  for (let i = 0, p = offset; i < n; i++, p += 4) {
    bits[i] = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0;
  }
  return out;
}

/** @internal Writes data into out at offset as little-endian float32, preserving every bit. */
export function writeF32LE(data: Float32Array, out: Uint8Array, offset: number, hostLE = HOST_LE): void {
  if (hostLE) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  // A Float32Array's byteOffset is a multiple of 4, so this Uint32Array view is always legal.
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let i = 0, p = offset; i < bits.length; i++, p += 4) {
    const b = bits[i]!;
    out[p] = b & 0xff;
    out[p + 1] = (b >>> 8) & 0xff;
    out[p + 2] = (b >>> 16) & 0xff;
    out[p + 3] = b >>> 24;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Element count of a shape, refusing anything but non-negative integers and any product past 2^53. */
function checkedNumel(where: string, shape: unknown): number {
  if (!Array.isArray(shape) || !shape.every(isIndex)) {
    throw new SafetensorsError(`${where}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  let n = 1;
  for (const d of shape as number[]) {
    if (d !== 0 && n > Number.MAX_SAFE_INTEGER / d) {
      throw new SafetensorsError(`${where}: shape [${shape.join(", ")}] has more than 2^53 elements`);
    }
    n *= d;
  }
  return n;
}

function isIndex(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function u32LE(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A short, printable rendering for messages: hostile files may carry megabyte-long names. */
function quote(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 120 ? `${q.slice(0, 100)}…" (${s.length} chars)` : q;
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v); // undefined for functions and symbols
  } catch {
    s = typeof v; // bigint, or a caller's cyclic object
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
