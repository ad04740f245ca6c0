// What a unit has been told to do, and how each order plays out in a tick's
// three phases (SMAClite's env/units/unit_command.py): clean up the target,
// prepare the wanted velocity, execute (attack, heal, or nothing). The agents'
// actions become attack, move, stop and no-op orders; the scripted enemy
// attack-moves towards a point, picking targets on the way.

import type { NeighbourList } from "./neighbours.ts";
import { strike } from "./targeters.ts";
import type { Command, TickContext, Unit } from "./unit.ts";

/**
 * Head for (x, y) at full speed. `chase` marks a target unit's own float32
 * position: SMAClite then computes the offset, its length and the velocity in
 * float32, where a fixed point makes them float64.
 */
function headFor(unit: Unit, x: number, y: number, chase: boolean): void {
  unit.prefVx = 0;
  unit.prefVy = 0;
  unit.pref32 = false;
  if (unit.type.speed === 0) return;
  let v = unit.type.speed;
  if (unit.type.healer) {
    // healers keep pace with the slowest unit around them rather than overtake it
    const p = unit.potentialTargets;
    for (let i = 0; i < p.n; i++) v = Math.min(v, p.units[i]!.type.speed);
  }
  if (chase) {
    const f = Math.fround;
    const dx = f(x - unit.x);
    const dy = f(y - unit.y);
    const d = f(Math.sqrt(f(f(dx * dx) + f(dy * dy))));
    if (d === 0) return;
    const v32 = f(v);
    unit.prefVx = f(f(dx * v32) / d);
    unit.prefVy = f(f(dy * v32) / d);
    unit.pref32 = true;
  } else {
    const dx = x - unit.x;
    const dy = y - unit.y;
    const d = Math.sqrt(dx * dx + dy * dy);
    if (d === 0) return;
    unit.prefVx = (dx * v) / d;
    unit.prefVy = (dy * v) / d;
  }
}

function stand(unit: Unit): void {
  unit.prefVx = 0;
  unit.prefVy = 0;
  unit.pref32 = false;
}

/** Close in on `target` until it is in range, then stand and fire when the weapon is ready. */
function prepareAttack(unit: Unit, target: Unit): void {
  if (!unit.withinAttackRange(target) || !unit.type.validTargets.has(target.plane)) {
    headFor(unit, target.x, target.y, true);
    return;
  }
  unit.attacking = true;
  stand(unit);
}

function executeAttack(unit: Unit, target: Unit, ctx: TickContext): number {
  if (!unit.attacking) return 0;
  unit.attacking = false;
  if (unit.cooldown > 0) return 0;
  unit.cooldown = unit.maxCooldown;
  return strike(unit, target, ctx);
}

export class AttackUnitCommand implements Command {
  readonly kind = "attack";
  constructor(readonly target: Unit) {}
  cleanUpTarget(unit: Unit): void {
    unit.target = this.target.hp > 0 ? this.target : null;
  }
  prepareVelocity(unit: Unit): void {
    prepareAttack(unit, this.target);
  }
  execute(unit: Unit, ctx: TickContext): number {
    return executeAttack(unit, this.target, ctx);
  }
}

export class MoveCommand implements Command {
  readonly kind = "move";
  constructor(readonly x: number, readonly y: number) {}
  cleanUpTarget(unit: Unit): void {
    unit.target = null;
  }
  prepareVelocity(unit: Unit): void {
    headFor(unit, this.x, this.y, false);
  }
  execute(): number {
    return 0;
  }
}

export class StopCommand implements Command {
  readonly kind = "stop";
  cleanUpTarget(unit: Unit): void {
    unit.target = null;
  }
  prepareVelocity(unit: Unit): void {
    stand(unit);
  }
  execute(unit: Unit): number {
    unit.target = null;
    return 0;
  }
}

export class NoopCommand implements Command {
  readonly kind = "noop";
  cleanUpTarget(unit: Unit): void {
    unit.target = null;
  }
  prepareVelocity(unit: Unit): void {
    stand(unit);
  }
  execute(): number {
    return 0;
  }
}

/**
 * The scripted enemy: walk to a point, and attack what comes near on the way.
 * A target is kept while it lives and is in range, or while it attacks back;
 * a new one is the nearest candidate, healers first (CombatType priority).
 */
export class AttackMoveCommand implements Command {
  readonly kind = "attackMove";
  constructor(readonly x: number, readonly y: number) {}

  cleanUpTarget(unit: Unit): void {
    const t = unit.target;
    if (t === null) return;
    if (t.hp === 0) {
      unit.target = null;
      return;
    }
    if (t.target === unit) return;
    if (!unit.withinAttackRange(t)) unit.target = null;
  }

  prepareVelocity(unit: Unit): void {
    if (unit.target === null) {
      const pick = unit.type.healer ? pickHealTarget(unit) : pickDamageTarget(unit, unit.potentialTargets);
      if (pick === null) {
        headFor(unit, this.x, this.y, false);
        return;
      }
      unit.target = pick;
    } else if (!unit.type.healer && unit.priorityTargets.n > 0) {
      const pick = pickDamageTarget(unit, unit.priorityTargets);
      if (pick !== null) unit.target = pick;
    }
    prepareAttack(unit, unit.target);
  }

  execute(unit: Unit, ctx: TickContext): number {
    if (unit.target === null) return 0;
    return executeAttack(unit, unit.target, ctx);
  }
}

/** Nearest live candidate within scan range or attacking `unit`; healers (priority 0) before fighters. */
function pickDamageTarget(unit: Unit, candidates: NeighbourList<Unit>): Unit | null {
  let best: Unit | null = null;
  let bestPriority = Infinity;
  let bestD = Infinity;
  for (let i = 0; i < candidates.n; i++) {
    const u = candidates.units[i]!, d = candidates.dists[i]!;
    if (!(u.hp > 0 && (d < unit.type.minimumScanRange + u.radius || u.target === unit))) continue;
    const priority = u.type.healer ? 0 : 1;
    // strict comparison keeps the first of equal keys, as Python's min does
    if (priority < bestPriority || (priority === bestPriority && d < bestD)) {
      best = u;
      bestPriority = priority;
      bestD = d;
    }
  }
  return best;
}

/** The most hurt candidate in range that is hurt or busy fighting. */
function pickHealTarget(unit: Unit): Unit | null {
  let best: Unit | null = null;
  const p = unit.potentialTargets;
  for (let i = 0; i < p.n; i++) {
    const u = p.units[i]!, d = p.dists[i]!;
    if (!(u.hp > 0 && d < unit.type.minimumScanRange + u.radius && (u.hp < u.maxHp || u.target !== null))) continue;
    if (best === null || u.hp < best.hp) best = u;
  }
  return best;
}
