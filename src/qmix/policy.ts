// The decentralised policy: the agent network alone, no mixer and no state.
// Each agent acts on its own observation stream and available actions, as
// at execution time in the paper. It saves and loads on its own, so a
// trained team deploys without any of the training machinery.

import { noGrad } from "../autograd/tape.ts";
import { decodeSafetensors, encodeSafetensors, type NamedArray } from "../nn/safetensors.ts";
import { zeros } from "../tensor/create.ts";
import { Rng } from "../tensor/random.ts";
import { Tensor } from "../tensor/tensor.ts";
import { selectActions } from "./action_selection.ts";
import { AGENT_KINDS, type AgentKind, type AgentNetwork, makeAgent } from "./agents.ts";
import { type InputOptions, buildStepInputs, inputDim } from "./inputs.ts";

export interface PolicySpec {
  agent: AgentKind;
  /** GRU width (rnn) or hidden width (ff). */
  hidden: number;
  nAgents: number;
  obsDim: number;
  nActions: number;
  inputs: InputOptions;
}

export class DecentralisedPolicy {
  private hidden: Tensor;
  private prevActions: Int32Array;
  private inputBuf: Float32Array;
  private rows = 0;
  /** The last step's Q values, [envs·n, A], for inspection. */
  lastQ: Float32Array = new Float32Array(0);

  constructor(readonly agent: AgentNetwork, readonly spec: PolicySpec) {
    const want = inputDim(spec.obsDim, spec.nActions, spec.nAgents, spec.inputs);
    if (agent.inputDim !== want) throw new RangeError(`DecentralisedPolicy: agent takes ${agent.inputDim} inputs, the spec implies ${want}`);
    this.hidden = zeros([0, Math.max(agent.hiddenDim, 1)]);
    this.prevActions = new Int32Array(0);
    this.inputBuf = new Float32Array(0);
    this.reset(1);
  }

  static create(spec: PolicySpec, rng: Rng = new Rng(0)): DecentralisedPolicy {
    const D = inputDim(spec.obsDim, spec.nActions, spec.nAgents, spec.inputs);
    return new DecentralisedPolicy(makeAgent(spec.agent, D, spec.hidden, spec.nActions, rng), spec);
  }

  /** Starts new episodes in `envs` parallel environments: zero hidden state, no previous action. */
  reset(envs = 1): void {
    const R = envs * this.spec.nAgents;
    this.rows = R;
    this.hidden = zeros([R, Math.max(this.agent.hiddenDim, 1)]);
    this.prevActions = new Int32Array(R).fill(-1);
    this.inputBuf = new Float32Array(R * this.agent.inputDim);
  }

  /**
   * One step for every agent of every environment. obs [envs·n·O],
   * avail [envs·n·A] (0/1); ε = 0 is greedy. Finished environments in a
   * parallel batch can be flagged inactive: their rows keep their state.
   */
  act(obs: Float32Array, avail: Uint8Array, epsilon: number, rng: Rng, active?: Uint8Array): Int32Array {
    const { nAgents: n, obsDim: O, nActions: A } = this.spec, R = this.rows;
    if (obs.length !== R * O) throw new RangeError(`DecentralisedPolicy.act: obs has ${obs.length} values, expected ${R * O} (${R / n} envs × ${n} agents × ${O})`);
    if (avail.length !== R * A) throw new RangeError(`DecentralisedPolicy.act: availActions has ${avail.length} values, expected ${R * A}`);
    const x = new Tensor(buildStepInputs(obs, this.prevActions, R, n, O, A, this.spec.inputs, this.inputBuf), [R, this.agent.inputDim]);
    const { q, hidden } = noGrad(() => this.agent.step(x, this.hidden));
    for (let k = 0; k < q.size; k++) {
      if (!Number.isFinite(q.data[k]!)) throw new Error(`DecentralisedPolicy.act: agent network produced ${q.data[k]} for row ${Math.floor(k / A)}; the weights may be corrupt`);
    }
    this.lastQ = q.data;
    const actions = selectActions(q.data, avail, R, A, epsilon, rng, new Int32Array(R), active, n);
    if (active) {
      // Keep finished environments' rows as they were.
      const H = this.hidden.shape[1]!;
      for (let r = 0; r < R; r++) {
        if (!active[Math.floor(r / n)]) continue;
        if (this.agent.hiddenDim > 0) this.hidden.data.set(hidden.data.subarray(r * H, (r + 1) * H), r * H);
        this.prevActions[r] = actions[r]!;
      }
    } else {
      if (this.agent.hiddenDim > 0) this.hidden = hidden;
      this.prevActions.set(actions);
    }
    return actions;
  }

  /** The policy as safetensors bytes: weights plus the spec in the metadata. */
  toBytes(): Uint8Array {
    const tensors = new Map<string, NamedArray>();
    for (const [k, t] of this.agent.namedParameters("agent.")) tensors.set(k, { shape: t.shape, data: t.data });
    return encodeSafetensors(tensors, { format: "qmix-ts-policy", spec: JSON.stringify(this.spec) });
  }

  /** Loads a policy file, or the agent part of a full training checkpoint. */
  static fromBytes(bytes: Uint8Array): DecentralisedPolicy {
    const { tensors, metadata } = decodeSafetensors(bytes);
    const specText = metadata.spec;
    if (!specText) throw new Error("DecentralisedPolicy.fromBytes: the file has no policy spec in its metadata (not a qmix-ts policy or checkpoint)");
    const spec = parseSpec(specText);
    const policy = DecentralisedPolicy.create(spec);
    policy.agent.loadStateDict(tensors, { strict: false, prefix: "agent." });
    return policy;
  }
}

function parseSpec(text: string): PolicySpec {
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch {
    throw new Error("DecentralisedPolicy: the policy spec in the metadata is not valid JSON");
  }
  const o = s as Partial<PolicySpec>;
  const posInt = (k: keyof PolicySpec) => {
    const v = o[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0 || v > 1_000_000) throw new Error(`DecentralisedPolicy: spec.${k} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  (["hidden", "nAgents", "obsDim", "nActions"] as const).forEach(posInt);
  if (!AGENT_KINDS.includes(o.agent as AgentKind)) throw new Error(`DecentralisedPolicy: spec.agent must be one of ${AGENT_KINDS.map((k) => JSON.stringify(k)).join(", ")}, got ${JSON.stringify(o.agent)}`);
  if (!o.inputs || typeof o.inputs.lastAction !== "boolean" || typeof o.inputs.agentId !== "boolean") {
    throw new Error("DecentralisedPolicy: spec.inputs must be {lastAction: boolean, agentId: boolean}");
  }
  return o as PolicySpec;
}
