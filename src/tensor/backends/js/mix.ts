// QMIX's mixing network (src/qmix/mixers.ts's monotonicMix) row by row in
// plain loops: hidden = ELU(q · |W₁| + b₁), Q_tot = hidden · |W_final| + V,
// each row's E sums formed in float64 and rounded once.

import type { MixGrads, MixSizes } from "../../backend.ts";
import { addInto } from "./linear.ts";

/** out [R] and the ELU outputs hid [R,E], both written in full. */
export function jsMixForward(
  q: Float32Array, a: Float32Array, b: Float32Array, f: Float32Array, vd: Float32Array,
  hid: Float32Array, out: Float32Array, s: MixSizes,
): void {
  const { R, n, E } = s;
  const acc = new Float64Array(E);
  for (let r = 0; r < R; r++) {
    const qo = r * n, ao = r * n * E, eo = r * E;
    for (let e = 0; e < E; e++) acc[e] = b[eo + e]!;
    for (let i = 0; i < n; i++) {
      const qi = q[qo + i]!, row = ao + i * E;
      for (let e = 0; e < E; e++) acc[e]! += qi * Math.abs(a[row + e]!);
    }
    let y = vd[r]!;
    for (let e = 0; e < E; e++) {
      const h = acc[e]!, act = h > 0 ? h : Math.expm1(h);
      hid[eo + e] = act;
      y += act * Math.abs(f[eo + e]!);
    }
    out[r] = y;
  }
}

/**
 * The backward for upstream g [R]. The ELU's slope comes from its saved
 * output: 1 above 0, and e^h = output + 1 below, so no exp is needed. |·|
 * has gradient sign(·), 0 at 0, as PyTorch.
 */
export function jsMixBackward(
  g: Float32Array, q: Float32Array, a: Float32Array, f: Float32Array, hid: Float32Array, s: MixSizes, grads: MixGrads,
): void {
  const { R, n, E } = s;
  const dq = addInto(grads.dq), da = addInto(grads.dw1), db = addInto(grads.db1), df = addInto(grads.dwf), dv = addInto(grads.dv);
  const dh = new Float64Array(E);
  for (let r = 0; r < R; r++) {
    const gr = g[r]!, qo = r * n, ao = r * n * E, eo = r * E;
    if (dv) dv[r]! += gr;
    for (let e = 0; e < E; e++) {
      const act = hid[eo + e]!, fe = f[eo + e]!;
      if (df) df[eo + e]! += gr * act * (+(fe > 0) - +(fe < 0));
      dh[e] = gr * Math.abs(fe) * (act > 0 ? 1 : act + 1);
    }
    if (db) for (let e = 0; e < E; e++) db[eo + e]! += dh[e]!;
    for (let i = 0; i < n; i++) {
      const qi = q[qo + i]!, row = ao + i * E;
      if (da) for (let e = 0; e < E; e++) { const w = a[row + e]!; da[row + e]! += dh[e]! * qi * (+(w > 0) - +(w < 0)); }
      // (5) of docs/walkthrough.md times the incoming gradient: Σₑ |W₂|ₑ ELU′(hₑ) |W₁|ᵢₑ, every term ≥ 0.
      if (dq) {
        let sum = 0;
        for (let e = 0; e < E; e++) sum += dh[e]! * Math.abs(a[row + e]!);
        dq[qo + i]! += sum;
      }
    }
  }
}
