// Matrix-multiply kernels over row-major Float32Array, the three layouts the
// forward and backward passes need. All accumulate into C (C += ...), so a
// backward can add into an existing gradient without a temporary; callers
// zero C first for a plain product. Offsets let batched products reuse them.

/**
 * C[m,n]! += A[m,k] · B[k,n].
 * Loop order i-k-j: the inner loop streams a row of B and a row of C with
 * unit stride, and A[i,k] stays in a register. Rows are taken two at a time
 * so each loaded B element feeds two multiply-adds.
 */
export function matmulNN(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = aOff + i * k, a1 = a0 + k, c0 = cOff + i * n, c1 = c0 + n;
    for (let p = 0; p < k; p++) {
      const x0 = A[a0 + p]!, x1 = A[a1 + p]!, bp = bOff + p * n;
      for (let j = 0; j < n; j++) {
        const b = B[bp + j]!;
        C[c0 + j]! += x0 * b;
        C[c1 + j]! += x1 * b;
      }
    }
  }
  for (; i < m; i++) {
    const a0 = aOff + i * k, c0 = cOff + i * n;
    for (let p = 0; p < k; p++) {
      const x0 = A[a0 + p]!, bp = bOff + p * n;
      for (let j = 0; j < n; j++) C[c0 + j]! += x0 * B[bp + j]!;
    }
  }
}

/**
 * C[m,n]! += A[m,k] · B[n,k]ᵀ (B stored as rows of length k, like a Linear
 * weight [out, in]). Each output is a dot product of two unit-stride rows;
 * a 2×2 register block reuses every loaded element twice.
 */
export function matmulNT(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0 = aOff + i * k, a1 = a0 + k, c0 = cOff + i * n, c1 = c0 + n;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      const b0 = bOff + j * k, b1 = b0 + k;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = A[a0 + p]!, x1 = A[a1 + p]!, y0 = B[b0 + p]!, y1 = B[b1 + p]!;
        s00 += x0 * y0; s01 += x0 * y1; s10 += x1 * y0; s11 += x1 * y1;
      }
      C[c0 + j]! += s00; C[c0 + j + 1]! += s01; C[c1 + j]! += s10; C[c1 + j + 1]! += s11;
    }
    for (; j < n; j++) {
      const b0 = bOff + j * k;
      let s0 = 0, s1 = 0;
      for (let p = 0; p < k; p++) { const y = B[b0 + p]!; s0 += A[a0 + p]! * y; s1 += A[a1 + p]! * y; }
      C[c0 + j]! += s0; C[c1 + j]! += s1;
    }
  }
  for (; i < m; i++) {
    const a0 = aOff + i * k, c0 = cOff + i * n;
    for (let j = 0; j < n; j++) {
      const b0 = bOff + j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[a0 + p]! * B[b0 + p]!;
      C[c0 + j]! += s;
    }
  }
}

/**
 * C[m,n]! += A[k,m]ᵀ · B[k,n] (weight gradients: gradᵀ · input).
 * Loop order p-i-j: walk the shared rows p once; row p of B is added into
 * every row i of C scaled by A[p,i], all unit stride. Two p rows at a time
 * halve the passes over C.
 */
export function matmulTN(
  A: Float32Array, B: Float32Array, C: Float32Array, m: number, k: number, n: number,
  aOff = 0, bOff = 0, cOff = 0,
): void {
  let p = 0;
  for (; p + 1 < k; p += 2) {
    const ap0 = aOff + p * m, ap1 = ap0 + m, bp0 = bOff + p * n, bp1 = bp0 + n;
    for (let i = 0; i < m; i++) {
      const x0 = A[ap0 + i]!, x1 = A[ap1 + i]!, ci = cOff + i * n;
      if (x0 === 0 && x1 === 0) continue;
      for (let j = 0; j < n; j++) C[ci + j]! += x0 * B[bp0 + j]! + x1 * B[bp1 + j]!;
    }
  }
  for (; p < k; p++) {
    const ap = aOff + p * m, bp = bOff + p * n;
    for (let i = 0; i < m; i++) {
      const x = A[ap + i]!, ci = cOff + i * n;
      if (x === 0) continue;
      for (let j = 0; j < n; j++) C[ci + j]! += x * B[bp + j]!;
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

/** Y[i, j]! += b[j] for Y [rows, cols]. */
export function addRowVector(Y: Float32Array, b: Float32Array, rows: number, cols: number): void {
  for (let i = 0; i < rows; i++) {
    const yi = i * cols;
    for (let j = 0; j < cols; j++) Y[yi + j]! += b[j]!;
  }
}
