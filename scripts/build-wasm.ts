// Emits the WebAssembly SIMD matmul kernels and writes them, base64-encoded,
// to src/tensor/wasm/kernels.generated.ts. No toolchain: the bytes come from
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
// The caller leaves 16 bytes of slack after B, C and t: a row's last 1–3
// columns are computed as a whole f32x4 that reads past the row (those lanes
// are discarded; only the valid lanes are stored).
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

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Fn, encodeModule, op, simd } from "./wasm-encoder.ts";

export interface KernelOptions {
  /** Rows of C per tile (accumulators: 2R f32x4). */
  rows: number;
  /** Chunk of the shared dimension per sweep over C. */
  kc: number;
}

export const DEFAULTS: KernelOptions = { rows: 4, kc: 128 };

const memarg = Fn.memarg;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * core{NN,TN}(a, b, c, m, k, n, sa): C[m,n] += A·B over k ≥ 1 steps, where
 * A[i,p] is at a + i·sa + 4p (NN) or a + 4i + p·sa (TN), B[p,j] at b + 4(p·n + j).
 */
function core(kind: "NN" | "TN", R: number): Fn {
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
          f.get(acc).get("vs").get(`vb${v}`).simd(simd.f32x4Mul).simd(simd.f32x4Add).set(acc);
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

export function buildKernels(opts: KernelOptions = DEFAULTS): Uint8Array {
  // Function indices are positions in this list (the module imports nothing).
  const fns = [core("NN", opts.rows), core("TN", opts.rows), transpose(), entry("NN", 0, opts.kc), entry("TN", 1, opts.kc)];
  fns.push(nt(2, 3));
  return encodeModule(fns, 1);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

export function generatedSource(bytes: Uint8Array, opts: KernelOptions = DEFAULTS): string {
  const b64 = base64(bytes);
  const lines = b64.match(/.{1,96}/g) ?? [""];
  return [
    "// generated by scripts/build-wasm.ts; do not edit.",
    `// WebAssembly SIMD matmul kernels, ${bytes.length} bytes (tiles of ${opts.rows} rows × 8 columns, k chunks of ${opts.kc}).`,
    "// Exports: memory, nn(a,b,c,m,k,n), tn(a,b,c,m,k,n), nt(a,b,c,m,k,n,t); see the build script for the ABI.",
    "",
    `export const KERNELS_WASM_BYTES = ${bytes.length};`,
    "",
    "export const KERNELS_WASM_BASE64 =",
    lines.map((l) => `  "${l}"`).join(" +\n") + ";",
    "",
  ].join("\n");
}

const target = fileURLToPath(new URL("../src/tensor/wasm/kernels.generated.ts", import.meta.url));
const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];

if (isMain) {
  const source = generatedSource(buildKernels());
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
