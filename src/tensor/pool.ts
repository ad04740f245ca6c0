// Array reuse across repeated work of the same shapes, such as training
// updates. Inside pool.run(fn), the tensor engine's working arrays (op
// outputs, saved activations, gradients of intermediates) come from the
// pool: the first run allocates them, every later run hands the same arrays
// out again, zeroed, so a steady stream of updates allocates almost nothing
// and leaves no garbage for the collector (about 12 MB per QMIX update at
// the standard shapes, which otherwise floated in resident memory until
// collected).
//
// The contract: an array handed out during a run is valid until the next
// run of the same pool starts. Results that must outlive that (parameters,
// their optimizer state, anything cached) are made outside a run or copied.
// Outside any run, floats(n) is plain `new Float32Array(n)`.
//
// After a run the pool keeps only the arrays that run handed out: work whose
// shapes change from run to run (replay batches cut to their longest
// episode, so T differs between updates) would otherwise keep a full set of
// arrays for every shape it ever saw, and resident memory would grow without
// bound (a 2s3z run reached 7.8 GB). A request with no spare array of its
// length takes the front of a longer spare one (up to twice as long): as T
// falls, the arrays of the longest batch serve the shorter ones, so the pool
// settles at one set for the longest T instead of dropping and reallocating
// arrays whenever T changes.

export class ArrayPool {
  // Arrays by length, and how many of each this run has handed out; the
  // lengths held, ascending, for the best-fit search.
  private readonly free = new Map<number, { arrays: Float32Array[]; used: number }>();
  private readonly lengths: number[] = [];
  private running = false;

  /** Runs fn with this pool active; arrays from the previous run are reused (their old contents are gone). */
  run<T>(fn: () => T): T {
    if (this.running) throw new Error("ArrayPool.run: this pool is already running (a run cannot nest inside itself)");
    for (const slot of this.free.values()) slot.used = 0;
    const prev = active;
    active = this;
    this.running = true;
    try {
      return fn();
    } finally {
      active = prev;
      this.running = false;
      for (const [n, slot] of this.free) {
        if (slot.used === 0) this.free.delete(n);
        else slot.arrays.length = slot.used;
      }
      if (this.free.size !== this.lengths.length) {
        this.lengths.length = 0;
        for (const n of this.free.keys()) this.lengths.push(n);
        this.lengths.sort((a, b) => a - b);
      }
    }
  }

  /**
   * An array of n floats, valid until this pool's next run: zeroed, or with
   * `dirty` whatever it last held. One of exactly n floats when the pool has
   * one spare; else the front of the shortest spare array of up to 2n (so
   * work whose sizes shrink from run to run, such as a replay batch shorter
   * than the last, reuses the longer arrays instead of leaving them as
   * garbage); else a new one.
   */
  take(n: number, dirty = false): Float32Array {
    const exact = this.free.get(n);
    let a: Float32Array | undefined;
    if (exact !== undefined && exact.used < exact.arrays.length) a = exact.arrays[exact.used++]!;
    else {
      const ls = this.lengths;
      let lo = 0, hi = ls.length;
      while (lo < hi) { const mid = (lo + hi) >>> 1; if (ls[mid]! <= n) lo = mid + 1; else hi = mid; }
      for (let i = lo; i < ls.length && ls[i]! <= 2 * n; i++) {
        const slot = this.free.get(ls[i]!)!;
        if (slot.used < slot.arrays.length) { a = slot.arrays[slot.used++]!.subarray(0, n); break; }
      }
    }
    if (a !== undefined) {
      if (!dirty) a.fill(0);
      return a;
    }
    let slot = exact;
    if (slot === undefined) {
      this.free.set(n, (slot = { arrays: [], used: 0 }));
      const ls = this.lengths;
      let i = ls.length;
      ls.push(n);
      while (i > 0 && ls[i - 1]! > n) { ls[i] = ls[i - 1]!; i--; }
      ls[i] = n;
    }
    const fresh = new Float32Array(n);
    slot.arrays.push(fresh);
    slot.used++;
    return fresh;
  }

  /** Floats held, for diagnostics. */
  get heldFloats(): number {
    let s = 0;
    for (const [n, slot] of this.free) s += n * slot.arrays.length;
    return s;
  }
}

let active: ArrayPool | null = null;

/** A zeroed Float32Array of n elements: from the running pool, else new. */
export function floats(n: number): Float32Array {
  return active === null ? new Float32Array(n) : active.take(n);
}

/**
 * A Float32Array of n elements for a caller that writes every one of them
 * before reading any (an op's output): from the running pool without
 * zeroing it, else new.
 */
export function scratch(n: number): Float32Array {
  return active === null ? new Float32Array(n) : active.take(n, true);
}
