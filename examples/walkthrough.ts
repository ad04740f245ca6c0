// The walkthrough of docs/walkthrough.md, run: QMIX trained on the paper's
// two-step game with its preset (presets/two_step.json, a few seconds), then
// every quantity of equations (4) and (5) printed for one state:
//
//   npx tsx examples/walkthrough.ts [state]      # state 1, 2A or 2B (default 2B)
//
// the agents' Qs, the hypernetworks' W₁, B₁, W₂ and B₂ for that state, Q_tot
// for every joint action (by the mixer and by hand from those weights), and
// ∂Q_tot/∂Qᵢ from the closed form of (5), every entry ≥ 0.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  QMixer, Trainer, mixByHand, mixingWeights, qTotGradient, qtotTables, resolveConfig, trainLoop, twoStepStates,
  type NestedNumbers,
} from "../src/index.ts";

const PRESET = join(import.meta.dirname, "..", "presets", "two_step.json");

const row = (xs: ArrayLike<number>, digits = 3) => `[${Array.from(xs, (x) => x.toFixed(digits).padStart(digits + 4)).join(" ")}]`;

/** Trains QMIX on the two-step game and returns the report for `stateName` as text. */
export function walkthrough(stateName = "2B", overrides: Record<string, unknown> = {}): string {
  const preset = Object.fromEntries(Object.entries(JSON.parse(readFileSync(PRESET, "utf8")) as Record<string, unknown>).filter(([k]) => !k.startsWith("_")));
  const config = resolveConfig(["presets/two_step.json", preset], ["examples/walkthrough.ts", overrides]);
  const trainer = new Trainer(config);
  let greedy = NaN;
  trainLoop(trainer, { onEvaluate: (r) => (greedy = r.returnMean) });

  const learner = trainer.learner;
  const states = twoStepStates();
  const k = states.findIndex((s) => s.name === stateName);
  if (k < 0) throw new RangeError(`walkthrough: unknown state "${stateName}" (allowed: ${states.map((s) => s.name).join(", ")})`);
  const s = states[k]!;
  const table = qtotTables(learner, [s])[0]!;
  const mixer = learner.mixer;
  if (!(mixer instanceof QMixer)) throw new TypeError("walkthrough: the two-step preset should train a QMIX mixer");
  const w = mixingWeights(mixer, s.state);
  const E = w.embedDim, A = table.agentQs[0]!.length;

  const out: string[] = [];
  out.push(`QMIX on the two-step game: ${fmtInt(trainer.tEnv)} environment steps, last greedy return ${greedy}`);
  out.push(`state ${s.name} (state vector ${row(s.state, 0)})`, "");
  out.push("agents' Qs Qᵢ(τⁱ, u), one row per agent, one column per action:");
  table.agentQs.forEach((q, i) => out.push(`  agent ${i + 1}  ${row(q)}`));
  out.push("", `W₁ = |hyper_w_1(s)|, [n = ${w.nAgents}, E = ${E}]:`);
  for (let i = 0; i < w.nAgents; i++) out.push(`  agent ${i + 1}  ${row(w.w1.subarray(i * E, (i + 1) * E))}`);
  out.push(`B₁ = hyper_b_1(s)        ${row(w.b1)}`);
  out.push(`W₂ = |hyper_w_final(s)|  ${row(w.w2)}`);
  out.push(`B₂ = V(s)                ${w.b2.toFixed(3)}`, "");
  out.push("Q_tot = W₂ᵀ ELU(W₁ᵀQ + B₁) + B₂ for every joint action (u¹, u²), and ∂Q_tot/∂Qᵢ by (5):");
  const nested = table.qtot as NestedNumbers[][];
  for (let a1 = 0; a1 < A; a1++) {
    for (let a2 = 0; a2 < A; a2++) {
      const q = [table.agentQs[0]![a1]!, table.agentQs[1]![a2]!];
      const byMixer = nested[a1]![a2] as number;
      const g = qTotGradient(w, q);
      out.push(`  u = (${a1}, ${a2})  Q = ${row(q)}  Q_tot ${byMixer.toFixed(3)} (by hand ${mixByHand(w, q).toFixed(3)})  ∂Q_tot/∂Q = ${row(g)}`);
    }
  }
  const greedyJoint = table.agentQs.map((q) => q.indexOf(Math.max(...q)));
  out.push("", `per-agent argmax (${greedyJoint.join(", ")}): by (1) also the joint action with the largest Q_tot`);
  return out.join("\n");
}

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(walkthrough(process.argv[2]));
