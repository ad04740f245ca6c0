// The networks of a run from plain numbers, so another thread (a gradient
// helper, src/node/parallel.ts) can build the same shapes from a message.

import { type AgentKind, type AgentNetwork, makeAgent } from "./agents.ts";
import { type Mixer, type MixerKind, QMixer, VDNMixer } from "./mixers.ts";
import type { Rng } from "../tensor/random.ts";

export interface NetworkSpec {
  agent: AgentKind;
  inputDim: number;
  hidden: number;
  nActions: number;
  mixer: MixerKind;
  nAgents: number;
  stateDim: number;
  embedDim: number;
  hypernetEmbed: number;
  hypernetLayers: 1 | 2;
}

/** The agent network, then the mixer (null for IQL), drawing their initial weights from rng in that order. */
export function buildNetworks(spec: NetworkSpec, rng: Rng): { agent: AgentNetwork; mixer: Mixer | null } {
  const agent = makeAgent(spec.agent, spec.inputDim, spec.hidden, spec.nActions, rng);
  const mixer: Mixer | null = spec.mixer === "qmix"
    ? new QMixer(spec.nAgents, spec.stateDim, { embedDim: spec.embedDim, hypernetEmbed: spec.hypernetEmbed, hypernetLayers: spec.hypernetLayers }, rng)
    : spec.mixer === "vdn" ? new VDNMixer(spec.nAgents) : null;
  return { agent, mixer };
}
