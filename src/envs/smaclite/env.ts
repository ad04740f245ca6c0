// SMAC's interface over a SMAClite battle, as pymarl sees it: per-agent
// observations, the global state with the agents' last actions, available
// actions (no-op for the dead; stop; north, south, east, west; one attack or
// heal per target), the reward scaled so a perfect battle earns 20, and SMAC's
// episode limit as a time-limit truncation. Feature layouts follow SMAClite's
// env/smaclite.py exactly, its quirks included.

import type { Decisions, MultiAgentEnv, StepResult } from "../env.ts";
import { Rng } from "../../tensor/random.ts";
import { AttackUnitCommand, MoveCommand, NoopCommand, StopCommand } from "./commands.ts";
import type { MapSpec } from "./schema.ts";
import { type Command, pointInsideCircle, type Unit } from "./unit.ts";
import { NeighbourList } from "./neighbours.ts";
import { Battle, REWARD_WIN, type UnitOrder } from "./world.ts";
import { renderBattleText } from "./render.ts";

export const STEP_MUL = 8;
const SIGHT_RANGE = 9;
const TARGET_RANGE = 6;
const MOVE_AMOUNT = 2;
/** North, south, east, west: actions 2 to 5. */
const DIRECTIONS: readonly (readonly [number, number])[] = [[0, 1], [0, -1], [1, 0], [-1, 0]];

/** The default unit order: a Fisher-Yates shuffle from the environment's own generator. */
export class SeededOrder implements UnitOrder {
  constructor(public rng: Rng) {}
  shuffle(units: Unit[]): void {
    for (let i = units.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      const t = units[i]!;
      units[i] = units[j]!;
      units[j] = t;
    }
  }
}

export interface SmacliteOptions {
  /** Where the per-tick unit order comes from (a recorded trace, say); default: the seeded generator. */
  unitOrder?: UnitOrder;
  seed?: number;
}

export class SmacliteEnv implements MultiAgentEnv {
  readonly name: string;
  readonly nAgents: number;
  readonly nEnemies: number;
  readonly nActions: number;
  readonly obsDim: number;
  readonly stateDim: number;
  /** The state ends with the last joint action, one-hot (SMAC's state_last_action). */
  readonly stateLastAction: number;
  readonly episodeLimit: number;
  readonly battle: Battle;
  readonly enemyFeatSize: number;
  readonly allyFeatSize: number;
  readonly allyStateFeatSize: number;
  readonly enemyStateFeatSize: number;
  private rng: Rng;
  private order: UnitOrder;
  private lastActions: Int32Array;
  private steps = 0;
  private over = false;
  private obsCache: Float32Array | null = null;
  private readonly seenAllies = new NeighbourList<Unit>();
  private readonly seenEnemies = new NeighbourList<Unit>();

  constructor(readonly map: MapSpec, options: SmacliteOptions = {}) {
    this.name = `smaclite/${map.name}`;
    this.nAgents = map.nAllies;
    this.nEnemies = map.nEnemies;
    let healers = 0;
    for (const g of map.groups) if (g.faction === "ALLY") for (const [t, n] of g.units) if (t.healer) healers += n;
    // SMAClite's assumption: a healer may heal any ally but another healer
    this.nActions = 6 + (healers > 0 ? Math.max(this.nAgents - healers, this.nEnemies) : this.nEnemies);
    const T = map.numUnitTypes;
    this.enemyFeatSize = 5 + Number(map.enemyHasShields) + T;
    this.allyFeatSize = 5 + Number(map.allyHasShields) + T;
    this.obsDim = 4 + this.nEnemies * this.enemyFeatSize + (this.nAgents - 1) * this.allyFeatSize + 1 + Number(map.allyHasShields) + T;
    this.allyStateFeatSize = 4 + Number(map.allyHasShields) + T;
    this.enemyStateFeatSize = 3 + Number(map.enemyHasShields) + T;
    this.stateLastAction = this.nAgents * this.allyStateFeatSize + this.nEnemies * this.enemyStateFeatSize;
    this.stateDim = this.stateLastAction + this.nAgents * this.nActions;
    this.episodeLimit = map.episodeLimit;
    this.battle = new Battle(map);
    this.rng = new Rng(options.seed ?? 0);
    this.order = options.unitOrder ?? new SeededOrder(this.rng);
    this.lastActions = new Int32Array(this.nAgents);
    this.reset();
  }

  reset(seed?: number): void {
    if (seed !== undefined) {
      this.rng = new Rng(seed);
      if (this.order instanceof SeededOrder) this.order.rng = this.rng;
    }
    this.battle.reset();
    this.lastActions.fill(-1);
    this.steps = 0;
    this.over = false;
    this.obsCache = null;
  }

  step(actions: ArrayLike<number>): StepResult {
    if (this.over) throw new Error(`${this.name}.step: the episode is over; call reset() first`);
    this.checkActions(actions);
    const { allies, enemies } = this.battle;
    for (let i = 0; i < this.nAgents; i++) {
      this.lastActions[i] = actions[i]!;
      const agent = allies.get(i);
      if (agent !== undefined) agent.command = this.command(agent, actions[i]!);
    }
    let reward = 0;
    for (let k = 0; k < STEP_MUL; k++) reward += this.battle.tick(this.order);
    const won = enemies.size === 0;
    if (won) reward += REWARD_WIN;
    const terminated = won || allies.size === 0;
    reward /= this.battle.maxReward / 20;
    this.steps++;
    const truncated = !terminated && this.steps >= this.episodeLimit;
    this.over = terminated || truncated;
    this.obsCache = null;
    return {
      reward, terminated, truncated,
      info: {
        battle_won: won,
        dead_allies: this.nAgents - allies.size,
        dead_enemies: this.nEnemies - enemies.size,
        episode_limit: truncated,
      },
    };
  }

  private command(unit: Unit, action: number): Command {
    if (action === 0) return new NoopCommand();
    if (action === 1) return new StopCommand();
    if (action <= 5) {
      const [dx, dy] = DIRECTIONS[action - 2]!;
      return new MoveCommand(unit.x + dx * MOVE_AMOUNT, unit.y + dy * MOVE_AMOUNT);
    }
    const side = unit.type.healer ? this.battle.allies : this.battle.enemies;
    return new AttackUnitCommand(side.get(action - 6)!);
  }

  private checkActions(actions: ArrayLike<number>): void {
    if (actions === null || typeof actions !== "object" || actions.length !== this.nAgents) {
      throw new Error(`${this.name}.step: expected ${this.nAgents} actions (one per agent), got ${actions === null || typeof actions !== "object" ? String(actions) : `${actions.length}`}`);
    }
    const avail = this.getAvailActions();
    for (let i = 0; i < this.nAgents; i++) {
      const a = actions[i]!;
      const row = avail.subarray(i * this.nActions, (i + 1) * this.nActions);
      if (!Number.isInteger(a) || a < 0 || a >= this.nActions || row[a] !== 1) {
        const ok = [...row.keys()].filter((k) => row[k] === 1);
        const dead = !this.battle.allies.has(i);
        throw new Error(
          `${this.name}.step: agent ${i}${dead ? " is dead and" : ""} cannot take action ${a}; available: [${ok.join(", ")}]` +
            ` (0 no-op, 1 stop, 2-5 north/south/east/west, ${this.nActions > 6 ? `6-${this.nActions - 1} ${this.isHealer(i) ? "heal ally" : "attack enemy"} 0-${this.nActions - 7}` : "no targets"})`,
        );
      }
    }
  }

  private isHealer(i: number): boolean {
    return this.battle.allies.get(i)?.type.healer === true;
  }

  getAvailActions(): Uint8Array {
    const out = new Uint8Array(this.nAgents * this.nActions);
    for (let i = 0; i < this.nAgents; i++) {
      const unit = this.battle.allies.get(i);
      const row = out.subarray(i * this.nActions, (i + 1) * this.nActions);
      if (unit === undefined) {
        row[0] = 1;
        continue;
      }
      this.unitAvail(unit, null, row);
    }
    return out;
  }

  /** Stop, the moves the terrain allows, and targets in range: from the visible list with its distances, or all live targets. */
  private unitAvail(unit: Unit, visible: NeighbourList<Unit> | null, row: Uint8Array): void {
    row[1] = 1;
    for (let d = 0; d < 4; d++) row[2 + d] = this.canMove(unit, d) ? 1 : 0;
    if (visible !== null) {
      for (let i = 0; i < visible.n; i++) {
        const t = visible.units[i]!, dist = visible.dists[i]!;
        if (t === unit) continue;
        row[6 + t.idInFaction] = t.hp === 0 || unit.hp === 0 ? 0 : dist <= TARGET_RANGE ? 1 : 0;
      }
      return;
    }
    const side = unit.type.healer ? this.battle.allies : this.battle.enemies;
    for (const t of side.values()) {
      if (t === unit || (unit.type.healer && t.type.healer)) continue;
      row[6 + t.idInFaction] = t.hp === 0 || unit.hp === 0 ? 0 : pointInsideCircle(t.x, t.y, unit.x, unit.y, TARGET_RANGE) ? 1 : 0;
    }
  }

  /** Whether a step of half a move's length stays on walkable ground (SMAClite checks y against the width and x against the height). */
  private canMove(unit: Unit, d: number): boolean {
    const [dx, dy] = DIRECTIONS[d]!;
    const nx = unit.x + dx * (MOVE_AMOUNT / 2);
    const ny = unit.y + dy * (MOVE_AMOUNT / 2);
    const { width, height, walkable } = this.map;
    if (!(ny >= 0 && ny < width && nx >= 0 && nx < height)) return false;
    const cx = Math.trunc(nx);
    const cy = Math.trunc(ny);
    return cx < width && cy < height && walkable[cy * width + cx] === 1;
  }

  getObs(): Float32Array {
    if (this.obsCache !== null) return this.obsCache;
    const obs = new Float32Array(this.nAgents * this.obsDim);
    const { allyFinder, enemyFinder, allies } = this.battle;
    const typeIds = this.map.unitTypeIds;
    const T = this.map.numUnitTypes;
    const avail = new Uint8Array(this.nActions);
    for (const unit of allies.values()) {
      const o = obs.subarray(unit.idInFaction * this.obsDim, (unit.idInFaction + 1) * this.obsDim);
      const seenAllies = allyFinder.query(unit.x, unit.y, SIGHT_RANGE, this.seenAllies);
      const seenEnemies = enemyFinder.query(unit.x, unit.y, SIGHT_RANGE, this.seenEnemies);
      avail.fill(0);
      this.unitAvail(unit, unit.type.healer ? seenAllies : seenEnemies, avail);
      for (let d = 0; d < 4; d++) o[d] = avail[2 + d]!;
      const f = Math.fround;
      let base0 = 4;
      for (let i = 0; i < seenEnemies.n; i++) {
        const e = seenEnemies.units[i]!, dist = seenEnemies.dists[i]!;
        if (e.hp === 0) continue;
        let b = base0 + e.idInFaction * this.enemyFeatSize;
        // for a healer this is the heal action of the ally with the enemy's index, as in SMAClite
        o[b] = avail[6 + e.idInFaction]!;
        o[b + 1] = dist / SIGHT_RANGE;
        o[b + 2] = f(e.x - unit.x) / SIGHT_RANGE;
        o[b + 3] = f(e.y - unit.y) / SIGHT_RANGE;
        o[b + 4] = e.hp / e.maxHp;
        b += 5;
        if (this.map.enemyHasShields) o[b++] = e.shield / e.maxShield;
        if (T) o[b + typeIds.get(e.type.name)!] = 1;
      }
      base0 += this.nEnemies * this.enemyFeatSize;
      for (let i = 0; i < seenAllies.n; i++) {
        const a = seenAllies.units[i]!, dist = seenAllies.dists[i]!;
        if (a === unit || a.hp === 0) continue;
        let b = base0 + (a.idInFaction - (a.idInFaction > unit.idInFaction ? 1 : 0)) * this.allyFeatSize;
        o[b] = 1;
        o[b + 1] = dist / SIGHT_RANGE;
        o[b + 2] = f(a.x - unit.x) / SIGHT_RANGE;
        o[b + 3] = f(a.y - unit.y) / SIGHT_RANGE;
        o[b + 4] = a.hp / a.maxHp;
        b += 5;
        if (this.map.allyHasShields) o[b++] = a.shield / a.maxShield;
        if (T) o[b + typeIds.get(a.type.name)!] = 1;
      }
      let b = base0 + (this.nAgents - 1) * this.allyFeatSize;
      o[b++] = unit.hp / unit.maxHp;
      if (this.map.allyHasShields) o[b++] = unit.shield / unit.maxShield;
      if (T) o[b + typeIds.get(unit.type.name)!] = 1;
    }
    this.obsCache = obs;
    return obs;
  }

  getState(): Float32Array {
    const s = new Float32Array(this.stateDim);
    const { allies, enemies } = this.battle;
    const cx = this.map.width / 2;
    const cy = this.map.height / 2;
    const typeIds = this.map.unitTypeIds;
    const T = this.map.numUnitTypes;
    for (const u of allies.values()) {
      if (u.hp === 0) continue;
      let b = u.idInFaction * this.allyStateFeatSize;
      s[b] = u.hp / u.maxHp;
      s[b + 1] = u.type.healer ? u.energy / u.maxEnergy : u.cooldown / u.maxCooldown;
      s[b + 2] = (u.x - cx) / this.map.width;
      s[b + 3] = (u.y - cy) / this.map.height;
      b += 4;
      if (this.map.allyHasShields) s[b++] = u.shield / u.maxShield;
      if (T) s[b + typeIds.get(u.type.name)!] = 1;
    }
    const off = this.nAgents * this.allyStateFeatSize;
    for (const u of enemies.values()) {
      if (u.hp === 0) continue;
      let b = off + u.idInFaction * this.enemyStateFeatSize;
      s[b] = u.hp / u.maxHp;
      s[b + 1] = (u.x - cx) / this.map.width;
      s[b + 2] = (u.y - cy) / this.map.height;
      b += 3;
      if (this.map.enemyHasShields) s[b++] = u.shield / u.maxShield;
      if (T) s[b + typeIds.get(u.type.name)!] = 1;
    }
    const la = this.stateLastAction;
    for (let i = 0; i < this.nAgents; i++) if (this.lastActions[i]! >= 0) s[la + i * this.nActions + this.lastActions[i]!] = 1;
    return s;
  }

  render(decisions?: Decisions): string {
    return renderBattleText(this.battle, this.steps, decisions);
  }

  /** What a picture of the battle needs now: the map, and every live unit with its bars and target. */
  frame(): SmacliteFrame {
    const units: SmacliteFrameUnit[] = [];
    for (const u of this.battle.units.values()) {
      units.push({
        id: u.id, idInFaction: u.idInFaction, ally: u.faction === "ALLY", type: u.type.name, x: u.x, y: u.y, radius: u.radius,
        hp: u.hp / u.maxHp, shield: u.maxShield > 0 ? u.shield / u.maxShield : null, target: u.target?.id ?? null,
        heals: u.type.healer === true,
      });
    }
    return { width: this.map.width, height: this.map.height, walkable: this.map.walkable, step: this.steps, units };
  }
}

export interface SmacliteFrameUnit {
  id: number;
  /** Agent i (for an ally) or enemy i: the index its actions and attack targets use. */
  idInFaction: number;
  ally: boolean;
  type: string;
  x: number;
  y: number;
  radius: number;
  /** Hit points as a share of the maximum. */
  hp: number;
  /** Shields as a share of the maximum, or null for a unit without. */
  shield: number | null;
  /** The unit attacked (or healed) now, by id. */
  target: number | null;
  heals: boolean;
}

export interface SmacliteFrame {
  width: number;
  height: number;
  /** 1 where units may walk, [height][width], row 0 at y = 0. */
  walkable: Uint8Array;
  step: number;
  units: SmacliteFrameUnit[];
}
