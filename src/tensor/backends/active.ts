// The backend every op uses, chosen once, on the first call of backend():
// QMIX_BACKEND=js gives the JS backend; QMIX_BACKEND=wasm the wasm backend or
// an error saying why this runtime cannot run it; unset, the wasm backend
// where WebAssembly SIMD compiles and the JS backend elsewhere. The choice
// waits for first use, not import, so src/node/wasm_features.ts can switch
// on relaxed SIMD before the kernels compile.

import type { Backend } from "../backend.ts";
import { jsBackend } from "./js/index.ts";
import { wasmBackend, wasmStatus } from "./wasm/index.ts";
import { envVar as fromEnv } from "../env_var.ts";

let active: Backend | null = null;

function choose(): Backend {
  const want = fromEnv("QMIX_BACKEND");
  if (want !== "" && want !== "js" && want !== "wasm") {
    throw new Error(`QMIX_BACKEND=${JSON.stringify(want)} is not a backend; allowed: "js", "wasm" (or unset: wasm when available)`);
  }
  if (want === "js") return jsBackend;
  const wasm = wasmBackend();
  if (wasm !== null) return wasm;
  if (want === "wasm") throw new Error(`QMIX_BACKEND=wasm, but the wasm backend is ${wasmStatus()}`);
  return jsBackend;
}

/** The kernels the ops call. Chooses them on the first call. */
export function backend(): Backend {
  return active ??= choose();
}

/** Why the wasm backend is or is not in use, for logs: "disabled by QMIX_BACKEND=js", or wasmStatus()'s answer. */
export function backendStatus(): string {
  const b = backend();
  if (b === jsBackend && fromEnv("QMIX_BACKEND") === "js") return "disabled by QMIX_BACKEND=js";
  return wasmStatus();
}

/**
 * Runs fn with `b` as the backend and restores the chosen one after: for
 * tests and benchmarks that compare backends within one process. Nothing
 * else switches backends.
 */
export function withBackend<T>(b: Backend, fn: () => T): T {
  const prev = backend();
  active = b;
  try {
    return fn();
  } finally {
    active = prev;
  }
}

export { jsBackend, wasmBackend };
