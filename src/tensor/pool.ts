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
// bound (a 2s3z run reached 7.8 GB).

export class ArrayPool {
  // Arrays by length, and how many of each this run has handed out.
  private readonly free = new Map<number, { arrays: Float32Array[]; used: number }>();
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
    }
  }

  /** An array of n floats, valid until this pool's next run: zeroed, or with `dirty` whatever it last held. */
  take(n: number, dirty = false): Float32Array {
    let slot = this.free.get(n);
    if (slot === undefined) this.free.set(n, (slot = { arrays: [], used: 0 }));
    if (slot.used < slot.arrays.length) {
      const a = slot.arrays[slot.used++]!;
      if (!dirty) a.fill(0);
      return a;
    }
    const a = new Float32Array(n);
    slot.arrays.push(a);
    slot.used++;
    return a;
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
