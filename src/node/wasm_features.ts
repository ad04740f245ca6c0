// Node 20's V8 (11.3) validates WebAssembly relaxed SIMD only behind
// --experimental-wasm-relaxed-simd; Node 22 ships it. Importing this module
// turns the flag on where it is needed, before the kernels are first
// compiled (src/tensor/backends/wasm/module.ts compiles on first use), so the
// Node entry points get the fused multiply-add kernels. QMIX_WASM_FMA=0
// leaves V8 untouched.
// V8 flags are per process: worker threads started later see it too.

import { setFlagsFromString } from "node:v8";

/** (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))) */
const RELAXED_PROBE = Uint8Array.of(
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section: [v128 v128 v128] -> [v128]
  0x03, 0x02, 0x01, 0x00, // function section: func 0 has type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, // code section: one body of 11 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // local.get 0 1 2, f32x4.relaxed_madd (0x105), end
);

const wasm = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

/** Whether this runtime validates relaxed SIMD now. */
export function relaxedSimdValidates(): boolean {
  return wasm !== undefined && wasm.validate(RELAXED_PROBE);
}

if (process.env["QMIX_WASM_FMA"] !== "0" && wasm !== undefined && !relaxedSimdValidates()) {
  setFlagsFromString("--experimental-wasm-relaxed-simd");
}
