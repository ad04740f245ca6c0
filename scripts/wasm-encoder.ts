// A small WebAssembly binary writer: just enough of the format for
// scripts/build-wasm.ts to emit the matmul kernels without a toolchain.
// Functions are built with named locals and labelled blocks (branch depths
// are computed, never written by hand); the module has one exported memory,
// one type per distinct signature, and every function is exported or called.
//
// Encodings follow the WebAssembly core spec, binary format (§5), and the
// SIMD proposal's BinarySIMD.md as merged into the spec: every SIMD
// instruction is 0xFD followed by its opcode as an unsigned LEB128.

export const I32 = 0x7f;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof V128;

/** Core opcodes used by the kernels (spec §5.4). */
export const op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f, call: 0x10,
  select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32GtS: 0x4a, i32LeS: 0x4c, i32GeS: 0x4e,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32And: 0x71, i32Or: 0x72, i32Shl: 0x74, i32ShrS: 0x75,
} as const;

/** SIMD opcodes (the number after the 0xFD prefix), from the merged SIMD binary table. */
export const simd = {
  v128Load: 0x00, v128Load32Splat: 0x09, v128Store: 0x0b, v128Const: 0x0c, i8x16Shuffle: 0x0d,
  f32x4Splat: 0x13, f32x4ExtractLane: 0x1f,
  f32x4Lt: 0x43, f32x4Gt: 0x44, f32x4Ge: 0x46,
  v128And: 0x4e, v128Or: 0x50, v128Bitselect: 0x52,
  v128Store32Lane: 0x5a, v128Store64Lane: 0x5b,
  i32x4Shl: 0xab, i32x4ShrS: 0xac, i32x4Add: 0xae, i32x4Sub: 0xb1,
  f32x4Abs: 0xe0, f32x4Neg: 0xe1, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6, f32x4Div: 0xe7,
  f32x4Max: 0xe9, f32x4Pmin: 0xea, f32x4Pmax: 0xeb,
  // relaxed SIMD
  f32x4RelaxedMadd: 0x105,
} as const;

const BLOCK_VOID = 0x40;

export function uleb(x: number, out: number[] = []): number[] {
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new RangeError(`uleb: ${x} is not a u32`);
  do {
    let byte = x & 0x7f;
    x = Math.floor(x / 128);
    if (x !== 0) byte |= 0x80;
    out.push(byte);
  } while (x !== 0);
  return out;
}

export function sleb(x: number, out: number[] = []): number[] {
  if (!Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) throw new RangeError(`sleb: ${x} is not an i32`);
  for (;;) {
    const byte = x & 0x7f;
    x >>= 7; // arithmetic shift keeps the sign
    const done = (x === 0 && (byte & 0x40) === 0) || (x === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const utf8 = (s: string): number[] => Array.from(new TextEncoder().encode(s));
const vec = (items: readonly number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => { const b = utf8(s); return [...uleb(b.length), ...b]; };
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

export interface Label { readonly id: number }

/** One function: parameters are i32 locals declared first, then named locals. Methods chain. */
export class Fn {
  readonly code: number[] = [];
  private readonly slots = new Map<string, number>();
  private readonly types: ValType[] = [];
  private readonly open: number[] = [];
  private labels = 0;

  constructor(readonly name: string, readonly params: readonly string[], readonly exported: boolean) {
    for (const p of params) this.declare(p, I32);
  }

  private declare(local: string, type: ValType): void {
    if (this.slots.has(local)) throw new Error(`${this.name}: local ${local} declared twice`);
    this.slots.set(local, this.types.length);
    this.types.push(type);
  }

  i32(...locals: string[]): this { for (const l of locals) this.declare(l, I32); return this; }
  v128(...locals: string[]): this { for (const l of locals) this.declare(l, V128); return this; }

  private slot(local: string): number {
    const s = this.slots.get(local);
    if (s === undefined) throw new Error(`${this.name}: no local named ${local}`);
    return s;
  }

  emit(...bytes: number[]): this { this.code.push(...bytes); return this; }
  get(local: string): this { return this.emit(op.localGet, ...uleb(this.slot(local))); }
  set(local: string): this { return this.emit(op.localSet, ...uleb(this.slot(local))); }
  tee(local: string): this { return this.emit(op.localTee, ...uleb(this.slot(local))); }
  const(x: number): this { return this.emit(op.i32Const, ...sleb(x)); }
  call(index: number): this { return this.emit(op.call, ...uleb(index)); }

  /** v128.const with x (rounded to float32) in all four lanes; the immediate is 16 little-endian bytes. */
  f32x4(x: number): this {
    const d = new DataView(new ArrayBuffer(16));
    for (let l = 0; l < 4; l++) d.setFloat32(4 * l, x, true);
    return this.simd(simd.v128Const, ...new Uint8Array(d.buffer));
  }
  /** v128.const with the i32 x in all four lanes. */
  i32x4(x: number): this {
    const d = new DataView(new ArrayBuffer(16));
    for (let l = 0; l < 4; l++) d.setInt32(4 * l, x, true);
    return this.simd(simd.v128Const, ...new Uint8Array(d.buffer));
  }

  /** A SIMD instruction: 0xFD, the LEB128 opcode, then immediates. */
  simd(opcode: number, ...imm: number[]): this { return this.emit(0xfd, ...uleb(opcode), ...imm); }
  /** memarg immediates: log2 of the alignment hint, then the constant byte offset. */
  static memarg(alignLog2: number, offset: number): number[] { return [...uleb(alignLog2), ...uleb(offset)]; }

  /** local = local + x, the commonest statement in the kernels. */
  addTo(local: string, x: number | string): this {
    this.get(local);
    if (typeof x === "number") this.const(x); else this.get(x);
    return this.emit(op.i32Add).set(local);
  }

  private structured(opcode: number, body: (l: Label) => void): this {
    const label = { id: this.labels++ };
    this.emit(opcode, BLOCK_VOID);
    this.open.push(label.id);
    body(label);
    this.open.pop();
    return this.emit(op.end);
  }

  block(body: (exit: Label) => void): this { return this.structured(op.block, body); }
  loop(body: (top: Label) => void): this { return this.structured(op.loop, body); }
  /** `if` on the i32 on the stack; `otherwise` becomes the else arm. */
  if(then: () => void, otherwise?: () => void): this {
    this.emit(op.if, BLOCK_VOID);
    this.open.push(-1);
    then();
    if (otherwise) { this.emit(op.else); otherwise(); }
    this.open.pop();
    return this.emit(op.end);
  }

  private depth(l: Label): number {
    const at = this.open.lastIndexOf(l.id);
    if (at < 0) throw new Error(`${this.name}: branch to a label that is not open`);
    return this.open.length - 1 - at;
  }
  br(l: Label): this { return this.emit(op.br, ...uleb(this.depth(l))); }
  brIf(l: Label): this { return this.emit(op.brIf, ...uleb(this.depth(l))); }

  /** The function body: locals beyond the parameters, run-length grouped by type, then code and `end`. */
  body(): number[] {
    if (this.open.length) throw new Error(`${this.name}: unclosed block`);
    const runs: number[][] = [];
    for (let i = this.params.length; i < this.types.length; i++) {
      const t = this.types[i]!, last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]!++; else runs.push([1, t]);
    }
    const locals = vec(runs.map(([count, t]) => [...uleb(count!), t!]));
    const b = [...locals, ...this.code, op.end];
    return [...uleb(b.length), ...b];
  }
}

/** A module with one exported memory of `minPages` pages (growable, no maximum) and the given functions. */
export function encodeModule(fns: readonly Fn[], minPages: number): Uint8Array {
  const sigs: string[] = [];
  const sigOf = (f: Fn): number => {
    const key = String(f.params.length);
    if (!sigs.includes(key)) sigs.push(key);
    return sigs.indexOf(key);
  };
  const typeIdx = fns.map(sigOf);
  // Every function takes i32s and returns nothing: functype 0x60, params, results.
  const types = vec(sigs.map((s) => [0x60, ...vec(Array.from({ length: Number(s) }, () => [I32])), ...uleb(0)]));
  const funcs = vec(typeIdx.map((t) => uleb(t)));
  const memory = vec([[0x00, ...uleb(minPages)]]); // limits: flag 0 = min only
  const exports = vec([
    [...name("memory"), 0x02, ...uleb(0)],
    ...fns.flatMap((f, i) => (f.exported ? [[...name(f.name), 0x00, ...uleb(i)]] : [])),
  ]);
  const code = vec(fns.map((f) => f.body()));
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, types), ...section(3, funcs), ...section(5, memory), ...section(7, exports), ...section(10, code),
  ]);
}
