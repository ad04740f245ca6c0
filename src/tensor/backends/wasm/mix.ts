// QMIX's mixing network (src/qmix/mixers.ts's monotonicMix) as one trip into
// WebAssembly each way. In JS the row loops over [R, n·E] with a scalar
// expm1 per negative unit cost about 0.6 ms forward and 1.2 ms backward per
// update at the QMIX shapes (R = 800, n = 3, E = 32), a tenth of the update;
// here the E columns of a row run as f32x4 vectors. Kernels and ABI:
// scripts/build-wasm.ts (mix_fwd, mix_bwd).

import type { MixGrads, MixSizes } from "../../backend.ts";
import { Layout, expectLength } from "./gru.ts";
import { wasmWorkspace } from "./module.ts";

function check(op: string, s: MixSizes, arrays: Array<[Float32Array, number, string]>): void {
  if (s.E % 4 !== 0) throw new RangeError(`${op}: the embed size E = ${s.E} must be a multiple of 4 (whole f32x4 vectors)`);
  for (const [a, len, what] of arrays) expectLength(a, len, what, op);
}

/** out [R] and the saved ELU outputs hid [R,E] from q [R,n], W₁ [R,n·E], b₁ [R,E], W_final [R,E], V [R]; both overwritten. */
export function wasmMixForward(
  q: Float32Array, w1: Float32Array, b1: Float32Array, wf: Float32Array, v: Float32Array,
  hid: Float32Array, out: Float32Array, s: MixSizes,
): void {
  const op = "wasmMixForward", { R, n, E } = s;
  check(op, s, [[q, R * n, `q [${R}, ${n}]`], [w1, R * n * E, `W₁ [${R}, ${n * E}]`], [b1, R * E, `b₁ [${R}, ${E}]`],
    [wf, R * E, `W_final [${R}, ${E}]`], [v, R, `V [${R}, 1]`], [hid, R * E, `hid [${R}, ${E}]`], [out, R, `out [${R}, 1]`]]);
  if (R * n * E === 0) return;
  const L = new Layout();
  const qP = L.take(R * n), aP = L.take(R * n * E), bP = L.take(R * E), fP = L.take(R * E), vP = L.take(R);
  const hP = L.take(R * E), oP = L.take(R);
  const { ex, heap } = wasmWorkspace(L.end, op);
  heap.set(q, qP >>> 2); heap.set(w1, aP >>> 2); heap.set(b1, bP >>> 2); heap.set(wf, fP >>> 2); heap.set(v, vP >>> 2);
  ex.mix_fwd(qP, aP, bP, fP, vP, hP, oP, R, n, E);
  hid.set(heap.subarray(hP >>> 2, (hP >>> 2) + R * E));
  out.set(heap.subarray(oP >>> 2, (oP >>> 2) + R));
}

/** The backward of wasmMixForward for upstream g [R], given its inputs and hid; adds into the wanted gradients. */
export function wasmMixBackward(
  g: Float32Array, q: Float32Array, w1: Float32Array, wf: Float32Array, hid: Float32Array, s: MixSizes, grads: MixGrads,
): void {
  const op = "wasmMixBackward", { R, n, E } = s;
  check(op, s, [[g, R, `the gradient [${R}, 1]`], [q, R * n, `q [${R}, ${n}]`], [w1, R * n * E, `W₁ [${R}, ${n * E}]`],
    [wf, R * E, `W_final [${R}, ${E}]`], [hid, R * E, `hid [${R}, ${E}]`]]);
  const want: Record<keyof MixGrads, number> = { dq: R * n, dw1: R * n * E, db1: R * E, dwf: R * E, dv: R };
  for (const k of Object.keys(want) as (keyof MixGrads)[]) {
    const into = grads[k].into;
    if (into) expectLength(into, want[k], k, op);
  }
  if (R * n * E === 0) return;
  const L = new Layout();
  const gP = L.take(R), qP = L.take(R * n), aP = L.take(R * n * E), fP = L.take(R * E), hP = L.take(R * E);
  const at: Record<keyof MixGrads, number> = { dq: L.take(R * n), dw1: L.take(R * n * E), db1: L.take(R * E), dwf: L.take(R * E), dv: L.take(R) };
  const dhP = L.take(E);
  const { ex, heap } = wasmWorkspace(L.end, op);
  heap.set(g, gP >>> 2); heap.set(q, qP >>> 2); heap.set(w1, aP >>> 2); heap.set(wf, fP >>> 2); heap.set(hid, hP >>> 2);
  // The kernel adds into every gradient region; unwanted ones start as zeros and are dropped.
  for (const k of Object.keys(at) as (keyof MixGrads)[]) {
    const { into, fresh } = grads[k], p = at[k] >>> 2;
    if (into && !fresh) heap.set(into, p);
    else heap.fill(0, p, p + want[k]);
  }
  ex.mix_bwd(gP, qP, aP, fP, hP, at.dq, at.dw1, at.db1, at.dwf, at.dv, dhP, R, n, E);
  for (const k of Object.keys(at) as (keyof MixGrads)[]) {
    const into = grads[k].into;
    if (into) into.set(heap.subarray(at[k] >>> 2, (at[k] >>> 2) + want[k]));
  }
}
