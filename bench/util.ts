// Timing helpers shared by the bench programs. Node-only (performance.now,
// process.argv). Benchmarks print figures and never assert.
//
// A "sample" is one timed batch of `inner` calls, so calls far shorter than
// the timer's resolution still time well; figures are per call. Interleaved
// measurement runs every variant once per round, so a drift in machine load
// (other processes, CPU clocks) spreads over all of them instead of favouring
// whichever ran in the quiet moment; ratios between variants stay honest.

export interface Stats {
  /** Milliseconds per call. */
  median: number;
  min: number;
  max: number;
  /** Number of timed samples the figures come from. */
  samples: number;
  /** Calls per sample. */
  inner: number;
}

export interface MeasureOptions {
  /** Untimed calls before measuring, so the JIT has optimised the code (default 0.2 s worth, at least 5). */
  warmupMs?: number;
  /** Timed samples (default 15). */
  samples?: number;
  /** Target duration of one sample in ms; sets the calls per sample (default 5). */
  sampleMs?: number;
}

export const hasFlag = (flag: string): boolean => process.argv.slice(2).includes(flag);

/** The value after `--name` on the command line, or `fallback`. */
export function option(name: string, fallback: number): number {
  const args = process.argv.slice(2), i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

/** The word after `--name` on the command line, one of `choices` (the first by default); anything else exits naming them. */
export function choice<T extends string>(name: string, choices: readonly T[]): T {
  const args = process.argv.slice(2), i = args.indexOf(name);
  if (i < 0) return choices[0]!;
  const v = args[i + 1];
  if (!choices.includes(v as T)) {
    process.stderr.write(`${name}: expected one of ${choices.join(", ")}, got ${v === undefined ? "nothing" : JSON.stringify(v)}\n`);
    process.exit(2);
  }
  return v as T;
}

function sorted(xs: number[]): number[] {
  return xs.slice().sort((a, b) => a - b);
}

function statsOf(times: number[], inner: number): Stats {
  const s = sorted(times);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, samples: s.length, inner };
}

/** Calls per sample so one sample lasts about `sampleMs`, after warming fn up for `warmupMs`. */
function calibrate(fn: () => void, warmupMs: number, sampleMs: number): number {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (calls < 5 || t - t0 < warmupMs) { fn(); calls++; t = performance.now(); }
  const perCall = (t - t0) / calls;
  return Math.max(1, Math.round(sampleMs / perCall));
}

function timeBatch(fn: () => void, inner: number): number {
  const t0 = performance.now();
  for (let r = 0; r < inner; r++) fn();
  return (performance.now() - t0) / inner;
}

/** Times fn: warmup, then `samples` batches; figures are ms per call. */
export function measure(fn: () => void, opts: MeasureOptions = {}): Stats {
  return measureInterleaved([fn], opts)[0]!;
}

/** Times several functions round-robin (one sample of each per round), for fair ratios. */
export function measureInterleaved(fns: readonly (() => void)[], opts: MeasureOptions = {}): Stats[] {
  const { warmupMs = 200, samples = 15, sampleMs = 5 } = opts;
  const inner = fns.map((fn) => calibrate(fn, warmupMs, sampleMs));
  const times: number[][] = fns.map(() => []);
  for (let s = 0; s < samples; s++) {
    for (let v = 0; v < fns.length; v++) times[v]!.push(timeBatch(fns[v]!, inner[v]!));
  }
  return times.map((t, v) => statsOf(t, inner[v]!));
}

/** GFLOP/s from a flop count and milliseconds. */
export const gflops = (flops: number, ms: number): number => flops / ms / 1e6;

/** Right-aligned text table with a header row and a rule under it. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (r: readonly string[]) => r.map((x, c) => (c === 0 ? x.padEnd(width[c]!) : x.padStart(width[c]!))).join("  ");
  return [line(header), width.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export const fixed = (x: number, digits = 2): string => x.toFixed(digits);

/** Uniform values in [-1, 1) from a small LCG: benches need data, not statistics. */
export function randomArray(n: number, seed = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2147483648 - 1;
  }
  return a;
}

/** One line describing the runtime, so saved figures say where they came from. */
export function environment(): string {
  return `node ${process.version} ${process.arch}`;
}

/** The three product layouts of a Linear: forward (NT), input gradient (NN), weight gradient (TN). */
export type Layout = "NT" | "NN" | "TN";

/** The Linear shapes of one QMIX update (bench/README.md), rows × in → out. */
export const HOT_LINEAR_SHAPES: ReadonlyArray<{ name: string; rows: number; inp: number; out: number }> = [
  { name: "fc1, one step", rows: 96, inp: 26, out: 64 },
  { name: "GRU hidden, one step", rows: 96, inp: 64, out: 192 },
  { name: "hypernet layer 1", rows: 800, inp: 54, out: 64 },
  { name: "hypernet layer 2", rows: 800, inp: 64, out: 96 },
  { name: "fc1, 26 steps fused", rows: 2496, inp: 26, out: 64 },
  { name: "GRU input, 26 steps fused", rows: 2496, inp: 64, out: 192 },
];

/** Kernel dimensions (m, k, n) of each layout for a Linear rows×in → out. */
export function linearDims(layout: Layout, rows: number, inp: number, out: number): [number, number, number] {
  return layout === "NT" ? [rows, inp, out] : layout === "NN" ? [rows, out, inp] : [out, rows, inp];
}
