// The kernels the ops call, as one interface with two implementations:
// backends/js (plain loops over Float32Array, runs anywhere) and
// backends/wasm (WebAssembly SIMD, where the runtime has it). One of them is
// chosen once, on first use (backends/active.ts: QMIX_BACKEND and what the
// runtime supports), and every op calls it through backend(): no op asks
// which one is active. The shape is tfjs's (one interface,
// tfjs-backend-cpu, tfjs-backend-wasm), with each op's forward and backward
// still in one place (src/autograd, src/nn/functional.ts, src/qmix/mixers.ts).
//
// Conventions: row-major Float32Array operands, sizes in elements. Kernels
// that take an output add into it (C += …), so a backward can accumulate
// into an existing gradient; the ops' shape checks happen before the call.
// Both implementations compute the same equations; they may differ in
// rounding (float32 SIMD sums and gates against float64 in JS), so equal
// seeds give equal runs on one backend, not across the two.

/** Saved by a GRU forward for its backward, each [T, R, H]: gates r, z, n and ghn = W_hn h + b_hn. */
export interface GruGates {
  readonly r: Float32Array;
  readonly z: Float32Array;
  readonly n: Float32Array;
  readonly ghn: Float32Array;
}

/** Gradient arrays the GRU recurrence's backward adds into; null where not wanted. */
export interface GruGrads {
  /** [T,R,3H]. */
  readonly dgi: Float32Array | null;
  /** Whether dgi is all zeros (a buffer just created), so it need not be copied in. */
  readonly dgiFresh: boolean;
  /** [R,H]. */
  readonly dh0: Float32Array | null;
  /** [3H,H]. */
  readonly dW: Float32Array | null;
  /** [3H]. */
  readonly db: Float32Array | null;
}

/**
 * A gradient to add into (src/autograd/tape.ts's gradSlot): null when not
 * wanted; `fresh` when the array was just created and holds garbage, so the
 * kernel writes it (or zeroes it first) instead of adding to it.
 */
export interface GradSlot { readonly into: Float32Array | null; readonly fresh: boolean }

export interface LinearGrads { dx: GradSlot; dW: GradSlot; db: GradSlot }

/** Sizes of a GRU layer: T steps, R rows per step, I inputs, H hidden. */
export interface GruLayerSizes { T: number; R: number; I: number; H: number }

export interface GruLayerGrads {
  dx: GradSlot; dWih: GradSlot; dbih: GradSlot; dh0: GradSlot; dWhh: GradSlot; dbhh: GradSlot;
}

/** Sizes of QMIX's mixing network: R rows, n agents, E mixing units. */
export interface MixSizes { R: number; n: number; E: number }

export interface MixGrads { dq: GradSlot; dw1: GradSlot; db1: GradSlot; dwf: GradSlot; dv: GradSlot }

export interface Backend {
  /** What runs the kernels: "js", "wasm-simd", or "wasm-simd-fma" (relaxed SIMD's fused multiply-add). */
  readonly name: string;

  // ---- the three matmul layouts (aOff, bOff, cOff: where each operand starts) ----
  /** C[m,n] += A[m,k] · B[k,n]. */
  matmulNN(A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number, aOff?: number, bOff?: number, cOff?: number): void;
  /** C[m,n] += A[m,k] · B[n,k]ᵀ (B stored as rows of length k, like a Linear weight [out, in]). */
  matmulNT(A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number, aOff?: number, bOff?: number, cOff?: number): void;
  /** C[m,n] += A[k,m]ᵀ · B[k,n] (weight gradients: gradᵀ · input). */
  matmulTN(A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number, aOff?: number, bOff?: number, cOff?: number): void;

  // ---- many tiny products in one pass; strides sa, sb, sc are 0 for an operand shared across the batch ----
  /** C_i[m,n] += A_i[m,k] · B_i[k,n] for i < batch. */
  batchedNN(A: Float32Array, B: Float32Array, C: Float32Array, batch: number, m: number, k: number, n: number, sa: number, sb: number): void;
  /** C_i[m,k] += G_i[m,n] · B_i[k,n]ᵀ for i < batch (gradient of A). */
  batchedNT(G: Float32Array, B: Float32Array, C: Float32Array, batch: number, m: number, k: number, n: number, sc: number, sb: number): void;
  /** C_i[k,n] += A_i[m,k]ᵀ · G_i[m,n] for i < batch (gradient of B). */
  batchedTN(A: Float32Array, G: Float32Array, C: Float32Array, batch: number, m: number, k: number, n: number, sa: number, sc: number): void;

  // ---- elementwise ----
  /** dst = max(src, 0) (dst may be src); NaN stays NaN and −0 becomes +0, as PyTorch's relu. */
  relu(src: Float32Array, dst: Float32Array): void;

  // ---- the fused Linear: y = x Wᵀ + b, optionally followed by a ReLU ----
  /** y [m, n] = x [m, k] · W [n, k]ᵀ + bias [n] (bias optional), then max(y, 0) with `relu`; y is a new array (from the pool). */
  linearForward(x: Float32Array, W: Float32Array, bias: Float32Array | null, m: number, k: number, n: number, relu: boolean): Float32Array;
  /**
   * For upstream g [m, n]: dx [m, k] += g W, dW [n, k] += gᵀ x, db [n] += Σ_rows g.
   * With `reluOut` (the forward's output after its ReLU) g is first masked to
   * where it is > 0, in place: g belongs to the caller's node and is dropped after.
   */
  linearBackward(g: Float32Array, x: Float32Array, W: Float32Array, reluOut: Float32Array | null, m: number, k: number, n: number, grads: LinearGrads): void;

  // ---- the GRU recurrence over T steps, from input projections gi [T, R, 3H] ----
  /** hs [T,R,H] from gi [T,R,3H], h0 [R,H], weight_hh W [3H,H], bias_hh b [3H]; fills `gates` when given. */
  gruForward(gi: Float32Array, h0: Float32Array, W: Float32Array, b: Float32Array, T: number, R: number, H: number, hs: Float32Array, gates: GruGates | null): void;
  /** The backward of gruForward for upstream G [T,R,H], given its inputs, hs and the saved gates; adds into `grads`. */
  gruBackward(G: Float32Array, h0: Float32Array, hs: Float32Array, W: Float32Array, gates: GruGates, T: number, R: number, H: number, grads: GruGrads): void;

  // ---- a whole GRU layer, the input projection included: x [T,R,I] → hs [T,R,H] ----
  /** hs (written in full) from x, weight_ih [3H,I], bias_ih [3H], h0 [R,H], weight_hh [3H,H], bias_hh [3H]; fills gates (in full) when given. */
  gruLayerForward(
    x: Float32Array, Wih: Float32Array, bih: Float32Array, h0: Float32Array, Whh: Float32Array, bhh: Float32Array,
    s: GruLayerSizes, hs: Float32Array, gates: GruGates | null,
  ): void;
  /** The backward of gruLayerForward for upstream G [T,R,H], given its inputs, hs and saved gates. */
  gruLayerBackward(
    G: Float32Array, x: Float32Array, Wih: Float32Array, h0: Float32Array, hs: Float32Array, Whh: Float32Array,
    gates: GruGates, s: GruLayerSizes, grads: GruLayerGrads,
  ): void;

  // ---- QMIX's mixing network, row by row (src/qmix/mixers.ts's monotonicMix) ----
  /** out [R] and the saved ELU outputs hid [R,E] (both written in full) from q [R,n], W₁ [R,n·E], b₁ [R,E], W_final [R,E], V [R]. */
  mixForward(
    q: Float32Array, w1: Float32Array, b1: Float32Array, wf: Float32Array, v: Float32Array,
    hid: Float32Array, out: Float32Array, s: MixSizes,
  ): void;
  /** The backward of mixForward for upstream g [R], given its inputs and hid; adds into the wanted gradients. */
  mixBackward(g: Float32Array, q: Float32Array, w1: Float32Array, wf: Float32Array, hid: Float32Array, s: MixSizes, grads: MixGrads): void;
}
