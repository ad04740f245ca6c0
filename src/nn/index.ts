// Everything in src/nn: modules, layers, fused layer ops, init, losses, optimizers, safetensors.
export * from "./module.ts";
export * from "./layers.ts";
export * from "./functional.ts";
export * from "./init.ts";
export * from "./loss.ts";
export * from "./optim.ts";
export * from "./safetensors.ts";
