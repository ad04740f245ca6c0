// Everything in src/tensor that other layers use: the tensor, creation, the seeded generator.
export * from "./tensor.ts";
export * from "./create.ts";
export * from "./random.ts";
export { broadcastShapes } from "./broadcast.ts";
