// SMAClite's StarCraft-style battles (Michalski, Christianos, Albrecht 2023)
// in TypeScript: the maps by name, a map of one's own as data, and the
// factory the registry calls for `smaclite/<map>` and `smaclite`.

import type { EnvOptions, MultiAgentEnv } from "../env.ts";
import { checkOptions, type OptionRule } from "../options.ts";
import { STANDARD_MAPS } from "./data/maps.ts";
import { SmacliteEnv, type SmacliteOptions } from "./env.ts";
import { resolveMap, type MapSpec } from "./schema.ts";

export { SmacliteEnv, SeededOrder, STEP_MUL, type SmacliteFrame, type SmacliteFrameUnit, type SmacliteOptions } from "./env.ts";
export { Battle, type UnitOrder } from "./world.ts";
export { Unit } from "./unit.ts";
export { resolveMap, resolveUnit, type MapSpec, type UnitType } from "./schema.ts";
export type { MapFile, UnitFile } from "./file_format.ts";
export { BATTLE_LEGEND, renderBattleText, smacliteActionName, unitLetter } from "./render.ts";
export { STANDARD_MAPS } from "./data/maps.ts";
export { STANDARD_UNITS } from "./data/units.ts";

export const SMACLITE_MAP_NAMES: readonly string[] = Object.keys(STANDARD_MAPS);

const resolved = new Map<string, MapSpec>();

/** A built-in map by name (case-insensitive, "MMM" = "mmm"), checked once. */
export function smacliteMap(name: string): MapSpec {
  const key = SMACLITE_MAP_NAMES.find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) throw new Error(`smaclite: unknown map ${JSON.stringify(name)}; known maps: ${SMACLITE_MAP_NAMES.join(", ")} (or pass your own as envArgs.mapFile / envArgs.map)`);
  let m = resolved.get(key);
  if (m === undefined) resolved.set(key, (m = resolveMap(STANDARD_MAPS[key], JSON.stringify(key))));
  return m;
}

const RULES: Record<string, OptionRule> = {
  map: { allowed: `a map name (${SMACLITE_MAP_NAMES.join(", ")}) or a map object in SMAClite's schema`, ok: (v) => typeof v === "string" || (typeof v === "object" && v !== null && !Array.isArray(v)) },
  unitOrder: { allowed: "an object with shuffle(units)", ok: (v) => typeof v === "object" && v !== null && typeof (v as { shuffle?: unknown }).shuffle === "function" },
  episodeLimit: { allowed: "an integer >= 1", ok: (v) => Number.isInteger(v) && (v as number) >= 1 },
};

/** `smaclite` with options.map (a name or a map object), or `smaclite/<name>` with the name fixed. */
export function makeSmaclite(options: EnvOptions & { seed?: number } = {}, fixedMap?: string): MultiAgentEnv {
  const env = fixedMap === undefined ? "smaclite" : `smaclite/${fixedMap}`;
  if (options.mapFile !== undefined) {
    throw new Error(`${env}: envArgs.mapFile is read by the command line (Node); here, parse the file yourself and pass the object as envArgs.map`);
  }
  checkOptions(env, options, RULES);
  const raw = fixedMap ?? options.map;
  if (raw === undefined) throw new Error(`smaclite: say which map: envArgs.map (one of ${SMACLITE_MAP_NAMES.join(", ")}) or envArgs.mapFile (a JSON file), or use an env name smaclite/<map>`);
  if (fixedMap !== undefined && options.map !== undefined) throw new Error(`${env}: the map is fixed by the name; drop envArgs.map or use env "smaclite"`);
  let map = typeof raw === "string" ? smacliteMap(raw) : resolveMap(raw, JSON.stringify((raw as { name?: unknown }).name ?? "(unnamed)"));
  if (options.episodeLimit !== undefined) map = { ...map, episodeLimit: options.episodeLimit as number };
  return new SmacliteEnv(map, { seed: options.seed, unitOrder: options.unitOrder as SmacliteOptions["unitOrder"] });
}
