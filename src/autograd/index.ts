export * from "./tape.ts";
export * from "./elementwise.ts";
export * from "./reduce.ts";
export * from "./shape.ts";
export * from "./matmul.ts";
