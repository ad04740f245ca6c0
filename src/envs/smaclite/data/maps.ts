// The maps: SMAClite's twelve (uoe-agents/smaclite, env/maps/smaclite_maps/*.json,
// adapted there from SMAC's maps in the StarCraft II map editor) and two of
// ours, SMAC's 3m and 8m, laid out as SMAClite lays out 10m_vs_11m. Each is
// data in the schema a user's map file uses (file_format.ts). `episode_limit` is
// SMAC's (oxwhirl/smac, env/starcraft2/maps/smac_maps.py, "limit"); SMAClite
// itself has none. Group unit order is placement order, so it is kept.

import type { MapFile } from "../file_format.ts";

const marines = (name: string, allies: number, enemies: number, limit: number, ours: boolean): MapFile => ({
  name, num_allied_units: allies, num_enemy_units: enemies,
  groups: [
    { x: 9, y: 16, faction: "ALLY", units: { MARINE: allies } },
    { x: 23, y: 16, faction: "ENEMY", units: { MARINE: enemies } },
  ],
  attack_point: [9, 16], terrain_preset: "SIMPLE", num_unit_types: 0, ally_has_shields: false, enemy_has_shields: false,
  episode_limit: limit, ...(ours ? { source: "qmix-ts: SMAC's map of this name in SMAClite's marine layout" } : {}),
});

const protoss = (name: string, ally: Record<string, number>, enemy: Record<string, number>, limit: number): MapFile => {
  const n = (g: Record<string, number>) => Object.values(g).reduce((a, b) => a + b, 0);
  return {
    name, num_allied_units: n(ally), num_enemy_units: n(enemy),
    groups: [
      { x: 9, y: 16, faction: "ALLY", units: ally },
      { x: 23, y: 16, faction: "ENEMY", units: enemy },
    ],
    attack_point: [9, 16], terrain_preset: "SIMPLE", num_unit_types: 2, ally_has_shields: true, enemy_has_shields: true,
    unit_type_ids: { STALKER: 0, ZEALOT: 1 }, episode_limit: limit,
  };
};

const terran = (name: string, enemy: Record<string, number>, limit: number): MapFile => ({
  name, num_allied_units: 10, num_enemy_units: Object.values(enemy).reduce((a, b) => a + b, 0),
  groups: [
    { x: 9, y: 16, faction: "ALLY", units: { MEDIVAC: 1, MARINE: 7, MARAUDER: 2 } },
    { x: 23, y: 16, faction: "ENEMY", units: enemy },
  ],
  attack_point: [9, 16], terrain_preset: "SIMPLE", num_unit_types: 3, unit_type_ids: { MARAUDER: 0, MARINE: 1, MEDIVAC: 2 },
  ally_has_shields: false, enemy_has_shields: false, episode_limit: limit,
});

export const STANDARD_MAPS: Readonly<Record<string, MapFile>> = {
  "3m": marines("3m", 3, 3, 60, true),
  "8m": marines("8m", 8, 8, 120, true),
  "10m_vs_11m": marines("10m_vs_11m", 10, 11, 150, false),
  "27m_vs_30m": marines("27m_vs_30m", 27, 30, 180, false),
  "2s3z": protoss("2s3z", { STALKER: 2, ZEALOT: 3 }, { STALKER: 2, ZEALOT: 3 }, 120),
  "3s5z": protoss("3s5z", { STALKER: 3, ZEALOT: 5 }, { STALKER: 3, ZEALOT: 5 }, 150),
  "3s5z_vs_3s6z": protoss("3s5z_vs_3s6z", { STALKER: 3, ZEALOT: 5 }, { STALKER: 3, ZEALOT: 6 }, 170),
  "3s_vs_5z": {
    name: "3s_vs_5z", num_allied_units: 3, num_enemy_units: 5,
    groups: [
      { x: 9, y: 16, faction: "ALLY", units: { STALKER: 3 } },
      { x: 23, y: 16, faction: "ENEMY", units: { ZEALOT: 5 } },
    ],
    attack_point: [9, 16], terrain_preset: "ALL_GREEN", num_unit_types: 0, ally_has_shields: true, enemy_has_shields: true,
    episode_limit: 250,
  },
  mmm: terran("MMM", { MEDIVAC: 1, MARINE: 7, MARAUDER: 2 }, 150),
  mmm2: terran("MMM2", { MEDIVAC: 1, MARINE: 8, MARAUDER: 3 }, 180),
  "2c_vs_64zg": {
    name: "2c_vs_64zg", num_allied_units: 2, num_enemy_units: 64,
    groups: [
      { x: 16, y: 16, faction: "ALLY", units: { COLOSSUS: 2 } },
      { x: 16, y: 9, faction: "ENEMY", units: { ZERGLING: 64 } },
    ],
    attack_point: [16, 16], terrain_preset: "RAVINE", num_unit_types: 0, ally_has_shields: true, enemy_has_shields: false,
    episode_limit: 400,
  },
  bane_vs_bane: {
    name: "bane_vs_bane", num_allied_units: 24, num_enemy_units: 24,
    groups: [
      { x: 16, y: 24, faction: "ENEMY", units: { BANELING: 4 } },
      { x: 16, y: 21, faction: "ENEMY", units: { ZERGLING: 20 } },
      { x: 16, y: 11, faction: "ALLY", units: { ZERGLING: 20 } },
      { x: 16, y: 8, faction: "ALLY", units: { BANELING: 4 } },
    ],
    attack_point: [16, 8], terrain_preset: "OCTAGON", num_unit_types: 2, ally_has_shields: false, enemy_has_shields: false,
    unit_type_ids: { BANELING: 0, ZERGLING: 1 }, episode_limit: 200,
  },
  corridor: {
    name: "corridor", num_allied_units: 6, num_enemy_units: 24,
    groups: [
      { x: 27.91, y: 28.24, faction: "ENEMY", units: { ZERGLING: 24 } },
      { x: 19.04, y: 19.12, faction: "ALLY", units: { ZEALOT: 6 } },
    ],
    attack_point: [4.47, 4.33], terrain_preset: "CORRIDOR", num_unit_types: 0, ally_has_shields: true, enemy_has_shields: false,
    episode_limit: 400,
  },
  "2s_vs_1sc": {
    name: "2s_vs_1sc", num_allied_units: 2, num_enemy_units: 1,
    groups: [
      { x: 13.92, y: 20.04, faction: "ENEMY", units: { SPINE_CRAWLER: 1 } },
      { x: 11.12, y: 10.34, faction: "ALLY", units: { STALKER: 1 } },
      { x: 16.98, y: 10.37, faction: "ALLY", units: { STALKER: 1 } },
    ],
    attack_point: [13.92, 20.04], terrain_preset: "PENTAGON", num_unit_types: 0, ally_has_shields: true, enemy_has_shields: false,
    episode_limit: 300,
  },
};
