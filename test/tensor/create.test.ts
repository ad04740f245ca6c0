// Creation functions and the seeded generator. The generator's first
// outputs are pinned: xoshiro128** against the reference test vector for
// state {1, 2, 3, 4}, our splitmix32 seeding against values recorded once,
// so drift on any platform or engine shows here.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arange, eye, full, oneHot, ones, randNormal, randUniform, scalar, tensor, zeros } from "../../src/tensor/create.ts";
import { Rng } from "../../src/tensor/random.ts";
import { ShapeError, Tensor } from "../../src/tensor/tensor.ts";

const RUNS = { seed: 0x3c6ef372, numRuns: 100 };

describe("creation functions", () => {
  it("zeros, ones and full fill every element", () => {
    expect(Array.from(zeros([2, 3]).data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(zeros([2, 3]).shape).toEqual([2, 3]);
    expect(Array.from(ones([4]).data)).toEqual([1, 1, 1, 1]);
    const f = full([2, 2], -2.5);
    expect(f.toArray()).toEqual([[-2.5, -2.5], [-2.5, -2.5]]);
    expect(zeros([]).shape).toEqual([]);
    expect(zeros([]).size).toBe(1);
    expect(zeros([3, 0]).size).toBe(0);
  });

  it("rejects invalid dimensions, naming the op", () => {
    expect(() => zeros([2, -1])).toThrow(ShapeError);
    expect(() => zeros([2, -1])).toThrow(/zeros: invalid dimension -1 in shape \[2, -1\]/);
    expect(() => full([1.5], 0)).toThrow(/full: invalid dimension 1.5/);
  });

  it("tensor() infers the shape of nested arrays and round-trips through toArray", () => {
    const nested = [[[1, 2, 3]], [[4, 5, 6]]];
    const t = tensor(nested);
    expect(t.shape).toEqual([2, 1, 3]);
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.toArray()).toEqual(nested);
    expect(tensor(7).shape).toEqual([]);
    expect(tensor(7).item()).toBe(7);
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([1, 2, 3, 4], [2, 2]).toArray()).toEqual([[1, 2], [3, 4]]);
    const fa = Float32Array.of(1, 2);
    expect(tensor(fa).data).toBe(fa);
  });

  it("tensor() rejects ragged input and says where", () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged input at \[1\]: expected 2 elements, got 1/);
    expect(() => tensor([[1, 2], 3] as never)).toThrow(/ragged input at \[1\]/);
    expect(() => tensor([1, [2]] as never)).toThrow(/expected a number at \[1\], got an array/);
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/data has 3 elements but shape \[2, 2\] needs 4/);
  });

  it("toArray inverts tensor() for random nested arrays", () => {
    const arb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }).chain((shape) => {
      const build = (d: number): fc.Arbitrary<unknown> =>
        d === shape.length ? fc.integer({ min: -100, max: 100 }) : fc.array(build(d + 1), { minLength: shape[d]!, maxLength: shape[d]! });
      return build(0);
    });
    fc.assert(fc.property(arb, (v) => { expect(tensor(v as never).toArray()).toEqual(v); }), RUNS);
  });

  it("scalar, arange, eye", () => {
    expect(scalar(3).shape).toEqual([]);
    expect(scalar(3).item()).toBe(3);
    expect(Array.from(arange(4).data)).toEqual([0, 1, 2, 3]);
    expect(Array.from(arange(2, 5).data)).toEqual([2, 3, 4]);
    expect(Array.from(arange(0, 1, 0.25).data)).toEqual([0, 0.25, 0.5, 0.75]);
    expect(Array.from(arange(5, 0, -2).data)).toEqual([5, 3, 1]);
    expect(arange(3, 3).shape).toEqual([0]);
    expect(() => arange(0, 1, 0)).toThrow(/arange: step must be finite and non-zero, got 0/);
    expect(eye(3).toArray()).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
  });

  it("oneHot makes rows of shape [...S, depth] and rejects bad indices", () => {
    expect(oneHot([2, 0, 1], 3).toArray()).toEqual([[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
    const t = oneHot([1, 0, 0, 1], 2, [2, 2]);
    expect(t.shape).toEqual([2, 2, 2]);
    expect(t.toArray()).toEqual([[[0, 1], [1, 0]], [[1, 0], [0, 1]]]);
    expect(() => oneHot([3], 3)).toThrow(/oneHot: index 3 at position 0 is outside \[0, 3\)/);
    expect(() => oneHot([0, -1], 3)).toThrow(/index -1 at position 1/);
    expect(() => oneHot([0.5], 3)).toThrow(RangeError);
  });

  // Fails until oneHot checks the shape (see the report): today [0, 1, 2]
  // with shape [2] silently drops the third index, and [0] with shape [2]
  // silently leaves a row of zeros.
  it("oneHot rejects a shape that does not hold exactly the given indices", () => {
    expect(() => oneHot([0, 1, 2], 3, [2])).toThrow(ShapeError);
    expect(() => oneHot([0], 3, [2])).toThrow(/oneHot/);
  });

  it("randUniform and randNormal are deterministic given the generator", () => {
    const a = randUniform([3, 4], new Rng(7), -2, 3);
    const b = randUniform([3, 4], new Rng(7), -2, 3);
    expect(a.data).toEqual(b.data);
    for (const v of a.data) { expect(v).toBeGreaterThanOrEqual(-2); expect(v).toBeLessThan(3); }
    const n1 = randNormal([50], new Rng(8), 1, 0.5), n2 = randNormal([50], new Rng(8), 1, 0.5);
    expect(n1.data).toEqual(n2.data);
    // Same stream as the scalar calls, rounded to float32.
    const r = new Rng(8);
    expect(n1.data[0]).toBe(Math.fround(r.normal(1, 0.5)));
    expect(randUniform([2], new Rng(9)).data).not.toEqual(randUniform([2], new Rng(10)).data);
  });

  // Fails until randUniform redraws values that float32 rounding carries up
  // to hi (see the report). A generator state whose next output is 2³² − 1
  // makes uniform(0, 1) = 1 − 2⁻³², which rounds to 1 in float32.
  it("randUniform stays below hi after rounding to float32", () => {
    const inv = (a: number): number => { let x = a; for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x)) >>> 0; return x; };
    const rotr = (x: number, k: number): number => ((x >>> k) | (x << (32 - k))) >>> 0;
    // Invert xoshiro128**'s output function rotl(s1·5, 7)·9 for s1.
    const s1 = Math.imul(rotr(Math.imul(0xffffffff, inv(9)) >>> 0, 7), inv(5)) >>> 0;
    const r = new Rng();
    r.setState([1, s1, 3, 4]);
    const probe = new Rng();
    probe.setState([1, s1, 3, 4]);
    expect(probe.next()).toBe(1 - 2 ** -32);
    expect(randUniform([1], r, 0, 1).data[0]).toBeLessThan(1);
  });
});

describe("Rng", () => {
  it("xoshiro128** matches the reference vector for state {1, 2, 3, 4}", () => {
    const r = new Rng();
    r.setState([1, 2, 3, 4]);
    const got = Array.from({ length: 10 }, () => r.nextU32());
    expect(got).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804]);
  });

  it("seeds through splitmix32 to pinned states and first outputs", () => {
    expect(new Rng(0).getState()).toEqual([2462723854, 1020716019, 454327756, 1275600319]);
    expect(new Rng(42).getState()).toEqual([939911724, 3948730756, 321366731, 3317318717]);
    const r0 = new Rng(0);
    expect([r0.nextU32(), r0.nextU32(), r0.nextU32(), r0.nextU32()]).toEqual([3809008728, 1133695204, 53579671, 2891528803]);
    const r42 = new Rng(42);
    expect([r42.nextU32(), r42.nextU32()]).toEqual([2837322924, 544945897]);
    expect(new Rng(0).next()).toBe(3809008728 / 2 ** 32);
    expect(new Rng(42).normal()).toBeCloseTo(1.0271775679456403, 14);
    expect(new Rng().getState()).toEqual(new Rng(0).getState());
  });

  it("same seed, same numbers; different seeds, different numbers", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const a = new Rng(seed), b = new Rng(seed), c = new Rng((seed + 1) >>> 0);
        const sa = Array.from({ length: 8 }, () => a.nextU32());
        expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
        expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
      }),
      RUNS,
    );
  });

  it("getState/setState round-trips mid-stream", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 50 }), (seed, skip) => {
        const a = new Rng(seed);
        for (let i = 0; i < skip; i++) a.next();
        const state = a.getState();
        const expected = [a.next(), a.normal(), a.int(10), a.uniform(-1, 1)];
        const b = new Rng(123);
        b.setState(state);
        expect([b.next(), b.normal(), b.int(10), b.uniform(-1, 1)]).toEqual(expected);
      }),
      RUNS,
    );
    // The state is a copy, not a live view.
    const r = new Rng(1);
    const s = r.getState();
    r.next();
    expect(r.getState()).not.toEqual(s);
  });

  it("setState and the constructor reject invalid input", () => {
    const r = new Rng(1);
    expect(() => r.setState([1, 2, 3])).toThrow(/expected four unsigned 32-bit integers, got \[1, 2, 3\]/);
    expect(() => r.setState([1, 2, 3, -1])).toThrow(RangeError);
    expect(() => r.setState([1, 2, 3, 2 ** 32])).toThrow(RangeError);
    expect(() => r.setState([1, 2, 3, 0.5])).toThrow(RangeError);
    expect(() => new Rng(NaN)).toThrow(/seed must be a finite number/);
    expect(() => new Rng(Infinity)).toThrow(RangeError);
  });

  it("int(n) stays in [0, n), hits every value, and rejects bad n", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const r = new Rng(seed);
        for (let i = 0; i < 20; i++) {
          const v = r.int(n);
          expect(Number.isInteger(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThan(n);
        }
      }),
      RUNS,
    );
    const r = new Rng(5), counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[r.int(7)]!++;
    for (const c of counts) { expect(c).toBeGreaterThan(850); expect(c).toBeLessThan(1150); }
    expect(new Rng(1).int(1)).toBe(0);
    for (const bad of [0, -1, 1.5, 2 ** 32 + 1, NaN]) expect(() => new Rng(1).int(bad)).toThrow(/Rng.int: n must be an integer in \[1, 2\^32\]/);
  });

  it("next() and uniform() stay in their half-open ranges", () => {
    const r = new Rng(11);
    for (let i = 0; i < 10000; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      const v = r.uniform(-3, -1);
      expect(v >= -3 && v < -1).toBe(true);
    }
  });

  it("normal() has roughly the requested mean and standard deviation", () => {
    const r = new Rng(2024), n = 20000;
    let s = 0, s2 = 0;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) { const x = r.normal(3, 2); xs[i] = x; s += x; s2 += x * x; }
    const mean = s / n, std = Math.sqrt(s2 / n - mean * mean);
    // Standard errors: 2/√n ≈ 0.014 for the mean, ≈ 0.01 for the std.
    expect(Math.abs(mean - 3)).toBeLessThan(0.06);
    expect(Math.abs(std - 2)).toBeLessThan(0.05);
    // About 68% within one standard deviation.
    const within = xs.filter((x) => Math.abs(x - 3) < 2).length / n;
    expect(within).toBeGreaterThan(0.66);
    expect(within).toBeLessThan(0.70);
  });
});

describe("Tensor basics", () => {
  it("item, clone, detach and requireGrad", () => {
    const t = tensor([[1, 2], [3, 4]]);
    expect(() => t.item()).toThrow(/item: tensor has shape \[2, 2\], expected exactly one element/);
    const c = t.clone();
    c.data[0] = 9;
    expect(t.data[0]).toBe(1);
    t.requireGrad();
    expect(t.requiresGrad).toBe(true);
    expect(t.clone().requiresGrad).toBe(false);
    const d = t.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.data).toBe(t.data);
    expect(t.toString()).toBe("Tensor(shape=[2, 2], requiresGrad)");
    expect(t.ndim).toBe(2);
  });

  it("the constructor copies the shape, so later edits to the caller's array do not leak in", () => {
    const shape = [2, 2];
    const t = new Tensor(new Float32Array(4), shape);
    shape[0] = 4;
    expect(t.shape).toEqual([2, 2]);
  });
});
