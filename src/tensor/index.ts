export * from "./tensor.ts";
export * from "./create.ts";
export * from "./random.ts";
export { broadcastShapes } from "./broadcast.ts";
