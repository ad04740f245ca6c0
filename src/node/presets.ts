// The presets shipped in presets/: the configuration layers an environment
// name brings with it, shared by the command line and the benchmarks.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../qmix/config.ts";

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

/**
 * The presets of an environment: presets/NAME.json for a plain name, and for
 * a family name FAMILY/MAP the family's presets/FAMILY.json, then
 * presets/FAMILY_MAP.json over it. process:COMMAND lines have none.
 */
export function presetLayers(envName: string): Array<[string, Record<string, unknown>]> {
  const m = /^([\w.-]+)(?:\/([\w.-]+))?$/.exec(envName);
  if (m === null) return [];
  const names = m[2] === undefined ? [m[1]!] : [m[1]!, `${m[1]}_${m[2]}`];
  const layers: Array<[string, Record<string, unknown>]> = [];
  for (const n of names) {
    const path = join(PRESETS, `${n}.json`);
    if (existsSync(path)) layers.push([`preset ${n}`, readJsonObject(path, "preset")]);
  }
  return layers;
}
