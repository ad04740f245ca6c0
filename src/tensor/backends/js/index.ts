// The JS backend: every kernel as plain loops over Float32Array. It runs on
// any engine, is the fallback where WebAssembly SIMD is missing, and is what
// QMIX_BACKEND=js selects. The wasm backend also calls its small products,
// where a trip into WebAssembly costs more than it saves.

import type { Backend } from "../../backend.ts";
import { jsGruBackward, jsGruForward, jsGruLayerBackward, jsGruLayerForward } from "./gru.ts";
import { jsLinearBackward, jsLinearForward } from "./linear.ts";
import { batchedNN, batchedNT, batchedTN, jsMatmulNN, jsMatmulNT, jsMatmulTN, reluInto } from "./matmul.ts";
import { jsMixBackward, jsMixForward } from "./mix.ts";

export const jsBackend: Backend = {
  name: "js",
  matmulNN: jsMatmulNN,
  matmulNT: jsMatmulNT,
  matmulTN: jsMatmulTN,
  batchedNN,
  batchedNT,
  batchedTN,
  relu: reluInto,
  linearForward: jsLinearForward,
  linearBackward: jsLinearBackward,
  gruForward: jsGruForward,
  gruBackward: jsGruBackward,
  gruLayerForward: jsGruLayerForward,
  gruLayerBackward: jsGruLayerBackward,
  mixForward: jsMixForward,
  mixBackward: jsMixBackward,
};
