// Map and unit files (their JSON shape is in file_format.ts), checked at the
// door and resolved into the typed MapSpec the world reads. A mistake names
// the map, the field and what is allowed.

import { STANDARD_UNITS } from "./data/units.ts";
import { TERRAIN_PRESETS } from "./data/terrain.ts";

export type Plane = "GROUND" | "AIR" | "COLOSSUS";
export type Faction = "ALLY" | "ENEMY";
export const PLANES: readonly Plane[] = ["GROUND", "AIR", "COLOSSUS"];

/** A plane's position in PLANES. */
export function planeIndex(p: Plane): number {
  return p === "GROUND" ? 0 : p === "AIR" ? 1 : 2;
}
const ATTRIBUTES = ["LIGHT", "ARMORED", "MASSIVE", "BIOLOGICAL", "MECHANICAL", "PSIONIC", "STRUCTURE", "HEROIC"];
const TARGETERS = ["STANDARD", "KAMIKAZE", "LASER_BEAM", "HEAL"];

export type TargeterSpec =
  | { kind: "STANDARD" }
  | { kind: "HEAL" }
  | { kind: "KAMIKAZE"; radius: number }
  | { kind: "LASER_BEAM"; width: number; height: number };

export interface UnitType {
  name: string;
  hp: number;
  armor: number;
  damage: number;
  cooldown: number;
  speed: number;
  attackRange: number;
  size: number;
  radius: number;
  attributes: ReadonlySet<string>;
  validTargets: ReadonlySet<Plane>;
  shield: number;
  energy: number;
  startingEnergy: number;
  attacks: number;
  healer: boolean;
  minimumScanRange: number;
  bonuses: ReadonlyArray<readonly [string, number]>;
  plane: Plane;
  hpRegen: number;
  targeter: TargeterSpec;
}

export interface GroupSpec {
  x: number;
  y: number;
  faction: Faction;
  units: ReadonlyArray<readonly [UnitType, number]>;
}

export interface MapSpec {
  name: string;
  nAllies: number;
  nEnemies: number;
  groups: readonly GroupSpec[];
  attackPoint: readonly [number, number];
  /** 1 where a unit may walk, [height][width] row-major, row 0 at y = 0. */
  walkable: Uint8Array;
  width: number;
  height: number;
  allyHasShields: boolean;
  enemyHasShields: boolean;
  /** 0 for single-type maps (SMAClite turns 1 into 0). */
  numUnitTypes: number;
  unitTypeIds: ReadonlyMap<string, number>;
  episodeLimit: number;
}

/** Default episode limit for a map that names none. */
export const DEFAULT_EPISODE_LIMIT = 150;
// The melee range SMAClite gives "MELEE" (env/units/unit_type.py).
const MELEE_ATTACK_RANGE = 0.1;

class Check {
  constructor(readonly where: string) {}
  fail(field: string, msg: string): never {
    throw new Error(`${this.where}: ${field}: ${msg}`);
  }
  num(obj: Record<string, unknown>, key: string, field: string, lo = -Infinity, opt?: number): number {
    const v = obj[key];
    if (v === undefined && opt !== undefined) return opt;
    if (typeof v !== "number" || !Number.isFinite(v) || v < lo) this.fail(field, `must be a number${lo > -Infinity ? ` >= ${lo}` : ""}, got ${JSON.stringify(v)}`);
    return v;
  }
  int(obj: Record<string, unknown>, key: string, field: string, lo: number, opt?: number): number {
    const v = this.num(obj, key, field, lo, opt);
    if (!Number.isInteger(v)) this.fail(field, `must be an integer, got ${v}`);
    return v;
  }
  bool(obj: Record<string, unknown>, key: string, field: string): boolean {
    const v = obj[key];
    if (typeof v !== "boolean") this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
  oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
    if (typeof v !== "string" || !allowed.includes(v as T)) this.fail(field, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
    return v as T;
  }
  object(v: unknown, field: string): Record<string, unknown> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) this.fail(field, `must be an object, got ${JSON.stringify(v)}`);
    return v as Record<string, unknown>;
  }
}

const UNIT_KEYS = new Set([
  "hp", "armor", "damage", "cooldown", "speed", "attack_range", "size", "attributes", "valid_targets", "shield", "energy",
  "starting_energy", "attacks", "combat_type", "minimum_scan_range", "bonuses", "plane", "hp_regen", "targeter", "targeter_kwargs",
]);

export function resolveUnit(name: string, raw: unknown, where: string): UnitType {
  const c: Check = new Check(where);
  const u = c.object(raw, name);
  for (const k of Object.keys(u)) if (!UNIT_KEYS.has(k)) c.fail(`${name}.${k}`, `unknown field; allowed: ${[...UNIT_KEYS].join(", ")}`);
  const f = (k: string) => `${name}.${k}`;
  const range = u.attack_range === "MELEE" ? MELEE_ATTACK_RANGE : c.num(u, "attack_range", f("attack_range"), 0);
  const list = (k: string, allowed: readonly string[]): string[] => {
    const v = u[k];
    if (!Array.isArray(v)) c.fail(f(k), `must be a list of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
    return v.map((x, i) => c.oneOf(x, allowed, `${f(k)}[${i}]`));
  };
  const attributes = list("attributes", ATTRIBUTES);
  const validTargets = list("valid_targets", PLANES) as Plane[];
  const bonuses: [string, number][] = [];
  if (u.bonuses !== undefined) {
    const b = c.object(u.bonuses, f("bonuses"));
    for (const [k, v] of Object.entries(b)) {
      c.oneOf(k, ATTRIBUTES, `${f("bonuses")} key`);
      bonuses.push([k, c.num(b, k, `${f("bonuses")}.${k}`)]);
    }
  }
  const healer = (u.combat_type === undefined ? "DAMAGE" : c.oneOf(u.combat_type, ["DAMAGE", "HEALING"], f("combat_type"))) === "HEALING";
  const kind = u.targeter === undefined ? "STANDARD" : c.oneOf(u.targeter, TARGETERS, f("targeter"));
  const kw = u.targeter_kwargs === undefined ? {} : c.object(u.targeter_kwargs, f("targeter_kwargs"));
  let targeter: TargeterSpec;
  if (kind === "KAMIKAZE") targeter = { kind, radius: c.num(kw, "radius", f("targeter_kwargs.radius"), 0) };
  else if (kind === "LASER_BEAM") targeter = { kind, width: c.num(kw, "width", f("targeter_kwargs.width"), 0), height: c.num(kw, "height", f("targeter_kwargs.height"), 0) };
  else targeter = { kind } as TargeterSpec;
  if (healer !== (kind === "HEAL")) c.fail(f("targeter"), `a HEALING unit needs targeter HEAL and only a healer may have it (got combat_type ${healer ? "HEALING" : "DAMAGE"}, targeter ${kind})`);
  const size = c.num(u, "size", f("size"), 0);
  if (size <= 0) c.fail(f("size"), `must be > 0, got ${size}`);
  return {
    name,
    hp: c.num(u, "hp", f("hp"), 0),
    armor: c.num(u, "armor", f("armor"), 0),
    damage: c.num(u, "damage", f("damage"), 0),
    cooldown: c.num(u, "cooldown", f("cooldown"), 0),
    speed: c.num(u, "speed", f("speed"), 0),
    attackRange: range,
    size,
    radius: size / 2,
    attributes: new Set(attributes),
    validTargets: new Set(validTargets),
    shield: c.num(u, "shield", f("shield"), 0, 0),
    energy: c.num(u, "energy", f("energy"), 0, 0),
    startingEnergy: c.num(u, "starting_energy", f("starting_energy"), 0, 0),
    attacks: c.int(u, "attacks", f("attacks"), 1, 1),
    healer,
    minimumScanRange: c.num(u, "minimum_scan_range", f("minimum_scan_range"), 0, 5),
    bonuses,
    plane: u.plane === undefined ? "GROUND" : c.oneOf(u.plane, PLANES, f("plane")),
    hpRegen: c.num(u, "hp_regen", f("hp_regen"), 0, 0),
    targeter,
  };
}

const MAP_KEYS = new Set([
  "name", "num_allied_units", "num_enemy_units", "groups", "attack_point", "terrain_preset", "terrain", "ally_has_shields",
  "enemy_has_shields", "width", "height", "num_unit_types", "unit_type_ids", "episode_limit", "custom_units", "source",
]);

const standardTypes = new Map<string, UnitType>();
function standardUnit(name: string): UnitType | undefined {
  let t = standardTypes.get(name);
  if (t === undefined && STANDARD_UNITS[name] !== undefined) {
    t = resolveUnit(name, STANDARD_UNITS[name], "smaclite standard units");
    standardTypes.set(name, t);
  }
  return t;
}

/** Check a map file and resolve it; `label` names it in errors (a file path, or the map's registered name). */
export function resolveMap(raw: unknown, label: string): MapSpec {
  const c: Check = new Check(`smaclite map ${label}`);
  const m = c.object(raw, "(map)");
  for (const k of Object.keys(m)) if (!MAP_KEYS.has(k)) c.fail(k, `unknown field; allowed: ${[...MAP_KEYS].join(", ")}`);
  if (typeof m.name !== "string" || m.name.length === 0) c.fail("name", `must be a non-empty string, got ${JSON.stringify(m.name)}`);
  const custom = new Map<string, UnitType>();
  if (m.custom_units !== undefined) {
    for (const [name, u] of Object.entries(c.object(m.custom_units, "custom_units"))) {
      custom.set(name, resolveUnit(name, u, `smaclite map ${label}: custom_units`));
    }
  }
  const unitType = (name: string, field: string): UnitType => {
    const t = custom.get(name) ?? standardUnit(name);
    if (t === undefined) c.fail(field, `unknown unit type ${JSON.stringify(name)}; known: ${[...Object.keys(STANDARD_UNITS), ...custom.keys()].join(", ")} (define others under custom_units)`);
    return t;
  };
  if (!Array.isArray(m.groups) || m.groups.length === 0) c.fail("groups", `must be a non-empty list of groups, got ${JSON.stringify(m.groups)}`);
  const count = { ALLY: 0, ENEMY: 0 };
  const groups: GroupSpec[] = m.groups.map((g0, i) => {
    const g = c.object(g0, `groups[${i}]`);
    const faction = c.oneOf(g.faction, ["ALLY", "ENEMY"] as const, `groups[${i}].faction`);
    const units: [UnitType, number][] = [];
    for (const [name, n] of Object.entries(c.object(g.units, `groups[${i}].units`))) {
      const k = c.int({ n }, "n", `groups[${i}].units.${name}`, 1);
      units.push([unitType(name, `groups[${i}].units.${name}`), k]);
      count[faction] += k;
    }
    return { x: c.num(g, "x", `groups[${i}].x`), y: c.num(g, "y", `groups[${i}].y`), faction, units };
  });
  const nAllies = c.int(m, "num_allied_units", "num_allied_units", 1);
  const nEnemies = c.int(m, "num_enemy_units", "num_enemy_units", 1);
  if (count.ALLY !== nAllies) c.fail("num_allied_units", `is ${nAllies} but the ALLY groups hold ${count.ALLY} units`);
  if (count.ENEMY !== nEnemies) c.fail("num_enemy_units", `is ${nEnemies} but the ENEMY groups hold ${count.ENEMY} units`);
  const width = c.int(m, "width", "width", 1, 32);
  const height = c.int(m, "height", "height", 1, 32);
  let rows: unknown;
  if (m.terrain_preset !== undefined) {
    if (m.terrain !== undefined) c.fail("terrain", "give terrain_preset or terrain, not both");
    const preset = TERRAIN_PRESETS[c.oneOf(m.terrain_preset, Object.keys(TERRAIN_PRESETS), "terrain_preset")]!;
    rows = [...preset].reverse(); // the preset is drawn top row first
  } else rows = m.terrain;
  if (!Array.isArray(rows) || rows.length !== height) c.fail("terrain", `must be ${height} rows (height) of ${width} characters, or give terrain_preset; got ${Array.isArray(rows) ? `${rows.length} rows` : JSON.stringify(rows)}`);
  const walkable = new Uint8Array(width * height);
  rows.forEach((row, y) => {
    if (typeof row !== "string" || row.length !== width || !/^[_CX]*$/.test(row)) c.fail(`terrain[${y}]`, `must be a string of ${width} characters from _ (ground), C (cliff), X (none), got ${JSON.stringify(row)}`);
    for (let x = 0; x < width; x++) walkable[y * width + x] = row[x] === "_" ? 1 : 0;
  });
  const ap = m.attack_point;
  if (!Array.isArray(ap) || ap.length !== 2 || ap.some((v) => typeof v !== "number" || !Number.isFinite(v))) c.fail("attack_point", `must be [x, y], got ${JSON.stringify(ap)}`);
  const allyHasShields = c.bool(m, "ally_has_shields", "ally_has_shields");
  const enemyHasShields = c.bool(m, "enemy_has_shields", "enemy_has_shields");
  for (const g of groups) {
    const has = g.faction === "ALLY" ? allyHasShields : enemyHasShields;
    for (const [t] of g.units) {
      if (has && t.shield <= 0) c.fail(`${g.faction === "ALLY" ? "ally" : "enemy"}_has_shields`, `is true but ${t.name} has no shield (its shield feature would be 0 / 0)`);
    }
  }
  let numUnitTypes = c.int(m, "num_unit_types", "num_unit_types", 0);
  if (numUnitTypes === 1) numUnitTypes = 0;
  const unitTypeIds = new Map<string, number>();
  if (numUnitTypes > 0) {
    const ids = c.object(m.unit_type_ids, "unit_type_ids");
    for (const [name, id] of Object.entries(ids)) unitTypeIds.set(name, c.int(ids, name, `unit_type_ids.${name}`, 0));
    for (const g of groups) for (const [t] of g.units) {
      const id = unitTypeIds.get(t.name);
      if (id === undefined || id >= numUnitTypes) c.fail("unit_type_ids", `must give ${t.name} an id in [0, ${numUnitTypes - 1}], got ${JSON.stringify(id)}`);
    }
  }
  return {
    name: m.name, nAllies, nEnemies, groups, attackPoint: [ap[0], ap[1]], walkable, width, height, allyHasShields, enemyHasShields,
    numUnitTypes, unitTypeIds, episodeLimit: c.int(m, "episode_limit", "episode_limit", 1, DEFAULT_EPISODE_LIMIT),
  };
}
