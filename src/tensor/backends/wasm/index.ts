// The wasm backend: the WebAssembly SIMD kernels where they pay, the JS
// backend's loops where they do not. A call into WebAssembly costs about
// 0.2 µs plus the copies of its operands, more than it saves on tiny
// products (measured even at 8×8×8, bench/wasm.ts), so products and Linear
// layers under WASM_MIN_WORK multiply-adds stay in JS; the mixing network
// runs in f32x4 only for whole vectors of E; the ReLU op and the batched
// products have no wasm version (a ReLU alone is a memory pass that the
// copies would triple).

import type { Backend, GruGates, GruGrads, LinearGrads, MixGrads, MixSizes } from "../../backend.ts";
import { scratch } from "../../pool.ts";
import { jsBackend } from "../js/index.ts";
import { wasmGruBackward, wasmGruForward } from "./gru.ts";
import { wasmGruLayerBackward, wasmGruLayerForward } from "./gru_layer.ts";
import { wasmLinearBackward, wasmLinearForward } from "./linear.ts";
import { wasmMatmulNN, wasmMatmulNT, wasmMatmulTN } from "./matmul.ts";
import { wasmMixBackward, wasmMixForward } from "./mix.ts";
import { wasmAvailable, wasmFused } from "./module.ts";

/** Below this many multiply-adds a product or a Linear layer stays in JS. */
const WASM_MIN_WORK = 1024;

const js = jsBackend;

function makeWasmBackend(name: string): Backend {
  return {
    name,
    matmulNN(A, B, C, m, k, n, aOff = 0, bOff = 0, cOff = 0) {
      if (m * k * n >= WASM_MIN_WORK) wasmMatmulNN(A, B, C, m, k, n, aOff, bOff, cOff);
      else js.matmulNN(A, B, C, m, k, n, aOff, bOff, cOff);
    },
    matmulNT(A, B, C, m, k, n, aOff = 0, bOff = 0, cOff = 0) {
      if (m * k * n >= WASM_MIN_WORK) wasmMatmulNT(A, B, C, m, k, n, aOff, bOff, cOff);
      else js.matmulNT(A, B, C, m, k, n, aOff, bOff, cOff);
    },
    matmulTN(A, B, C, m, k, n, aOff = 0, bOff = 0, cOff = 0) {
      if (m * k * n >= WASM_MIN_WORK) wasmMatmulTN(A, B, C, m, k, n, aOff, bOff, cOff);
      else js.matmulTN(A, B, C, m, k, n, aOff, bOff, cOff);
    },
    batchedNN: js.batchedNN,
    batchedNT: js.batchedNT,
    batchedTN: js.batchedTN,
    relu: js.relu,
    // One trip into wasm each way for a large layer; the fused kernel writes all of y.
    linearForward(x: Float32Array, W: Float32Array, bias: Float32Array | null, m: number, k: number, n: number, relu: boolean): Float32Array {
      if (m * k * n < WASM_MIN_WORK) return js.linearForward(x, W, bias, m, k, n, relu);
      const y = scratch(m * n);
      wasmLinearForward(x, W, bias, y, m, k, n, relu);
      return y;
    },
    linearBackward(g: Float32Array, x: Float32Array, W: Float32Array, reluOut: Float32Array | null, m: number, k: number, n: number, grads: LinearGrads): void {
      if (m * k * n < WASM_MIN_WORK) js.linearBackward(g, x, W, reluOut, m, k, n, grads);
      else wasmLinearBackward(g, x, W, m, k, n, grads, reluOut);
    },
    gruForward(gi: Float32Array, h0: Float32Array, W: Float32Array, b: Float32Array, T: number, R: number, H: number, hs: Float32Array, gates: GruGates | null): void {
      if (T * R * H > 0) wasmGruForward(gi, h0, W, b, T, R, H, hs, gates);
      else js.gruForward(gi, h0, W, b, T, R, H, hs, gates);
    },
    gruBackward(G: Float32Array, h0: Float32Array, hs: Float32Array, W: Float32Array, gates: GruGates, T: number, R: number, H: number, grads: GruGrads): void {
      if (T * R * H > 0) wasmGruBackward(G, h0, hs, W, gates, T, R, H, grads);
      else js.gruBackward(G, h0, hs, W, gates, T, R, H, grads);
    },
    gruLayerForward: wasmGruLayerForward,
    gruLayerBackward: wasmGruLayerBackward,
    mixForward(q: Float32Array, w1: Float32Array, b1: Float32Array, wf: Float32Array, v: Float32Array, hid: Float32Array, out: Float32Array, s: MixSizes): void {
      if (s.E % 4 === 0) wasmMixForward(q, w1, b1, wf, v, hid, out, s);
      else js.mixForward(q, w1, b1, wf, v, hid, out, s);
    },
    mixBackward(g: Float32Array, q: Float32Array, w1: Float32Array, wf: Float32Array, hid: Float32Array, s: MixSizes, grads: MixGrads): void {
      if (s.E % 4 === 0) wasmMixBackward(g, q, w1, wf, hid, s, grads);
      else js.mixBackward(g, q, w1, wf, hid, s, grads);
    },
  };
}

let backend: Backend | null | undefined;

/**
 * The wasm backend, or null where this runtime cannot compile its kernels
 * (wasmStatus() says why). Compiles the module on the first call.
 */
export function wasmBackend(): Backend | null {
  if (backend === undefined) backend = wasmAvailable() ? makeWasmBackend(wasmFused() ? "wasm-simd-fma" : "wasm-simd") : null;
  return backend;
}

export { wasmStatus } from "./module.ts";
