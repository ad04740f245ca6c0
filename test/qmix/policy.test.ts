// The decentralised policy: acts from observations alone, respects
// available actions, explores as ε says, and saves/loads on its own.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { epsilonAt, selectActions } from "../../src/qmix/action_selection.ts";
import { DecentralisedPolicy, type PolicySpec } from "../../src/qmix/policy.ts";
import { Rng } from "../../src/tensor/random.ts";

const spec: PolicySpec = { agent: "rnn", hidden: 16, nAgents: 3, obsDim: 5, nActions: 4, inputs: { lastAction: true, agentId: true } };

function episode(policy: DecentralisedPolicy, seed: number, envs = 2, steps = 6): Int32Array[] {
  const rng = new Rng(seed), obsRng = new Rng(seed + 1);
  policy.reset(envs);
  const out: Int32Array[] = [];
  for (let t = 0; t < steps; t++) {
    const obs = Float32Array.from({ length: envs * 3 * 5 }, () => obsRng.normal());
    const avail = Uint8Array.from({ length: envs * 3 * 4 }, (_, k) => (k % 4 === 3 ? 0 : 1));
    out.push(policy.act(obs, avail, 0, rng).slice());
  }
  return out;
}

describe("DecentralisedPolicy", () => {
  it("save → load gives the same greedy actions over whole episodes", () => {
    const p = DecentralisedPolicy.create(spec, new Rng(7));
    const q = DecentralisedPolicy.fromBytes(p.toBytes());
    expect(q.spec).toEqual(spec);
    expect(episode(q, 3)).toEqual(episode(p, 3));
  });

  it("never picks an unavailable action, greedy or random", () => {
    const p = DecentralisedPolicy.create(spec, new Rng(1));
    for (const acts of episode(p, 5, 4, 10)) for (const a of acts) expect(a).not.toBe(3);
  });

  it("rejects observations of the wrong size, naming the expected count", () => {
    const p = DecentralisedPolicy.create(spec);
    p.reset(2);
    expect(() => p.act(new Float32Array(7), new Uint8Array(24).fill(1), 0, new Rng(0))).toThrow(/obs has 7 values, expected 30/);
  });

  it("rejects a file that is not a policy", () => {
    expect(() => DecentralisedPolicy.fromBytes(new Uint8Array(3))).toThrow();
  });
});

describe("ε-greedy", () => {
  it("anneals linearly from start to end and stays there", () => {
    expect(epsilonAt(0, 1, 0.05, 50000)).toBe(1);
    expect(epsilonAt(25000, 1, 0.05, 50000)).toBeCloseTo(0.525, 12);
    expect(epsilonAt(50000, 1, 0.05, 50000)).toBeCloseTo(0.05, 12);
    expect(epsilonAt(1e7, 1, 0.05, 50000)).toBe(0.05);
  });

  it("ε = 1 is uniform over available actions; ε = 0 is the available argmax", () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 1e6 }), (A, seed) => {
      const rng = new Rng(seed);
      const q = Float32Array.from({ length: A }, () => rng.normal());
      const avail = Uint8Array.from({ length: A }, () => (rng.next() < 0.6 ? 1 : 0));
      avail[rng.int(A)] = 1;
      let best = -1;
      for (let a = 0; a < A; a++) if (avail[a] && (best < 0 || q[a]! > q[best]!)) best = a;
      expect(selectActions(q, avail, 1, A, 0, rng, new Int32Array(1))[0]).toBe(best);
      const counts = new Array<number>(A).fill(0);
      for (let k = 0; k < 2000; k++) counts[selectActions(q, avail, 1, A, 1, rng, new Int32Array(1))[0]!]!++;
      const nAvail = avail.reduce((s, v) => s + v, 0);
      counts.forEach((c, a) => (avail[a] ? expect(Math.abs(c / 2000 - 1 / nAvail)).toBeLessThan(0.06) : expect(c).toBe(0)));
    }), { numRuns: 30, seed: 11 });
  });

  it("an agent with no available action is an error naming the row", () => {
    expect(() => selectActions(new Float32Array(6), new Uint8Array([1, 1, 1, 0, 0, 0]), 2, 3, 0, new Rng(0), new Int32Array(2))).toThrow(/row 1 .*no available action/);
  });
});
