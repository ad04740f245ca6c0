import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  encodeSafetensors,
  encodeSafetensorsParts,
  readF32LE,
  SafetensorsError,
  writeF32LE,
  type NamedArray,
} from "../../src/nn/safetensors.ts";

const RUNS = { seed: 20240611, numRuns: 300 };
const VECTORS = process.env.QMIX_VECTORS ?? fileURLToPath(new URL("../fixtures", import.meta.url));
const fixture = new Uint8Array(readFileSync(join(VECTORS, "qmix_case0.safetensors")));

// ---------------------------------------------------------------------------------------------
// Helpers

/** A file from a header (object or raw text) and a data section, laid out as the format says. */
function file(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const text = typeof header === "string" ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, headerLength ?? h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function f32(shape: number[], offsets: [number, number]) {
  return { dtype: "F32", shape, data_offsets: offsets };
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Decoding must succeed or throw SafetensorsError; anything else (TypeError, RangeError) fails. */
function decodeOrReject(bytes: Uint8Array): void {
  try {
    decodeSafetensors(bytes);
  } catch (err) {
    if (!(err instanceof SafetensorsError)) throw err;
  }
}

function rejects(bytes: Uint8Array, message?: RegExp, options?: { maxHeaderBytes?: number }): void {
  let caught: unknown;
  try {
    decodeSafetensors(bytes, options);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  expect(caught).toBeInstanceOf(Error);
  if (message) expect((caught as Error).message).toMatch(message);
}

// Shapes of up to 4 dims of size 0..4 (scalars [] and zero-size included), with data drawn as raw
// float32 bit patterns so NaN payloads, -0 and subnormals all travel.
const arbNamedArray: fc.Arbitrary<NamedArray> = fc
  .array(fc.nat(4), { maxLength: 4 })
  .chain((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc
      .array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: n, maxLength: n })
      .map((bits) => ({ shape, data: new Float32Array(new Uint32Array(bits).buffer) }));
  });

const arbName = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }), // lone surrogates, control characters, astral code points
  fc.constantFrom("agent.fc1.weight", "mixer.V.0.bias", "0", "10", "9", "__proto__", ""),
).filter((s) => s !== "__metadata__");

const arbTensors = fc.uniqueArray(fc.tuple(arbName, arbNamedArray), { selector: ([n]) => n, maxLength: 6 });

function expectSameTensors(got: Map<string, NamedArray>, want: [string, NamedArray][]): void {
  expect([...got.keys()].sort()).toEqual(want.map(([n]) => n).sort());
  for (const [name, t] of want) {
    const g = got.get(name)!;
    expect(g.shape).toEqual(t.shape);
    expect(bytesOf(g.data)).toEqual(bytesOf(t.data));
  }
}

// ---------------------------------------------------------------------------------------------

describe("encode → decode", () => {
  it("round-trips names, shapes and every bit of the values", () => {
    fc.assert(
      fc.property(arbTensors, fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), (entries, metadata) => {
        const out = decodeSafetensors(encodeSafetensors(new Map(entries), metadata));
        expectSameTensors(out.tensors, entries);
        expect(out.metadata).toEqual(metadata);
      }),
      RUNS,
    );
  });

  it("is deterministic and independent of insertion order and container", () => {
    fc.assert(
      fc.property(arbTensors, (entries) => {
        const a = encodeSafetensors(new Map(entries));
        const b = encodeSafetensors(new Map([...entries].reverse()));
        expect(b).toEqual(a);
        expect(encodeSafetensors(new Map(entries))).toEqual(a);
      }),
      RUNS,
    );
    const rec = { b: { shape: [2], data: new Float32Array([1, 2]) }, a: { shape: [], data: new Float32Array([3]) } };
    expect(encodeSafetensors(rec)).toEqual(encodeSafetensors(new Map(Object.entries(rec).reverse())));
  });

  it("lays the file out as the format says: u64 LE length, space-padded header, data in name order", () => {
    const bytes = encodeSafetensors(
      { w: { shape: [2, 1], data: new Float32Array([1.5, -2]) }, b: { shape: [], data: new Float32Array([0.25]) } },
      { format: "pt" },
    );
    const view = new DataView(bytes.buffer);
    const n = view.getUint32(0, true);
    expect(view.getUint32(4, true)).toBe(0);
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header).toBe(
      (
        '{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[],"data_offsets":[0,4]},' +
        '"w":{"dtype":"F32","shape":[2,1],"data_offsets":[4,12]}}'
      ).padEnd(n, " "),
    );
    expect(bytes.length).toBe(8 + n + 12);
    expect([0, 1, 2].map((i) => view.getFloat32(8 + n + 4 * i, true))).toEqual([0.25, 1.5, -2]);
  });

  it("writes and reads the same bytes through the big-endian path as through the fast path", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 40 }), fc.nat(7), (bits, pad) => {
        const data = new Float32Array(new Uint32Array(bits).buffer);
        const le = new Uint8Array(pad + 4 * data.length);
        const be = new Uint8Array(pad + 4 * data.length);
        writeF32LE(data, le, pad, true);
        writeF32LE(data, be, pad, false);
        expect(be).toEqual(le);
        for (let i = 0; i < data.length; i++) expect(new DataView(le.buffer).getUint32(pad + 4 * i, true)).toBe(bits[i]);
        expect(bytesOf(readF32LE(le, pad, data.length, false))).toEqual(bytesOf(data));
        expect(bytesOf(readF32LE(le, pad, data.length, true))).toEqual(bytesOf(data));
      }),
      RUNS,
    );
  });

  it("refuses tensors whose shape disagrees with their data, naming the tensor", () => {
    const bad = (t: unknown, md?: unknown) => () => encodeSafetensors({ "fc1.weight": t } as never, md as never);
    expect(bad({ shape: [2, 3], data: new Float32Array(5) })).toThrow(/"fc1.weight" has shape \[2, 3\] \(6 elements\) but 5 values/);
    expect(bad({ shape: [-1], data: new Float32Array(1) })).toThrow(/"fc1.weight": shape must be an array of non-negative integers/);
    expect(bad({ shape: [1.5], data: new Float32Array(1) })).toThrow(SafetensorsError);
    expect(bad({ shape: [2 ** 30, 2 ** 30], data: new Float32Array(1) })).toThrow(/more than 2\^53/);
    expect(bad({ shape: [1], data: [1] })).toThrow(/must be \{shape: number\[\], data: Float32Array\}/);
    expect(bad({ shape: [1], data: new Float32Array(1) }, { v: 1n })).toThrow(/metadata "v" must be a string, got bigint/);
    expect(() => encodeSafetensors({ __metadata__: { shape: [], data: new Float32Array(1) } })).toThrow(/reserved/);
  });
});

describe("encodeSafetensorsParts", () => {
  it("joins to encodeSafetensors' bytes, with each tensor's bytes a view of its own memory on this host", () => {
    const big = new Float32Array(4096).map((_, i) => Math.sin(i));
    const tensors = new Map<string, NamedArray>([
      ["z", { shape: [2, 2048], data: big }],
      ["a", { shape: [3], data: Float32Array.of(1, -2, 3.5) }],
      ["sub", { shape: [2], data: big.subarray(10, 12) }],
    ]);
    const parts = encodeSafetensorsParts(tensors, { format: "x" });
    const joined = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let pos = 0;
    for (const p of parts) { joined.set(p, pos); pos += p.length; }
    expect(joined).toEqual(encodeSafetensors(tensors, { format: "x" }));
    expect(parts).toHaveLength(4); // header, then "a", "sub", "z" in name order
    if (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) {
      expect(parts[3]!.buffer).toBe(big.buffer);
      expect(parts[2]!.byteOffset).toBe(40);
    }
    const back = decodeSafetensors(joined);
    expect(Array.from(back.tensors.get("sub")!.data)).toEqual(Array.from(big.subarray(10, 12)));
  });
});

describe("decode", () => {
  it("reads the PyTorch reference parameters of case 0", () => {
    const ref = JSON.parse(readFileSync(join(VECTORS, "qmix_torch_reference.json"), "utf8")) as {
      cases: { params: Record<string, { shape: number[]; data: number[] }> }[];
    };
    const params = ref.cases[0]!.params;
    const { tensors } = decodeSafetensors(fixture);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(params).sort());
    for (const [name, want] of Object.entries(params)) {
      const got = tensors.get(name)!;
      expect(got.shape, name).toEqual(want.shape);
      expect(Array.from(got.data), name).toEqual(want.data.map(Math.fround));
    }
  });

  it("copies data out: the result shares nothing with the input, at any alignment and byteOffset", () => {
    // An F16 tensor of 1 element puts the F32 tensor at data offset 2: not 4-aligned.
    const data = new Uint8Array([0x00, 0x3c, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]);
    const inner = file({ h: { dtype: "F16", shape: [1], data_offsets: [0, 2] }, f: f32([2], [2, 10]) }, data);
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    const bytes = outer.subarray(3);
    const { tensors } = decodeSafetensors(bytes);
    expect(Array.from(tensors.get("f")!.data)).toEqual([1, -2]);
    expect(Array.from(tensors.get("h")!.data)).toEqual([1]);
    expect(tensors.get("f")!.data.buffer).not.toBe(outer.buffer);
    outer.fill(0);
    expect(Array.from(tensors.get("f")!.data)).toEqual([1, -2]);
  });

  it("accepts header entries in any order, as the reference does (it sorts by offset)", () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const { tensors } = decodeSafetensors(file({ z: f32([1], [0, 4]), a: f32([2], [4, 12]), __metadata__: {} }, data));
    expect([...tensors.keys()]).toEqual(["z", "a"]);
    expect(Array.from(tensors.get("a")!.data)).toEqual([2, 3]);
  });

  it("widens F64, F16 and BF16 to float32", () => {
    const f64 = new Float64Array([1 / 3, -1e300, 2 ** -149, Number.NaN]);
    const got64 = decodeSafetensors(file({ x: { dtype: "F64", shape: [2, 2], data_offsets: [0, 32] } }, new Uint8Array(f64.buffer)));
    expect(Array.from(got64.tensors.get("x")!.data)).toEqual(Array.from(f64, Math.fround));

    // Every half-precision bit pattern against the textbook formula.
    const halves = new Uint16Array(65536).map((_, i) => i);
    const h = decodeSafetensors(file({ h: { dtype: "F16", shape: [65536], data_offsets: [0, 131072] } }, new Uint8Array(halves.buffer)));
    const hd = h.tensors.get("h")!.data;
    for (let i = 0; i < 65536; i++) {
      const s = i & 0x8000 ? -1 : 1, e = (i >> 10) & 31, m = i & 1023;
      const want = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? Number.NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
      expect(Object.is(hd[i], want) || (Number.isNaN(hd[i]) && Number.isNaN(want))).toBe(true);
    }
    expect([hd[0x3c00], hd[0xc000], hd[0x7bff], hd[0x0001]]).toEqual([1, -2, 65504, 2 ** -24]);

    // bfloat16 is the top half of a float32.
    const f = new Float32Array([1, -3.5, Infinity, 2 ** -130]);
    const tops = new Uint16Array(Array.from(new Uint32Array(f.buffer), (b) => b >>> 16));
    const b = decodeSafetensors(file({ b: { dtype: "BF16", shape: [4], data_offsets: [0, 8] } }, new Uint8Array(tops.buffer)));
    expect(Array.from(b.tensors.get("b")!.data)).toEqual(Array.from(f));
  });

  it("reads an empty file and a file of only zero-size tensors", () => {
    expect(decodeSafetensors(file({})).tensors.size).toBe(0);
    const { tensors } = decodeSafetensors(file({ e: f32([0, 3], [0, 0]), s: f32([], [0, 4]) }, new Uint8Array(4)));
    expect(tensors.get("e")!.shape).toEqual([0, 3]);
    expect(tensors.get("e")!.data.length).toBe(0);
    expect(Array.from(tensors.get("s")!.data)).toEqual([0]);
  });
});

describe("decode rejects hostile input with SafetensorsError", () => {
  const one = new Uint8Array(4);

  it("names what is wrong with the framing", () => {
    for (let n = 0; n < 8; n++) rejects(new Uint8Array(n), /shorter than the 8-byte header length/);
    const huge = file({});
    new DataView(huge.buffer).setUint32(4, 1, true);
    rejects(huge, /header length 4294967298 exceeds the limit/);
    rejects(file({}, undefined, 0xffffffff), /exceeds the limit of 100000000 bytes/);
    rejects(file({}, undefined, 3), /limit of 2 bytes/, { maxHeaderBytes: 2 });
    rejects(file({}, undefined, 1000), /header length 1000 runs past the end of the 10-byte file/);
    rejects(file({}), /maxHeaderBytes must be a non-negative integer/, { maxHeaderBytes: -1 });
    rejects("not bytes" as never, /expected a Uint8Array/);
  });

  it("names what is wrong with the header text", () => {
    const bad = file("{}");
    bad[9] = 0xff;
    rejects(bad, /not valid UTF-8/);
    rejects(file("\ufeff{}"), /starting with '\{'/);
    rejects(file(""), /starting with '\{'/);
    rejects(file(" {}"), /starting with '\{'/);
    rejects(file("[1]"), /starting with '\{'/);
    rejects(file('{"a":'), /not valid JSON/);
    rejects(file('{"a"'), /not valid JSON/);
    rejects(file('{"a\\'), /unterminated string/);
    rejects(file("{}\0"), /not valid JSON/);
    rejects(file(`{"a":${"[".repeat(100000)}`), /nests deeper than 64/);
  });

  it("finds duplicate names, however they are spelled", () => {
    rejects(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', one), /duplicate tensor name "a"/);
    rejects(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', one), /duplicate tensor name "a"/);
    rejects(file('{"a":{"dtype":"F64","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', one), /duplicate key in the header object at depth 2 "dtype"/);
    rejects(file('{"__metadata__":{"k":"1","k":"2"}}'), /duplicate key .* "k"/);
    // A key-looking string in value position is not a key.
    expect(decodeSafetensors(file('{"__metadata__":{"a":"a","b":"a"}}')).metadata).toEqual({ a: "a", b: "a" });
  });

  it("names the tensor and the field of a malformed entry", () => {
    const cases: [unknown, RegExp][] = [
      [1, /"t": entry must be \{dtype, shape, data_offsets\}, got 1/],
      [null, /"t": entry must be/],
      [[], /"t": entry must be/],
      [{ shape: [1], data_offsets: [0, 4] }, /"t": dtype must be a string, got nothing/],
      [{ dtype: "I32", shape: [1], data_offsets: [0, 4] }, /"t": dtype "I32" is not supported \(supported: F32, F64, F16, BF16, U8\)/],
      [{ dtype: "f32", shape: [1], data_offsets: [0, 4] }, /dtype "f32" is not supported/],
      [{ dtype: "toString", shape: [1], data_offsets: [0, 4] }, /dtype "toString" is not supported/],
      [{ dtype: "__proto__", shape: [1], data_offsets: [0, 4] }, /dtype "__proto__" is not supported/],
      [{ dtype: "F32", data_offsets: [0, 4] }, /"t": shape must be an array of non-negative integers, got nothing/],
      [f32([-1], [0, 4]), /shape must be an array of non-negative integers, got \[-1\]/],
      [f32([0.5], [0, 4]), /shape must be/],
      [f32(["1"] as never, [0, 4]), /shape must be/],
      [f32([2 ** 53], [0, 4]), /shape must be/],
      [f32([2 ** 20, 2 ** 20, 2 ** 20], [0, 4]), /more than 2\^53 elements/],
      [f32([2], [0, 4]), /shape \[2\] of F32 needs 2 × 4 bytes but data_offsets \[0, 4\] span 4/],
      [{ dtype: "F64", shape: [1], data_offsets: [0, 4] }, /needs 1 × 8 bytes/],
      [{ dtype: "F32", shape: [1] }, /data_offsets must be \[begin, end\]/],
      [f32([1], [0] as never), /data_offsets must be/],
      [f32([1], [0, 4, 8] as never), /data_offsets must be/],
      [f32([1], [-4, 0]), /data_offsets must be/],
      [f32([1], [4, 0]), /data_offsets \[4, 0\] end before they begin/],
      [f32([1], [4, 8]), /data_offsets \[4, 8\] run past the 4-byte data section/],
    ];
    for (const [entry, message] of cases) rejects(file({ t: entry }, one), message);
    rejects(file('{"t":{"dtype":"F32","shape":[1e400],"data_offsets":[0,4]}}', one), /shape must be/);
  });

  it("demands the ranges tile the data section, naming the tensors", () => {
    const d = (n: number) => new Uint8Array(n);
    rejects(file({ a: f32([2], [0, 8]), b: f32([1], [4, 8]) }, d(8)), /tensors "a" \[0, 8\] and "b" \[4, 8\] overlap/);
    rejects(file({ a: f32([1], [0, 4]), b: f32([1], [0, 4]) }, d(4)), /"a" \[0, 4\] and "b" \[0, 4\] overlap/);
    rejects(file({ a: f32([2], [0, 8]), z: f32([0], [4, 4]) }, d(8)), /"a" \[0, 8\] and "z" \[4, 4\] overlap/);
    rejects(file({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, d(12)), /data bytes \[4, 8\) belong to no tensor \(a hole between "a" and "b"\)/);
    rejects(file({ b: f32([1], [4, 8]) }, d(8)), /data bytes \[0, 4\) belong to no tensor \(a hole before "b"\)/);
    rejects(file({ a: f32([1], [0, 4]) }, d(5)), /data bytes \[4, 5\) belong to no tensor \(trailing bytes after "a"\)/);
    rejects(file({}, d(1)), /data bytes \[0, 1\) belong to no tensor \(trailing bytes\)/);
  });

  it("demands string-to-string metadata", () => {
    rejects(file({ __metadata__: { format: 1 } }), /"__metadata__" entry "format" must be a string, got 1/);
    rejects(file({ __metadata__: { a: null } }), /entry "a" must be a string, got null/);
    rejects(file({ __metadata__: { a: { b: "c" } } }), /must be a string/);
    rejects(file({ __metadata__: ["a"] }), /"__metadata__" must be an object of strings, got \["a"\]/);
    rejects(file({ __metadata__: "pt" }), /must be an object of strings/);
  });

  it("survives random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), decodeOrReject), RUNS);
  });

  it("rejects the fixture truncated at every length", () => {
    for (let n = 0; n < fixture.length; n++) rejects(fixture.subarray(0, n));
  });

  it("rejects the fixture with any other header length", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => {
        fc.pre(n !== 1744n);
        const bytes = fixture.slice();
        new DataView(bytes.buffer).setBigUint64(0, n, true);
        rejects(bytes);
      }),
      RUNS,
    );
  });

  it("survives the fixture with random bytes overwritten", () => {
    const n = new DataView(fixture.buffer, fixture.byteOffset).getUint32(0, true);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(8 + n + 16), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        (edits) => {
          const bytes = fixture.slice();
          for (const [i, b] of edits) bytes[i] = b;
          decodeOrReject(bytes);
        },
      ),
      RUNS,
    );
  });

  it("survives arbitrary JSON in place of the header and of any entry field", () => {
    const header = JSON.parse(new TextDecoder().decode(fixture.subarray(8, 8 + 1744))) as Record<string, Record<string, unknown>>;
    const data = fixture.subarray(8 + 1744);
    const names = Object.keys(header);
    fc.assert(
      fc.property(fc.jsonValue(), (v) => decodeOrReject(file(v, data))),
      RUNS,
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.constantFrom("dtype", "shape", "data_offsets", "__entry__"),
        fc.oneof(fc.jsonValue(), fc.array(fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 60)), { maxLength: 4 })),
        (name, field, v) => {
          const h = structuredClone(header);
          if (field === "__entry__") (h as Record<string, unknown>)[name] = v;
          else h[name]![field] = v;
          decodeOrReject(file(h, data));
        },
      ),
      RUNS,
    );
  });

  it("survives random dtypes, shapes and offsets", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dtype: fc.constantFrom("F32", "F64", "F16", "BF16", "I32", "U8", "BOOL", "constructor", "valueOf"),
            shape: fc.array(fc.oneof(fc.nat(8), fc.constant(2 ** 40), fc.integer({ min: -2, max: 2 })), { maxLength: 4 }),
            data_offsets: fc.tuple(fc.integer({ min: -1, max: 80 }), fc.integer({ min: -1, max: 80 })),
          }),
          { maxLength: 5 },
        ),
        fc.nat(64),
        (entries, dataLength) => decodeOrReject(file(Object.fromEntries(entries.map((e, i) => [`t${i}`, e])), new Uint8Array(dataLength))),
      ),
      RUNS,
    );
  });
});
