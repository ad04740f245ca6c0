// The GRU recurrence (src/nn/functional.ts's gruSequence) as two calls into
// the WebAssembly module: gru_fwd runs all T steps, gru_bwd all of the
// backward, each with its operands copied in once and its results copied out
// once (ABI and kernel design in scripts/build-wasm.ts). Per step, the hidden
// product runs through the module's own SIMD matmul and the gates through
// f32x4 code with a vector exp, with no return to JS in between.
//
// The gates are float32 throughout (the JS path forms them in float64 and
// rounds once): σ within 2.5 ulp, tanh within 1.5 ulp, saturating exactly to
// 0, 1 and ±1 (test/tensor/wasm_gru.test.ts).

import type { GruGates, GruGrads } from "../../backend.ts";
import { type WasmKernelExports, wasmWorkspace } from "./module.ts";

/** Bytes after every region: a row's last 1–3 columns are loaded (and some rows stored) as a whole f32x4. */
const SLACK = 16;

/** Byte offsets of consecutive regions in wasm memory, each 16-byte aligned and followed by SLACK bytes. */
export class Layout {
  end = 0;
  take(floats: number): number {
    const at = this.end;
    this.end = Math.ceil((at + 4 * floats + SLACK) / 16) * 16;
    return at;
  }
}

/** Throws a RangeError naming `what` and `op` unless x has exactly `want` elements. */
export function expectLength(x: Float32Array, want: number, what: string, op: string): void {
  if (x.length !== want) throw new RangeError(`${op}: ${what} has ${x.length} elements, expected ${want}`);
}

/**
 * hs [T,R,H] = the GRU recurrence over gi [T,R,3H] from h0 [R,H], with
 * weight_hh W [3H,H] and bias_hh b [3H]; fills `gates` when given.
 */
export function wasmGruForward(
  gi: Float32Array, h0: Float32Array, W: Float32Array, b: Float32Array, T: number, R: number, H: number,
  hs: Float32Array, gates: GruGates | null,
): void {
  const op = "wasmGruForward";
  expectLength(gi, T * R * 3 * H, `gi [${T}, ${R}, ${3 * H}]`, op);
  checkRecurrence(op, h0, W, b, T, R, H, hs, gates);
  if (T * R * H === 0) return;
  const L = new Layout();
  const giP = L.take(gi.length), p = takeRecurrence(L, T, R, H, gates !== null);
  const { ex, heap } = wasmWorkspace(L.end, op);
  heap.set(gi, giP >>> 2);
  runRecurrence(ex, heap, giP, p, h0, W, b, T, R, H, hs, gates);
}

/** Checks the recurrence's own operands: h0 [R,H], weight_hh [3H,H], bias_hh [3H], hs and gates [T,R,H]. */
export function checkRecurrence(
  op: string, h0: Float32Array, W: Float32Array, b: Float32Array, T: number, R: number, H: number,
  hs: Float32Array, gates: GruGates | null,
): void {
  const H3 = 3 * H, TRH = T * R * H;
  expectLength(h0, R * H, `h0 [${R}, ${H}]`, op);
  expectLength(W, H3 * H, `weight_hh [${H3}, ${H}]`, op);
  expectLength(b, H3, `bias_hh [${H3}]`, op);
  expectLength(hs, TRH, `hs [${T}, ${R}, ${H}]`, op);
  if (gates) for (const k of ["r", "z", "n", "ghn"] as const) expectLength(gates[k], TRH, `gates.${k}`, op);
}

/** Byte offsets of gru_fwd's regions besides gi. */
export interface RecurrenceRegions { wP: number; wtP: number; bP: number; ghP: number; hP: number; rP: number; zP: number; nP: number; ghnP: number }

/** Lays out weight_hh, its transpose, bias_hh, the gh scratch, h0…hT and (when kept) the gates. */
export function takeRecurrence(L: Layout, T: number, R: number, H: number, keep: boolean): RecurrenceRegions {
  const H3 = 3 * H, RH = R * H, TRH = T * RH;
  const wP = L.take(H3 * H), wtP = L.take(H3 * H), bP = L.take(H3), ghP = L.take(R * H3);
  const hP = L.take(RH + TRH); // h0, then h1 … hT
  const [rP, zP, nP, ghnP] = keep ? [L.take(TRH), L.take(TRH), L.take(TRH), L.take(TRH)] : [0, 0, 0, 0];
  return { wP, wtP, bP, ghP, hP, rP, zP, nP, ghnP };
}

/** With gi already at giP: loads weight_hh, bias_hh and h0, runs gru_fwd, copies hs (and the gates) out. */
export function runRecurrence(
  ex: WasmKernelExports, heap: Float32Array, giP: number, p: RecurrenceRegions, h0: Float32Array, W: Float32Array,
  b: Float32Array, T: number, R: number, H: number, hs: Float32Array, gates: GruGates | null,
): void {
  const RH = R * H, TRH = T * RH;
  heap.set(W, p.wP >>> 2);
  heap.set(b, p.bP >>> 2);
  heap.set(h0, p.hP >>> 2);
  ex.gru_fwd(giP, p.hP, p.wP, p.wtP, p.bP, p.ghP, p.rP, p.zP, p.nP, p.ghnP, R, H, T, gates ? 1 : 0);
  const out = (at: number, into: Float32Array) => into.set(heap.subarray(at >>> 2, (at >>> 2) + TRH));
  out(p.hP + 4 * RH, hs);
  if (gates) { out(p.rP, gates.r); out(p.zP, gates.z); out(p.nP, gates.n); out(p.ghnP, gates.ghn); }
}

/**
 * The backward of wasmGruForward for upstream gradient G [T,R,H], given the
 * forward's inputs, its hs and its saved gates; adds into `grads`.
 */
export function wasmGruBackward(
  G: Float32Array, h0: Float32Array, hs: Float32Array, W: Float32Array, gates: GruGates,
  T: number, R: number, H: number, grads: GruGrads,
): void {
  const op = "wasmGruBackward", RH = R * H, H3 = 3 * H, TRH = T * RH, TRH3 = T * R * H3;
  expectLength(G, TRH, `the gradient [${T}, ${R}, ${H}]`, op);
  expectLength(h0, RH, `h0 [${R}, ${H}]`, op);
  expectLength(hs, TRH, `hs [${T}, ${R}, ${H}]`, op);
  expectLength(W, H3 * H, `weight_hh [${H3}, ${H}]`, op);
  for (const k of ["r", "z", "n", "ghn"] as const) expectLength(gates[k], TRH, `gates.${k}`, op);
  const { dgi, dh0, dW, db } = grads;
  if (dgi) expectLength(dgi, TRH3, `dgi [${T}, ${R}, ${H3}]`, op);
  if (dh0) expectLength(dh0, RH, `dh0 [${R}, ${H}]`, op);
  if (dW) expectLength(dW, H3 * H, `dW [${H3}, ${H}]`, op);
  if (db) expectLength(db, H3, `db [${H3}]`, op);
  if (TRH === 0) return;

  const L = new Layout();
  const gP = L.take(TRH), hP = L.take(RH + TRH), wP = L.take(H3 * H);
  const rP = L.take(TRH), zP = L.take(TRH), nP = L.take(TRH), ghnP = L.take(TRH), dghP = L.take(TRH3);
  const dhP = L.take(RH), dhpP = L.take(RH);
  const dgiP = dgi ? L.take(TRH3) : 0, gwP = dW ? L.take(H3 * H) : 0, dbP = db ? L.take(H3) : 0, onesP = db ? L.take(T * R) : 0;
  const { ex, heap } = wasmWorkspace(L.end, op);
  const put = (p: number, x: Float32Array) => heap.set(x, p >>> 2);
  put(gP, G); put(hP, h0); put(hP + 4 * RH, hs); put(wP, W);
  put(rP, gates.r); put(zP, gates.z); put(nP, gates.n); put(ghnP, gates.ghn);
  if (dgi && !grads.dgiFresh) put(dgiP, dgi);
  if (dW) put(gwP, dW);
  if (db) put(dbP, db);
  const flags = (dgi ? 1 | (grads.dgiFresh ? 8 : 0) : 0) | (dW ? 2 : 0) | (db ? 4 : 0);
  ex.gru_bwd(gP, hP, wP, rP, zP, nP, ghnP, dghP, dgiP, dhP, dhpP, gwP, dbP, onesP, R, H, T, flags);
  const view = (p: number, len: number) => heap.subarray(p >>> 2, (p >>> 2) + len);
  if (dgi) dgi.set(view(dgiP, TRH3));
  if (dW) dW.set(view(gwP, H3 * H));
  if (db) db.set(view(dbP, H3));
  if (dh0) { const d = view(dhP, RH); for (let k = 0; k < RH; k++) dh0[k]! += d[k]!; }
}

export type VectorFunction = "exp" | "sigmoid" | "tanh";

/** The module's f32x4 exp, σ or tanh over x: what the GRU gates use, exposed for tests. */
export function wasmVectorMath(fn: VectorFunction, x: Float32Array): Float32Array {
  const op = `wasmVectorMath(${fn})`, L = new Layout();
  const src = L.take(x.length), dst = L.take(x.length);
  const { ex, heap } = wasmWorkspace(L.end, op);
  heap.set(x, src >>> 2);
  const kernels: Record<VectorFunction, WasmKernelExports["vexp"]> = { exp: ex.vexp, sigmoid: ex.vsigmoid, tanh: ex.vtanh };
  kernels[fn](src, dst, x.length);
  return heap.slice(dst >>> 2, (dst >>> 2) + x.length);
}
