// Unit statistics of SMAClite's standard units (uoe-agents/smaclite,
// env/units/smaclite_units/*.json, which take them from Liquipedia's
// StarCraft II Legacy of the Void unit statistics), typed in as data in the
// schema a user's own unit file uses. "MELEE" as an attack range is 0.1.

import type { UnitFile } from "../file_format.ts";

export const STANDARD_UNITS: Readonly<Record<string, UnitFile>> = {
  ZERGLING: {
    hp: 35, armor: 0, damage: 5, cooldown: 0.497, speed: 4.13, attack_range: "MELEE", size: 0.75,
    attributes: ["LIGHT", "BIOLOGICAL"], valid_targets: ["GROUND"], hp_regen: 0.38,
  },
  BANELING: {
    hp: 30, armor: 0, damage: 80, cooldown: 1, speed: 3.15, attack_range: 0.25, size: 0.75,
    attributes: ["BIOLOGICAL"], targeter: "KAMIKAZE", targeter_kwargs: { radius: 2.2 }, valid_targets: ["GROUND"], hp_regen: 0.38,
  },
  SPINE_CRAWLER: {
    hp: 300, armor: 2, damage: 25, cooldown: 1.32, speed: 0, attack_range: 7, size: 1, minimum_scan_range: 10,
    attributes: ["ARMORED", "BIOLOGICAL", "STRUCTURE"], valid_targets: ["GROUND"], bonuses: { ARMORED: 5 }, hp_regen: 0.38,
  },
  MARINE: {
    hp: 45, armor: 0, damage: 6, cooldown: 0.61, speed: 3.15, attack_range: 5, size: 0.75,
    attributes: ["LIGHT", "BIOLOGICAL"], valid_targets: ["GROUND", "AIR"],
  },
  MEDIVAC: {
    hp: 150, energy: 200, starting_energy: 50, armor: 1, damage: 0, cooldown: 0, speed: 3.5, size: 1.5, attack_range: 4,
    combat_type: "HEALING", attributes: ["ARMORED", "MECHANICAL"], targeter: "HEAL", plane: "AIR", valid_targets: ["GROUND"],
  },
  MARAUDER: {
    hp: 125, armor: 1, damage: 10, cooldown: 1.07, speed: 3.15, attack_range: 6, size: 1.125,
    attributes: ["ARMORED", "BIOLOGICAL"], bonuses: { ARMORED: 10 }, valid_targets: ["GROUND"],
  },
  ZEALOT: {
    hp: 100, armor: 1, shield: 50, damage: 8, cooldown: 0.86, attacks: 2, speed: 3.15, attack_range: "MELEE", size: 1,
    attributes: ["LIGHT", "BIOLOGICAL"], valid_targets: ["GROUND"],
  },
  STALKER: {
    hp: 80, armor: 1, shield: 80, damage: 13, cooldown: 1.34, speed: 4.13, attack_range: 6, size: 1.25,
    attributes: ["ARMORED", "MECHANICAL"], bonuses: { ARMORED: 5 }, valid_targets: ["GROUND", "AIR"],
  },
  COLOSSUS: {
    hp: 200, armor: 1, shield: 150, damage: 10, attacks: 2, cooldown: 1.07, speed: 3.15, attack_range: 7, size: 2,
    targeter: "LASER_BEAM", targeter_kwargs: { width: 2.8, height: 0.3 }, attributes: ["ARMORED", "MECHANICAL", "MASSIVE"],
    bonuses: { LIGHT: 5 }, valid_targets: ["GROUND"],
  },
};
