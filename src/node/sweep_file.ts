// A sweep file: `name`, `out`, `base` (config keys every run shares) and
// `grid` (lists over env, mixer, seed and any config key). Every combination
// of the grid's lists is one run, with a folder name made from its env,
// mixer, seed and other grid values, and a config resolved the way `qmix
// train` resolves one: defaults, the environment's presets, then `base`, then
// the run's grid values. Errors name the file, the line and the key.

import { dirname, join, resolve } from "node:path";
import { CONFIG_KEYS, ConfigError, resolveConfig, type QMixConfig } from "../train/config.ts";
import { parseYaml } from "../train/yaml.ts";
import { readTextFile } from "./get_runner.ts";
import { presetLayers } from "./presets.ts";
import { envSlug } from "./process_env.ts";

export class SweepError extends ConfigError {
  override name = "SweepError";
}

export interface SweepRun {
  /** The run's folder name under the sweep's `out`. */
  name: string;
  dir: string;
  config: QMixConfig;
  /** The grid's values for this run, in the grid's key order. */
  point: Record<string, unknown>;
}

export interface Sweep {
  path: string;
  name: string;
  /** Absolute; a relative `out` is taken from the sweep file's folder. */
  out: string;
  runs: SweepRun[];
}

const TOP_KEYS = ["name", "out", "base", "grid"];
/** The grid keys every folder name carries, in this order. */
const NAMED = ["env", "mixer", "seed"];

/** The 1-based line where `key` is written (first after line `from`), for error messages; 0 when not found. */
function lineOf(text: string, key: string, from = 0): number {
  const lines = text.split(/\r?\n/);
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^\\s*(?:-\\s*)?["']?${esc}["']?\\s*:`);
  for (let i = from; i < lines.length; i++) if (re.test(lines[i]!)) return i + 1;
  return 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function configKey(k: string): boolean {
  return (CONFIG_KEYS as string[]).includes(k) || (k.startsWith("envArgs.") && k.length > 8);
}

/** A value as a piece of a folder name: letters, digits, dot, dash and underscore. */
function slug(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.replace(/[^\w.-]+/g, "_");
}

/** The folder name of a run: ENV-MIXER-seedN, then -KEYvalue for each further grid key. */
export function runName(config: QMixConfig, point: Record<string, unknown>): string {
  const extra = Object.keys(point).filter((k) => !NAMED.includes(k)).map((k) => `-${slug(k)}${slug(point[k])}`);
  return `${envSlug(config.env)}-${config.mixer}-seed${config.seed}${extra.join("")}`;
}

/** Parses and expands a sweep file's text; `path` names it in errors and anchors a relative `out`. */
export function parseSweep(path: string, text: string): Sweep {
  const where = (line: number) => (line > 0 ? `${path}, line ${line}` : path);
  let o: unknown;
  if (/\.json$/i.test(path)) {
    try {
      o = JSON.parse(text);
    } catch (e) {
      throw new SweepError(`sweep file ${path} is not valid JSON: ${(e as Error).message}`);
    }
  } else if (/\.ya?ml$/i.test(path)) {
    o = parseYaml(text, path);
  } else {
    throw new SweepError(`sweep file ${path}: expected a .yaml, .yml or .json file`);
  }
  if (!isObject(o)) throw new SweepError(`sweep file ${path}: expected a map with the keys ${TOP_KEYS.join(", ")}`);
  for (const k of Object.keys(o)) {
    if (!TOP_KEYS.includes(k) && !k.startsWith("_")) throw new SweepError(`${where(lineOf(text, k))}: unknown key "${k}" in a sweep file; allowed: ${TOP_KEYS.join(", ")}`);
  }
  const name = o.name ?? "sweep";
  if (typeof name !== "string" || name === "") throw new SweepError(`${where(lineOf(text, "name"))}: "name" must be a non-empty string, got ${JSON.stringify(name)}`);
  if (typeof o.out !== "string" || o.out === "") throw new SweepError(`${where(lineOf(text, "out"))}: "out" must name the folder the runs go under, got ${JSON.stringify(o.out)}`);
  const base = o.base ?? {}, grid = o.grid ?? {};
  const baseLine = lineOf(text, "base"), gridLine = lineOf(text, "grid");
  if (!isObject(base)) throw new SweepError(`${where(baseLine)}: "base" must be a map of config keys`);
  if (!isObject(grid)) throw new SweepError(`${where(gridLine)}: "grid" must be a map from config keys to lists of values`);
  const check = (section: string, k: string, from: number) => {
    if (!configKey(k)) throw new SweepError(`${where(lineOf(text, k, from))}: unknown config key "${k}" in ${section}; allowed keys: ${CONFIG_KEYS.join(", ")}`);
  };
  for (const k of Object.keys(base)) check("base", k, baseLine);
  for (const [k, v] of Object.entries(grid)) {
    check("grid", k, gridLine);
    if (!Array.isArray(v) || v.length === 0) throw new SweepError(`${where(lineOf(text, k, gridLine))}: grid "${k}" must be a non-empty list of values, got ${JSON.stringify(v)}`);
  }

  // Every combination, the first grid key outermost.
  let points: Array<Record<string, unknown>> = [{}];
  for (const [k, values] of Object.entries(grid) as Array<[string, unknown[]]>) {
    points = points.flatMap((p) => values.map((v) => ({ ...p, [k]: v })));
  }
  const out = resolve(dirname(path), o.out);
  const runs: SweepRun[] = [];
  const byName = new Map<string, Record<string, unknown>>();
  for (const point of points) {
    const envName = (point.env ?? base.env) as string | undefined;
    let config: QMixConfig;
    const desc = Object.entries(point).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ");
    try {
      config = resolveConfig(...presetLayers(envName ?? "simple_spread_v3"), ["base", base], [`grid point ${desc}`, point]);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // Point at the line of the key the message names: CONFIG's messages read `SOURCE: "key" must …`.
      const key = /^[^:]*: "([\w.]+)"/.exec(e.message)?.[1];
      const line = key ? lineOf(text, key, Object.hasOwn(point, key) ? gridLine : baseLine) : 0;
      throw new SweepError(`${where(line)}, ${e.message}`);
    }
    const name = runName(config, point);
    const other = byName.get(name);
    if (other) throw new SweepError(`${path}: the grid makes two runs share the folder ${name}: ${JSON.stringify(other)} and ${JSON.stringify(point)}; give them values that differ in the folder name (env, mixer, seed or another grid key)`);
    byName.set(name, point);
    runs.push({ name, dir: join(out, name), config, point });
  }
  return { path: resolve(path), name, out, runs };
}

export function readSweep(path: string): Sweep {
  return parseSweep(path, readTextFile(path));
}
