// Trains the QMIX paper's two-step game with presets/two_step.json from the
// TypeScript sources and prints one JSON line: the greedy return, the learned
// Q_tot of state 2B, the runtime and the time taken. Run by the Deno and Bun
// smoke tests (both execute .ts directly); it imports nothing but the
// portable core and reads the preset with fetch (file: URLs work in both;
// Deno needs --allow-read for it).

import { qtotTables, resolveConfig, Trainer, trainLoop, twoStepStates } from "../../src/index.ts";

const t0 = performance.now();
const preset = await (await fetch(new URL("../../presets/two_step.json", import.meta.url))).json() as Record<string, unknown>;
// Keys starting with "_" are comments, as the CLI reads presets.
const layer = Object.fromEntries(Object.entries(preset).filter(([k]) => !k.startsWith("_")));
const trainer = new Trainer(resolveConfig(["presets/two_step.json", layer]));
trainLoop(trainer);
const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
console.log(JSON.stringify({
  runtime: nav?.userAgent ?? "unknown",
  tEnv: trainer.tEnv,
  greedyReturn: trainer.evaluate(1).returnMean,
  qtot2B: qtotTables(trainer.learner, twoStepStates())[2]!.qtot,
  seconds: (performance.now() - t0) / 1000,
}));
