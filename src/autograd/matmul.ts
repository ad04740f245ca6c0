// Matrix products on the tape: 2-D [m,k]·[k,n] and batched [b,m,k]·[b,k,n]
// (a 2-D operand is shared across the batch). Backward: dA = g·Bᵀ, dB = Aᵀ·g,
// computed by the transposed-layout kernels without materialising a transpose.

import { backend } from "../tensor/backends/active.ts";
import { ShapeError, Tensor, fmt } from "../tensor/tensor.ts";
import { gradOf, record } from "./tape.ts";
import { floats } from "../tensor/pool.ts";

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim < 2 || b.ndim < 2 || a.ndim > 3 || b.ndim > 3) {
    throw new ShapeError(`matmul: expected 2-D or 3-D operands, got ${fmt(a.shape)} @ ${fmt(b.shape)}`);
  }
  const m = a.shape[a.ndim - 2]!, k = a.shape[a.ndim - 1]!, k2 = b.shape[b.ndim - 2]!, n = b.shape[b.ndim - 1]!;
  if (k !== k2) throw new ShapeError(`matmul: inner sizes differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (need a[-1] == b[-2])`);
  const ba = a.ndim === 3 ? a.shape[0]! : 1, bb = b.ndim === 3 ? b.shape[0]! : 1;
  if (ba !== bb && ba !== 1 && bb !== 1) {
    throw new ShapeError(`matmul: batch sizes differ: ${fmt(a.shape)} @ ${fmt(b.shape)} (need equal batch sizes, or a 2-D operand)`);
  }
  const batch = Math.max(ba, bb);
  const sa = ba === 1 ? 0 : m * k, sb = bb === 1 ? 0 : k * n;
  const outShape = a.ndim === 3 || b.ndim === 3 ? [batch, m, n] : [m, n];
  const c = floats(batch * m * n), kernels = backend();
  // Many tiny products (the mixer's per-row q·W₁): one pass over the batch.
  const tiny = batch > 1 && m * k * n < 1024;
  if (tiny) kernels.batchedNN(a.data, b.data, c, batch, m, k, n, sa, sb);
  else for (let i = 0; i < batch; i++) kernels.matmulNN(a.data, b.data, c, m, k, n, i * sa, i * sb, i * m * n);
  return record(new Tensor(c, outShape), "matmul", [a, b], (g) => {
    if (a.requiresGrad) {
      const ga = gradOf(a);
      if (tiny) kernels.batchedNT(g, b.data, ga, batch, m, k, n, sa, sb);
      else for (let i = 0; i < batch; i++) kernels.matmulNT(g, b.data, ga, m, n, k, i * m * n, i * sb, i * sa);
    }
    if (b.requiresGrad) {
      const gb = gradOf(b);
      if (tiny) kernels.batchedTN(a.data, g, gb, batch, m, k, n, sa, sb);
      else for (let i = 0; i < batch; i++) kernels.matmulTN(a.data, g, gb, k, m, n, i * sa, i * m * n, i * sb);
    }
  });
}
