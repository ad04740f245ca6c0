// The public API of qmix-ts. Everything else is internal and may change.
export * from "./tensor/index.ts";
export * from "./autograd/index.ts";
export * from "./nn/index.ts";
export * from "./qmix/index.ts";
export * from "./train/index.ts";
export * from "./xuance/index.ts";
export * from "./envs/index.ts";
// A greedy episode with each agent's Qs, the mixer's Q_tot and credit, and the return that followed.
export * from "./qmix/episode_record.ts";
