// Proof that the gradient property can fail. Deliberately wrong ops built
// with the same record/gradOf machinery as the real ones must be rejected
// by the very property the suite applies to every op, and by a wide margin
// over GRAD_TOL; their correct twins (same code, right formula) must pass,
// so the rejection is the mutation's doing, not the harness's.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gradOf, record } from "../../src/autograd/tape.ts";
import { gruSequence } from "../../src/nn/functional.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import { GRAD_TOL, arbShape, arbTensor, gradCheck } from "../util/gradcheck.ts";

const RUNS = { seed: 0x68e31da4, numRuns: 60 };

/** ELU (α = 1); the mutant's backward for x ≤ 0 uses g·y instead of g·(y + 1). */
function eluVariant(mutant: boolean) {
  return (x: Tensor): Tensor => {
    const xd = x.data, n = x.size, yd = new Float32Array(n);
    for (let i = 0; i < n; i++) { const v = xd[i]!; yd[i] = v > 0 ? v : Math.expm1(v); }
    return record(new Tensor(yd, x.shape), "elu", [x], (g) => {
      const gx = gradOf(x);
      for (let i = 0; i < n; i++) gx[i]! += xd[i]! > 0 ? g[i]! : mutant ? g[i]! * yd[i]! : g[i]! * (yd[i]! + 1);
    });
  };
}

/** exp whose backward is off by a factor (1 + rel): how small an error the tolerance still sees. */
function expScaled(rel: number) {
  return (x: Tensor): Tensor => {
    const xd = x.data, n = x.size, yd = new Float32Array(n);
    for (let i = 0; i < n; i++) yd[i] = Math.exp(xd[i]!);
    return record(new Tensor(yd, x.shape), "exp", [x], (g) => {
      const gx = gradOf(x);
      for (let i = 0; i < n; i++) gx[i]! += g[i]! * yd[i]! * (1 + rel);
    });
  };
}

type Gate = "r" | "z" | "n" | null;

/**
 * One GRU step, PyTorch's equations, written out with its own backward:
 * gi [R, 3H] (input projections), h [R, H], weight_hh [3H, H], bias_hh [3H].
 * `flip` negates one gate's pre-activation gradient, a sign error of the
 * kind a hand-derived backward invites.
 */
function gruStep(flip: Gate) {
  return (gi: Tensor, h: Tensor, w: Tensor, b: Tensor): Tensor => {
    const [R, H] = h.shape as [number, number];
    const H3 = 3 * H;
    const gh = new Float64Array(R * H3);
    for (let i = 0; i < R; i++) for (let o = 0; o < H3; o++) {
      let s = b.data[o]!;
      for (let k = 0; k < H; k++) s += h.data[i * H + k]! * w.data[o * H + k]!;
      gh[i * H3 + o] = s;
    }
    const r = new Float64Array(R * H), z = new Float64Array(R * H), nn = new Float64Array(R * H);
    const out = new Float32Array(R * H);
    for (let i = 0; i < R; i++) for (let j = 0; j < H; j++) {
      const q = i * H3, o = i * H + j;
      r[o] = 1 / (1 + Math.exp(-(gi.data[q + j]! + gh[q + j]!)));
      z[o] = 1 / (1 + Math.exp(-(gi.data[q + H + j]! + gh[q + H + j]!)));
      nn[o] = Math.tanh(gi.data[q + 2 * H + j]! + r[o]! * gh[q + 2 * H + j]!);
      out[o] = (1 - z[o]!) * nn[o]! + z[o]! * h.data[o]!;
    }
    return record(new Tensor(out, [R, H]), "gruStep", [gi, h, w, b], (g) => {
      const dgh = new Float64Array(R * H3);
      const dgi = gradOf(gi), dh = gradOf(h), dw = gradOf(w), db = gradOf(b);
      for (let i = 0; i < R; i++) for (let j = 0; j < H; j++) {
        const q = i * H3, o = i * H + j, gj = g[o]!, rj = r[o]!, zj = z[o]!, nj = nn[o]!;
        let dn = gj * (1 - zj) * (1 - nj * nj);
        let dz = gj * (h.data[o]! - nj) * zj * (1 - zj);
        let dr = dn * gh[q + 2 * H + j]! * rj * (1 - rj);
        if (flip === "n") dn = -dn;
        if (flip === "z") dz = -dz;
        if (flip === "r") dr = -dr;
        dgi[q + j]! += dr; dgi[q + H + j]! += dz; dgi[q + 2 * H + j]! += dn;
        dgh[q + j] = dr; dgh[q + H + j] = dz; dgh[q + 2 * H + j] = dn * rj;
        dh[o]! += gj * zj;
      }
      for (let i = 0; i < R; i++) for (let o = 0; o < H3; o++) {
        const d = dgh[i * H3 + o]!;
        db[o]! += d;
        for (let k = 0; k < H; k++) { dh[i * H + k]! += d * w.data[o * H + k]!; dw[o * H + k]! += d * h.data[i * H + k]!; }
      }
    });
  };
}

const arbElu = arbShape(3, 24).chain((s) => arbTensor(s, { awayFrom: [0] }));
const arbGru = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 })).chain(([R, H]) =>
  fc.tuple(arbTensor([R, 3 * H]), arbTensor([R, H], { min: -1, max: 1 }), arbTensor([3 * H, H], { min: -1, max: 1 }), arbTensor([3 * H], { min: -1, max: 1 })));

/** fast-check's verdict on the gradient property for f. */
function verdict<T extends Tensor[]>(arb: fc.Arbitrary<T>, f: (...xs: Tensor[]) => Tensor): boolean {
  return fc.check(fc.property(arb, (xs) => gradCheck(f, xs) < GRAD_TOL), RUNS).failed;
}

/** Errors of f on a fixed sample of inputs, sorted, as multiples of GRAD_TOL. */
function margins<T extends Tensor[]>(arb: fc.Arbitrary<T>, f: (...xs: Tensor[]) => Tensor): number[] {
  return fc.sample(arb, RUNS).map((xs) => gradCheck(f, xs) / GRAD_TOL).sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number): number => sorted[Math.floor(q * (sorted.length - 1))]!;
const report = (name: string, m: number[]): void => {
  if (process.env.MUTATION_REPORT) console.log(`${name}: error / GRAD_TOL min ${quantile(m, 0).toFixed(1)}, 10% ${quantile(m, 0.1).toFixed(1)}, median ${quantile(m, 0.5).toFixed(1)}`);
};

const arbEluNeg = arbElu.filter((x) => x.data.some((v) => v < 0)).map((x) => [x]);

describe("mutation check: the gradient property rejects wrong backward passes", () => {
  it("accepts the correct ELU twin", () => {
    expect(verdict(arbElu.map((x) => [x]), eluVariant(false))).toBe(false);
  });

  it("rejects ELU whose backward for x < 0 uses g·y instead of g·(y + 1)", () => {
    expect(verdict(arbElu.map((x) => [x]), eluVariant(true))).toBe(true);
    // Wherever an input is negative the error is O(1), far above the tolerance.
    const m = margins(arbEluNeg, eluVariant(true));
    report("elu", m);
    expect(quantile(m, 0)).toBeGreaterThan(100);
  });

  it("rejects a backward that is only 1% off (exp's gradient × 1.01)", () => {
    const arb = arbShape(3, 24).chain((s) => arbTensor(s)).map((x) => [x]);
    expect(verdict(arb, expScaled(0))).toBe(false);
    expect(verdict(arb, expScaled(0.01))).toBe(true);
    const m = margins(arb, expScaled(0.01));
    report("exp ×1.01", m);
    expect(quantile(m, 0)).toBeGreaterThan(5);
  });

  it("accepts the correct GRU-step twin, and it agrees with gruSequence", () => {
    expect(verdict(arbGru, gruStep(null))).toBe(false);
    fc.assert(
      fc.property(arbGru, ([gi, h, w, b]) => {
        const [R, H] = h.shape as [number, number];
        const ref = gruSequence(new Tensor(gi.data, [1, R, 3 * H]), h, w, b).data;
        const mine = gruStep(null)(gi, h, w, b).data;
        for (let i = 0; i < ref.length; i++) expect(mine[i]).toBeCloseTo(ref[i]!, 5);
      }),
      RUNS,
    );
  });

  it.each(["r", "z", "n"] as const)("rejects a GRU step with the %s gate's backward sign flipped", (gate) => {
    expect(verdict(arbGru, gruStep(gate))).toBe(true);
    const m = margins(arbGru, gruStep(gate));
    report(`gru ${gate}`, m);
    expect(quantile(m, 0.5)).toBeGreaterThan(100);
  });
});
