// A Linear layer's forward and backward as single trips into WebAssembly.
// Through the plain matmul dispatch a Linear costs three separate round trips
// backward (dx, dW, and the bias's column sums in JS) and, forward, a copy of
// a zero C in plus a JS pass adding the bias; the row and column passes over
// [rows, out] in JS cost about as much as the product itself at the GRU's
// input projection (2496 × 192). Here each operand is copied in once, the
// output starts as the bias rows (or zeros) inside wasm memory, the bias
// gradient is a product with a column of ones, and each result is copied
// out once. A ReLU after the layer (fc1, the hypernetworks' first layers)
// runs on the output before it leaves and, backward, masks the upstream
// gradient inside wasm: in JS each was a pass over [rows, out] costing about
// what the product does.

import type { LinearGrads } from "../../backend.ts";
import { reluInto } from "../js/matmul.ts";
import { Layout, expectLength } from "./gru.ts";
import { wasmWorkspace } from "./module.ts";

/** Fills heap[at, at + rows·cols) with `row` repeated (doubling copies, memcpy speed). */
export function fillRows(heap: Float32Array, at: number, row: Float32Array, rows: number): void {
  const cols = row.length, total = rows * cols;
  if (total === 0) return;
  heap.set(row, at);
  for (let done = cols; done < total;) {
    const c = Math.min(done, total - done);
    heap.copyWithin(at + done, at, at + c);
    done += c;
  }
}

/** y [m, n] = x [m, k] · W [n, k]ᵀ + bias [n] (bias optional), then max(y, 0) with `relu`; y is overwritten. */
export function wasmLinearForward(
  x: Float32Array, W: Float32Array, bias: Float32Array | null, y: Float32Array, m: number, k: number, n: number,
  relu = false,
): void {
  const op = "wasmLinearForward";
  expectLength(x, m * k, `x [${m}, ${k}]`, op);
  expectLength(W, n * k, `weight [${n}, ${k}]`, op);
  expectLength(y, m * n, `y [${m}, ${n}]`, op);
  if (bias) expectLength(bias, n, `bias [${n}]`, op);
  if (m * n === 0) return;
  if (k === 0) {
    if (bias) for (let i = 0; i < m; i++) y.set(bias, i * n); else y.fill(0);
    if (relu) reluInto(y, y);
    return;
  }
  const L = new Layout();
  const xP = L.take(m * k), wP = L.take(n * k), yP = L.take(m * n), tP = L.take(n * k);
  const { ex, heap } = wasmWorkspace(L.end, op);
  heap.set(x, xP >>> 2);
  heap.set(W, wP >>> 2);
  if (bias) fillRows(heap, yP >>> 2, bias, m);
  else heap.fill(0, yP >>> 2, (yP >>> 2) + m * n);
  ex.nt(xP, wP, yP, m, k, n, tP);
  if (relu) ex.vrelu(yP, yP, m * n);
  y.set(heap.subarray(yP >>> 2, (yP >>> 2) + m * n));
}

/**
 * For y = x Wᵀ + b with upstream g [m, n]: dx [m, k] += g W, dW [n, k] += gᵀ x,
 * db [n] += Σ_rows g. With `reluOut` (the output y of a fused ReLU) g is first
 * masked to where y > 0.
 */
export function wasmLinearBackward(
  g: Float32Array, x: Float32Array, W: Float32Array, m: number, k: number, n: number, grads: LinearGrads,
  reluOut: Float32Array | null = null,
): void {
  const op = "wasmLinearBackward", dx = grads.dx.into, dW = grads.dW.into, db = grads.db.into;
  expectLength(g, m * n, `the gradient [${m}, ${n}]`, op);
  if (reluOut) expectLength(reluOut, m * n, `the ReLU's output [${m}, ${n}]`, op);
  expectLength(x, m * k, `x [${m}, ${k}]`, op);
  expectLength(W, n * k, `weight [${n}, ${k}]`, op);
  if (dx) expectLength(dx, m * k, `dx [${m}, ${k}]`, op);
  if (dW) expectLength(dW, n * k, `dW [${n}, ${k}]`, op);
  if (db) expectLength(db, n, `db [${n}]`, op);
  if (m * n === 0) return;
  const L = new Layout();
  const gP = L.take(m * n), yP = reluOut ? L.take(m * n) : 0;
  const wP = dx ? L.take(n * k) : 0, dxP = dx ? L.take(m * k) : 0;
  const xP = dW ? L.take(m * k) : 0, dwP = dW ? L.take(n * k) : 0;
  const onesP = db ? L.take(m) : 0, dbP = db ? L.take(n) : 0;
  const { ex, heap } = wasmWorkspace(L.end, op);
  const load = (p: number, a: Float32Array, fresh: boolean) => {
    if (fresh) heap.fill(0, p >>> 2, (p >>> 2) + a.length);
    else heap.set(a, p >>> 2);
  };
  heap.set(g, gP >>> 2);
  if (reluOut) {
    heap.set(reluOut, yP >>> 2);
    ex.vrelu_mask(gP, yP, m * n);
  }
  if (dx && k > 0) {
    heap.set(W, wP >>> 2);
    load(dxP, dx, grads.dx.fresh);
    ex.nn(gP, wP, dxP, m, n, k);
    dx.set(heap.subarray(dxP >>> 2, (dxP >>> 2) + m * k));
  }
  if (dW && k > 0) {
    heap.set(x, xP >>> 2);
    load(dwP, dW, grads.dW.fresh);
    ex.tn(gP, xP, dwP, n, m, k);
    dW.set(heap.subarray(dwP >>> 2, (dwP >>> 2) + n * k));
  }
  if (db) {
    heap.fill(1, onesP >>> 2, (onesP >>> 2) + m);
    load(dbP, db, grads.db.fresh);
    ex.tn(onesP, gP, dbP, 1, m, n);
    db.set(heap.subarray(dbP >>> 2, (dbP >>> 2) + n));
  }
}
