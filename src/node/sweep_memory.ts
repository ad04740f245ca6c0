// How much resident memory one training run needs, so a sweep can refuse a
// --jobs that would not fit before it starts. Measured figures where we have
// them (docs/results-smaclite.md#memory, docs/performance.md), an estimate
// from the environment's sizes elsewhere. docs/usage.md#sweeps lists both.

import { freemem } from "node:os";
import type { QMixConfig } from "../train/config.ts";
import { makeEnvWithProcess } from "./process_env.ts";

/**
 * Whole-run resident memory at each map's preset (MB), the largest sample
 * of /proc/PID/status VmRSS over a run, or the process's maximum resident
 * set size.
 */
export const MEASURED_MB: Readonly<Record<string, { mb: number; source: string }>> = {
  // docs/results-smaclite.md#memory: the VDN run with learnerChunks 4 peaked at 540 MB, the QMIX soak at 559.
  "smaclite/2s3z": { mb: 560, source: "docs/results-smaclite.md#memory (QMIX soak, 300,000 steps, full buffer)" },
  // The same table: 2,306 MB, taken before learnerChunks; an upper bound for today's preset.
  "smaclite/3s5z": { mb: 2306, source: "docs/results-smaclite.md#memory (QMIX seed 0, before learnerChunks)" },
  "smaclite/mmm2": { mb: 2093, source: "docs/results-smaclite.md#memory (QMIX seed 0, 3.05M steps)" },
  // docs/performance.md: 192-208 MB under tsx with the buffer full.
  simple_spread_v3: { mb: 210, source: "docs/performance.md (whole runs under tsx, buffer full)" },
  // /usr/bin/time -v on `npm run qmix -- train --env two_step`: 117 MB maximum resident.
  two_step: { mb: 120, source: "maximum resident set size of a whole preset run" },
};

/**
 * The estimate where nothing was measured: 300 MB for Node, the code and an
 * update's working arrays, plus 0.3 of the observations a full buffer could
 * hold at the episode limit (bufferSize × episodeLimit × nAgents × obsDim ×
 * 4 bytes). Episodes end early and the buffer stores only their steps; the
 * 0.3 is what makes the rule give the measured 2s3z (588 MB against 560)
 * and MMM2 (2,201 against 2,093).
 */
export function estimateMb(config: QMixConfig, sizes: { nAgents: number; obsDim: number; episodeLimit: number }): number {
  const bytes = config.bufferSize * sizes.episodeLimit * sizes.nAgents * sizes.obsDim * 4;
  return Math.round(300 + (0.3 * bytes) / 1e6);
}

export interface RunMemory {
  mb: number;
  /** "measured: SOURCE" or "estimated: …". */
  how: string;
}

/** A run's resident memory: measured for its map, else estimated from its environment's sizes (made once, then closed). */
export function runMemory(config: QMixConfig): RunMemory {
  const m = MEASURED_MB[config.env.toLowerCase()];
  if (m) return { mb: m.mb, how: `measured: ${m.source}` };
  let sizes: { nAgents: number; obsDim: number; episodeLimit: number };
  try {
    const env = makeEnvWithProcess(config.env, { ...config.envArgs, seed: 0 });
    sizes = { nAgents: env.nAgents, obsDim: env.obsDim, episodeLimit: env.episodeLimit };
    env.close?.();
  } catch (e) {
    return { mb: 300, how: `estimated: 300 MB (the environment could not be made to read its sizes: ${(e as Error).message})` };
  }
  const mb = estimateMb(config, sizes);
  return { mb, how: `estimated: 300 MB + 0.3 × ${config.bufferSize} episodes × ${sizes.episodeLimit} steps × ${sizes.nAgents} agents × ${sizes.obsDim} floats` };
}

/**
 * Null when `jobs` runs at once fit the memory available now (the largest
 * `jobs` of the runs' figures, summed), else the message that says why not.
 */
export function memoryRefusal(runs: Array<{ name: string; config: QMixConfig }>, jobs: number, availableMb = freemem() / 1e6): string | null {
  const per = runs.map((r) => ({ name: r.name, ...runMemory(r.config) })).sort((a, b) => b.mb - a.mb);
  const top = per.slice(0, jobs);
  const need = top.reduce((s, r) => s + r.mb, 0);
  if (need <= availableMb) return null;
  const lines = top.map((r) => `  ${r.name}: ${r.mb.toLocaleString("en")} MB (${r.how})`);
  return `--jobs ${jobs}: the largest ${top.length} runs need ${need.toLocaleString("en")} MB at once, more than the ${Math.round(availableMb).toLocaleString("en")} MB available now:\n${lines.join("\n")}\nrun fewer at once (--jobs N)`;
}
