// XuanCe's demo shape through the portable core: getRunner for the two-step
// game with no loaders given, so the preset comes by fetch beside the
// sources (file: URLs in Deno and Bun), then run(). Prints one JSON line.
// Run by the Deno and Bun smoke tests.

import { getRunner, type RunSummary } from "../../src/index.ts";

const runner = await getRunner({ method: "qmix", env: "matrix", envId: "two_step", isTest: false });
const s = (await runner.run()) as RunSummary;
const nav = (globalThis as { navigator?: { userAgent?: string } }).navigator;
console.log(JSON.stringify({ runtime: nav?.userAgent ?? "unknown", tEnv: s.tEnv, tMax: runner.config.tMax, mixingEmbedDim: runner.config.mixingEmbedDim, best: s.best?.returnMean ?? null }));
