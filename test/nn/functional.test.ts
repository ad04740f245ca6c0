// Forward values of linear and the GRU: against PyTorch (the agent network
// of ../fixtures/qmix_torch_reference.json, fc1 → relu → GRUCell → fc2,
// computed by PyTorch in float64), against a float64 transcription of
// PyTorch's GRUCell equations over random shapes, and against each other
// (gruCell ≡ one step of gruSequence; the GRUCell layer ≡ gruCell).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { relu } from "../../src/autograd/elementwise.ts";
import { permute, reshape, select } from "../../src/autograd/shape.ts";
import { backward, noGrad } from "../../src/autograd/tape.ts";
import { gruCell, gruSequence, linear } from "../../src/nn/functional.ts";
import { GRUCell, Linear } from "../../src/nn/layers.ts";
import { tensor, zeros } from "../../src/tensor/create.ts";
import { Rng } from "../../src/tensor/random.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import { arbTensor } from "../util/gradcheck.ts";

const RUNS = { seed: 0x510e527f, numRuns: 60 };
const VECTORS = process.env.QMIX_VECTORS ?? fileURLToPath(new URL("../fixtures", import.meta.url));

interface Named { shape: number[]; data: number[] }
interface Case {
  config: { n_agents: number; n_actions: number; batch: number; T: number; rnn_hidden_dim: number };
  params: Record<string, Named>;
  inputs: { agent_inputs: number[] };
  outputs: { agent_qs: number[] };
}
const cases = (JSON.parse(readFileSync(join(VECTORS, "qmix_torch_reference.json"), "utf8")) as { cases: Case[] }).cases;
const param = (c: Case, name: string): Tensor => {
  const p = c.params[name];
  if (!p) throw new Error(`reference case lacks ${name}`);
  return new Tensor(Float32Array.from(p.data), p.shape);
};

/** Agent inputs [B, T+1, n, in] as [T+1, B·n, in]: rows episode-major then agent, as the reference orders them. */
function stepsFirst(c: Case): Tensor {
  const { batch: B, T, n_agents: n } = c.config;
  const x = c.inputs.agent_inputs;
  const inp = x.length / (B * (T + 1) * n);
  return reshape(permute(new Tensor(Float32Array.from(x), [B, T + 1, n, inp]), [1, 0, 2, 3]), [T + 1, B * n, inp]);
}

/** Our [T+1, B·n, A] back to the reference's [B, T+1, n, A]. */
function toReference(c: Case, q: Tensor): Float32Array {
  const { batch: B, T, n_agents: n, n_actions: A } = c.config;
  return permute(reshape(q, [T + 1, B, n, A]), [1, 0, 2, 3]).data;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number): void {
  expect(got.length).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(rel * Math.max(scale, 1));
}

describe("the agent network against PyTorch (qmix_torch_reference.json)", () => {
  it("has reference cases", () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases.map((c, i) => [i, c] as const))("case %i: step by step with gruCell", (_i, c) => {
    const { batch: B, T, n_agents: n, rnn_hidden_dim: H } = c.config;
    const xs = stepsFirst(c);
    const w = (k: string) => param(c, `agent.${k}`);
    let h = zeros([B * n, H]);
    const qs: Tensor[] = [];
    for (let t = 0; t <= T; t++) {
      const x = relu(linear(select(xs, 0, t), w("fc1.weight"), w("fc1.bias")));
      h = gruCell(x, h, w("rnn.weight_ih"), w("rnn.weight_hh"), w("rnn.bias_ih"), w("rnn.bias_hh"));
      qs.push(linear(h, w("fc2.weight"), w("fc2.bias")));
    }
    const q = reshape(tensor(qs.flatMap((t) => Array.from(t.data))), [T + 1, B * n, c.config.n_actions]);
    expectClose(toReference(c, q), c.outputs.agent_qs, 1e-5);
  });

  it.each(cases.map((c, i) => [i, c] as const))("case %i: all steps at once with gruSequence", (_i, c) => {
    const { batch: B, n_agents: n, rnn_hidden_dim: H } = c.config;
    const w = (k: string) => param(c, `agent.${k}`);
    const x = relu(linear(stepsFirst(c), w("fc1.weight"), w("fc1.bias")));
    const gi = linear(x, w("rnn.weight_ih"), w("rnn.bias_ih"));
    const hs = gruSequence(gi, zeros([B * n, H]), w("rnn.weight_hh"), w("rnn.bias_hh"));
    expectClose(toReference(c, linear(hs, w("fc2.weight"), w("fc2.bias"))), c.outputs.agent_qs, 1e-5);
  });
});

/** PyTorch's GRUCell equations in float64, step by step; returns every hidden state. */
function gruReference(gi: Tensor, h0: Tensor, W: Tensor, b: Tensor): number[] {
  const [T, R, H3] = gi.shape as [number, number, number];
  const H = H3 / 3;
  let h = Array.from(h0.data);
  const out: number[] = [];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  for (let t = 0; t < T; t++) {
    const next: number[] = [];
    for (let i = 0; i < R; i++) {
      const ghAt = (o: number) => {
        let s = b.data[o]!;
        for (let k = 0; k < H; k++) s += W.data[o * H + k]! * h[i * H + k]!;
        return s;
      };
      const giAt = (o: number) => gi.data[(t * R + i) * H3 + o]!;
      for (let j = 0; j < H; j++) {
        const r = sig(giAt(j) + ghAt(j));
        const z = sig(giAt(H + j) + ghAt(H + j));
        const nn = Math.tanh(giAt(2 * H + j) + r * ghAt(2 * H + j));
        next.push((1 - z) * nn + z * h[i * H + j]!);
      }
    }
    h = next;
    out.push(...next);
  }
  return out;
}

describe("gruSequence and gruCell", () => {
  const arbGru = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 6 }))
    .chain(([T, R, H]) => fc.tuple(
      arbTensor([T, R, 3 * H], { min: -3, max: 3 }), arbTensor([R, H], { min: -1, max: 1 }),
      arbTensor([3 * H, H], { min: -1, max: 1 }), arbTensor([3 * H], { min: -1, max: 1 })));

  it("gruSequence matches a float64 transcription of PyTorch's equations", () => {
    fc.assert(
      fc.property(arbGru, fc.boolean(), ([gi, h0, W, b], grad) => {
        if (grad) W.requireGrad(); // the path that saves gates for backward
        const hs = gruSequence(gi, h0, W, b);
        expect(hs.shape).toEqual([gi.shape[0], h0.shape[0], h0.shape[1]]);
        expectClose(hs.data, gruReference(gi, h0, W, b), 2e-6);
      }),
      RUNS,
    );
  });

  it("gruCell is linear(x, W_ih, b_ih) followed by one gruSequence step", () => {
    const arb = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
      .chain(([R, I, H]) => fc.tuple(
        arbTensor([R, I]), arbTensor([R, H], { min: -1, max: 1 }), arbTensor([3 * H, I], { min: -1, max: 1 }),
        arbTensor([3 * H, H], { min: -1, max: 1 }), arbTensor([3 * H], { min: -1, max: 1 }), arbTensor([3 * H], { min: -1, max: 1 })));
    fc.assert(
      fc.property(arb, ([x, h, wih, whh, bih, bhh]) => {
        const y = gruCell(x, h, wih, whh, bih, bhh);
        expect(y.shape).toEqual(h.shape);
        const gi = linear(x, wih, bih);
        const seq = gruSequence(reshape(gi, [1, ...gi.shape]), h, whh, bhh);
        expect(Array.from(y.data)).toEqual(Array.from(seq.data));
      }),
      RUNS,
    );
  });

  it("the GRUCell layer is gruCell with its own parameters", () => {
    const cell = new GRUCell(3, 4, new Rng(1));
    const x = tensor([[0.5, -1, 2], [0, 0.25, -0.75]]), h = tensor([[0.1, 0.2, 0.3, 0.4], [-0.1, 0, 0.1, 0.2]]);
    const want = gruCell(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh);
    expect(Array.from(cell.forward(x, h).data)).toEqual(Array.from(want.data));
  });

  it("zero steps give an empty sequence and a zero gradient for h0", () => {
    const h0 = tensor([[1, 2]]).requireGrad();
    const hs = gruSequence(zeros([0, 1, 6]), h0, zeros([6, 2]), zeros([6]));
    expect(hs.shape).toEqual([0, 1, 2]);
    backward(hs, new Float32Array(0));
    expect(Array.from(h0.grad!)).toEqual([0, 0]);
  });

  it("under noGrad nothing is recorded", () => {
    const y = noGrad(() => gruSequence(zeros([2, 1, 3]).requireGrad(), zeros([1, 1]), zeros([3, 1]), zeros([3])));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });
});

describe("linear", () => {
  it("hand-computed with and without bias, on 1-D, 2-D and 3-D inputs", () => {
    const w = tensor([[1, 2, 3], [0, -1, 0.5]]), b = tensor([10, 20]);
    expect(linear(tensor([1, 1, 1]), w, b).toArray()).toEqual([16, 19.5]);
    expect(linear(tensor([[1, 0, 0], [0, 0, 2]]), w).toArray()).toEqual([[1, 0], [6, 1]]);
    const y = linear(tensor([[[1, 0, 0]], [[0, 1, 0]]]), w, b);
    expect(y.shape).toEqual([2, 1, 2]);
    expect(y.toArray()).toEqual([[[11, 20]], [[12, 19]]]);
    expect(linear(tensor([1, 1, 1]), w, null).toArray()).toEqual([6, -0.5]);
  });

  it("the Linear layer is linear with its own parameters, and bias: false drops the bias", () => {
    const l = new Linear(3, 2, new Rng(4));
    const x = tensor([[1, 2, 3]]);
    expect(Array.from(l.forward(x).data)).toEqual(Array.from(linear(x, l.weight, l.bias).data));
    const nb = new Linear(3, 2, new Rng(4), { bias: false });
    expect(nb.bias).toBeNull();
    expect(nb.namedParameters().map(([n]) => n)).toEqual(["weight"]);
  });
});
