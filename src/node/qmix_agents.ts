// QMixAgents and makeEnvs for Node: models are files (written to a
// temporary name, then renamed over the old one), environments may be
// process:COMMAND bridges, and each update may be shared with worker
// threads (learnerThreads).

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { MultiAgentEnv } from "../envs/env.ts";
import type { QMixConfig } from "../train/config.ts";
import { QMixAgents as PortableAgents, makeEnvs as portableMakeEnvs, type ModelStore, type QMixAgentsOptions } from "../xuance/qmix_agents.ts";
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
}

export class QMixAgents extends PortableAgents {
  constructor(config: QMixConfig, envs: MultiAgentEnv[], options: NodeQMixAgentsOptions = {}) {
    super(config, envs, {
      makeEnv: makeEnvWithProcess,
      gradientHelpers: workerGradientHelpers,
      store: new FileStore(options.modelDir),
      ...options,
    });
  }
}
