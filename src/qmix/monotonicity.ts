// QMIX's monotonicity in closed form: the mixing network's weights for one
// state as the hypernetworks produce them, Q_tot by hand from them (equation
// (4) of docs/walkthrough.md) and ∂Q_tot/∂Qᵢ by the chain rule (equation (5)).

import { noGrad } from "../autograd/tape.ts";
import { decodeSafetensors } from "../nn/safetensors.ts";
import { Tensor } from "../tensor/tensor.ts";
import { type Mixer, QMixer, VDNMixer } from "./mixers.ts";

/** The mixing network of (4) for one state s: every weight already through |·|. */
export interface MixingWeights {
  nAgents: number;
  embedDim: number;
  /** W₁ = |hyper_w_1(s)|, [n, E]: agent i's row at i·E. */
  w1: Float64Array;
  /** B₁ = hyper_b_1(s), [E]. */
  b1: Float64Array;
  /** W₂ = |hyper_w_final(s)|, [E]. */
  w2: Float64Array;
  /** B₂ = V(s). */
  b2: number;
}

/** Runs the hypernetworks of `mixer` on one state (no gradient) and returns the mixing network they build. */
export function mixingWeights(mixer: QMixer, state: ArrayLike<number>): MixingWeights {
  const S = mixer.stateDim, n = mixer.nAgents, E = mixer.embedDim;
  if (state.length !== S) throw new RangeError(`mixingWeights: the mixer takes states of ${S} values, got ${state.length}`);
  return noGrad(() => {
    const s = new Tensor(Float32Array.from(state), [1, S]);
    const abs = (d: Float32Array) => Float64Array.from(d, Math.abs);
    return {
      nAgents: n, embedDim: E,
      w1: abs(mixer.hyper_w_1.forward(s).data),
      b1: Float64Array.from(mixer.hyper_b_1.forward(s).data),
      w2: abs(mixer.hyper_w_final.forward(s).data),
      b2: mixer.V.forward(s).data[0]!,
    };
  });
}

/** The hidden layer's pre-activation W₁ᵀQ + B₁, [E]. */
export function hiddenPreActivation(w: MixingWeights, qs: ArrayLike<number>): Float64Array {
  const { nAgents: n, embedDim: E } = w;
  if (qs.length !== n) throw new RangeError(`hiddenPreActivation: expected ${n} agent Qs, got ${qs.length}`);
  const h = Float64Array.from(w.b1);
  for (let i = 0; i < n; i++) for (let e = 0; e < E; e++) h[e]! += w.w1[i * E + e]! * qs[i]!;
  return h;
}

const elu = (x: number) => (x > 0 ? x : Math.expm1(x));
/** ELU′: 1 above 0, eˣ at and below it, so always in (0, 1]. */
const eluSlope = (x: number) => (x > 0 ? 1 : Math.exp(x));

/** Equation (4) in plain loops: Q_tot = W₂ᵀ ELU(W₁ᵀQ + B₁) + B₂. */
export function mixByHand(w: MixingWeights, qs: ArrayLike<number>): number {
  const h = hiddenPreActivation(w, qs);
  let y = w.b2;
  for (let e = 0; e < w.embedDim; e++) y += w.w2[e]! * elu(h[e]!);
  return y;
}

/**
 * Equation (5): ∂Q_tot/∂Qᵢ = Σₑ W₂ₑ · ELU′(hₑ) · W₁ᵢₑ with h = W₁ᵀQ + B₁.
 * Every factor is ≥ 0 (|·| on both weights, 0 < ELU′ ≤ 1), so every entry is.
 */
export function qTotGradient(w: MixingWeights, qs: ArrayLike<number>): Float64Array {
  const { nAgents: n, embedDim: E } = w;
  const h = hiddenPreActivation(w, qs);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let e = 0; e < E; e++) s += w.w2[e]! * eluSlope(h[e]!) * w.w1[i * E + e]!;
    out[i] = s;
  }
  return out;
}

/**
 * ∂Q_tot/∂Qᵢ for each row of agent Qs [R·n] and states [R·S]: (5) for QMIX,
 * (2)'s ones for VDN. Rows × agents, [R·n].
 */
export function mixerGradients(mixer: Mixer, qs: ArrayLike<number>, states: ArrayLike<number>): Float64Array {
  const n = mixer.nAgents, R = qs.length / n;
  if (!Number.isInteger(R)) throw new RangeError(`mixerGradients: ${qs.length} agent Qs is not a whole number of rows of ${n}`);
  if (mixer instanceof VDNMixer) return new Float64Array(qs.length).fill(1);
  if (!(mixer instanceof QMixer)) throw new TypeError("mixerGradients: expected a QMixer or a VDNMixer");
  const S = mixer.stateDim;
  if (states.length !== R * S) throw new RangeError(`mixerGradients: expected ${R} states of ${S} values (${R * S}), got ${states.length}`);
  const out = new Float64Array(qs.length);
  const st = Array.from(states), q = Array.from(qs);
  for (let r = 0; r < R; r++) out.set(qTotGradient(mixingWeights(mixer, st.slice(r * S, (r + 1) * S)), q.slice(r * n, (r + 1) * n)), r * n);
  return out;
}

/**
 * The mixer saved in a checkpoint or a best-weights file (`mixer.*` beside
 * the agent's weights), or null when the file holds none (a team saved as a
 * policy alone) or its config has no mixer.
 */
export function mixerFromBytes(bytes: Uint8Array, config: { mixer: string; mixingEmbedDim: number; hypernetEmbed: number; hypernetLayers: 1 | 2 }, nAgents: number, stateDim: number): Mixer | null {
  const { tensors } = decodeSafetensors(bytes);
  if (config.mixer === "vdn") return new VDNMixer(nAgents);
  if (config.mixer !== "qmix" || ![...tensors.keys()].some((k) => k.startsWith("mixer."))) return null;
  const mixer = new QMixer(nAgents, stateDim, { embedDim: config.mixingEmbedDim, hypernetEmbed: config.hypernetEmbed, hypernetLayers: config.hypernetLayers });
  mixer.loadStateDict(tensors, { strict: false, prefix: "mixer." });
  return mixer;
}
