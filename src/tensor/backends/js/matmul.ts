// The JS backend's matrix-multiply kernels over row-major Float32Array, the
// three layouts the forward and backward passes need. All accumulate into C
// (C += ...), so a backward can add into an existing gradient without a
// temporary; callers zero C first for a plain product. Offsets let batched
// products reuse them.
//
// Why they look like this (measured with bench/matmul.ts on Node 20, x64):
// V8 does not vectorise, and every typed-array read costs ~9 instructions
// (checked index add, bounds check, load, float32→float64), against 2 for a
// multiply-add. Speed is therefore set by flops per load. Each kernel keeps a
// 3×4 block of C in local doubles across the whole shared dimension, so 7
// loads feed 12 multiply-adds and C is touched once per block. Larger blocks
// (4×4, 5×4, 6×4) run out of the 15 usable XMM registers and spill; unrolling
// the shared loop spills too; packing operands into Float64Array scratch did
// not pay at these sizes. Leftover rows and columns take 1×4, 3×1 and 1×1
// loops, so any m, k, n ≥ 0 works. Sums of k products are formed in double
// and rounded once into C.

/**
 * C[m,n] += A[m,k] · B[k,n].
 * Block 3 rows × 4 columns of C; for each p, three reads down A's rows
 * (unit stride in p) and four adjacent reads of B's row p (stride n between
 * p steps, which at these sizes stays in cache).
 */
export function jsMatmulNN(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  let i = 0;
  for (; i + 2 < m; i += 3) {
    const a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k;
    const c0 = cOff + i * n, c1 = c0 + n, c2 = c1 + n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      for (let p = 0, q = bOff + j; p < k; p++, q += n) {
        const x0 = A[a0 + p]!, x1 = A[a1 + p]!, x2 = A[a2 + p]!;
        const y0 = B[q]!; s00 += x0 * y0; s10 += x1 * y0; s20 += x2 * y0;
        const y1 = B[q + 1]!; s01 += x0 * y1; s11 += x1 * y1; s21 += x2 * y1;
        const y2 = B[q + 2]!; s02 += x0 * y2; s12 += x1 * y2; s22 += x2 * y2;
        const y3 = B[q + 3]!; s03 += x0 * y3; s13 += x1 * y3; s23 += x2 * y3;
      }
      C[c0 + j]! += s00; C[c0 + j + 1]! += s01; C[c0 + j + 2]! += s02; C[c0 + j + 3]! += s03;
      C[c1 + j]! += s10; C[c1 + j + 1]! += s11; C[c1 + j + 2]! += s12; C[c1 + j + 3]! += s13;
      C[c2 + j]! += s20; C[c2 + j + 1]! += s21; C[c2 + j + 2]! += s22; C[c2 + j + 3]! += s23;
    }
    for (; j < n; j++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let p = 0, q = bOff + j; p < k; p++, q += n) {
        const y = B[q]!;
        s0 += A[a0 + p]! * y; s1 += A[a1 + p]! * y; s2 += A[a2 + p]! * y;
      }
      C[c0 + j]! += s0; C[c1 + j]! += s1; C[c2 + j]! += s2;
    }
  }
  for (; i < m; i++) {
    const a0 = aOff + i * k, c0 = cOff + i * n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0, q = bOff + j; p < k; p++, q += n) {
        const x = A[a0 + p]!;
        s0 += x * B[q]!; s1 += x * B[q + 1]!; s2 += x * B[q + 2]!; s3 += x * B[q + 3]!;
      }
      C[c0 + j]! += s0; C[c0 + j + 1]! += s1; C[c0 + j + 2]! += s2; C[c0 + j + 3]! += s3;
    }
    for (; j < n; j++) {
      let s = 0;
      for (let p = 0, q = bOff + j; p < k; p++, q += n) s += A[a0 + p]! * B[q]!;
      C[c0 + j]! += s;
    }
  }
}

/**
 * C[m,n] += A[m,k] · B[n,k]ᵀ (B stored as rows of length k, like a Linear
 * weight [out, in]). Every output is a dot product of two unit-stride rows;
 * a 3×4 block reads three rows of A and four of B in step.
 */
export function jsMatmulNT(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  let i = 0;
  for (; i + 2 < m; i += 3) {
    const a0 = aOff + i * k, a1 = a0 + k, a2 = a1 + k;
    const c0 = cOff + i * n, c1 = c0 + n, c2 = c1 + n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = bOff + j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = A[a0 + p]!, x1 = A[a1 + p]!, x2 = A[a2 + p]!;
        const y0 = B[b0 + p]!; s00 += x0 * y0; s10 += x1 * y0; s20 += x2 * y0;
        const y1 = B[b1 + p]!; s01 += x0 * y1; s11 += x1 * y1; s21 += x2 * y1;
        const y2 = B[b2 + p]!; s02 += x0 * y2; s12 += x1 * y2; s22 += x2 * y2;
        const y3 = B[b3 + p]!; s03 += x0 * y3; s13 += x1 * y3; s23 += x2 * y3;
      }
      C[c0 + j]! += s00; C[c0 + j + 1]! += s01; C[c0 + j + 2]! += s02; C[c0 + j + 3]! += s03;
      C[c1 + j]! += s10; C[c1 + j + 1]! += s11; C[c1 + j + 2]! += s12; C[c1 + j + 3]! += s13;
      C[c2 + j]! += s20; C[c2 + j + 1]! += s21; C[c2 + j + 2]! += s22; C[c2 + j + 3]! += s23;
    }
    for (; j < n; j++) {
      const b0 = bOff + j * k;
      let s0 = 0, s1 = 0, s2 = 0;
      for (let p = 0; p < k; p++) {
        const y = B[b0 + p]!;
        s0 += A[a0 + p]! * y; s1 += A[a1 + p]! * y; s2 += A[a2 + p]! * y;
      }
      C[c0 + j]! += s0; C[c1 + j]! += s1; C[c2 + j]! += s2;
    }
  }
  for (; i < m; i++) {
    const a0 = aOff + i * k, c0 = cOff + i * n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      const b0 = bOff + j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const x = A[a0 + p]!;
        s0 += x * B[b0 + p]!; s1 += x * B[b1 + p]!; s2 += x * B[b2 + p]!; s3 += x * B[b3 + p]!;
      }
      C[c0 + j]! += s0; C[c0 + j + 1]! += s1; C[c0 + j + 2]! += s2; C[c0 + j + 3]! += s3;
    }
    for (; j < n; j++) {
      const b0 = bOff + j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[a0 + p]! * B[b0 + p]!;
      C[c0 + j]! += s;
    }
  }
}

/**
 * C[m,n] += A[k,m]ᵀ · B[k,n] (weight gradients: gradᵀ · input).
 * Block 3 rows × 4 columns of C; for each shared row p, three adjacent reads
 * of A's row p and four of B's row p. The shared dimension is the batch
 * (up to T·R = 2496 rows), walked once per block with strides m and n.
 */
export function jsMatmulTN(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  let i = 0;
  for (; i + 2 < m; i += 3) {
    const c0 = cOff + i * n, c1 = c0 + n, c2 = c1 + n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      for (let p = 0, qa = aOff + i, qb = bOff + j; p < k; p++, qa += m, qb += n) {
        const x0 = A[qa]!, x1 = A[qa + 1]!, x2 = A[qa + 2]!;
        const y0 = B[qb]!; s00 += x0 * y0; s10 += x1 * y0; s20 += x2 * y0;
        const y1 = B[qb + 1]!; s01 += x0 * y1; s11 += x1 * y1; s21 += x2 * y1;
        const y2 = B[qb + 2]!; s02 += x0 * y2; s12 += x1 * y2; s22 += x2 * y2;
        const y3 = B[qb + 3]!; s03 += x0 * y3; s13 += x1 * y3; s23 += x2 * y3;
      }
      C[c0 + j]! += s00; C[c0 + j + 1]! += s01; C[c0 + j + 2]! += s02; C[c0 + j + 3]! += s03;
      C[c1 + j]! += s10; C[c1 + j + 1]! += s11; C[c1 + j + 2]! += s12; C[c1 + j + 3]! += s13;
      C[c2 + j]! += s20; C[c2 + j + 1]! += s21; C[c2 + j + 2]! += s22; C[c2 + j + 3]! += s23;
    }
    for (; j < n; j++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let p = 0, qa = aOff + i, qb = bOff + j; p < k; p++, qa += m, qb += n) {
        const y = B[qb]!;
        s0 += A[qa]! * y; s1 += A[qa + 1]! * y; s2 += A[qa + 2]! * y;
      }
      C[c0 + j]! += s0; C[c1 + j]! += s1; C[c2 + j]! += s2;
    }
  }
  for (; i < m; i++) {
    const c0 = cOff + i * n;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0, qa = aOff + i, qb = bOff + j; p < k; p++, qa += m, qb += n) {
        const x = A[qa]!;
        s0 += x * B[qb]!; s1 += x * B[qb + 1]!; s2 += x * B[qb + 2]!; s3 += x * B[qb + 3]!;
      }
      C[c0 + j]! += s0; C[c0 + j + 1]! += s1; C[c0 + j + 2]! += s2; C[c0 + j + 3]! += s3;
    }
    for (; j < n; j++) {
      let s = 0;
      for (let p = 0, qa = aOff + i, qb = bOff + j; p < k; p++, qa += m, qb += n) s += A[qa]! * B[qb]!;
      C[c0 + j]! += s;
    }
  }
}

/** out[j]! += Σ_i X[i, j] for X [rows, cols]: bias gradients. */
export function addColumnSums(X: Float32Array, out: Float32Array, rows: number, cols: number, xOff = 0): void {
  for (let i = 0; i < rows; i++) {
    const xi = xOff + i * cols;
    for (let j = 0; j < cols; j++) out[j]! += X[xi + j]!;
  }
}

/**
 * dst = max(src, 0) elementwise (dst may be src). Multiplying by the 0/1 of a
 * comparison, not branching: inputs have random signs, so a branch
 * mispredicts half the time (about 10× slower here). NaN stays NaN, as in
 * PyTorch; + 0 turns −0 into 0.
 */
export function reluInto(src: Float32Array, dst: Float32Array): void {
  for (let i = 0; i < src.length; i++) { const v = src[i]!; dst[i] = v * +(v > 0) + 0; }
}

/** Y[i, j]! += b[j] for Y [rows, cols]. */
export function addRowVector(Y: Float32Array, b: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const yi = i * cols;
    for (let j = 0; j < cols; j++) Y[yi + j]! += b[j]!;
  }
}

// ---- many tiny products ----
// QMIX's mixer multiplies, for every one of B·T rows, a [1, n] row by an
// [n, E] matrix and a [1, E] row by an [E, 1] column. Hundreds of calls on
// 3×32 operands cost more in call overhead than in arithmetic, so these
// loops run the whole batch in one pass. Strides sa, sb are 0 for an
// operand shared across the batch.

/** C_i[m,n] += A_i[m,k] · B_i[k,n] for i < batch. */
export function batchedNN(A: Float32Array, B: Float32Array, C: Float32Array, batch: number, m: number, k: number, n: number, sa: number, sb: number): void {
  for (let b = 0; b < batch; b++) {
    const ao = b * sa, bo = b * sb, co = b * m * n;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const x = A[ao + i * k + p]!, br = bo + p * n, cr = co + i * n;
        for (let j = 0; j < n; j++) C[cr + j]! += x * B[br + j]!;
      }
    }
  }
}

/** C_i[m,k] += G_i[m,n] · B_i[k,n]ᵀ for i < batch (gradient of A). */
export function batchedNT(G: Float32Array, B: Float32Array, C: Float32Array, batch: number, m: number, k: number, n: number, sc: number, sb: number): void {
  for (let b = 0; b < batch; b++) {
    const go = b * m * n, bo = b * sb, co = b * sc;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        let s = 0;
        const gr = go + i * n, br = bo + p * n;
        for (let j = 0; j < n; j++) s += G[gr + j]! * B[br + j]!;
        C[co + i * k + p]! += s;
      }
    }
  }
}

/** C_i[k,n] += A_i[m,k]ᵀ · G_i[m,n] for i < batch (gradient of B). */
export function batchedTN(A: Float32Array, G: Float32Array, C: Float32Array, batch: number, m: number, k: number, n: number, sa: number, sc: number): void {
  for (let b = 0; b < batch; b++) {
    const ao = b * sa, go = b * m * n, co = b * sc;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const x = A[ao + i * k + p]!, gr = go + i * n, cr = co + p * n;
        for (let j = 0; j < n; j++) C[cr + j]! += x * G[gr + j]!;
      }
    }
  }
}
