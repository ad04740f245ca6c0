// Every test file starts as the Node entry points do: with relaxed SIMD
// validated where V8 needs a flag for it (Node 20), so the suite runs the
// fused multiply-add kernels the command line uses. QMIX_WASM_FMA=0 and
// QMIX_BACKEND=js still choose the other kernels.
import "../../src/node/wasm_features.ts";
