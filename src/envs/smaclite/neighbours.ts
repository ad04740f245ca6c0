// Radius queries over one faction's units (or all units), per plane, as
// SMAClite's neighbour finder answers them (env/rvo2/neighbour_finder.py, over
// scikit-learn KD-trees). The positions are a snapshot taken by update() at
// the end of each tick, as the trees are rebuilt then: a query during a tick
// sees where units stood when it began, and units that died in it. With at
// most 80 units a plane a KD-tree is a single leaf that returns points in
// insertion order, so a plain scan in id order gives the same lists.

import { PLANES, type Plane } from "./schema.ts";
import type { Neighbour, Unit } from "./unit.ts";

interface PlaneList {
  units: Unit[];
  xs: number[];
  ys: number[];
}

export class NeighbourFinder {
  private planes = new Map<Plane, PlaneList>();

  /** `source` gives the live units this finder covers, in id order. */
  constructor(private readonly source: () => Iterable<Unit>) {}

  /** Snapshot the live units' positions; SMAClite skips this when none are left, keeping the old lists. */
  update(): void {
    const units = [...this.source()];
    if (units.length === 0) return;
    this.planes.clear();
    for (const u of units) {
      let list = this.planes.get(u.plane);
      if (list === undefined) this.planes.set(u.plane, (list = { units: [], xs: [], ys: [] }));
      list.units.push(u);
      list.xs.push(u.x);
      list.ys.push(u.y);
    }
  }

  /** Units of `plane` within `radius` of (x, y), with their distances, appended to `out`. */
  queryPlane(plane: Plane, x: number, y: number, radius: number, out: Neighbour[]): void {
    const list = this.planes.get(plane);
    if (list === undefined) return;
    const r2 = radius * radius;
    const { units, xs, ys } = list;
    for (let i = 0; i < units.length; i++) {
      const dx = x - xs[i]!;
      const dy = y - ys[i]!;
      const d2 = dx * dx + dy * dy;
      if (d2 <= r2) out.push([units[i]!, Math.sqrt(d2)]);
    }
  }

  /** Every plane. */
  query(x: number, y: number, radius: number): Neighbour[] {
    const out: Neighbour[] = [];
    for (const p of PLANES) this.queryPlane(p, x, y, radius, out);
    return out;
  }

  /** The planes `unit` can attack (SMAClite's targetting mode). */
  queryTargets(unit: Unit, radius: number): Neighbour[] {
    const out: Neighbour[] = [];
    for (const p of PLANES) if (unit.type.validTargets.has(p)) this.queryPlane(p, unit.x, unit.y, radius, out);
    return out;
  }
}
