// QMixAgents and makeEnvs for Node: models are files (written to a
// temporary name, then renamed over the old one), environments may be
// process:COMMAND bridges, and each update may be shared with worker
// threads (learnerThreads).

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { MultiAgentEnv } from "../envs/env.ts";
import type { QMixConfig } from "../train/config.ts";
import type { LoopHooks } from "../train/loop.ts";
import { QMixAgents as PortableAgents, makeEnvs as portableMakeEnvs, type ModelStore, type QMixAgentsOptions, type TrainSummary } from "../xuance/qmix_agents.ts";
import { Progress } from "./progress.ts";
import { writeFileAtomic } from "./files.ts";
import { workerGradientHelpers } from "./parallel.ts";
import { makeEnvWithProcess } from "./process_env.ts";

/** Model files under a folder: a relative path is taken from `dir`. */
export class FileStore implements ModelStore {
  constructor(readonly dir: string = process.cwd()) {}
  write(path: string, bytes: Uint8Array): void {
    writeFileAtomic(resolve(this.dir, path), bytes);
  }
  read(path: string): Uint8Array {
    const full = resolve(this.dir, path);
    try {
      return new Uint8Array(readFileSync(full));
    } catch (err) {
      throw new Error(`loadModel: could not read ${full}: ${(err as Error).message}`);
    }
  }
}

/** The training environments of a config (environment files and process:COMMAND bridges included). */
export function makeEnvs(config: QMixConfig): MultiAgentEnv[] {
  return portableMakeEnvs(config, makeEnvWithProcess);
}

export interface NodeQMixAgentsOptions extends QMixAgentsOptions {
  /** The folder relative model paths are saved in and read from. [the working directory] */
  modelDir?: string;
  /** No progress line on a terminal. [false] */
  quiet?: boolean;
}

/** The progress line's state: set per train() call, read by the hooks given to the core. */
interface Display {
  progress: Progress | null;
  test?: number;
  won?: number;
}

export class QMixAgents extends PortableAgents {
  private readonly display: Display;

  constructor(config: QMixConfig, envs: MultiAgentEnv[], options: NodeQMixAgentsOptions = {}) {
    const display: Display = { progress: null };
    const user = options.hooks ?? {};
    // The progress line on a terminal (as qmix train shows it), then the caller's hooks.
    const hooks: LoopHooks = {
      ...user,
      onEvaluate: (r, improved) => { display.test = r.returnMean; display.won = r.battleWonMean; user.onEvaluate?.(r, improved); },
      onProgress: (e, t, sps) => {
        display.progress?.update(e.tEnv, { "ε": e.epsilon, test: display.test, ...(display.won === undefined ? {} : { won: `${(100 * display.won).toFixed(1)}%` }) }, sps);
        user.onProgress?.(e, t, sps);
      },
    };
    super(config, envs, {
      makeEnv: makeEnvWithProcess,
      gradientHelpers: workerGradientHelpers,
      store: new FileStore(options.modelDir),
      ...options,
      hooks,
    });
    this.display = display;
  }

  override async trainTo(tEnd: number): Promise<TrainSummary> {
    const quiet = (this.options as NodeQMixAgentsOptions).quiet === true;
    this.display.progress = new Progress(tEnd, !quiet && Boolean(process.stderr.isTTY));
    try {
      return await super.trainTo(tEnd);
    } finally {
      this.display.progress.done();
      this.display.progress = null;
    }
  }
}
