// Emits the WebAssembly SIMD kernels (matmul, the GRU recurrence, vector
// exp/σ/tanh) and writes them, base64-encoded, to
// src/tensor/backends/wasm/kernels.generated.ts. No toolchain: the bytes come from
// scripts/wasm-encoder.ts. Deterministic, so a rerun rewrites the same file.
//
//   npx tsx scripts/build-wasm.ts           # regenerate
//   npx tsx scripts/build-wasm.ts --check   # exit 1 if the file is stale
//
// Module ABI (all arguments i32; pointers are byte offsets into the exported
// memory; every kernel accumulates, C += ...):
//   nn(a, b, c, m, k, n)     C[m,n] += A[m,k] · B[k,n]
//   tn(a, b, c, m, k, n)     C[m,n] += A[k,m]ᵀ · B[k,n]
//   nt(a, b, c, m, k, n, t)  C[m,n] += A[m,k] · B[n,k]ᵀ, using t as k·n floats of scratch
//   gru_fwd(…), gru_bwd(…)   the GRU recurrence of gruSequence, all T steps
//                            in one call each (arguments at gruForward and
//                            gruBackward below)
//   vexp, vsigmoid, vtanh(src, dst, count)   elementwise, for tests
//   vrelu(src, dst, count)   dst = max(src, 0), a Linear's fused ReLU
//   vrelu_mask(g, y, count)  g = y > 0 ? g : 0, that ReLU's backward
//   mix_fwd(…), mix_bwd(…)   QMIX's mixing network row by row (arguments
//                            at mixForward and mixBackward below)
// The caller leaves 16 bytes of slack after B, C and t (after every region,
// for the GRU and vector functions): a row's last 1–3 columns are computed as
// a whole f32x4 that reads past the row (those lanes are discarded; only the
// valid lanes are stored).
//
// Design (measured on Node 20, x64 Zen 5, with bench/wasm.ts and by building
// variants of this file through buildKernels(options)):
// - All three are one register-blocked rank-1 update: a tile of R rows × 8
//   columns of C lives in 2R f32x4 accumulators across the shared dimension;
//   each step loads two vectors of B's row p and broadcasts A[i+r, p] with
//   v128.load32_splat, so 2 + R loads feed 2R multiplies and 2R adds of 4
//   lanes. R = 4 needs 8 + 2 + 2 vector registers; R = 5 and 6 spill under
//   V8 and lose 15 % and 40 %, R = 3 loses 5–20 %. At R = 4 the hot shapes
//   run at 55–63 GFLOP/s, about the machine's 16 flop/cycle for separate
//   128-bit multiplies and adds (core SIMD has no fused multiply-add).
//   Columns finish with a 4-wide tile, then a partial one (lane stores);
//   leftover rows take 2- and 1-row tiles.
// - NN walks A along its rows (one pointer per tile row); TN reads A's row p
//   at the tile's columns, so a tile row is a constant byte offset.
// - NT transposes B into scratch with 4×4 register transposes (~0.1 ns per
//   element, 3 % of the GRU step 96×64×192) and runs NN at 97 % of NN's own
//   speed. A dot-product kernel (vector accumulators along k) would issue the
//   same multiplies and adds per load, plus a horizontal sum per output and a
//   tail when k % 4 ≠ 0 (k = 26, 54 here), so it has at most that 3 % to win.
// - The shared dimension is cut into chunks of KC = 128 so the B panel (and
//   TN's A panel) of a chunk stays in L2 while every tile sweeps it: TN with
//   k = 2496 goes from 46 to 55–59 GFLOP/s; KC of 64–512 are within 5 %. C
//   accumulates across chunks, so chunking changes only the order of sums.
// - The GRU (96 rows, H = 64, 26 steps) was a JS gate loop, three Math.exp
//   per element, around one wasm matmul per step; fused, a step is the nn
//   entry on hₜ₋₁ (W_hh transposed once per call) plus f32x4 gates, so the
//   forward is ~1.0 ms of matmul (60 GFLOP/s) and ~1.0 ms of gates, the
//   backward ~1.0 ms of per-step nn, ~1.0 ms for one tn over all steps for
//   dW_hh and ~0.15 ms of gates. Copies in and out add ~0.2 ms to each. The
//   gate code issues each v128.const where it is used; hoisting the ~20
//   constants into locals set once per call measured no faster.
// - A second build (fma: true) issues each tile's multiply and add as one
//   f32x4.relaxed_madd, which V8 lowers to vfmadd on x64 with FMA3 (and fmla
//   on arm64): half the arithmetic instructions of the inner loop. On a
//   shared, noisy day the kernels alone went from 23/20/24 to 38/24/33 GFLOP/s
//   at the GRU step 160×64×192 and from 22/24/21 to 28/31/27 at 19360×96×192
//   (three alternations), and the 2s3z update 0.76–0.90× the core build's
//   time; the sums differ by rounding only (4.7e-9 at most there). The
//   backend prefers it wherever the runtime validates relaxed SIMD.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Fn, encodeModule, op, simd } from "./wasm-encoder.ts";

export interface KernelOptions {
  /** Rows of C per tile (accumulators: 2R f32x4). */
  rows: number;
  /** Chunk of the shared dimension per sweep over C. */
  kc: number;
  /** Multiply-adds as relaxed SIMD's f32x4.relaxed_madd (fused where the machine has FMA) instead of a multiply and an add. */
  fma: boolean;
}

export const DEFAULTS: KernelOptions = { rows: 4, kc: 128, fma: false };

const memarg = Fn.memarg;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * core{NN,TN}(a, b, c, m, k, n, sa): C[m,n] += A·B over k ≥ 1 steps, where
 * A[i,p] is at a + i·sa + 4p (NN) or a + 4i + p·sa (TN), B[p,j] at b + 4(p·n + j).
 */
function core(kind: "NN" | "TN", R: number, fma: boolean): Fn {
  const f = new Fn(`core${kind}`, ["a", "b", "c", "m", "k", "n", "sa"], false);
  const rowPtrs = kind === "NN" ? range(R).map((r) => `pa${r}`) : ["pa0"];
  f.i32("ldb", "i", "j", "pa", "pc", "pb", "pcj", "q", "cnt", "lanes", "cr", ...rowPtrs);
  f.v128(...range(R).flatMap((r) => [`acc${r}0`, `acc${r}1`]), "vb0", "vb1", "vs");

  /** One tile: `rows` × 4V columns at (i, j); `partial` stores only `lanes` (1–3) columns. */
  const tile = (rows: number, V: number, partial: boolean): void => {
    f.get("pcj").set("cr");
    for (const r of range(rows)) {
      if (r > 0) f.addTo("cr", "ldb");
      for (const v of range(V)) f.get("cr").simd(simd.v128Load, ...memarg(4, 16 * v)).set(`acc${r}${v}`);
    }
    f.get("pa").set("pa0");
    if (kind === "NN") for (const r of range(rows).slice(1)) f.get(`pa${r - 1}`).get("sa").emit(op.i32Add).set(`pa${r}`);
    f.get("pb").set("q").get("k").set("cnt");
    f.loop((top) => {
      for (const v of range(V)) f.get("q").simd(simd.v128Load, ...memarg(4, 16 * v)).set(`vb${v}`);
      for (const r of range(rows)) {
        if (kind === "NN") f.get(`pa${r}`).simd(simd.v128Load32Splat, ...memarg(2, 0));
        else f.get("pa0").simd(simd.v128Load32Splat, ...memarg(2, 4 * r));
        f.set("vs");
        for (const v of range(V)) {
          const acc = `acc${r}${v}`;
          if (fma) f.get("vs").get(`vb${v}`).get(acc).simd(simd.f32x4RelaxedMadd).set(acc);
          else f.get(acc).get("vs").get(`vb${v}`).simd(simd.f32x4Mul).simd(simd.f32x4Add).set(acc);
        }
      }
      f.addTo("q", "ldb");
      if (kind === "NN") for (const r of range(rows)) f.addTo(`pa${r}`, 4);
      else f.addTo("pa0", "sa");
      f.get("cnt").const(1).emit(op.i32Sub).tee("cnt").brIf(top);
    });
    f.get("pcj").set("cr");
    for (const r of range(rows)) {
      if (r > 0) f.addTo("cr", "ldb");
      const acc = `acc${r}0`;
      if (!partial) {
        for (const v of range(V)) f.get("cr").get(`acc${r}${v}`).simd(simd.v128Store, ...memarg(4, 16 * v));
        continue;
      }
      f.get("lanes").const(2).emit(op.i32GeS).if(
        () => {
          f.get("cr").get(acc).simd(simd.v128Store64Lane, ...memarg(3, 0), 0);
          f.get("lanes").const(3).emit(op.i32Eq).if(() => f.get("cr").get(acc).simd(simd.v128Store32Lane, ...memarg(2, 8), 2));
        },
        () => f.get("cr").get(acc).simd(simd.v128Store32Lane, ...memarg(2, 0), 0),
      );
    }
  };

  /** All column tiles of one band of `rows` rows starting at i. */
  const band = (rows: number): void => {
    f.const(0).set("j").get("b").set("pb").get("pc").set("pcj");
    f.block((done) => f.loop((next) => {
      f.get("n").get("j").emit(op.i32Sub).const(8).emit(op.i32LtS).brIf(done);
      tile(rows, 2, false);
      f.addTo("j", 8).addTo("pb", 32).addTo("pcj", 32).br(next);
    }));
    f.get("n").get("j").emit(op.i32Sub).const(4).emit(op.i32GeS).if(() => {
      tile(rows, 1, false);
      f.addTo("j", 4).addTo("pb", 16).addTo("pcj", 16);
    });
    f.get("n").get("j").emit(op.i32Sub).tee("lanes").if(() => tile(rows, 1, true));
  };

  const advance = (rows: number): void => {
    f.addTo("i", rows);
    if (kind === "NN") f.get("pa").get("sa").const(rows).emit(op.i32Mul).emit(op.i32Add).set("pa");
    else f.addTo("pa", 4 * rows);
    f.get("pc").get("ldb").const(rows).emit(op.i32Mul).emit(op.i32Add).set("pc");
  };

  f.get("n").const(2).emit(op.i32Shl).set("ldb");
  f.const(0).set("i").get("a").set("pa").get("c").set("pc");
  f.block((done) => f.loop((next) => {
    f.get("m").get("i").emit(op.i32Sub).const(R).emit(op.i32LtS).brIf(done);
    band(R);
    advance(R);
    f.br(next);
  }));
  // At most R − 1 rows remain; 4, 2, 1 cover any remainder below 8 once each.
  for (const rows of [4, 2, 1].filter((x) => x < R)) {
    f.get("m").get("i").emit(op.i32Sub).const(rows).emit(op.i32GeS).if(() => { band(rows); advance(rows); });
  }
  return f;
}

/** nn / tn: the exported entry, cutting k into chunks of kc for the core. */
function entry(kind: "NN" | "TN", coreIndex: number, kc: number): Fn {
  const f = new Fn(kind.toLowerCase(), ["a", "b", "c", "m", "k", "n"], true);
  f.i32("p0", "kc", "sa");
  f.block((ret) => {
    f.get("m").emit(op.i32Eqz).get("k").emit(op.i32Eqz).emit(op.i32Or).get("n").emit(op.i32Eqz).emit(op.i32Or).brIf(ret);
    f.get(kind === "NN" ? "k" : "m").const(2).emit(op.i32Shl).set("sa");
    f.const(0).set("p0");
    f.loop((chunk) => {
      f.get("k").get("p0").emit(op.i32Sub).set("kc");
      f.const(kc).get("kc").get("kc").const(kc).emit(op.i32GtS).emit(op.select).set("kc");
      // NN: A advances 4 bytes per p; TN: a whole row of A, m floats = sa bytes.
      f.get("a").get("p0");
      if (kind === "NN") f.const(2).emit(op.i32Shl); else f.get("sa").emit(op.i32Mul);
      f.emit(op.i32Add);
      f.get("b").get("p0").get("n").emit(op.i32Mul).const(2).emit(op.i32Shl).emit(op.i32Add);
      f.get("c").get("m").get("kc").get("n").get("sa").call(coreIndex);
      f.addTo("p0", kc);
      f.get("p0").get("k").emit(op.i32LtS).brIf(chunk);
    });
  });
  return f;
}

/** i8x16.shuffle immediates picking 32-bit lanes: 0–3 from the first operand, 4–7 from the second. */
const lanes32 = (...l: number[]): number[] => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);

/**
 * transpose(src, dst, rows, cols): dst[c, r] = src[r, c], bit-exact.
 * 4×4 blocks go through registers (four row loads, the unpack-style
 * shuffles V8 maps to unpcklps/unpckhps/movlhps/movhlps, four row stores):
 * about 3× faster than scalar moves, which matters when NT's m is small.
 * Columns past the last block of 4 and rows past the last band of 4 move one
 * i32 at a time.
 */
function transpose(): Fn {
  const f = new Fn("transpose", ["src", "dst", "rows", "cols"], false);
  f.i32("r", "c", "s", "d", "p", "cnt", "lds", "ldd");
  f.v128("x0", "x1", "x2", "x3", "t0", "t1", "t2", "t3");
  const x = ["x0", "x1", "x2", "x3"];
  const shuffle = (into: string, a: string, b: string, ...l: number[]) =>
    f.get(a).get(b).simd(simd.i8x16Shuffle, ...lanes32(...l)).set(into);
  f.get("cols").const(2).emit(op.i32Shl).set("lds");
  f.get("rows").const(2).emit(op.i32Shl).set("ldd");
  f.const(0).set("r");
  f.block((bandsDone) => f.loop((band) => {
    f.get("rows").get("r").emit(op.i32Sub).const(4).emit(op.i32LtS).brIf(bandsDone);
    f.const(0).set("c");
    f.get("src").get("r").get("lds").emit(op.i32Mul).emit(op.i32Add).set("s");
    f.get("dst").get("r").const(2).emit(op.i32Shl).emit(op.i32Add).set("d");
    f.block((blocksDone) => f.loop((block) => {
      f.get("cols").get("c").emit(op.i32Sub).const(4).emit(op.i32LtS).brIf(blocksDone);
      f.get("s").set("p");
      for (const q of range(4)) {
        if (q > 0) f.addTo("p", "lds");
        f.get("p").simd(simd.v128Load, ...memarg(4, 0)).set(x[q]!);
      }
      shuffle("t0", "x0", "x1", 0, 4, 1, 5); // r0c0 r1c0 r0c1 r1c1
      shuffle("t1", "x0", "x1", 2, 6, 3, 7); // r0c2 r1c2 r0c3 r1c3
      shuffle("t2", "x2", "x3", 0, 4, 1, 5);
      shuffle("t3", "x2", "x3", 2, 6, 3, 7);
      shuffle("x0", "t0", "t2", 0, 1, 4, 5); // column c0 of rows r0..r3
      shuffle("x1", "t0", "t2", 2, 3, 6, 7);
      shuffle("x2", "t1", "t3", 0, 1, 4, 5);
      shuffle("x3", "t1", "t3", 2, 3, 6, 7);
      f.get("d").set("p");
      for (const q of range(4)) {
        if (q > 0) f.addTo("p", "ldd");
        f.get("p").get(x[q]!).simd(simd.v128Store, ...memarg(4, 0));
      }
      f.addTo("s", 16).addTo("c", 4);
      f.get("d").get("ldd").const(4).emit(op.i32Mul).emit(op.i32Add).set("d");
      f.br(block);
    }));
    f.block((colsDone) => f.loop((col) => {
      f.get("c").get("cols").emit(op.i32GeS).brIf(colsDone);
      f.get("s").set("p");
      for (const q of range(4)) {
        if (q > 0) f.addTo("p", "lds");
        f.get("d").get("p").emit(op.i32Load, ...memarg(2, 0)).emit(op.i32Store, ...memarg(2, 4 * q));
      }
      f.addTo("s", 4).addTo("d", "ldd").addTo("c", 1);
      f.br(col);
    }));
    f.addTo("r", 4);
    f.br(band);
  }));
  // Rows left over after the bands: one i32 at a time (cols ≥ 1 for the inner do-while).
  f.get("src").get("r").get("lds").emit(op.i32Mul).emit(op.i32Add).set("s");
  f.block((rowsDone) => f.loop((row) => {
    f.get("r").get("rows").emit(op.i32GeS).get("cols").emit(op.i32Eqz).emit(op.i32Or).brIf(rowsDone);
    f.get("dst").get("r").const(2).emit(op.i32Shl).emit(op.i32Add).set("d");
    f.get("cols").set("cnt");
    f.loop((col) => {
      f.get("d").get("s").emit(op.i32Load, ...memarg(2, 0)).emit(op.i32Store, ...memarg(2, 0));
      f.addTo("s", 4).addTo("d", "ldd");
      f.get("cnt").const(1).emit(op.i32Sub).tee("cnt").brIf(col);
    });
    f.addTo("r", 1);
    f.br(row);
  }));
  return f;
}

/** nt(a, b, c, m, k, n, t): transpose B [n,k] into t as [k,n], then nn. */
function nt(transposeIndex: number, nnIndex: number): Fn {
  const f = new Fn("nt", ["a", "b", "c", "m", "k", "n", "t"], true);
  f.block((ret) => {
    f.get("m").emit(op.i32Eqz).get("k").emit(op.i32Eqz).emit(op.i32Or).get("n").emit(op.i32Eqz).emit(op.i32Or).brIf(ret);
    f.get("b").get("t").get("n").get("k").call(transposeIndex);
    f.get("a").get("t").get("c").get("m").get("k").get("n").call(nnIndex);
  });
  return f;
}

// ---- Vector math and the GRU recurrence ----

/** Code that leaves one v128 on the stack. */
type V = (f: Fn) => void;
const vget = (local: string): V => (f) => { f.get(local); };
const vconst = (x: number): V => (f) => { f.f32x4(x); };
const vop = (opcode: number) => (a: V, b: V): V => (f) => { a(f); b(f); f.simd(opcode); };
const vadd = vop(simd.f32x4Add), vsub = vop(simd.f32x4Sub), vmul = vop(simd.f32x4Mul);
/** Pushes the byte address local₀ + local₁ + …. */
const addr = (f: Fn, parts: readonly string[]): void => {
  parts.forEach((p, i) => { f.get(p); if (i > 0) f.emit(op.i32Add); });
};
/** The f32x4 at the sum of the locals (any alignment; the hint is only a hint). */
const vload = (...parts: string[]): V => (f) => { addr(f, parts); f.simd(simd.v128Load, ...memarg(4, 0)); };
const assign = (f: Fn, local: string, x: V): void => { x(f); f.set(local); };

/** Locals of the helpers below; declared once by each function that uses them. */
const MATH_V128 = ["ex_t", "ex_k", "ex_r", "ex_p", "ex_i", "th_a", "th_e", "st_v"];
const MATH_I32 = ["st_a", "lanes"];

/**
 * Stores x at the sum of the locals. `partial` stores only the first
 * `lanes` (1–3) lanes, for the last columns of a row whose length is not a
 * multiple of 4; full stores there would overwrite the next segment of a
 * [r | z | n] row that was already written.
 */
function vstore(f: Fn, parts: readonly string[], x: V, partial: boolean): void {
  addr(f, parts);
  if (!partial) { x(f); f.simd(simd.v128Store, ...memarg(4, 0)); return; }
  f.set("st_a");
  assign(f, "st_v", x);
  f.get("lanes").const(2).emit(op.i32GeS).if(
    () => {
      f.get("st_a").get("st_v").simd(simd.v128Store64Lane, ...memarg(3, 0), 0);
      f.get("lanes").const(3).emit(op.i32Eq).if(() => f.get("st_a").get("st_v").simd(simd.v128Store32Lane, ...memarg(2, 8), 2));
    },
    () => f.get("st_a").get("st_v").simd(simd.v128Store32Lane, ...memarg(2, 0), 0),
  );
}

// expf after Cephes (S. Moshier, expf.c): e^x = 2^k · e^r with k = round(x·log₂e)
// and r = x − k·ln2 in two steps (Cody–Waite: LN2_HI has 9 significant bits,
// so k·LN2_HI is exact for |k| ≤ 256 and the first subtraction loses
// nothing), then a degree-7 polynomial for e^r on |r| ≤ ln2/2. Its error is
// ≤ 2 ulp over the normal range (test/tensor/wasm_gru.test.ts sweeps it).
const LOG2E = 1.4426950408889634, LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;
const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** 1.5·2²³: adding it rounds a float below 2²² to an integer (ties to even) held in the low mantissa bits. */
const ROUND = 12582912, ROUND_BITS = 0x4b400000;

/**
 * out = e^x per lane. x is first clamped to [−104, 89] with pmax/pmin, which
 * keep a NaN in x (its comparisons are false) so NaN gives NaN. Beyond those
 * bounds e^x is below half the least subnormal (→ 0) or above the largest
 * float (→ +∞), and the clamped values reach exactly those results: 2^k is
 * applied as 2^⌊k/2⌋ · 2^(k−⌊k/2⌋), two normal powers for k ∈ [−150, 128],
 * so the product rounds once, to 0, a subnormal, or +∞ as the exact value would.
 */
function vexpInto(f: Fn, x: V, out: string): void {
  x(f);
  f.f32x4(-104).simd(simd.f32x4Pmax).f32x4(89).simd(simd.f32x4Pmin).set("ex_t");
  f.get("ex_t").f32x4(LOG2E).simd(simd.f32x4Mul).f32x4(ROUND).simd(simd.f32x4Add).set("ex_k"); // k in the low bits
  f.get("ex_k").f32x4(ROUND).simd(simd.f32x4Sub).set("ex_p"); // k as a float
  f.get("ex_t").get("ex_p").f32x4(LN2_HI).simd(simd.f32x4Mul).simd(simd.f32x4Sub)
    .get("ex_p").f32x4(LN2_LO).simd(simd.f32x4Mul).simd(simd.f32x4Sub).set("ex_r");
  f.f32x4(EXP_POLY[0]!);
  for (const c of EXP_POLY.slice(1)) f.get("ex_r").simd(simd.f32x4Mul).f32x4(c).simd(simd.f32x4Add);
  f.get("ex_r").get("ex_r").simd(simd.f32x4Mul).simd(simd.f32x4Mul).get("ex_r").simd(simd.f32x4Add)
    .f32x4(1).simd(simd.f32x4Add).set("ex_p"); // e^r = 1 + r + r²·P(r)
  f.get("ex_k").i32x4(ROUND_BITS).simd(simd.i32x4Sub).set("ex_i"); // k
  f.get("ex_i").const(1).simd(simd.i32x4ShrS).set("ex_k"); // k₁ = ⌊k/2⌋
  f.get("ex_i").get("ex_k").simd(simd.i32x4Sub).set("ex_i"); // k₂ = k − k₁
  f.get("ex_p")
    .get("ex_k").i32x4(127).simd(simd.i32x4Add).const(23).simd(simd.i32x4Shl).simd(simd.f32x4Mul)
    .get("ex_i").i32x4(127).simd(simd.i32x4Add).const(23).simd(simd.i32x4Shl).simd(simd.f32x4Mul)
    .set(out);
}

/** out = σ(a) = 1/(1 + e^−a): exactly 0 where e^−a overflows, 1 where it vanishes against 1. */
function vsigmoidInto(f: Fn, a: V, out: string): void {
  vexpInto(f, (g) => { a(g); g.simd(simd.f32x4Neg); }, "th_e");
  f.f32x4(1).f32x4(1).get("th_e").simd(simd.f32x4Add).simd(simd.f32x4Div).set(out);
}

// tanhf after Cephes (tanhf.c): below |a| = 0.625 an odd polynomial,
// a + a·s·P(s) with s = a², since 1 − 2/(1 + e^2a) loses up to all its bits to
// cancellation near 0 in float32 (the JS path computes it in float64).
const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];

/**
 * out = tanh(a). The exp branch works on |a| and puts a's sign back (odd
 * symmetry), so both signs get the accurate side, and e^2|a| = +∞ gives
 * exactly ±1.
 */
function vtanhInto(f: Fn, a: V, out: string): void {
  assign(f, "th_a", a);
  vexpInto(f, (g) => { g.f32x4(2).get("th_a").simd(simd.f32x4Abs).simd(simd.f32x4Mul); }, "th_e");
  f.f32x4(1).f32x4(2).f32x4(1).get("th_e").simd(simd.f32x4Add).simd(simd.f32x4Div).simd(simd.f32x4Sub); // tanh|a| ≥ 0.55
  f.get("th_a").f32x4(-0).simd(simd.v128And).simd(simd.v128Or); // a's sign bit
  f.get("th_a").get("th_a").simd(simd.f32x4Mul).set("th_e");
  f.f32x4(TANH_POLY[0]!);
  for (const c of TANH_POLY.slice(1)) f.get("th_e").simd(simd.f32x4Mul).f32x4(c).simd(simd.f32x4Add);
  f.get("th_e").simd(simd.f32x4Mul).get("th_a").simd(simd.f32x4Mul).get("th_a").simd(simd.f32x4Add); // small |a|
  f.get("th_a").simd(simd.f32x4Abs).f32x4(0.625).simd(simd.f32x4Ge).simd(simd.v128Bitselect).set(out);
}

/**
 * Runs `body` over `rows` rows of `width` floats (both i32 locals): 4 columns
 * at a time, then the last 1–3 once as a partial vector (`lanes`). Each
 * [ptr, rowStart, stride] sets ptr from rowStart at every row, advances it
 * 16 bytes per vector, and moves rowStart on by stride bytes per row.
 * Counts in the locals ri and rc.
 */
function rowsOfVectors(
  f: Fn, rows: string, width: string, ptrs: readonly [ptr: string, rowStart: string, stride: string][],
  body: (partial: boolean) => void,
): void {
  f.get(width).const(3).emit(op.i32And).set("lanes");
  f.get(rows).set("ri");
  f.get(rows).if(() => f.loop((row) => {
    for (const [p, start] of ptrs) f.get(start).set(p);
    f.get(width).const(2).emit(op.i32ShrS).tee("rc").if(() => f.loop((col) => {
      body(false);
      for (const [p] of ptrs) f.addTo(p, 16);
      f.get("rc").const(1).emit(op.i32Sub).tee("rc").brIf(col);
    }));
    f.get("lanes").if(() => body(true));
    for (const [, start, stride] of ptrs) f.addTo(start, stride);
    f.get("ri").const(1).emit(op.i32Sub).tee("ri").brIf(row);
  }));
}

/** Sets `local` = 4·a·b·…, a byte size from element counts in locals. */
const bytesOf = (f: Fn, local: string, ...factors: string[]): void => {
  f.const(4);
  for (const x of factors) f.get(x).emit(op.i32Mul);
  f.set(local);
};

/**
 * gru_fwd(gi, h, w, wt, b, gh, r, z, n, ghn, R, H, T, keep): the GRU
 * recurrence of src/nn/functional.ts's gruSequence over T steps.
 *   gi [T,R,3H] input projections; w [3H,H] weight_hh; b [3H] bias_hh;
 *   h [(T+1)·R, H]: h₀ in the first R rows on entry, hₜ written after it;
 *   wt [H,3H] and gh [R,3H] scratch; keep ≠ 0 also writes the gates r, z, n
 *   and ghn = W_hn h + b_hn, each [T,R,H], for the backward.
 * Per step: gh = b in every row, gh += hₜ₋₁ · wt with the nn entry (wt is
 * w transposed once, so no per-step transpose), then the gates in f32x4 with
 * the vector exp, 4 columns at a time.
 */
function gruForward(transposeIndex: number, nnIndex: number): Fn {
  const f = new Fn("gru_fwd", ["gi", "h", "w", "wt", "b", "gh", "r", "z", "n", "ghn", "rows", "hid", "steps", "keep"], true);
  f.i32("h3", "h4", "h8", "h12", "hs", "t", "ri", "rc", "po", "pq", "pg", "rowO", "rowQ", "rowG", "c", ...MATH_I32);
  f.v128("vr", "vz", "vn", "vhn", ...MATH_V128);

  const gates = (partial: boolean): void => {
    vsigmoidInto(f, vadd(vload("pq"), vload("pg")), "vr");
    vsigmoidInto(f, vadd(vload("pq", "h4"), vload("pg", "h4")), "vz");
    assign(f, "vhn", vload("pg", "h8"));
    vtanhInto(f, vadd(vload("pq", "h8"), vmul(vget("vr"), vget("vhn"))), "vn");
    // h' = (1 − z)·n + z·h, hₜ₋₁ at h + po and hₜ one step (R·H floats) later.
    vstore(f, ["hs", "po"], vadd(vmul(vsub(vconst(1), vget("vz")), vget("vn")), vmul(vget("vz"), vload("h", "po"))), partial);
    f.get("keep").if(() => {
      vstore(f, ["r", "po"], vget("vr"), partial);
      vstore(f, ["z", "po"], vget("vz"), partial);
      vstore(f, ["n", "po"], vget("vn"), partial);
      vstore(f, ["ghn", "po"], vget("vhn"), partial);
    });
  };

  f.block((ret) => {
    f.get("rows").emit(op.i32Eqz).get("hid").emit(op.i32Eqz).emit(op.i32Or).get("steps").emit(op.i32Eqz).emit(op.i32Or).brIf(ret);
    f.get("hid").const(3).emit(op.i32Mul).set("h3");
    bytesOf(f, "h4", "hid");
    bytesOf(f, "h8", "hid"); f.addTo("h8", "h4");
    bytesOf(f, "h12", "h3");
    bytesOf(f, "hs", "rows", "hid"); f.addTo("hs", "h");
    f.get("w").get("wt").get("h3").get("hid").call(transposeIndex);
    f.const(0).set("rowO").get("gi").set("rowQ").const(0).set("t");
    f.loop((step) => {
      // Every row of gh starts as b (whole vectors: a row's last one spills
      // into the next row, rewritten next, or into the slack after gh).
      f.get("gh").set("pg").get("rows").set("ri");
      f.loop((row) => {
        f.const(0).set("c");
        f.loop((col) => {
          f.get("pg").get("c").emit(op.i32Add).get("b").get("c").emit(op.i32Add)
            .simd(simd.v128Load, ...memarg(4, 0)).simd(simd.v128Store, ...memarg(4, 0));
          f.addTo("c", 16).get("c").get("h12").emit(op.i32LtS).brIf(col);
        });
        f.addTo("pg", "h12");
        f.get("ri").const(1).emit(op.i32Sub).tee("ri").brIf(row);
      });
      f.get("h").get("rowO").emit(op.i32Add).get("wt").get("gh").get("rows").get("hid").get("h3").call(nnIndex);
      f.get("gh").set("rowG");
      rowsOfVectors(f, "rows", "hid", [["po", "rowO", "h4"], ["pq", "rowQ", "h12"], ["pg", "rowG", "h12"]], gates);
      f.addTo("t", 1).get("t").get("steps").emit(op.i32LtS).brIf(step);
    });
  });
  return f;
}

/**
 * gru_bwd(g, h, w, r, z, n, ghn, dgh, dgi, dh, dhp, gw, db, ones, R, H, T, flags):
 * the backward of gru_fwd for upstream gradient g [T,R,H], with h, w, r, z,
 * n, ghn as gru_fwd left them. Writes dgh [T,R,3H], the gradients of the
 * hidden pre-activations (all steps), and dL/dh₀ into dh [R,H]; dhp [R,H]
 * and ones [T·R] are scratch. flags: 1 = dgi [T,R,3H] += dL/dgi (with
 * 8: dgi = dL/dgi, for a gradient buffer not yet created, saving its copy
 * in), 2 = gw [3H,H] += Σₜ dghₜᵀ hₜ₋₁ (one tn over all T·R rows, which h
 * holds contiguously), 4 = db [3H] += Σ dgh (tn with a column of ones).
 * Steps run T−1 … 0: the gate gradients in f32x4, then dhₜ₋₁ = dh·z + dghₜ · w
 * with the nn entry.
 */
function gruBackward(nnIndex: number, tnIndex: number): Fn {
  const f = new Fn("gru_bwd", [
    "g", "h", "w", "r", "z", "n", "ghn", "dgh", "dgi", "dh", "dhp", "gw", "db", "ones", "rows", "hid", "steps", "flags",
  ], true);
  f.i32("h3", "h4", "h8", "h12", "rh4", "t", "tr", "ri", "rc", "po", "pq", "pd", "rowO", "rowQ", "rowD", "cur", "nxt", "c", ...MATH_I32);
  f.v128("vd", "vr", "vz", "vn", "vomz", "vdn", "vdz", "vdr", ...MATH_V128);

  const gates = (partial: boolean): void => {
    assign(f, "vd", vadd(vload("g", "po"), vload("cur", "pd"))); // dL/dhₜ: from the output and from step t+1
    assign(f, "vr", vload("r", "po"));
    assign(f, "vz", vload("z", "po"));
    assign(f, "vn", vload("n", "po"));
    assign(f, "vomz", vsub(vconst(1), vget("vz")));
    // Same association as the JS backward: dn = dh(1−z)(1−n²), dz = dh(hₜ₋₁−n)z(1−z), dr = dn·ghn·r(1−r).
    assign(f, "vdn", vmul(vmul(vget("vd"), vget("vomz")), vsub(vconst(1), vmul(vget("vn"), vget("vn")))));
    assign(f, "vdz", vmul(vmul(vmul(vget("vd"), vsub(vload("h", "po"), vget("vn"))), vget("vz")), vget("vomz")));
    assign(f, "vdr", vmul(vmul(vmul(vget("vdn"), vload("ghn", "po")), vget("vr")), vsub(vconst(1), vget("vr"))));
    vstore(f, ["dgh", "pq"], vget("vdr"), partial);
    vstore(f, ["dgh", "pq", "h4"], vget("vdz"), partial);
    vstore(f, ["dgh", "pq", "h8"], vmul(vget("vdn"), vget("vr")), partial);
    f.get("flags").const(1).emit(op.i32And).if(() => f.get("flags").const(8).emit(op.i32And).if(
      () => {
        vstore(f, ["dgi", "pq"], vget("vdr"), partial);
        vstore(f, ["dgi", "pq", "h4"], vget("vdz"), partial);
        vstore(f, ["dgi", "pq", "h8"], vget("vdn"), partial);
      },
      () => {
        vstore(f, ["dgi", "pq"], vadd(vload("dgi", "pq"), vget("vdr")), partial);
        vstore(f, ["dgi", "pq", "h4"], vadd(vload("dgi", "pq", "h4"), vget("vdz")), partial);
        vstore(f, ["dgi", "pq", "h8"], vadd(vload("dgi", "pq", "h8"), vget("vdn")), partial);
      },
    ));
    vstore(f, ["nxt", "pd"], vmul(vget("vd"), vget("vz")), partial);
  };

  /** dst[0 .. bytes) = x, whole vectors (the caller leaves 16 bytes of slack). */
  const fill = (dst: string, bytes: string, x: V): void => {
    f.const(0).set("c");
    f.block((done) => f.loop((next) => {
      f.get("c").get(bytes).emit(op.i32GeS).brIf(done);
      vstore(f, [dst, "c"], x, false);
      f.addTo("c", 16).br(next);
    }));
  };

  f.block((ret) => {
    f.get("rows").emit(op.i32Eqz).get("hid").emit(op.i32Eqz).emit(op.i32Or).get("steps").emit(op.i32Eqz).emit(op.i32Or).brIf(ret);
    f.get("hid").const(3).emit(op.i32Mul).set("h3");
    bytesOf(f, "h4", "hid");
    bytesOf(f, "h8", "hid"); f.addTo("h8", "h4");
    bytesOf(f, "h12", "h3");
    bytesOf(f, "rh4", "rows", "hid");
    f.get("steps").get("rows").emit(op.i32Mul).set("tr");
    f.get("dh").set("cur").get("dhp").set("nxt");
    fill("cur", "rh4", vconst(0));
    f.get("steps").const(1).emit(op.i32Sub).set("t");
    f.loop((step) => {
      f.get("t").get("rh4").emit(op.i32Mul).set("rowO");
      f.get("rowO").const(3).emit(op.i32Mul).set("rowQ");
      f.const(0).set("rowD");
      rowsOfVectors(f, "rows", "hid", [["po", "rowO", "h4"], ["pq", "rowQ", "h12"], ["pd", "rowD", "h4"]], gates);
      // nxt += dghₜ · w; rowQ has walked to the end of step t, so step t starts R·3H floats before it.
      f.get("dgh").get("rowQ").emit(op.i32Add).get("rh4").const(3).emit(op.i32Mul).emit(op.i32Sub)
        .get("w").get("nxt").get("rows").get("h3").get("hid").call(nnIndex);
      f.get("cur").set("c").get("nxt").set("cur").get("c").set("nxt");
      f.get("t").const(1).emit(op.i32Sub).tee("t").const(0).emit(op.i32GeS).brIf(step);
    });
    f.get("cur").get("dh").emit(op.i32Ne).if(() => fill("dh", "rh4", vload("cur", "c")));
    f.get("flags").const(2).emit(op.i32And).if(() => {
      f.get("dgh").get("h").get("gw").get("h3").get("tr").get("hid").call(tnIndex);
    });
    f.get("flags").const(4).emit(op.i32And).if(() => {
      f.get("tr").const(2).emit(op.i32Shl).set("rc");
      fill("ones", "rc", vconst(1));
      f.get("ones").get("dgh").get("db").const(1).get("tr").get("h3").call(tnIndex);
    });
  });
  return f;
}

/** name(src, dst, count): dst = op(src) elementwise, for tests of the vector math (16 bytes of slack after both). */
function unary(name: string, into: (f: Fn, x: V, out: string) => void): Fn {
  const f = new Fn(name, ["src", "dst", "count"], true);
  f.i32("ri", "rc", "ps", "pd", "s0", "d0", "one", ...MATH_I32);
  f.v128("vy", ...MATH_V128);
  f.get("src").set("s0").get("dst").set("d0").const(1).set("one");
  // One row of `count` floats, so the row strides never apply.
  rowsOfVectors(f, "one", "count", [["ps", "s0", "count"], ["pd", "d0", "count"]], (partial) => {
    into(f, vload("ps"), "vy");
    vstore(f, ["pd"], vget("vy"), partial);
  });
  return f;
}

/** out = max(x, 0): NaN stays NaN and −0 becomes +0 (f32x4.max), as the JS relu. */
function vreluInto(f: Fn, x: V, out: string): void {
  x(f);
  f.f32x4(0).simd(simd.f32x4Max).set(out);
}

/**
 * vrelu_mask(g, y, count): g = y > 0 ? g : 0, the backward of a ReLU given
 * its output y (y > 0 exactly where its input was). A select, not a
 * product, so an infinite or NaN g where the unit was off gives 0, as
 * PyTorch's threshold_backward.
 */
function reluMask(): Fn {
  const f = new Fn("vrelu_mask", ["g", "y", "count"], true);
  f.i32("ri", "rc", "pg", "py", "g0", "y0", "one", ...MATH_I32);
  f.v128(...MATH_V128);
  f.get("g").set("g0").get("y").set("y0").const(1).set("one");
  rowsOfVectors(f, "one", "count", [["pg", "g0", "count"], ["py", "y0", "count"]], (partial) => {
    vstore(f, ["pg"], (g) => {
      vload("pg")(g);
      vload("py")(g);
      g.f32x4(0).simd(simd.f32x4Gt).simd(simd.v128And);
    }, partial);
  });
  return f;
}

// expm1 for the mixer's ELU: e^x − 1 from the vector exp loses the low bits
// of small results to cancellation, so |x| < 0.5 takes the Taylor series to
// x⁸/8! instead (its first omitted term, 0.5⁹/9! = 5.4e-9, is below float32
// rounding of the results there, ≥ 0.39·|x|/0.5).
const EXPM1_TAYLOR = [1 / 40320, 1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 1 / 2, 1];

/** out = eˣ − 1 per lane (NaN gives NaN: its |x| < 0.5 is false and the exp branch keeps it). */
function vexpm1Into(f: Fn, x: V, out: string): void {
  assign(f, "em_x", x);
  vexpInto(f, vget("em_x"), "em_e");
  f.get("em_e").f32x4(1).simd(simd.f32x4Sub); // large |x|
  f.f32x4(EXPM1_TAYLOR[0]!);
  for (const c of EXPM1_TAYLOR.slice(1)) f.get("em_x").simd(simd.f32x4Mul).f32x4(c).simd(simd.f32x4Add);
  f.get("em_x").simd(simd.f32x4Mul); // small |x|
  f.get("em_x").simd(simd.f32x4Abs).f32x4(0.5).simd(simd.f32x4Lt); // mask: small
  // bitselect(a, b, m) takes a where m is set: the series where small, else e^x − 1.
  f.set("em_m").set("em_p").set("em_e").get("em_p").get("em_e").get("em_m").simd(simd.v128Bitselect).set(out);
}

/** Adds the four lanes of `local` and adds the sum to the float at the address on the stack (lane 0 stored). */
function addLanesInto(f: Fn, addrLocal: string, local: string): void {
  f.get(local).get(local).get(local).simd(simd.i8x16Shuffle, ...lanes32(2, 3, 0, 1)).simd(simd.f32x4Add).set("hs_t");
  f.get("hs_t").get("hs_t").get("hs_t").simd(simd.i8x16Shuffle, ...lanes32(1, 0, 3, 2)).simd(simd.f32x4Add).set("hs_t");
  f.get(addrLocal).get(addrLocal).simd(simd.v128Load32Splat, ...memarg(2, 0)).get("hs_t").simd(simd.f32x4Add)
    .simd(simd.v128Store32Lane, ...memarg(2, 0), 0);
}

/** sign(x) per lane as ±1, 0 at ±0 (NaN: 0), for |·|'s gradient. */
const vsign = (x: string): V => (f) => {
  f.get(x).f32x4(0).simd(simd.f32x4Gt).f32x4(1).simd(simd.v128And);
  f.get(x).f32x4(0).simd(simd.f32x4Lt).f32x4(1).simd(simd.v128And);
  f.simd(simd.f32x4Sub);
};

/** The row loop shared by mix_fwd and mix_bwd: returns at once when R, n or E is 0, sets e4 = 4E and ne4 = 4nE (bytes), then runs `row` R times (counting in ri). */
function mixRows(f: Fn, row: () => void): void {
  f.block((ret) => {
    f.get("rows").emit(op.i32Eqz).get("n").emit(op.i32Eqz).emit(op.i32Or).get("E").emit(op.i32Eqz).emit(op.i32Or).brIf(ret);
    bytesOf(f, "e4", "E");
    bytesOf(f, "ne4", "n", "E");
    f.get("rows").set("ri");
    f.loop((next) => {
      row();
      f.get("ri").const(1).emit(op.i32Sub).tee("ri").brIf(next);
    });
  });
}

/**
 * mix_fwd(q, a, b, f, v, hid, out, R, n, E): QMIX's mixing network over R rows,
 * src/qmix/mixers.ts's monotonicMix:
 *   hid = ELU(Σᵢ qᵢ·|aᵢ| + b),  out = v + Σₑ hid·|f|,
 * q [R,n], a [R,n·E] (agent i's E weights at i·E), b, f, hid [R,E], v, out [R].
 * E must be a multiple of 4 (whole vectors). Per row the E columns run as
 * vectors with the n agents' terms inside, then the ELU, then out from the
 * four lanes' sums.
 */
function mixForward(): Fn {
  const f = new Fn("mix_fwd", ["q", "a", "b", "f", "v", "hid", "out", "rows", "n", "E"], true);
  f.i32("e4", "ne4", "ri", "j", "i", "pai", "pqi", ...MATH_I32);
  f.v128("acc", "act", "ys", "em_x", "em_e", "em_p", "em_m", "hs_t", ...MATH_V128);
  mixRows(f, () => {
    f.f32x4(0).set("ys").const(0).set("j");
    f.loop((col) => {
      f.get("b").get("j").emit(op.i32Add).simd(simd.v128Load, ...memarg(4, 0)).set("acc");
      f.get("a").get("j").emit(op.i32Add).set("pai").get("q").set("pqi").get("n").set("i");
      f.loop((agent) => {
        f.get("acc").get("pqi").simd(simd.v128Load32Splat, ...memarg(2, 0))
          .get("pai").simd(simd.v128Load, ...memarg(4, 0)).simd(simd.f32x4Abs).simd(simd.f32x4Mul).simd(simd.f32x4Add).set("acc");
        f.addTo("pai", "e4").addTo("pqi", 4);
        f.get("i").const(1).emit(op.i32Sub).tee("i").brIf(agent);
      });
      vexpm1Into(f, vget("acc"), "act");
      f.get("acc").get("act").get("acc").f32x4(0).simd(simd.f32x4Gt).simd(simd.v128Bitselect).set("act");
      f.get("hid").get("j").emit(op.i32Add).get("act").simd(simd.v128Store, ...memarg(4, 0));
      f.get("ys").get("act").get("f").get("j").emit(op.i32Add).simd(simd.v128Load, ...memarg(4, 0)).simd(simd.f32x4Abs)
        .simd(simd.f32x4Mul).simd(simd.f32x4Add).set("ys");
      f.addTo("j", 16).get("j").get("e4").emit(op.i32LtS).brIf(col);
    });
    // out = v + Σ lanes: store v first, then add the lanes' sum to it.
    f.get("out").get("v").emit(op.i32Load, ...memarg(2, 0)).emit(op.i32Store, ...memarg(2, 0));
    addLanesInto(f, "out", "ys");
    f.get("q").get("n").const(2).emit(op.i32Shl).emit(op.i32Add).set("q");
    f.addTo("a", "ne4").addTo("b", "e4").addTo("f", "e4").addTo("hid", "e4").addTo("v", 4).addTo("out", 4);
  });
  return f;
}

/**
 * mix_bwd(g, q, a, f, hid, dq, da, db, df, dv, dh, R, n, E): the backward of
 * mix_fwd for upstream g [R], given its inputs and hid; adds into dq [R,n],
 * da [R,n·E], db and df [R,E], dv [R]; dh [E] is scratch. Per row: first the
 * E columns (df, and dh = g·|f|·ELU′ into dh and db, ELU′ = hid + 1 below
 * 0), then per agent da = dh·qᵢ·sign(aᵢ) and dqᵢ = Σ dh·|aᵢ|.
 */
function mixBackward(): Fn {
  const f = new Fn("mix_bwd", ["g", "q", "a", "f", "hid", "dq", "da", "db", "df", "dv", "dh", "rows", "n", "E"], true);
  f.i32("e4", "ne4", "ri", "j", "i", "pai", "pqi", "pdai", "pdqi", ...MATH_I32);
  f.v128("gr", "act", "fe", "d", "w", "qi", "s", "hs_t", ...MATH_V128);
  mixRows(f, () => {
    f.get("g").simd(simd.v128Load32Splat, ...memarg(2, 0)).set("gr");
    f.get("dv").get("dv").simd(simd.v128Load32Splat, ...memarg(2, 0)).get("gr").simd(simd.f32x4Add)
      .simd(simd.v128Store32Lane, ...memarg(2, 0), 0); // dv += g
    f.const(0).set("j");
    f.loop((col) => {
      assign(f, "act", vload("hid", "j"));
      assign(f, "fe", vload("f", "j"));
      // df += g·hid·sign(f)
      f.get("df").get("j").emit(op.i32Add);
      vadd(vload("df", "j"), vmul(vmul(vget("gr"), vget("act")), vsign("fe")))(f);
      f.simd(simd.v128Store, ...memarg(4, 0));
      // dh = g·|f|·(hid > 0 ? 1 : hid + 1)
      vmul(vmul(vget("gr"), (g) => { g.get("fe").simd(simd.f32x4Abs); }), (g) => {
        g.f32x4(1).get("act").f32x4(1).simd(simd.f32x4Add).get("act").f32x4(0).simd(simd.f32x4Gt).simd(simd.v128Bitselect);
      })(f);
      f.set("d");
      f.get("dh").get("j").emit(op.i32Add).get("d").simd(simd.v128Store, ...memarg(4, 0));
      f.get("db").get("j").emit(op.i32Add);
      vadd(vload("db", "j"), vget("d"))(f);
      f.simd(simd.v128Store, ...memarg(4, 0));
      f.addTo("j", 16).get("j").get("e4").emit(op.i32LtS).brIf(col);
    });
    f.get("a").set("pai").get("da").set("pdai").get("q").set("pqi").get("dq").set("pdqi").get("n").set("i");
    f.loop((agent) => {
      f.get("pqi").simd(simd.v128Load32Splat, ...memarg(2, 0)).set("qi");
      f.f32x4(0).set("s").const(0).set("j");
      f.loop((col) => {
        assign(f, "w", vload("pai", "j"));
        assign(f, "d", vload("dh", "j"));
        f.get("pdai").get("j").emit(op.i32Add);
        vadd(vload("pdai", "j"), vmul(vmul(vget("d"), vget("qi")), vsign("w")))(f);
        f.simd(simd.v128Store, ...memarg(4, 0));
        f.get("s").get("d").get("w").simd(simd.f32x4Abs).simd(simd.f32x4Mul).simd(simd.f32x4Add).set("s");
        f.addTo("j", 16).get("j").get("e4").emit(op.i32LtS).brIf(col);
      });
      addLanesInto(f, "pdqi", "s");
      f.addTo("pai", "e4").addTo("pdai", "e4").addTo("pqi", 4).addTo("pdqi", 4);
      f.get("i").const(1).emit(op.i32Sub).tee("i").brIf(agent);
    });
    f.addTo("g", 4).addTo("dv", 4);
    f.get("q").get("n").const(2).emit(op.i32Shl).emit(op.i32Add).set("q");
    f.get("dq").get("n").const(2).emit(op.i32Shl).emit(op.i32Add).set("dq");
    f.addTo("a", "ne4").addTo("da", "ne4").addTo("f", "e4").addTo("hid", "e4").addTo("db", "e4").addTo("df", "e4");
  });
  return f;
}

export function buildKernels(opts: KernelOptions = DEFAULTS): Uint8Array {
  // Function indices are positions in this list (the module imports nothing).
  const fns = [core("NN", opts.rows, opts.fma), core("TN", opts.rows, opts.fma), transpose(), entry("NN", 0, opts.kc), entry("TN", 1, opts.kc)];
  fns.push(nt(2, 3), gruForward(2, 3), gruBackward(3, 4));
  fns.push(unary("vexp", vexpInto), unary("vsigmoid", vsigmoidInto), unary("vtanh", vtanhInto));
  fns.push(unary("vrelu", vreluInto), reluMask(), mixForward(), mixBackward());
  return encodeModule(fns, 1);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function base64Lines(name: string, bytes: Uint8Array): string {
  const lines = base64(bytes).match(/.{1,96}/g) ?? [""];
  return `export const ${name} =\n` + lines.map((l) => `  "${l}"`).join(" +\n") + ";";
}

/**
 * The generated file: the kernels as built, and the same kernels with every
 * matmul multiply-add as relaxed SIMD's f32x4.relaxed_madd, which the
 * backend prefers where the runtime validates it (src/tensor/backends/wasm/module.ts).
 */
export function generatedSource(bytes: Uint8Array, fmaBytes: Uint8Array, opts: KernelOptions = DEFAULTS): string {
  return [
    "// generated by scripts/build-wasm.ts; do not edit.",
    `// WebAssembly SIMD kernels, ${bytes.length} bytes (matmul tiles of ${opts.rows} rows × 8 columns, k chunks of ${opts.kc}),`,
    `// and the same kernels with the matmul multiply-adds as relaxed SIMD f32x4.relaxed_madd, ${fmaBytes.length} bytes.`,
    "// Exports: memory, nn, tn, nt, gru_fwd, gru_bwd, vexp, vsigmoid, vtanh, vrelu, vrelu_mask, mix_fwd, mix_bwd; see the build script for the ABI.",
    "",
    `export const KERNELS_WASM_BYTES = ${bytes.length};`,
    "",
    base64Lines("KERNELS_WASM_BASE64", bytes),
    "",
    `export const KERNELS_FMA_WASM_BYTES = ${fmaBytes.length};`,
    "",
    base64Lines("KERNELS_FMA_WASM_BASE64", fmaBytes),
    "",
  ].join("\n");
}

const target = fileURLToPath(new URL("../src/tensor/backends/wasm/kernels.generated.ts", import.meta.url));
const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];

if (isMain) {
  const source = generatedSource(buildKernels(), buildKernels({ ...DEFAULTS, fma: true }));
  if (process.argv.includes("--check")) {
    let current = "";
    try { current = readFileSync(target, "utf8"); } catch { /* missing counts as stale */ }
    if (current !== source) {
      console.error(`${target} is stale: run npx tsx scripts/build-wasm.ts`);
      process.exit(1);
    }
    console.log(`${target} is up to date`);
  } else {
    writeFileSync(target, source);
    console.log(`wrote ${target}`);
  }
}
