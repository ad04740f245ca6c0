// The presets shipped in presets/: the configuration layers an environment
// name brings with it, shared by the command line and the benchmarks.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../train/config.ts";
import { presetNames } from "../xuance/get_runner.ts";

const PRESETS = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "presets");

/** A JSON object from a file, without its "_" comment keys; errors name the file. */
export function readJsonObject(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`${what} ${path}: ${(e as Error).message}`);
  }
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw new ConfigError(`${what} ${path}: expected a JSON object`);
  // Keys starting with "_" are comments.
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith("_")));
}

/** One preset by name (simple_spread_v3, smaclite, smaclite_2s3z), or null when the package has none of that name. */
export function readPreset(name: string): Record<string, unknown> | null {
  const path = join(PRESETS, `${name}.json`);
  return existsSync(path) ? readJsonObject(path, "preset") : null;
}

/**
 * The presets of an environment: presets/NAME.json for a plain name, and for
 * a family name FAMILY/MAP the family's presets/FAMILY.json, then
 * presets/FAMILY_MAP.json over it. process:COMMAND lines have none.
 */
export function presetLayers(envName: string): Array<[string, Record<string, unknown>]> {
  const layers: Array<[string, Record<string, unknown>]> = [];
  for (const n of presetNames(envName)) {
    const p = readPreset(n);
    if (p) layers.push([`preset ${n}`, p]);
  }
  return layers;
}
