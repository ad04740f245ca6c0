// The GRU recurrence (src/nn/functional.ts's gruSequence) in plain loops,
// PyTorch's GRUCell equations with the gates formed in float64 and rounded
// once; and a whole GRU layer as that recurrence after the input projection
// gi = x W_ihᵀ + b_ih. The hidden products go through the kernels passed in
// as `mm` (the JS ones here; bench/gru.ts also runs these loops over the
// wasm products, to time the gates alone).

import type { Backend, GruGates, GruGrads, GruLayerGrads, GruLayerSizes } from "../../backend.ts";
import { floats } from "../../pool.ts";
import { addInto, jsLinearBackward } from "./linear.ts";
import { addColumnSums, addRowVector, jsMatmulNN, jsMatmulNT, jsMatmulTN } from "./matmul.ts";

/** The three product layouts the recurrence runs on. */
export type Products = Pick<Backend, "matmulNN" | "matmulNT" | "matmulTN">;

const JS_PRODUCTS: Products = { matmulNN: jsMatmulNN, matmulNT: jsMatmulNT, matmulTN: jsMatmulTN };

/**
 * The recurrence's forward. Per step: gh = hₜ₋₁ W_hhᵀ through mm.matmulNT,
 * then the gates row by row in float64, rounded once into hs and the saved
 * gates.
 */
export function gruForwardWith(
  mm: Products, gid: Float32Array, h0: Float32Array, W: Float32Array, bh: Float32Array, T: number, R: number, H: number,
  hs: Float32Array, gates: GruGates | null,
): void {
  const H3 = 3 * H, RH = R * H, RH3 = R * H3;
  const gh = floats(RH3);
  for (let t = 0; t < T; t++) {
    const hPrev = t === 0 ? h0 : hs, hOff = t === 0 ? 0 : (t - 1) * RH;
    gh.fill(0);
    mm.matmulNT(hPrev, W, gh, R, H, H3, hOff, 0, 0);
    for (let i = 0; i < R; i++) {
      const gio = t * RH3 + i * H3, gho = i * H3, o = t * RH + i * H, ho = hOff + i * H;
      for (let j = 0; j < H; j++) {
        const rj = 1 / (1 + Math.exp(-(gid[gio + j]! + gh[gho + j]! + bh[j]!)));
        const zj = 1 / (1 + Math.exp(-(gid[gio + H + j]! + gh[gho + H + j]! + bh[H + j]!)));
        const hn = gh[gho + 2 * H + j]! + bh[2 * H + j]!;
        // tanh(a) = 1 − 2/(1 + e^{2a}): one exp instead of Math.tanh, and
        // exact limits (±1) where e^{2a} under- or overflows.
        const nj = 1 - 2 / (1 + Math.exp(2 * (gid[gio + 2 * H + j]! + rj * hn)));
        hs[o + j] = (1 - zj) * nj + zj * hPrev[ho + j]!;
        if (gates) { gates.r[o + j] = rj; gates.z[o + j] = zj; gates.n[o + j] = nj; gates.ghn[o + j] = hn; }
      }
    }
  }
}

/**
 * The recurrence's backward: steps T−1 … 0, the gate gradients row by
 * row, dhₜ₋₁ = dhₜ ⊙ z + dghₜ W_hh through matmulNN; then one product over
 * all T·R rows for the shared weight, Σₜ dghₜᵀ hₜ₋₁.
 */
export function gruBackwardWith(
  mm: Products, G: Float32Array, h0: Float32Array, hs: Float32Array, W: Float32Array, gates: GruGates,
  T: number, R: number, H: number, grads: GruGrads,
): void {
  const H3 = 3 * H, RH = R * H, RH3 = R * H3;
  const { r: rr, z: zz, n, ghn: hn } = gates, { dgi } = grads;
  const dgh = floats(T * RH3); // gradients of the hidden projections, all steps
  let dh = floats(RH), dhPrev = floats(RH);
  for (let t = T - 1; t >= 0; t--) {
    const hPrev = t === 0 ? h0 : hs, hOff = t === 0 ? 0 : (t - 1) * RH;
    dhPrev.fill(0);
    for (let i = 0; i < R; i++) {
      const o = t * RH + i * H, d3 = t * RH3 + i * H3, ho = hOff + i * H, hi = i * H;
      for (let j = 0; j < H; j++) {
        const dht = G[o + j]! + dh[hi + j]!;
        const rj = rr[o + j]!, zj = zz[o + j]!, nj = n[o + j]!;
        const dnPre = dht * (1 - zj) * (1 - nj * nj);
        const dzPre = dht * (hPrev[ho + j]! - nj) * zj * (1 - zj);
        const drPre = dnPre * hn[o + j]! * rj * (1 - rj);
        dgh[d3 + j] = drPre;
        dgh[d3 + H + j] = dzPre;
        dgh[d3 + 2 * H + j] = dnPre * rj;
        if (dgi) { dgi[d3 + j]! += drPre; dgi[d3 + H + j]! += dzPre; dgi[d3 + 2 * H + j]! += dnPre; }
        dhPrev[hi + j] = dht * zj;
      }
    }
    mm.matmulNN(dgh, W, dhPrev, R, H3, H, t * RH3, 0, 0);
    [dh, dhPrev] = [dhPrev, dh];
  }
  if (grads.dh0) for (let k = 0; k < RH; k++) grads.dh0[k]! += dh[k]!;
  if (grads.dW) {
    mm.matmulTN(dgh, h0, grads.dW, H3, R, H, 0, 0, 0);
    if (T > 1) mm.matmulTN(dgh, hs, grads.dW, H3, (T - 1) * R, H, RH3, 0, 0);
  }
  if (grads.db) addColumnSums(dgh, grads.db, T * R, H3);
}

/** gruForwardWith over the JS products. */
export function jsGruForward(
  gi: Float32Array, h0: Float32Array, W: Float32Array, b: Float32Array, T: number, R: number, H: number,
  hs: Float32Array, gates: GruGates | null,
): void {
  gruForwardWith(JS_PRODUCTS, gi, h0, W, b, T, R, H, hs, gates);
}

/** gruBackwardWith over the JS products. */
export function jsGruBackward(
  G: Float32Array, h0: Float32Array, hs: Float32Array, W: Float32Array, gates: GruGates,
  T: number, R: number, H: number, grads: GruGrads,
): void {
  gruBackwardWith(JS_PRODUCTS, G, h0, hs, W, gates, T, R, H, grads);
}

/** A GRU layer: gi = x W_ihᵀ + b_ih for all T·R rows in one product, then the recurrence. */
export function jsGruLayerForward(
  x: Float32Array, Wih: Float32Array, bih: Float32Array, h0: Float32Array, Whh: Float32Array, bhh: Float32Array,
  s: GruLayerSizes, hs: Float32Array, gates: GruGates | null,
): void {
  const { T, R, I, H } = s, TR = T * R, H3 = 3 * H;
  const gi = floats(TR * H3);
  jsMatmulNT(x, Wih, gi, TR, I, H3);
  addRowVector(gi, bih, TR, H3);
  jsGruForward(gi, h0, Whh, bhh, T, R, H, hs, gates);
}

/** The recurrence's backward into dL/dgi, then the input projection's backward from it. */
export function jsGruLayerBackward(
  G: Float32Array, x: Float32Array, Wih: Float32Array, h0: Float32Array, hs: Float32Array, Whh: Float32Array,
  gates: GruGates, s: GruLayerSizes, grads: GruLayerGrads,
): void {
  const { T, R, I, H } = s, TR = T * R, H3 = 3 * H;
  const needDgi = grads.dx.into !== null || grads.dWih.into !== null || grads.dbih.into !== null;
  const dgi = needDgi ? floats(TR * H3) : null;
  jsGruBackward(G, h0, hs, Whh, gates, T, R, H, {
    dgi, dgiFresh: true, dh0: addInto(grads.dh0), dW: addInto(grads.dWhh), db: addInto(grads.dbhh),
  });
  if (dgi) jsLinearBackward(dgi, x, Wih, null, TR, I, H3, { dx: grads.dx, dW: grads.dWih, db: grads.dbih });
}
