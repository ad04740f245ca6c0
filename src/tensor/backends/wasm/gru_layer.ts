// A whole GRU layer over a sequence, x [T,R,in] → hs [T,R,H], as one trip
// into WebAssembly each way: the input projection gi = x W_ihᵀ + b_ih is
// formed inside wasm memory and read there by the recurrence, and backward
// the recurrence leaves dL/dgi in wasm memory for the projection's own
// backward. gi and dgi ([T,R,3H], 1.9 MB each at the QMIX shapes) never
// cross into JS: against linear + gruSequence that saves four copies of
// them and two allocations per update. Kernels and ABI: scripts/build-wasm.ts.

import type { GradSlot, GruGates, GruLayerGrads, GruLayerSizes } from "../../backend.ts";
import { Layout, checkRecurrence, expectLength, runRecurrence, takeRecurrence } from "./gru.ts";
import { fillRows } from "./linear.ts";
import { wasmWorkspace } from "./module.ts";

/** hs [T,R,H] from x [T,R,I], weight_ih [3H,I], bias_ih [3H], h0 [R,H], weight_hh [3H,H], bias_hh [3H]; fills gates when given. */
export function wasmGruLayerForward(
  x: Float32Array, Wih: Float32Array, bih: Float32Array, h0: Float32Array, Whh: Float32Array, bhh: Float32Array,
  s: GruLayerSizes, hs: Float32Array, gates: GruGates | null,
): void {
  const op = "wasmGruLayerForward", { T, R, I, H } = s, H3 = 3 * H, TR = T * R;
  expectLength(x, TR * I, `x [${T}, ${R}, ${I}]`, op);
  expectLength(Wih, H3 * I, `weight_ih [${H3}, ${I}]`, op);
  expectLength(bih, H3, `bias_ih [${H3}]`, op);
  checkRecurrence(op, h0, Whh, bhh, T, R, H, hs, gates);
  if (TR * H === 0) return;

  const L = new Layout();
  const xP = L.take(TR * I), wihP = L.take(H3 * I), tP = L.take(H3 * I), giP = L.take(TR * H3);
  const p = takeRecurrence(L, T, R, H, gates !== null);
  const { ex, heap } = wasmWorkspace(L.end, op);
  fillRows(heap, giP >>> 2, bih, TR);
  if (I > 0) {
    heap.set(x, xP >>> 2);
    heap.set(Wih, wihP >>> 2);
    ex.nt(xP, wihP, giP, TR, I, H3, tP);
  }
  runRecurrence(ex, heap, giP, p, h0, Whh, bhh, T, R, H, hs, gates);
}

/** The backward of wasmGruLayerForward for upstream G [T,R,H], given its inputs, hs and saved gates. */
export function wasmGruLayerBackward(
  G: Float32Array, x: Float32Array, Wih: Float32Array, h0: Float32Array, hs: Float32Array, Whh: Float32Array,
  gates: GruGates, s: GruLayerSizes, grads: GruLayerGrads,
): void {
  const op = "wasmGruLayerBackward", { T, R, I, H } = s, H3 = 3 * H, TR = T * R, RH = R * H, TRH = TR * H, TRH3 = TR * H3;
  expectLength(G, TRH, `the gradient [${T}, ${R}, ${H}]`, op);
  expectLength(x, TR * I, `x [${T}, ${R}, ${I}]`, op);
  expectLength(Wih, H3 * I, `weight_ih [${H3}, ${I}]`, op);
  expectLength(h0, RH, `h0 [${R}, ${H}]`, op);
  expectLength(hs, TRH, `hs [${T}, ${R}, ${H}]`, op);
  expectLength(Whh, H3 * H, `weight_hh [${H3}, ${H}]`, op);
  for (const k of ["r", "z", "n", "ghn"] as const) expectLength(gates[k], TRH, `gates.${k}`, op);
  const want: Record<keyof GruLayerGrads, [number, string]> = {
    dx: [TR * I, `dx [${T}, ${R}, ${I}]`], dWih: [H3 * I, `dWih [${H3}, ${I}]`], dbih: [H3, `dbih [${H3}]`],
    dh0: [RH, `dh0 [${R}, ${H}]`], dWhh: [H3 * H, `dWhh [${H3}, ${H}]`], dbhh: [H3, `dbhh [${H3}]`],
  };
  for (const k of Object.keys(want) as (keyof GruLayerGrads)[]) {
    const g = grads[k].into;
    if (g) expectLength(g, want[k][0], want[k][1], op);
  }
  if (TRH === 0) return;
  const { dx, dWih, dbih, dh0, dWhh, dbhh } = grads;
  const needDgi = Boolean((dx.into && I > 0) || (dWih.into && I > 0) || dbih.into);

  // dL/dgi and a row of ones live through both phases; the recurrence's
  // operands (phase 1) are dead once it has run and its weight gradients are
  // read out, so the input projection's operands (phase 2) take their place:
  // at the 2s3z shapes that is 40 MB less wasm memory than side by side.
  const L = new Layout();
  const dgiP = needDgi ? L.take(TRH3) : 0, onesP = L.take(TR);
  const P2 = new Layout();
  P2.end = L.end;
  const gP = L.take(TRH), hP = L.take(RH + TRH), wP = L.take(H3 * H);
  const rP = L.take(TRH), zP = L.take(TRH), nP = L.take(TRH), ghnP = L.take(TRH), dghP = L.take(TRH3);
  const dhP = L.take(RH), dhpP = L.take(RH);
  const gwP = dWhh.into ? L.take(H3 * H) : 0, dbP = dbhh.into ? L.take(H3) : 0;
  const xP = P2.take(TR * I), wihP = P2.take(H3 * I), dxP = dx.into ? P2.take(TR * I) : 0;
  const dwihP = dWih.into ? P2.take(H3 * I) : 0, dbihP = dbih.into ? P2.take(H3) : 0;
  const { ex, heap } = wasmWorkspace(Math.max(L.end, P2.end), op);
  const put = (p: number, a: Float32Array) => heap.set(a, p >>> 2);
  const load = (p: number, slot: GradSlot) => {
    if (slot.fresh) heap.fill(0, p >>> 2, (p >>> 2) + slot.into!.length);
    else put(p, slot.into!);
  };
  const take = (p: number, slot: GradSlot) => slot.into!.set(heap.subarray(p >>> 2, (p >>> 2) + slot.into!.length));
  put(gP, G); put(hP, h0); put(hP + 4 * RH, hs); put(wP, Whh);
  put(rP, gates.r); put(zP, gates.z); put(nP, gates.n); put(ghnP, gates.ghn);
  if (dWhh.into) load(gwP, dWhh);
  if (dbhh.into) load(dbP, dbhh);
  const flags = (needDgi ? 1 | 8 : 0) | (dWhh.into ? 2 : 0) | (dbhh.into ? 4 : 0);
  ex.gru_bwd(gP, hP, wP, rP, zP, nP, ghnP, dghP, dgiP, dhP, dhpP, gwP, dbP, onesP, R, H, T, flags);
  if (dWhh.into) take(gwP, dWhh);
  if (dbhh.into) take(dbP, dbhh);
  if (dh0.into) {
    const d = heap.subarray(dhP >>> 2, (dhP >>> 2) + RH), into = dh0.into;
    if (dh0.fresh) into.set(d);
    else for (let k = 0; k < RH; k++) into[k]! += d[k]!;
  }
  if (!needDgi) return;
  if (dx.into && I > 0) {
    put(wihP, Wih);
    load(dxP, dx);
    ex.nn(dgiP, wihP, dxP, TR, H3, I);
    take(dxP, dx);
  }
  if (dWih.into && I > 0) {
    put(xP, x);
    load(dwihP, dWih);
    ex.tn(dgiP, xP, dwihP, H3, TR, I);
    take(dwihP, dWih);
  }
  if (dbih.into) {
    heap.fill(1, onesP >>> 2, (onesP >>> 2) + TR);
    load(dbihP, dbih);
    ex.tn(onesP, dgiP, dbihP, 1, TR, H3);
    take(dbihP, dbih);
  }
}
