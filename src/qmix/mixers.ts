// Mixing networks: Q_tot from the agents' chosen Qs and the state, VDN's
// sum (equation (2) of docs/walkthrough.md) and QMIX's monotonic mix (4).
// Each mixes all rows (B·T) at once: qs [R, n], states [R, S] → [R, 1].

import { abs, add, elu } from "../autograd/elementwise.ts";
import { matmul } from "../autograd/matmul.ts";
import { sum } from "../autograd/reduce.ts";
import { reshape } from "../autograd/shape.ts";
import { type Layer, Linear, ReLU, Sequential } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { Rng } from "../tensor/random.ts";
import { gradSlot, record } from "../autograd/tape.ts";
import { backend } from "../tensor/backends/active.ts";
import { ShapeError, Tensor, fmt } from "../tensor/tensor.ts";
import { scratch } from "../tensor/pool.ts";

export interface Mixer extends Module {
  readonly nAgents: number;
  forward(qs: Tensor, states: Tensor): Tensor;
}

function checkQs(name: string, qs: Tensor, n: number): void {
  if (qs.ndim !== 2 || qs.shape[1] !== n) throw new ShapeError(`${name}: agent Qs must be [rows, ${n}] for ${n} agents, got ${fmt(qs.shape)}`);
}

/** VDN: Q_tot = Σᵢ Qᵢ, no parameters; ∂Q_tot/∂Qᵢ = 1, equation (2). */
export class VDNMixer extends Module implements Mixer {
  constructor(readonly nAgents: number) {
    super();
  }

  forward(qs: Tensor, _states?: Tensor): Tensor {
    checkQs("VDNMixer", qs, this.nAgents);
    return sum(qs, 1, true);
  }
}

export interface QMixerOptions {
  /** Mixing embed E. [32, pymarl qmix.yaml] */
  embedDim?: number;
  /** Hypernetwork hidden width K. [64, pymarl qmix.yaml] */
  hypernetEmbed?: number;
  /** Hypernetwork layers, 1 or 2. [2, pymarl qmix.yaml] */
  hypernetLayers?: 1 | 2;
}

/**
 * QMIX: hypernetworks turn the state into the mixing network's weights;
 * |·| on those weights keeps ∂Q_tot/∂Qᵢ ≥ 0 (the monotonicity constraint (3)).
 *   hidden = ELU(q·|W₁(s)| + b₁(s)),  Q_tot = hidden·|W_final(s)| + V(s),
 * which is (4), Q_tot = W₂ᵀ ELU(W₁ᵀQ + B₁) + B₂, with W₁ = |hyper_w_1(s)|,
 * B₁ = hyper_b_1(s), W₂ = |hyper_w_final(s)| and B₂ = V(s).
 */
export class QMixer extends Module implements Mixer {
  readonly embedDim: number;
  readonly hyper_w_1: Layer;
  readonly hyper_w_final: Layer;
  readonly hyper_b_1: Linear;
  readonly V: Sequential;

  constructor(readonly nAgents: number, readonly stateDim: number, opts: QMixerOptions = {}, rng: Rng = new Rng(0)) {
    super();
    const E = (this.embedDim = opts.embedDim ?? 32);
    const K = opts.hypernetEmbed ?? 64;
    const layers = opts.hypernetLayers ?? 2;
    if (layers !== 1 && layers !== 2) throw new RangeError(`QMixer: hypernetLayers must be 1 or 2, got ${layers}`);
    const S = stateDim, n = nAgents;
    const hyper = (out: number): Layer =>
      layers === 1 ? new Linear(S, out, rng) : new Sequential(new Linear(S, K, rng), new ReLU(), new Linear(K, out, rng));
    // Construction order follows pymarl's QMixer, so equal seeds mean equal weights there too.
    this.hyper_w_1 = this.child("hyper_w_1", hyper(E * n));
    this.hyper_w_final = this.child("hyper_w_final", hyper(E));
    this.hyper_b_1 = this.child("hyper_b_1", new Linear(S, E, rng));
    this.V = this.child("V", new Sequential(new Linear(S, E, rng), new ReLU(), new Linear(E, 1, rng)));
  }

  forward(qs: Tensor, states: Tensor): Tensor {
    const n = this.nAgents, E = this.embedDim;
    checkQs("QMixer", qs, n);
    const R = qs.shape[0]!;
    if (states.ndim !== 2 || states.shape[0] !== R || states.shape[1] !== this.stateDim) {
      throw new ShapeError(`QMixer: states must be [${R}, ${this.stateDim}] to match agent Qs ${fmt(qs.shape)}, got ${fmt(states.shape)}`);
    }
    // The hypernetworks of (4): the mixing network's weights and biases for each state.
    const w1 = this.hyper_w_1.forward(states);
    const b1 = this.hyper_b_1.forward(states);
    const wFinal = this.hyper_w_final.forward(states);
    const v = this.V.forward(states);
    // (4) itself; the |·| inside makes every weight non-negative, so (3) and (5) hold.
    return monotonicMix(qs, w1, b1, wFinal, v, n, E);
  }
}

/**
 * The mixing network of (4) itself, row by row, as one op with its own backward:
 *   hidden = ELU(q · |W₁| + b₁),  Q_tot = hidden · |W_final| + V,
 * with q [R, n], W₁ [R, n·E] (agent i's weights at i·E…), b₁ [R, E],
 * W_final [R, E], V [R, 1] → [R, 1]. Equal to the composition
 * reshape/abs/bmm/add/elu of pymarl's QMixer (monotonicMixComposed below,
 * kept for the tests), without its six intermediate tensors and their
 * generic backward passes. |·| has gradient sign(·), 0 at 0, as PyTorch.
 */
export function monotonicMix(qs: Tensor, w1: Tensor, b1: Tensor, wFinal: Tensor, v: Tensor, n: number, E: number): Tensor {
  const R = qs.shape[0]!;
  const expect = (t: Tensor, cols: number, name: string) => {
    if (t.ndim !== 2 || t.shape[0] !== R || t.shape[1] !== cols) throw new ShapeError(`monotonicMix: ${name} must be [${R}, ${cols}], got ${fmt(t.shape)}`);
  };
  expect(qs, n, "agent Qs"); expect(w1, n * E, "W₁"); expect(b1, E, "b₁"); expect(wFinal, E, "W_final"); expect(v, 1, "V");
  // The hidden layer's ELU outputs are kept for backward: ELU keeps the sign,
  // and below 0 its slope e^h is the output + 1, so no exp is needed there.
  const hid = scratch(R * E), out = scratch(R), sizes = { R, n, E };
  // With the wasm backend the rows run in f32x4 (src/tensor/backends/wasm/mix.ts)
  // for whole vectors of E; the JS backend's loops sum in float64 and round once.
  backend().mixForward(qs.data, w1.data, b1.data, wFinal.data, v.data, hid, out, sizes);
  return record(new Tensor(out, [R, 1]), "monotonicMix", [qs, w1, b1, wFinal, v], (g) => {
    backend().mixBackward(g, qs.data, w1.data, wFinal.data, hid, sizes, {
      dq: gradSlot(qs), dw1: gradSlot(w1), db1: gradSlot(b1), dwf: gradSlot(wFinal), dv: gradSlot(v),
    });
  });
}

/** monotonicMix written with the generic ops, as pymarl writes it; the reference the fused op is tested against. */
export function monotonicMixComposed(qs: Tensor, w1: Tensor, b1: Tensor, wFinal: Tensor, v: Tensor, n: number, E: number): Tensor {
  const R = qs.shape[0]!;
  const hidden = elu(add(matmul(reshape(qs, [R, 1, n]), reshape(abs(w1), [R, n, E])), reshape(b1, [R, 1, E])));
  return reshape(add(matmul(hidden, reshape(abs(wFinal), [R, E, 1])), reshape(v, [R, 1, 1])), [R, 1]);
}

export type MixerKind = "qmix" | "vdn" | "none";
