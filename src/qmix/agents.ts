// Agent networks, one set of parameters shared by all agents (pymarl's
// modules/agents/rnn_agent.py).
// Both take all rows of all steps at once: `unroll` maps inputs [T, R, in]
// to Qs [T, R, A] with R = episodes·agents rows per step.

import { add, sub } from "../autograd/elementwise.ts";
import { mean } from "../autograd/reduce.ts";
import { reshape } from "../autograd/shape.ts";
import { gruLayer } from "../nn/functional.ts";
import { GRUCell, Linear } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { zeros } from "../tensor/create.ts";
import { Rng } from "../tensor/random.ts";
import { ShapeError, Tensor, fmt } from "../tensor/tensor.ts";

export interface AgentNetwork extends Module {
  readonly inputDim: number;
  readonly nActions: number;
  /** Hidden-state width per row (0 for feed-forward agents). */
  readonly hiddenDim: number;
  /** Qs for a whole sequence from zero hidden state: inputs [T, R, in] → [T, R, A]. */
  unroll(inputs: Tensor): Tensor;
  /** One step of acting: inputs [R, in], hidden [R, hiddenDim] → Qs [R, A] and the next hidden state. */
  step(inputs: Tensor, hidden: Tensor): { q: Tensor; hidden: Tensor };
}

function checkInputs(name: string, x: Tensor, inputDim: number, ndim: number): void {
  if (x.ndim !== ndim || x.shape[ndim - 1] !== inputDim) {
    const want = ndim === 3 ? `[T, rows, ${inputDim}]` : `[rows, ${inputDim}]`;
    throw new ShapeError(`${name}: inputs must be ${want}, got ${fmt(x.shape)}`);
  }
}

/** pymarl's RNNAgent: fc1 → ReLU → GRUCell → fc2. */
export class RNNAgent extends Module implements AgentNetwork {
  readonly fc1: Linear;
  readonly rnn: GRUCell;
  readonly fc2: Linear;

  constructor(readonly inputDim: number, readonly hiddenDim: number, readonly nActions: number, rng: Rng = new Rng(0)) {
    super();
    this.fc1 = this.child("fc1", new Linear(inputDim, hiddenDim, rng));
    this.rnn = this.child("rnn", new GRUCell(hiddenDim, hiddenDim, rng));
    this.fc2 = this.child("fc2", new Linear(hiddenDim, nActions, rng));
  }

  /**
   * fc1 and the GRU's input projection run over all T·R rows as two large
   * products; only the hidden-to-hidden product is sequential.
   */
  unroll(inputs: Tensor): Tensor {
    checkInputs("RNNAgent.unroll", inputs, this.inputDim, 3);
    const R = inputs.shape[1]!;
    const x = this.fc1.forwardRelu(inputs);
    const hs = gruLayer(x, this.rnn.weight_ih, this.rnn.bias_ih, zeros([R, this.hiddenDim]), this.rnn.weight_hh, this.rnn.bias_hh);
    return this.fc2.forward(hs);
  }

  step(inputs: Tensor, hidden: Tensor): { q: Tensor; hidden: Tensor } {
    checkInputs("RNNAgent.step", inputs, this.inputDim, 2);
    const h = this.rnn.forward(this.fc1.forwardRelu(inputs), hidden);
    return { q: this.fc2.forward(h), hidden: h };
  }
}

/** Two ReLU layers of width `width` shared by the feed-forward agents; a subclass adds the head. */
abstract class FeedForwardTrunk extends Module implements AgentNetwork {
  readonly hiddenDim = 0;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(readonly inputDim: number, readonly width: number, readonly nActions: number, rng: Rng, private readonly kind: string) {
    super();
    this.fc1 = this.child("fc1", new Linear(inputDim, width, rng));
    this.fc2 = this.child("fc2", new Linear(width, width, rng));
  }

  /** Qs from the trunk's features [..., width] → [..., A]. */
  protected abstract head(h: Tensor): Tensor;

  private forward(x: Tensor): Tensor {
    return this.head(this.fc2.forwardRelu(this.fc1.forwardRelu(x)));
  }

  unroll(inputs: Tensor): Tensor {
    checkInputs(`${this.kind}.unroll`, inputs, this.inputDim, 3);
    return this.forward(inputs);
  }

  step(inputs: Tensor, hidden: Tensor): { q: Tensor; hidden: Tensor } {
    checkInputs(`${this.kind}.step`, inputs, this.inputDim, 2);
    return { q: this.forward(inputs), hidden };
  }
}

/**
 * Feed-forward agent: Linear → ReLU → Linear → ReLU → Linear, width
 * rnnHiddenDim. For one-step games, and for tasks whose observations already
 * tell an agent what it needs (the simple_spread_v3 preset; docs/results.md).
 */
export class FFAgent extends FeedForwardTrunk {
  readonly fc3: Linear;

  constructor(inputDim: number, width: number, nActions: number, rng: Rng = new Rng(0)) {
    super(inputDim, width, nActions, rng, "FFAgent");
    this.fc3 = this.child("fc3", new Linear(width, nActions, rng));
  }

  protected head(h: Tensor): Tensor {
    return this.fc3.forward(h);
  }
}

/**
 * Feed-forward agent with a dueling head (Wang et al., 2016): the FFAgent's
 * two ReLU layers, then a state value V (width → 1) and advantages A (width →
 * actions), Q = V + A − mean_a A. Where actions differ little against the
 * state's value (an agent hovering over its landmark), the shared V carries
 * the common part and the head learns only the differences.
 */
export class DuelingFFAgent extends FeedForwardTrunk {
  readonly value: Linear;
  readonly advantage: Linear;

  constructor(inputDim: number, width: number, nActions: number, rng: Rng = new Rng(0)) {
    super(inputDim, width, nActions, rng, "DuelingFFAgent");
    this.value = this.child("value", new Linear(width, 1, rng));
    this.advantage = this.child("advantage", new Linear(width, nActions, rng));
  }

  protected head(h: Tensor): Tensor {
    const a = this.advantage.forward(h);
    return add(this.value.forward(h), sub(a, mean(a, -1, true)));
  }
}

export type AgentKind = "rnn" | "ff" | "ff-dueling";

export const AGENT_KINDS: readonly AgentKind[] = ["rnn", "ff", "ff-dueling"];

export function makeAgent(kind: AgentKind, inputDim: number, hidden: number, nActions: number, rng: Rng): AgentNetwork {
  switch (kind) {
    case "rnn": return new RNNAgent(inputDim, hidden, nActions, rng);
    case "ff": return new FFAgent(inputDim, hidden, nActions, rng);
    case "ff-dueling": return new DuelingFFAgent(inputDim, hidden, nActions, rng);
  }
}

/** Reshape helper shared by learner and policy. */
export function rows2d(t: Tensor, cols: number): Tensor {
  return reshape(t, [-1, cols]);
}
