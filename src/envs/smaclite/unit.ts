// One unit on the battlefield: its state and what happens to it in one world
// tick (moving, cooldowns, shield and energy regeneration, taking damage,
// healing), in SMAClite's order (env/units/unit.py). Positions are float32 in
// SMAClite, so every move is rounded to float32 (Math.fround); hit points,
// cooldowns and rewards are float64 there as here.
//
// A unit holds its order as a Command, whose contract is written here and
// whose kinds are in commands.ts; the four files import in one direction:
// neighbours.ts, then this file, then targeters.ts, then commands.ts.

import { type NeighbourFinder, NeighbourList } from "./neighbours.ts";
import { type Faction, type Plane, type UnitType, planeIndex } from "./schema.ts";

export const TICKS_PER_SECOND = 16;
export const GAME_TICK_TIME = 1 / TICKS_PER_SECOND;
// SMAClite's constants (env/units/unit.py).
const SHIELD_PER_SECOND = 2;
const SHIELD_COOLDOWN_AFTER_HIT = 10;
const HEAL_PER_SECOND = 9;
const HEAL_PER_ENERGY = 3;
const ENERGY_PER_SECOND = 0.5625;
const KILL_REWARD = 10;

export class Unit {
  readonly maxHp: number;
  readonly maxShield: number;
  readonly maxEnergy: number;
  readonly maxCooldown: number;
  readonly radius: number;
  readonly plane: Plane;
  /** planeIndex(plane), for the neighbour finders' per-plane lists. */
  readonly planeIndex: number;
  hp: number;
  shield: number;
  energy: number;
  healingAvailable = 0;
  cooldown = 0;
  shieldCooldown = 0;
  vx = 0;
  vy = 0;
  /**
   * Whether SMAClite holds the velocity as a float32 array (else float64):
   * numpy's promotion rules then decide how every later step rounds, so a
   * faithful port carries the type along (see orca.ts).
   */
  v32 = true;
  /** The velocity collision avoidance chose for this tick. */
  nextVx = 0;
  nextVy = 0;
  next32 = false;
  /** The velocity the command asks for, before collision avoidance. */
  prefVx = 0;
  prefVy = 0;
  pref32 = false;
  command: Command | null = null;
  target: Unit | null = null;
  prevTarget: Unit | null = null;
  attacking = false;
  /** Set when damage reached the unit this tick (for pictures). */
  hit = false;
  /** Attack-move candidates (unit, distance) gathered each tick. */
  readonly potentialTargets = new NeighbourList<Unit>();
  readonly priorityTargets = new NeighbourList<Unit>();

  constructor(
    readonly type: UnitType,
    readonly faction: Faction,
    public x: number,
    public y: number,
    readonly id: number,
    readonly idInFaction: number,
  ) {
    this.maxHp = type.hp;
    this.maxShield = type.shield;
    this.maxEnergy = type.energy;
    this.maxCooldown = type.cooldown;
    this.radius = type.radius;
    this.plane = type.plane;
    this.planeIndex = planeIndex(type.plane);
    this.hp = type.hp;
    this.shield = type.shield;
    this.energy = type.startingEnergy;
  }

  /** Move by this tick's velocity, then let time pass for cooldowns and regeneration. */
  advance(): void {
    this.vx = this.nextVx;
    this.vy = this.nextVy;
    this.v32 = this.next32;
    this.x = Math.fround(this.x + this.vx * GAME_TICK_TIME);
    this.y = Math.fround(this.y + this.vy * GAME_TICK_TIME);
    if (this.cooldown > 0) this.cooldown = Math.max(0, this.cooldown - GAME_TICK_TIME);
    if (this.shieldCooldown > 0) this.shieldCooldown = Math.max(this.shieldCooldown - GAME_TICK_TIME, 0);
    if (this.shieldCooldown === 0 && this.shield < this.maxShield) {
      this.shield = Math.min(this.shield + SHIELD_PER_SECOND / TICKS_PER_SECOND, this.maxShield);
    }
    if (this.energy < this.maxEnergy) this.energy = Math.min(this.energy + ENERGY_PER_SECOND / TICKS_PER_SECOND, this.maxEnergy);
    if (this.type.hpRegen && this.hp < this.maxHp) this.hp = Math.min(this.hp + this.type.hpRegen / TICKS_PER_SECOND, this.maxHp);
  }

  withinAttackRange(target: Unit): boolean {
    return pointInsideCircle(this.x, this.y, target.x, target.y, this.type.attackRange + target.radius + this.radius);
  }

  /** One attack's damage (with attribute bonuses) `attacks` times; the reward it earns. */
  dealDamage(target: Unit): number {
    let damage = this.type.damage;
    for (const [attribute, amount] of this.type.bonuses) if (target.type.attributes.has(attribute)) damage += amount;
    let reward = 0;
    for (let i = 0; i < this.type.attacks; i++) reward += target.takeDamage(damage);
    return reward;
  }

  /** Shields absorb first, armour reduces what passes; only enemies' losses are rewarded. */
  takeDamage(amount: number): number {
    this.hit = true;
    if (this.hp === 0) return 0;
    if (this.maxShield > 0) this.shieldCooldown = SHIELD_COOLDOWN_AFTER_HIT;
    let reward = 0;
    if (this.shield > 0) {
      const shielded = Math.min(amount, this.shield);
      this.shield -= shielded;
      amount -= shielded;
      reward += shielded;
    }
    const dealt = Math.max(0, Math.min(amount - this.type.armor, this.hp));
    this.hp -= dealt;
    reward += dealt;
    if (this.faction === "ALLY") return 0;
    if (this.hp === 0) reward += KILL_REWARD;
    return reward;
  }

  /**
   * Medivac healing: energy buys healing in units of HEAL_PER_ENERGY, at most
   * HEAL_PER_SECOND per second. A new target needs 5 energy; a full one is dropped.
   */
  heal(target: Unit): void {
    if ((this.prevTarget !== this.target && this.energy < 5) || target.hp === target.maxHp) {
      this.target = null;
      return;
    }
    const desired = Math.min(target.maxHp - target.hp, HEAL_PER_SECOND / TICKS_PER_SECOND);
    if (this.healingAvailable < desired) {
      const spent = Math.min(1, this.energy);
      this.energy -= spent;
      this.healingAvailable += spent * HEAL_PER_ENERGY;
    }
    const amount = Math.min(desired, this.healingAvailable);
    this.healingAvailable -= amount;
    target.hp += amount;
  }
}

/** What a unit's attack may search in a tick: the finder (enemies for fighters, allies for healers) and a scratch list. */
export interface TickContext {
  /** The finder a unit's attacks search (enemies for fighters, allies for healers). */
  finder: NeighbourFinder<Unit>;
  maxRadius: number;
  /** Scratch list for the blast and beam queries. */
  scratch: NeighbourList<Unit>;
}

/** What a unit has been told to do, played out in a tick's three phases (the kinds are in commands.ts). */
export interface Command {
  readonly kind: "noop" | "stop" | "move" | "attack" | "attackMove";
  cleanUpTarget(unit: Unit): void;
  prepareVelocity(unit: Unit): void;
  execute(unit: Unit, ctx: TickContext): number;
}

/**
 * Whether (px, py) lies within `radius` of (cx, cy), as SMAClite decides it:
 * the offsets in float32; a box test against the radius rounded to float32
 * (numpy casts a Python float to an array's float32), then a diamond test
 * and the squared distance, each a float32 scalar compared in float64.
 */
export function pointInsideCircle(px: number, py: number, cx: number, cy: number, radius: number): boolean {
  const f = Math.fround;
  const dx = Math.abs(f(px - cx));
  const dy = Math.abs(f(py - cy));
  const r32 = f(radius);
  if (dx > r32 || dy > r32) return false;
  if (f(dx + dy) <= radius) return true;
  return f(f(dx * dx) + f(dy * dy)) <= radius * radius;
}
