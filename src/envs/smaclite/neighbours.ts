// Radius queries over one faction's units (or all units), per plane, as
// SMAClite's neighbour finder answers them (env/rvo2/neighbour_finder.py, over
// scikit-learn KD-trees). The positions are a snapshot taken by update() at
// the end of each tick, as the trees are rebuilt then: a query during a tick
// sees where units stood when it began, and units that died in it. With at
// most 80 units a plane a KD-tree is a single leaf that returns points in
// insertion order, so a plain scan in id order gives the same lists.
//
// The lists and finders hold units (unit.ts's Unit) but read only what
// Placed names, so this file sits below unit.ts, which keeps its lists here.

import { PLANES, type Plane, planeIndex } from "./schema.ts";

/** What a finder reads of a unit: its position, its plane and the planes it can attack. */
export interface Placed {
  readonly x: number;
  readonly y: number;
  readonly planeIndex: number;
  readonly type: { readonly validTargets: ReadonlySet<Plane> };
}

/** Units with their distances, in query order; reused from tick to tick, so nothing is allocated per query. */
export class NeighbourList<U extends Placed> {
  readonly units: U[] = [];
  readonly dists: number[] = [];
  n = 0;
  clear(): void {
    this.n = 0;
  }
  push(u: U, d: number): void {
    this.units[this.n] = u;
    this.dists[this.n] = d;
    this.n++;
  }
}

interface PlaneList<U> {
  units: U[];
  xs: Float64Array;
  ys: Float64Array;
  n: number;
}

export class NeighbourFinder<U extends Placed> {
  // One list per plane, in PLANES order; positions in typed arrays, counts
  // instead of array lengths, so a snapshot allocates nothing.
  private readonly planes: PlaneList<U>[] = PLANES.map(() => ({ units: [], xs: new Float64Array(16), ys: new Float64Array(16), n: 0 }));

  /** `source` gives the live units this finder covers, in id order. */
  constructor(private readonly source: Map<number, U>) {}

  /** Snapshot the live units' positions; SMAClite skips this when none are left, keeping the old lists. */
  update(): void {
    if (this.source.size === 0) return;
    const planes = this.planes;
    for (const list of planes) list.n = 0;
    for (const u of this.source.values()) {
      const list = planes[u.planeIndex]!;
      if (list.n === list.xs.length) {
        const xs = new Float64Array(2 * list.n), ys = new Float64Array(2 * list.n);
        xs.set(list.xs);
        ys.set(list.ys);
        list.xs = xs;
        list.ys = ys;
      }
      list.units[list.n] = u;
      list.xs[list.n] = u.x;
      list.ys[list.n] = u.y;
      list.n++;
    }
  }

  /** Units of `plane` within `radius` of (x, y) (distance squared against radius squared, as scikit-learn tests), appended to `out`. */
  queryPlane(plane: Plane, x: number, y: number, radius: number, out: NeighbourList<U>): void {
    const list = this.planes[planeIndex(plane)]!;
    const r2 = radius * radius;
    const { units, xs, ys, n } = list;
    for (let i = 0; i < n; i++) {
      const dx = x - xs[i]!;
      const dy = y - ys[i]!;
      const d2 = dx * dx + dy * dy;
      if (d2 <= r2) out.push(units[i]!, Math.sqrt(d2));
    }
  }

  /** Every plane, into `out` (cleared first). */
  query(x: number, y: number, radius: number, out: NeighbourList<U>): NeighbourList<U> {
    out.clear();
    for (const p of PLANES) this.queryPlane(p, x, y, radius, out);
    return out;
  }

  /** The planes `unit` can attack (SMAClite's targetting mode), into `out` (cleared first). */
  queryTargets(unit: Placed, radius: number, out: NeighbourList<U>): void {
    out.clear();
    for (const p of PLANES) if (unit.type.validTargets.has(p)) this.queryPlane(p, unit.x, unit.y, radius, out);
  }
}
