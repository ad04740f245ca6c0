// Fused layer ops with hand-derived backward passes: Linear and the GRU
// recurrence. These carry almost all of QMIX's arithmetic, so each is one
// node on the tape and one pass of matrix kernels, not a chain of small ops.

import { reshape } from "../autograd/shape.ts";
import { freshGradOf, gradOf, gradSlot, needsGrad, record } from "../autograd/tape.ts";
import { addColumnSums, addRowVector, matmulNN, matmulNT, matmulTN, reluInto } from "../tensor/matmul.ts";
import { ShapeError, Tensor, fmt } from "../tensor/tensor.ts";
import { wasmAvailable } from "../tensor/wasm/backend.ts";
import { type GruGates, type GruGrads, wasmGruAvailable, wasmGruBackward, wasmGruForward } from "../tensor/wasm/gru.ts";
import { wasmGruLayerBackward, wasmGruLayerForward } from "../tensor/wasm/gru_layer.ts";
import { wasmLinearBackward, wasmLinearForward } from "../tensor/wasm/linear.ts";
import { floats, scratch } from "../tensor/pool.ts";

/** y = x Wᵀ + b over the last axis of x: x [..., in], W [out, in], b [out] → [..., out] (PyTorch's Linear). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return linearOp("linear", x, weight, bias ?? null, false);
}

/**
 * relu(linear(x, W, b)) as one op: the ReLU runs on the layer's output before
 * it leaves the product and, backward, masks the gradient before the
 * products (inside WebAssembly with the wasm backend). Equal to the
 * composition, gradient included; used for fc1 and the first layer of each
 * hypernetwork.
 */
export function linearRelu(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  return linearOp("linearRelu", x, weight, bias ?? null, true);
}

function linearOp(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, relu: boolean): Tensor {
  if (weight.ndim !== 2) throw new ShapeError(`${op}: weight must be 2-D [out, in], got ${fmt(weight.shape)}`);
  const [out, inp] = weight.shape as [number, number];
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inp) {
    throw new ShapeError(`${op}: input ${fmt(x.shape)} does not end in the weight's in-size ${inp} (weight ${fmt(weight.shape)})`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== out)) {
    throw new ShapeError(`${op}: bias must be [${out}] for weight ${fmt(weight.shape)}, got ${fmt(bias.shape)}`);
  }
  const rows = x.size / inp;
  // Large layers go to WebAssembly in one trip each way (src/tensor/wasm/linear.ts).
  const fused = rows * inp * out >= FUSED_MIN_WORK && wasmAvailable();
  // The JavaScript path accumulates into y; the fused one writes all of it.
  const y = fused ? scratch(rows * out) : floats(rows * out);
  if (fused) {
    wasmLinearForward(x.data, weight.data, bias ? bias.data : null, y, rows, inp, out, relu);
  } else {
    matmulNT(x.data, weight.data, y, rows, inp, out);
    if (bias) addRowVector(y, bias.data, rows, out);
    if (relu) reluInto(y, y);
  }
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(new Tensor(y, [...x.shape.slice(0, -1), out]), op, inputs, (g) => {
    if (fused) {
      // Read freshness before gradOf creates the arrays: fresh ones start as zeros inside wasm memory.
      const dxFresh = x.grad === null, dWFresh = weight.grad === null, dbFresh = bias?.grad === null;
      wasmLinearBackward(g, x.data, weight.data, rows, inp, out, {
        dx: x.requiresGrad ? (dxFresh ? freshGradOf(x) : gradOf(x)) : null,
        dW: weight.requiresGrad ? (dWFresh ? freshGradOf(weight) : gradOf(weight)) : null,
        db: bias?.requiresGrad ? (dbFresh ? freshGradOf(bias) : gradOf(bias)) : null, dxFresh, dWFresh, dbFresh,
      }, relu ? y : null);
      return;
    }
    // The upstream gradient is this node's to overwrite (it is dropped right after): mask it in place, as wasm's vrelu_mask.
    if (relu) for (let i = 0; i < g.length; i++) if (!(y[i]! > 0)) g[i] = 0;
    if (x.requiresGrad) matmulNN(g, weight.data, gradOf(x), rows, out, inp);
    if (weight.requiresGrad) matmulTN(g, x.data, gradOf(weight), out, rows, inp);
    if (bias?.requiresGrad) addColumnSums(g, gradOf(bias), rows, out);
  });
}

/** Below this many multiply-adds a layer stays in JS, where a trip into WebAssembly costs more than it saves. */
const FUSED_MIN_WORK = 1024;

/**
 * The GRU recurrence over T steps, PyTorch's GRUCell equations (gates r, z, n):
 *   r = σ(gi_r + W_hr h + b_hr), z = σ(gi_z + W_hz h + b_hz),
 *   n = tanh(gi_n + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h,
 * where gi [T, R, 3H] = x W_ihᵀ + b_ih has been computed for all steps at once
 * (one large product instead of T small ones). Returns every hidden state,
 * [T, R, H]. Only the hidden-to-hidden product is sequential.
 *
 * With the wasm backend the whole recurrence, forward and backward, runs as
 * one call each into WebAssembly (src/tensor/wasm/gru.ts): the gate math,
 * three exps per element, was most of the time in JS. The JS loops below are
 * the fallback (QMIX_BACKEND=js) and compute the same equations.
 */
export function gruSequence(gi: Tensor, h0: Tensor, weightHH: Tensor, biasHH: Tensor): Tensor {
  if (weightHH.ndim !== 2 || weightHH.shape[0] !== 3 * weightHH.shape[1]!) {
    throw new ShapeError(`gru: weight_hh must be [3H, H], got ${fmt(weightHH.shape)}`);
  }
  const H = weightHH.shape[1]!, H3 = 3 * H;
  if (biasHH.ndim !== 1 || biasHH.shape[0] !== H3) throw new ShapeError(`gru: bias_hh must be [${H3}], got ${fmt(biasHH.shape)}`);
  if (h0.ndim !== 2 || h0.shape[1] !== H) throw new ShapeError(`gru: hidden state must be [rows, ${H}], got ${fmt(h0.shape)}`);
  const R = h0.shape[0]!;
  if (gi.ndim !== 3 || gi.shape[1] !== R || gi.shape[2] !== H3) {
    throw new ShapeError(`gru: input projections must be [T, ${R}, ${H3}] for hidden ${fmt(h0.shape)}, got ${fmt(gi.shape)}`);
  }
  const T = gi.shape[0]!, TRH = T * R * H;
  const hs = floats(TRH);
  // Saved for backward: gates r, z, n and the hidden part of n's pre-activation.
  const gates: GruGates | null = needsGrad(gi, h0, weightHH, biasHH)
    ? { r: floats(TRH), z: floats(TRH), n: floats(TRH), ghn: floats(TRH) }
    : null;
  if (TRH > 0 && wasmGruAvailable()) wasmGruForward(gi.data, h0.data, weightHH.data, biasHH.data, T, R, H, hs, gates);
  else gruForwardJs(gi.data, h0.data, weightHH.data, biasHH.data, T, R, H, hs, gates);
  return record(new Tensor(hs, [T, R, H]), "gruSequence", [gi, h0, weightHH, biasHH], (G) => {
    const dgiFresh = gi.grad === null; // read before gradOf creates it
    const grads: GruGrads = {
      dgi: gi.requiresGrad ? gradOf(gi) : null,
      dgiFresh,
      dh0: h0.requiresGrad ? gradOf(h0) : null,
      dW: weightHH.requiresGrad ? gradOf(weightHH) : null,
      db: biasHH.requiresGrad ? gradOf(biasHH) : null,
    };
    if (TRH > 0 && wasmGruAvailable()) wasmGruBackward(G, h0.data, hs, weightHH.data, gates!, T, R, H, grads);
    else gruBackwardJs(G, h0.data, hs, weightHH.data, gates!, T, R, H, grads);
  });
}

/**
 * gruSequence's forward in JS. Per step: gh = hₜ₋₁ W_hhᵀ through matmulNT,
 * then the gates row by row in float64, rounded once into hs and the saved
 * gates.
 */
function gruForwardJs(
  gid: Float32Array, h0: Float32Array, W: Float32Array, bh: Float32Array, T: number, R: number, H: number,
  hs: Float32Array, gates: GruGates | null,
): void {
  const H3 = 3 * H, RH = R * H, RH3 = R * H3;
  const gh = floats(RH3);
  for (let t = 0; t < T; t++) {
    const hPrev = t === 0 ? h0 : hs, hOff = t === 0 ? 0 : (t - 1) * RH;
    gh.fill(0);
    matmulNT(hPrev, W, gh, R, H, H3, hOff, 0, 0);
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
 * gruSequence's backward in JS: steps T−1 … 0, the gate gradients row by
 * row, dhₜ₋₁ = dhₜ ⊙ z + dghₜ W_hh through matmulNN; then one product over
 * all T·R rows for the shared weight, Σₜ dghₜᵀ hₜ₋₁.
 */
function gruBackwardJs(
  G: Float32Array, h0: Float32Array, hs: Float32Array, W: Float32Array, gates: GruGates,
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
    matmulNN(dgh, W, dhPrev, R, H3, H, t * RH3, 0, 0);
    [dh, dhPrev] = [dhPrev, dh];
  }
  if (grads.dh0) for (let k = 0; k < RH; k++) grads.dh0[k]! += dh[k]!;
  if (grads.dW) {
    matmulTN(dgh, h0, grads.dW, H3, R, H, 0, 0, 0);
    if (T > 1) matmulTN(dgh, hs, grads.dW, H3, (T - 1) * R, H, RH3, 0, 0);
  }
  if (grads.db) addColumnSums(dgh, grads.db, T * R, H3);
}

/**
 * A GRU layer over a sequence: x [T, R, in] → every hidden state [T, R, H],
 * i.e. gruSequence(linear(x, W_ih, b_ih), h0, W_hh, b_hh). With the wasm
 * backend it runs as one node and one trip into WebAssembly each way, the
 * input projection staying in wasm memory (src/tensor/wasm/gru_layer.ts);
 * otherwise it is exactly that composition.
 */
export function gruLayer(x: Tensor, weightIH: Tensor, biasIH: Tensor, h0: Tensor, weightHH: Tensor, biasHH: Tensor): Tensor {
  if (!wasmGruAvailable()) return gruSequence(linear(x, weightIH, biasIH), h0, weightHH, biasHH);
  if (weightHH.ndim !== 2 || weightHH.shape[0] !== 3 * weightHH.shape[1]!) {
    throw new ShapeError(`gru: weight_hh must be [3H, H], got ${fmt(weightHH.shape)}`);
  }
  const H = weightHH.shape[1]!, H3 = 3 * H;
  if (x.ndim !== 3) throw new ShapeError(`gru: inputs must be [T, rows, in], got ${fmt(x.shape)}`);
  const [T, R, I] = x.shape as [number, number, number];
  if (weightIH.ndim !== 2 || weightIH.shape[0] !== H3 || weightIH.shape[1] !== I) {
    throw new ShapeError(`gru: weight_ih must be [${H3}, ${I}] for inputs ${fmt(x.shape)} and hidden ${H}, got ${fmt(weightIH.shape)}`);
  }
  if (biasIH.ndim !== 1 || biasIH.shape[0] !== H3) throw new ShapeError(`gru: bias_ih must be [${H3}], got ${fmt(biasIH.shape)}`);
  if (biasHH.ndim !== 1 || biasHH.shape[0] !== H3) throw new ShapeError(`gru: bias_hh must be [${H3}], got ${fmt(biasHH.shape)}`);
  if (h0.ndim !== 2 || h0.shape[0] !== R || h0.shape[1] !== H) throw new ShapeError(`gru: hidden state must be [${R}, ${H}], got ${fmt(h0.shape)}`);
  const TRH = T * R * H, sizes = { T, R, I, H };
  // Written in full by the kernel.
  const hs = scratch(TRH);
  const gates: GruGates | null = needsGrad(x, weightIH, biasIH, h0, weightHH, biasHH)
    ? { r: scratch(TRH), z: scratch(TRH), n: scratch(TRH), ghn: scratch(TRH) }
    : null;
  wasmGruLayerForward(x.data, weightIH.data, biasIH.data, h0.data, weightHH.data, biasHH.data, sizes, hs, gates);
  return record(new Tensor(hs, [T, R, H]), "gruLayer", [x, weightIH, biasIH, h0, weightHH, biasHH], (G) => {
    // Fresh gradients start as zeros inside wasm memory.
    wasmGruLayerBackward(G, x.data, weightIH.data, h0.data, hs, weightHH.data, gates!, sizes, {
      dx: gradSlot(x), dWih: gradSlot(weightIH), dbih: gradSlot(biasIH), dh0: gradSlot(h0), dWhh: gradSlot(weightHH), dbhh: gradSlot(biasHH),
    });
  });
}

/** One GRUCell step: x [R, in], h [R, H] → h' [R, H]. */
export function gruCell(x: Tensor, h: Tensor, weightIH: Tensor, weightHH: Tensor, biasIH: Tensor, biasHH: Tensor): Tensor {
  if (x.ndim !== 2) throw new ShapeError(`gruCell: input must be [rows, in], got ${fmt(x.shape)}`);
  const gi = linear(x, weightIH, biasIH);
  const R = x.shape[0]!;
  const seq = gruSequence(reshape(gi, [1, R, gi.shape[1]!]), h, weightHH, biasHH);
  return reshape(seq, [R, weightHH.shape[1]!]);
}
