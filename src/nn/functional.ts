// Fused layer ops with hand-derived backward passes: Linear and the GRU
// recurrence. These carry almost all of QMIX's arithmetic, so each is one
// node on the tape and one pass of matrix kernels, not a chain of small ops.

import { reshape } from "../autograd/shape.ts";
import { gradOf, gradSlot, needsGrad, record } from "../autograd/tape.ts";
import type { GruGates, GruGrads } from "../tensor/backend.ts";
import { backend } from "../tensor/backends/active.ts";
import { ShapeError, Tensor, fmt } from "../tensor/tensor.ts";
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
  // One fused kernel each way (in WebAssembly, one trip each way for a large layer).
  const y = backend().linearForward(x.data, weight.data, bias ? bias.data : null, rows, inp, out, relu);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(new Tensor(y, [...x.shape.slice(0, -1), out]), op, inputs, (g) => {
    // g is this node's to overwrite (it is dropped right after), so the ReLU's mask may go in place.
    backend().linearBackward(g, x.data, weight.data, relu ? y : null, rows, inp, out, {
      dx: gradSlot(x), dW: gradSlot(weight), db: bias ? gradSlot(bias) : NO_GRAD,
    });
  });
}

const NO_GRAD = { into: null, fresh: false };

/**
 * The GRU recurrence over T steps, PyTorch's GRUCell equations (gates r, z, n):
 *   r = σ(gi_r + W_hr h + b_hr), z = σ(gi_z + W_hz h + b_hz),
 *   n = tanh(gi_n + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h,
 * where gi [T, R, 3H] = x W_ihᵀ + b_ih has been computed for all steps at once
 * (one large product instead of T small ones). Returns every hidden state,
 * [T, R, H]. Only the hidden-to-hidden product is sequential.
 *
 * With the wasm backend the whole recurrence, forward and backward, runs as
 * one call each into WebAssembly (src/tensor/backends/wasm/gru.ts): the gate
 * math, three exps per element, was most of the time in JS. The JS backend's
 * loops (src/tensor/backends/js/gru.ts) compute the same equations.
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
  backend().gruForward(gi.data, h0.data, weightHH.data, biasHH.data, T, R, H, hs, gates);
  return record(new Tensor(hs, [T, R, H]), "gruSequence", [gi, h0, weightHH, biasHH], (G) => {
    const dgiFresh = gi.grad === null; // read before gradOf creates it
    const grads: GruGrads = {
      dgi: gi.requiresGrad ? gradOf(gi) : null,
      dgiFresh,
      dh0: h0.requiresGrad ? gradOf(h0) : null,
      dW: weightHH.requiresGrad ? gradOf(weightHH) : null,
      db: biasHH.requiresGrad ? gradOf(biasHH) : null,
    };
    backend().gruBackward(G, h0.data, hs, weightHH.data, gates!, T, R, H, grads);
  });
}

/**
 * A GRU layer over a sequence: x [T, R, in] → every hidden state [T, R, H],
 * i.e. gruSequence(linear(x, W_ih, b_ih), h0, W_hh, b_hh), as one node. With
 * the wasm backend it is one trip into WebAssembly each way, the input
 * projection staying in wasm memory (src/tensor/backends/wasm/gru_layer.ts);
 * the JS backend computes exactly that composition's arithmetic.
 */
export function gruLayer(x: Tensor, weightIH: Tensor, biasIH: Tensor, h0: Tensor, weightHH: Tensor, biasHH: Tensor): Tensor {
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
  backend().gruLayerForward(x.data, weightIH.data, biasIH.data, h0.data, weightHH.data, biasHH.data, sizes, hs, gates);
  return record(new Tensor(hs, [T, R, H]), "gruLayer", [x, weightIH, biasIH, h0, weightHH, biasHH], (G) => {
    backend().gruLayerBackward(G, x.data, weightIH.data, h0.data, hs, weightHH.data, gates!, sizes, {
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
