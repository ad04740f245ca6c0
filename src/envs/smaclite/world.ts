// The battle itself: placing the armies, and one world tick in SMAClite's
// order (env/smaclite.py, __world_step): clean up targets; the scripted
// enemies look for targets; every unit prepares a velocity; collision
// avoidance adjusts them all; then, in a freshly shuffled order, each unit
// moves and acts; the dead are removed and the neighbour lists rebuilt.

import { AttackMoveCommand } from "./commands.ts";
import { NeighbourFinder, NeighbourList } from "./neighbours.ts";
import { obstaclesFromTerrain, type Obstacle } from "./obstacles.ts";
import { avoidCollisions } from "./orca.ts";
import type { Faction, GroupSpec, MapSpec, UnitType } from "./schema.ts";
import { type TickContext, Unit } from "./unit.ts";

// SMAClite's constants (env/smaclite.py).
export const REWARD_WIN = 200;
export const REWARD_KILL = 10;
const GROUP_BUFFER = 0.05;
/** Where an attack-mover's search reaches beyond its target's edge: SMAClite writes 2e9 for "attacking me, wherever". */
const ATTACKER_DISTANCE = 2e9;

/** The order units act in within a tick; SMAClite shuffles them every tick. */
export interface UnitOrder {
  /** Permute `units` in place. */
  shuffle(units: Unit[]): void;
}

const NO_OBSTACLES: readonly Obstacle[] = [];

export class Battle {
  /** Live units by id in faction, in placement order. */
  readonly allies = new Map<number, Unit>();
  readonly enemies = new Map<number, Unit>();
  /** Live units by id. */
  readonly units = new Map<number, Unit>();
  readonly allyFinder = new NeighbourFinder<Unit>(this.allies);
  readonly enemyFinder = new NeighbourFinder<Unit>(this.enemies);
  readonly allFinder = new NeighbourFinder<Unit>(this.units);
  readonly obstacles: readonly Obstacle[];
  readonly maxRadius: number;
  /** Every enemy's hp and shield, a kill bonus each, and the win bonus: the reward scale. */
  maxReward = 0;
  private readonly shuffled: Unit[] = [];
  private readonly near = new NeighbourList<Unit>();
  private readonly toEnemies: TickContext;
  private readonly toAllies: TickContext;

  constructor(readonly map: MapSpec) {
    this.obstacles = obstaclesFromTerrain(map.walkable, map.width, map.height);
    this.maxRadius = Math.max(...map.groups.flatMap((g) => g.units.map(([t]) => t.radius)));
    this.toEnemies = { finder: this.enemyFinder, maxRadius: this.maxRadius, scratch: new NeighbourList<Unit>() };
    this.toAllies = { finder: this.allyFinder, maxRadius: this.maxRadius, scratch: new NeighbourList<Unit>() };
  }

  reset(): void {
    this.allies.clear();
    this.enemies.clear();
    this.units.clear();
    for (const g of this.map.groups) this.place(g);
    this.allyFinder.update();
    this.enemyFinder.update();
    this.allFinder.update();
    let total = 0;
    for (const e of this.enemies.values()) total += e.hp + e.shield;
    this.maxReward = this.map.nEnemies * REWARD_KILL + REWARD_WIN + total;
    const [ax, ay] = this.map.attackPoint;
    for (const e of this.enemies.values()) if (e.hp > 0) e.command = new AttackMoveCommand(ax, ay);
  }

  /**
   * A group stands in a square grid of rows, centred on its point; enemies
   * are laid out mirrored, so equal groups face each other symmetrically.
   */
  private place(g: GroupSpec): void {
    const types: UnitType[] = [];
    for (const [t, n] of g.units) for (let i = 0; i < n; i++) types.push(t);
    const side = Math.ceil(Math.sqrt(types.length));
    const grid: (UnitType | null)[][] = Array.from({ length: side }, () => new Array<UnitType | null>(side).fill(null));
    types.forEach((t, i) => (grid[Math.floor(i / side)]![i % side] = t));
    const rowRadii = grid.map((row) => Math.max(...row.map((u) => (u ? u.radius : 0))));
    let sumRadii = 0;
    for (const r of rowRadii) sumRadii += r;
    const groupHeight = 2 * sumRadii + (side - 1) * GROUP_BUFFER;
    let groupWidth = -Infinity;
    for (const row of grid) {
      let w = 0;
      for (const u of row) w += u ? u.size : 0;
      groupWidth = Math.max(groupWidth, w);
    }
    const m = g.faction === "ALLY" ? 1 : -1;
    const x0 = g.x - (m * groupWidth) / 2;
    let y = g.y - (m * groupHeight) / 2;
    let prevRowHeight = 0;
    grid.forEach((row, i) => {
      let x = x0;
      y += m * (prevRowHeight + rowRadii[i]!);
      prevRowHeight = rowRadii[i]!;
      let prevUnitWidth = 0;
      for (const t of row) {
        if (t === null) continue;
        x += m * (prevUnitWidth + t.radius);
        prevUnitWidth = t.radius;
        this.add(t, g.faction, x, y);
        x += m * GROUP_BUFFER;
      }
      y += m * GROUP_BUFFER;
    });
  }

  private add(t: UnitType, faction: Faction, x: number, y: number): void {
    const own = faction === "ALLY" ? this.allies : this.enemies;
    const u = new Unit(t, faction, Math.fround(x), Math.fround(y), this.units.size, own.size);
    this.units.set(u.id, u);
    own.set(u.idInFaction, u);
  }

  /** One world tick; returns the reward the allies' attacks earned in it. */
  tick(order: UnitOrder): number {
    for (const u of this.units.values()) {
      u.hit = false;
      u.potentialTargets.clear();
      u.priorityTargets.clear();
      u.prevTarget = u.target;
      u.command!.cleanUpTarget(u);
    }
    this.findTargets();
    for (const u of this.units.values()) u.command!.prepareVelocity(u);
    const near = this.near;
    for (const u of this.units.values()) {
      near.clear();
      this.allFinder.queryPlane(u.plane, u.x, u.y, this.maxRadius + u.radius, near);
      avoidCollisions(u, near, u.plane === "GROUND" ? this.obstacles : NO_OBSTACLES);
    }
    const shuffled = this.shuffled;
    shuffled.length = 0;
    for (const u of this.units.values()) shuffled.push(u);
    order.shuffle(shuffled);
    const { toEnemies, toAllies } = this;
    let reward = 0;
    for (const u of shuffled) {
      if (u.hp === 0) continue; // killed earlier in this tick
      u.advance();
      // fighters strike the other side, healers their own
      reward += u.command!.execute(u, (u.faction === "ALLY") !== u.type.healer ? toEnemies : toAllies);
    }
    this.removeDead();
    this.allFinder.update();
    this.allyFinder.update();
    this.enemyFinder.update();
    return reward;
  }

  /** The scripted enemies' candidates: what is near, who attacks them, and, against a team with a healer, whom to switch to. */
  private findTargets(): void {
    const r = this.maxRadius;
    let attackMoving = false;
    for (const e of this.enemies.values()) {
      if (!e.type.healer && e.target === null) {
        this.allyFinder.queryTargets(e, e.type.minimumScanRange + r, e.potentialTargets);
        attackMoving = true;
      }
    }
    if (attackMoving) {
      for (const a of this.allies.values()) {
        if (a.target !== null && a.target.type.validTargets.has(a.plane)) a.target.potentialTargets.push(a, ATTACKER_DISTANCE);
      }
    }
    for (const e of this.enemies.values()) {
      if (e.type.healer && e.target === null) this.enemyFinder.queryTargets(e, e.type.minimumScanRange + r, e.potentialTargets);
    }
    let allyHealer = false;
    for (const a of this.allies.values()) if (a.type.healer) allyHealer = true;
    if (allyHealer) {
      for (const e of this.enemies.values()) {
        if (!e.type.healer && e.target !== null && !e.target.type.healer) this.allyFinder.queryTargets(e, e.type.minimumScanRange + r, e.priorityTargets);
      }
    }
  }

  private removeDead(): void {
    // By values and the unit's own keys: entries() would make a [key, unit] pair per unit per tick.
    for (const u of this.units.values()) {
      if (u.hp !== 0) continue;
      this.units.delete(u.id);
      (u.faction === "ALLY" ? this.allies : this.enemies).delete(u.idInFaction);
    }
  }
}
