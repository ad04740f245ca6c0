// The WebAssembly module of the wasm backend: the kernels of
// scripts/build-wasm.ts, compiled once, and the linear memory every call
// copies its operands into (the kernels see only that memory). Nothing is
// cached between calls: weights change on every optimizer step, and a stale
// operand would be a silent wrong answer.
//
// The module is compiled synchronously on first use, not at import, so an
// engine without WebAssembly SIMD (or a run with QMIX_BACKEND=js, which never
// asks for it) pays nothing.
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
import { envVar as fromEnv } from "../../env_var.ts";

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

interface Engine { readonly ex: WasmKernelExports; heap: Float32Array }

let engine: Engine | null | undefined; // undefined: not tried yet; null: unavailable
let status = "not loaded yet";
let fused = false;

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
  const fma = fromEnv("QMIX_WASM_FMA");
  if (fma !== "" && fma !== "0" && fma !== "1") {
    throw new Error(`QMIX_WASM_FMA=${JSON.stringify(fma)} is not a switch; allowed: "0" (core SIMD kernels), "1" or unset (the fused kernels where the runtime validates them)`);
  }
  engine = compile();
  return engine;
}

/** True when the SIMD kernels compiled. Loads them on the first call. */
export function wasmAvailable(): boolean {
  return load() !== null;
}

/** Why the module is or is not available, for logs and error messages. */
export function wasmStatus(): string {
  if (engine === undefined) { try { load(); } catch (err) { return err instanceof Error ? err.message : String(err); } }
  return status;
}

/** True when the kernels in use are the relaxed-SIMD build (fused multiply-adds). Loads them on the first call. */
export function wasmFused(): boolean {
  return wasmAvailable() && fused;
}

/** The raw kernels and their memory, for benchmarks that time the kernels without the copies. */
export function wasmKernelExports(): WasmKernelExports | null {
  return load()?.ex ?? null;
}

function need(op: string): Engine {
  const e = load();
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

/**
 * The kernels and a view of their memory grown to at least `bytes` bytes, for
 * callers that lay out their own operands (matmul.ts, linear.ts, gru.ts). The
 * view is valid until the next call into this module.
 */
export function wasmWorkspace(bytes: number, op: string): { readonly ex: WasmKernelExports; readonly heap: Float32Array } {
  if (bytes > 2 ** 32) throw new RangeError(`${op}: needs ${bytes} bytes of wasm memory, beyond wasm32's 4 GiB`);
  const e = need(op);
  return { ex: e.ex, heap: reserve(e, bytes, op) };
}
