// The three matmul layouts in WebAssembly SIMD, behind the exact signatures
// of the JS kernels (backends/js/matmul.ts: C += A·B over row-major
// Float32Array, offsets in elements).
//
// Each call copies A's, B's and C's regions in (C too: the kernels
// accumulate), runs, and copies C's region back. Copies are TypedArray.set
// (memcpy); measured in bench/wasm.ts, they cost about a tenth of the product
// at the smallest hot shape (96×26→64) and less above it.

import { wasmWorkspace } from "./module.ts";

/** Bytes after B, C and the scratch: a row's last columns load a whole f32x4 past the row. */
const SLACK = 16;

const align16 = (x: number): number => (x + 15) & ~15;

function region(X: Float32Array, off: number, len: number, what: string, op: string): Float32Array {
  if (!(off >= 0 && off + len <= X.length)) {
    throw new RangeError(`${op}: ${what} needs elements [${off}, ${off + len}) but has length ${X.length}`);
  }
  return off === 0 && len === X.length ? X : X.subarray(off, off + len);
}

type Layout = "NN" | "NT" | "TN";

function run(
  layout: Layout, A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff: number, bOff: number, cOff: number,
): void {
  // Also rejects negative and NaN sizes, which the JS kernels treat as empty.
  if (!(m > 0 && k > 0 && n > 0)) return;
  const op = `wasmMatmul${layout}`;
  const a = region(A, aOff, m * k, `A [${layout === "TN" ? `${k}×${m}` : `${m}×${k}`}] at offset ${aOff}`, op);
  const b = region(B, bOff, k * n, `B [${layout === "NT" ? `${n}×${k}` : `${k}×${n}`}] at offset ${bOff}`, op);
  const c = region(C, cOff, m * n, `C [${m}×${n}] at offset ${cOff}`, op);
  // Layout in wasm memory: A | B + slack | C + slack | (NT) scratch + slack, each 16-byte aligned.
  const aP = 0, bP = align16(aP + 4 * m * k), cP = align16(bP + 4 * k * n + SLACK), tP = align16(cP + 4 * m * n + SLACK);
  const end = layout === "NT" ? tP + 4 * k * n + SLACK : tP;
  if (end > 2 ** 32) throw new RangeError(`${op}: ${m}×${k}×${n} needs ${end} bytes, beyond wasm32's 4 GiB`);
  const { ex, heap } = wasmWorkspace(end, op);
  heap.set(a, aP >>> 2);
  heap.set(b, bP >>> 2);
  heap.set(c, cP >>> 2);
  if (layout === "NN") ex.nn(aP, bP, cP, m, k, n);
  else if (layout === "TN") ex.tn(aP, bP, cP, m, k, n);
  else ex.nt(aP, bP, cP, m, k, n, tP);
  C.set(heap.subarray(cP >>> 2, (cP >>> 2) + m * n), cOff);
}

/** C[m,n] += A[m,k] · B[k,n]; same contract as jsMatmulNN. */
export function wasmMatmulNN(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  run("NN", A, B, C, m, k, n, aOff, bOff, cOff);
}

/** C[m,n] += A[m,k] · B[n,k]ᵀ; same contract as jsMatmulNT. */
export function wasmMatmulNT(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  run("NT", A, B, C, m, k, n, aOff, bOff, cOff);
}

/** C[m,n] += A[k,m]ᵀ · B[k,n]; same contract as jsMatmulTN. */
export function wasmMatmulTN(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  run("TN", A, B, C, m, k, n, aOff, bOff, cOff);
}
