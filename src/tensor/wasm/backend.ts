// The WebAssembly SIMD matmul backend: the kernels of scripts/build-wasm.ts
// behind the exact signatures of src/tensor/matmul.ts (C += A·B over
// row-major Float32Array, offsets in elements).
//
// The kernels see only their own linear memory, so each call copies A's, B's
// and C's regions in (C too: the kernels accumulate), runs, and copies C's
// region back. Copies are TypedArray.set (memcpy); measured in bench/wasm.ts,
// they cost about a tenth of the product at the smallest hot shape (96×26→64)
// and less above it. Nothing is cached between calls: weights change on every
// optimizer step, and a stale B would be a silent wrong answer.
//
// The module is compiled synchronously on first use, not at import, so an
// engine without WebAssembly SIMD (or with QMIX_BACKEND=js) pays nothing.
//
// Two builds of the same kernels ship: one with core SIMD only, and one whose
// matmul multiply-adds are relaxed SIMD's f32x4.relaxed_madd (one fused
// instruction where the machine has FMA, as x64 with AVX2 and arm64 do). The
// fused one is used where the runtime validates it, unless QMIX_WASM_FMA=0;
// its sums differ from the other's only in rounding (a product is not rounded
// before it is added). Node 20 validates relaxed SIMD only behind a V8 flag,
// which src/node/wasm_features.ts sets; Node 22, Deno and Chromium ship it.

import { KERNELS_FMA_WASM_BASE64, KERNELS_WASM_BASE64 } from "./kernels.generated.ts";
import { decodeBase64 } from "./base64.ts";

/** The module's exports (ABI in scripts/build-wasm.ts); pointers are byte offsets. */
export interface WasmKernelExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  nn(a: number, b: number, c: number, m: number, k: number, n: number): void;
  tn(a: number, b: number, c: number, m: number, k: number, n: number): void;
  nt(a: number, b: number, c: number, m: number, k: number, n: number, t: number): void;
  gru_fwd(
    gi: number, h: number, w: number, wt: number, b: number, gh: number, r: number, z: number, n: number, ghn: number,
    rows: number, hidden: number, steps: number, keep: number,
  ): void;
  gru_bwd(
    g: number, h: number, w: number, r: number, z: number, n: number, ghn: number, dgh: number, dgi: number,
    dh: number, dhp: number, gw: number, db: number, ones: number, rows: number, hidden: number, steps: number, flags: number,
  ): void;
  vexp(src: number, dst: number, count: number): void;
  vsigmoid(src: number, dst: number, count: number): void;
  vtanh(src: number, dst: number, count: number): void;
  vrelu(src: number, dst: number, count: number): void;
  vrelu_mask(g: number, y: number, count: number): void;
  mix_fwd(q: number, a: number, b: number, f: number, v: number, hid: number, out: number, rows: number, n: number, E: number): void;
  mix_bwd(
    g: number, q: number, a: number, f: number, hid: number, dq: number, da: number, db: number, df: number, dv: number,
    dh: number, rows: number, n: number, E: number,
  ): void;
}

// Just the part of the WebAssembly namespace we use; our tsconfig has no DOM
// lib, and reading it off globalThis lets an engine without it answer "no".
interface WasmNamespace {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

/**
 * (func (drop (f32x4.extract_lane 0 (f32x4.splat (f32.const 0))))): one
 * function, no imports. validate() is false wherever SIMD is not supported.
 */
const SIMD_PROBE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: [] -> []
  0x03, 0x02, 0x01, 0x00, // function section: func 0 has type 0
  0x0a, 0x0f, 0x01, 0x0d, 0x00, // code section: one body of 13 bytes, no locals
  0x43, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x13, 0xfd, 0x1f, 0x00, 0x1a, 0x0b, // f32.const 0, splat, extract_lane 0, drop, end
);

const PAGE = 65536;
/** Bytes after B, C and the scratch: a row's last columns load a whole f32x4 past the row. */
const SLACK = 16;

interface Engine { readonly ex: WasmKernelExports; heap: Float32Array }

let engine: Engine | null | undefined; // undefined: not tried yet; null: unavailable
let status = "not loaded yet";
let enabled = true;
let fused = false;

function fromEnv(key: string): string {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    return env?.[key] ?? "";
  } catch {
    return ""; // Deno without --allow-env throws on access: treat as unset.
  }
}

/** The relaxed-SIMD build of the kernels where the runtime validates it and QMIX_WASM_FMA allows it, else null. */
function fmaBytes(W: WasmNamespace): Uint8Array | null {
  if (fromEnv("QMIX_WASM_FMA") === "0") return null;
  const bytes = decodeBase64(KERNELS_FMA_WASM_BASE64);
  return W.validate(bytes) ? bytes : null;
}

function compile(): Engine | null {
  const W = (globalThis as { WebAssembly?: WasmNamespace }).WebAssembly;
  if (W === undefined) { status = "unavailable: this runtime has no WebAssembly"; return null; }
  try {
    if (!W.validate(SIMD_PROBE)) { status = "unavailable: this runtime's WebAssembly lacks SIMD (f32x4)"; return null; }
    const fma = fmaBytes(W);
    const instance = new W.Instance(new W.Module(fma ?? decodeBase64(KERNELS_WASM_BASE64)), {});
    const ex = instance.exports as WasmKernelExports;
    fused = fma !== null;
    status = fused ? "available (relaxed SIMD fused multiply-add)" : "available";
    return { ex, heap: new Float32Array(ex.memory.buffer) };
  } catch (err) {
    status = `unavailable: compiling the kernels failed: ${err instanceof Error ? err.message : String(err)}`;
    return null;
  }
}

function load(): Engine | null {
  if (engine !== undefined) return engine;
  const choice = fromEnv("QMIX_BACKEND");
  if (choice !== "" && choice !== "js" && choice !== "wasm") {
    throw new Error(`QMIX_BACKEND=${JSON.stringify(choice)} is not a backend; allowed: "js", "wasm" (or unset: wasm when available)`);
  }
  const fma = fromEnv("QMIX_WASM_FMA");
  if (fma !== "" && fma !== "0" && fma !== "1") {
    throw new Error(`QMIX_WASM_FMA=${JSON.stringify(fma)} is not a switch; allowed: "0" (core SIMD kernels), "1" or unset (the fused kernels where the runtime validates them)`);
  }
  if (choice === "js") {
    status = "disabled by QMIX_BACKEND=js";
    engine = null;
    return null;
  }
  engine = compile();
  if (engine === null && choice === "wasm") throw new Error(`QMIX_BACKEND=wasm, but the wasm backend is ${status}`);
  return engine;
}

/** True when the SIMD kernels compiled and are enabled. Loads them on the first call. */
export function wasmAvailable(): boolean {
  return enabled && load() !== null;
}

/** Why the backend is or is not available, for logs and error messages. */
export function wasmStatus(): string {
  if (engine === undefined) { try { load(); } catch (err) { return err instanceof Error ? err.message : String(err); } }
  return enabled ? status : `disabled by setWasmEnabled(false) (${status})`;
}

/** True when the kernels in use are the relaxed-SIMD build (fused multiply-adds). Loads them on the first call. */
export function wasmFused(): boolean {
  return wasmAvailable() && fused;
}

/** Turns the backend off (or back on) at run time, e.g. to compare against the JS kernels. */
export function setWasmEnabled(on: boolean): void {
  enabled = on;
}

/** The raw kernels and their memory, for benchmarks that time the kernels without the copies. */
export function wasmKernelExports(): WasmKernelExports | null {
  return load()?.ex ?? null;
}

function need(op: string): Engine {
  const e = enabled ? load() : null;
  if (e === null) throw new Error(`${op}: the wasm backend is ${wasmStatus()}; check wasmAvailable() before calling`);
  return e;
}

/** A view of memory with at least `bytes` bytes, growing it by whole pages (with headroom) if needed. */
function reserve(e: Engine, bytes: number, op: string): Float32Array {
  const mem = e.ex.memory;
  const have = mem.buffer.byteLength;
  if (bytes > have) {
    const pages = Math.max(Math.ceil((bytes - have) / PAGE), have / PAGE >> 2);
    try {
      mem.grow(pages);
    } catch (err) {
      throw new RangeError(`${op}: cannot grow wasm memory to ${bytes} bytes: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // A grow (ours, or a failed one after a partial success) detaches the old buffer.
  if (e.heap.buffer !== mem.buffer) e.heap = new Float32Array(mem.buffer);
  return e.heap;
}

const align16 = (x: number): number => (x + 15) & ~15;

/**
 * The kernels and a view of their memory grown to at least `bytes` bytes, for
 * callers that lay out their own operands (src/tensor/wasm/gru.ts). The view
 * is valid until the next call into this module.
 */
export function wasmWorkspace(bytes: number, op: string): { readonly ex: WasmKernelExports; readonly heap: Float32Array } {
  if (bytes > 2 ** 32) throw new RangeError(`${op}: needs ${bytes} bytes of wasm memory, beyond wasm32's 4 GiB`);
  const e = need(op);
  return { ex: e.ex, heap: reserve(e, bytes, op) };
}

function region(X: Float32Array, off: number, len: number, what: string, op: string): Float32Array {
  if (!(off >= 0 && off + len <= X.length)) {
    throw new RangeError(`${op}: ${what} needs elements [${off}, ${off + len}) but has length ${X.length}`);
  }
  return off === 0 && len === X.length ? X : X.subarray(off, off + len);
}

type Layout = "NN" | "NT" | "TN";

function run(
  layout: Layout, A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff: number, bOff: number, cOff: number,
): void {
  // Also rejects negative and NaN sizes, which the JS kernels treat as empty.
  if (!(m > 0 && k > 0 && n > 0)) return;
  const op = `wasmMatmul${layout}`;
  const e = need(op);
  const a = region(A, aOff, m * k, `A [${layout === "TN" ? `${k}×${m}` : `${m}×${k}`}] at offset ${aOff}`, op);
  const b = region(B, bOff, k * n, `B [${layout === "NT" ? `${n}×${k}` : `${k}×${n}`}] at offset ${bOff}`, op);
  const c = region(C, cOff, m * n, `C [${m}×${n}] at offset ${cOff}`, op);
  // Layout in wasm memory: A | B + slack | C + slack | (NT) scratch + slack, each 16-byte aligned.
  const aP = 0, bP = align16(aP + 4 * m * k), cP = align16(bP + 4 * k * n + SLACK), tP = align16(cP + 4 * m * n + SLACK);
  const end = layout === "NT" ? tP + 4 * k * n + SLACK : tP;
  if (end > 2 ** 32) throw new RangeError(`${op}: ${m}×${k}×${n} needs ${end} bytes, beyond wasm32's 4 GiB`);
  const heap = reserve(e, end, op);
  heap.set(a, aP >>> 2);
  heap.set(b, bP >>> 2);
  heap.set(c, cP >>> 2);
  if (layout === "NN") e.ex.nn(aP, bP, cP, m, k, n);
  else if (layout === "TN") e.ex.tn(aP, bP, cP, m, k, n);
  else e.ex.nt(aP, bP, cP, m, k, n, tP);
  C.set(heap.subarray(cP >>> 2, (cP >>> 2) + m * n), cOff);
}

/** C[m,n] += A[m,k] · B[k,n]; same contract as matmulNN. */
export function wasmMatmulNN(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  run("NN", A, B, C, m, k, n, aOff, bOff, cOff);
}

/** C[m,n] += A[m,k] · B[n,k]ᵀ; same contract as matmulNT. */
export function wasmMatmulNT(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  run("NT", A, B, C, m, k, n, aOff, bOff, cOff);
}

/** C[m,n] += A[k,m]ᵀ · B[k,n]; same contract as matmulTN. */
export function wasmMatmulTN(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  run("TN", A, B, C, m, k, n, aOff, bOff, cOff);
}
