// The JSON shape of SMAClite's map and unit files, as SMAClite writes them
// (snake_case keys). Types only: schema.ts checks a file against them and
// the data files (data/units.ts, data/maps.ts) are written in them, so
// neither has to import the other for them.

/** A unit file as SMAClite writes it (snake_case keys). */
export interface UnitFile {
  hp: number;
  armor: number;
  damage: number;
  cooldown: number;
  speed: number;
  attack_range: number | "MELEE";
  size: number;
  attributes: string[];
  valid_targets: string[];
  shield?: number;
  energy?: number;
  starting_energy?: number;
  attacks?: number;
  combat_type?: "DAMAGE" | "HEALING";
  minimum_scan_range?: number;
  bonuses?: Record<string, number>;
  plane?: string;
  hp_regen?: number;
  targeter?: string;
  targeter_kwargs?: Record<string, number>;
}

export interface GroupFile {
  x: number;
  y: number;
  faction: string;
  /** Unit type name → count, in placement order. */
  units: Record<string, number>;
}

/** A map file: SMAClite's schema, plus `episode_limit` (SMAC's) and optional inline `custom_units`. */
export interface MapFile {
  name: string;
  num_allied_units: number;
  num_enemy_units: number;
  groups: GroupFile[];
  attack_point: [number, number];
  /** A preset name (SIMPLE, ...), or give `terrain`. */
  terrain_preset?: string;
  /** Rows of '_' (ground), 'C' (cliff), 'X' (none); row 0 is y = 0. */
  terrain?: string[];
  ally_has_shields: boolean;
  enemy_has_shields: boolean;
  width?: number;
  height?: number;
  num_unit_types: number;
  unit_type_ids?: Record<string, number>;
  episode_limit?: number;
  custom_units?: Record<string, UnitFile>;
  source?: string;
}
