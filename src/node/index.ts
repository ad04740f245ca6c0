// The Node-only layer: the CLI, atomic file writes and the progress line.
export { main } from "./cli.ts";
export { writeFileAtomic } from "./files.ts";
export { Progress, formatDuration } from "./progress.ts";
export { WorkerGradientHelper, workerGradientHelpers, type WorkerHelperOptions } from "./parallel.ts";
