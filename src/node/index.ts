// The Node-only layer: the CLI, atomic file writes and the progress line.
import "./wasm_features.ts";
export { main } from "./cli.ts";
export { writeFileAtomic } from "./files.ts";
export { Progress, formatDuration } from "./progress.ts";
export { WorkerGradientHelper, workerGradientHelpers, type WorkerHelperOptions } from "./parallel.ts";
export { getRunner, loadConfig, NodeRunner, readTextFile, type NodeGetRunnerOptions } from "./get_runner.ts";
export { readPreset } from "./presets.ts";
export { FileStore, makeEnvs, QMixAgents, type NodeQMixAgentsOptions } from "./qmix_agents.ts";
export { RunFolderError, trainRunFolder, type TrainRunOptions, type TrainRunResult } from "./train_run.ts";
