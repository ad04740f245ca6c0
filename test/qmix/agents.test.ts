// The dueling feed-forward agent: Q = V + A − mean_a A, so the mean of the
// Qs over actions is the value head's output and the Qs' differences are
// the advantage head's; one step acts as the unroll does; the heads' backward
// matches finite differences; it saves and loads through the policy file and
// the config accepts it.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { noGrad } from "../../src/autograd/tape.ts";
import { DuelingFFAgent } from "../../src/qmix/agents.ts";
import { resolveConfig } from "../../src/train/config.ts";
import { DecentralisedPolicy, type PolicySpec } from "../../src/qmix/policy.ts";
import { Rng } from "../../src/tensor/random.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import { GRAD_TOL, gradCheck } from "../util/gradcheck.ts";

const RUNS = { seed: 0x5eed_d0e1, numRuns: 30 };
const dims = fc.record({
  T: fc.integer({ min: 1, max: 3 }),
  R: fc.integer({ min: 1, max: 4 }),
  inp: fc.integer({ min: 1, max: 6 }),
  width: fc.integer({ min: 1, max: 8 }),
  A: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

function randomInputs(shape: number[], rng: Rng): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

/** The value head's output by hand: V = w_v · relu(fc2 relu(fc1 x)) + b_v for one input row. */
function hidden(agent: DuelingFFAgent, x: Float32Array): Float64Array {
  const layer = (w: Tensor, b: Tensor, v: ArrayLike<number>): Float64Array => {
    const [o, i] = w.shape as [number, number];
    return Float64Array.from({ length: o }, (_, r) => {
      let s = b.data[r]!;
      for (let k = 0; k < i; k++) s += w.data[r * i + k]! * v[k]!;
      return Math.max(0, s);
    });
  };
  return layer(agent.fc2.weight, agent.fc2.bias!, layer(agent.fc1.weight, agent.fc1.bias!, x));
}

describe("DuelingFFAgent", () => {
  it("mean over actions of Q is V, and Q's differences are A's", () => {
    fc.assert(fc.property(dims, ({ T, R, inp, width, A, seed }) => {
      const rng = new Rng(seed);
      const agent = new DuelingFFAgent(inp, width, A, rng);
      const x = randomInputs([T, R, inp], rng);
      const q = noGrad(() => agent.unroll(x));
      expect(q.shape).toEqual([T, R, A]);
      for (let row = 0; row < T * R; row++) {
        const h = hidden(agent, x.data.subarray(row * inp, (row + 1) * inp));
        let v = agent.value.bias!.data[0]!;
        for (let k = 0; k < width; k++) v += agent.value.weight.data[k]! * h[k]!;
        const adv = Float64Array.from({ length: A }, (_, a) => {
          let s = agent.advantage.bias!.data[a]!;
          for (let k = 0; k < width; k++) s += agent.advantage.weight.data[a * width + k]! * h[k]!;
          return s;
        });
        const qs = q.data.subarray(row * A, (row + 1) * A);
        const meanQ = qs.reduce((s, y) => s + y, 0) / A;
        expect(meanQ).toBeCloseTo(v, 4);
        for (let a = 1; a < A; a++) expect(qs[a]! - qs[0]!).toBeCloseTo(adv[a]! - adv[0]!, 4);
      }
    }), RUNS);
  });

  it("step gives the unroll's Qs row for row", () => {
    fc.assert(fc.property(dims, ({ R, inp, width, A, seed }) => {
      const rng = new Rng(seed);
      const agent = new DuelingFFAgent(inp, width, A, rng);
      const x = randomInputs([1, R, inp], rng);
      const unrolled = noGrad(() => agent.unroll(x));
      const stepped = noGrad(() => agent.step(new Tensor(x.data.slice(), [R, inp]), new Tensor(new Float32Array(0), [R, 0])).q);
      expect(Array.from(stepped.data)).toEqual(Array.from(unrolled.data));
    }), RUNS);
  });

  it("the heads' gradients match finite differences", () => {
    fc.assert(fc.property(dims, ({ T, R, inp, width, A, seed }) => {
      const rng = new Rng(seed);
      const agent = new DuelingFFAgent(inp, width, A, rng);
      const x = randomInputs([T, R, inp], rng);
      const heads = [agent.value.weight, agent.value.bias!, agent.advantage.weight, agent.advantage.bias!];
      expect(gradCheck(() => agent.unroll(x), heads)).toBeLessThan(GRAD_TOL);
    }), RUNS);
  });

  it("saves and loads through the policy file, and the config accepts it", () => {
    const spec: PolicySpec = { agent: "ff-dueling", hidden: 16, nAgents: 3, obsDim: 5, nActions: 4, inputs: { lastAction: true, agentId: true } };
    const p = DecentralisedPolicy.create(spec, new Rng(7));
    const q = DecentralisedPolicy.fromBytes(p.toBytes());
    expect(q.spec).toEqual(spec);
    const obs = Float32Array.from({ length: 2 * 3 * 5 }, (_, i) => Math.sin(i));
    const avail = new Uint8Array(2 * 3 * 4).fill(1);
    p.reset(2);
    q.reset(2);
    expect(Array.from(q.act(obs, avail, 0, new Rng(1)))).toEqual(Array.from(p.act(obs, avail, 0, new Rng(1))));
    expect(resolveConfig(["test", { agent: "ff-dueling" }]).agent).toBe("ff-dueling");
    expect(() => resolveConfig(["test", { agent: "dueling" }])).toThrow(/"agent" must be one of "rnn", "ff", "ff-dueling"/);
  });
});
