// Mixing networks: Q_tot from the agents' chosen Qs and the state. Each
// mixes all rows (B·T) at once: qs [R, n], states [R, S] → [R, 1].

import { abs, add, elu } from "../autograd/elementwise.ts";
import { matmul } from "../autograd/matmul.ts";
import { sum } from "../autograd/reduce.ts";
import { reshape } from "../autograd/shape.ts";
import { type Layer, Linear, ReLU, Sequential } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { Rng } from "../tensor/random.ts";
import { ShapeError, type Tensor, fmt } from "../tensor/tensor.ts";

export interface Mixer extends Module {
  readonly nAgents: number;
  forward(qs: Tensor, states: Tensor): Tensor;
}

function checkQs(name: string, qs: Tensor, n: number): void {
  if (qs.ndim !== 2 || qs.shape[1] !== n) throw new ShapeError(`${name}: agent Qs must be [rows, ${n}] for ${n} agents, got ${fmt(qs.shape)}`);
}

/** VDN: Q_tot = Σᵢ Qᵢ, no parameters; ∂Q_tot/∂Qᵢ = 1. */
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
 * |·| on those weights keeps ∂Q_tot/∂Qᵢ ≥ 0 (the monotonicity constraint).
 *   hidden = ELU(q·|W₁(s)| + b₁(s)),  Q_tot = hidden·|W_final(s)| + V(s).
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
    const w1 = reshape(abs(this.hyper_w_1.forward(states)), [R, n, E]);
    const b1 = reshape(this.hyper_b_1.forward(states), [R, 1, E]);
    const hidden = elu(add(matmul(reshape(qs, [R, 1, n]), w1), b1));
    const wFinal = reshape(abs(this.hyper_w_final.forward(states)), [R, E, 1]);
    const v = reshape(this.V.forward(states), [R, 1, 1]);
    return reshape(add(matmul(hidden, wFinal), v), [R, 1]);
  }
}

export type MixerKind = "qmix" | "vdn" | "none";
