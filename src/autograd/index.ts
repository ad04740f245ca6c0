// Everything in src/autograd: the tape and the differentiable ops on it.
export * from "./tape.ts";
export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./shape.ts";
export * from "./matmul.ts";
