// Environment options that name files: the portable core cannot read files,
// so `mapFile` (a SMAClite map in JSON) is read here and handed on as `map`.

import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { EnvOptions } from "../envs/env.ts";

export function readEnvFiles(options: EnvOptions): EnvOptions {
  const file = options["mapFile"];
  if (file === undefined) return options;
  if (typeof file !== "string" || file.length === 0) throw new Error(`envArgs.mapFile must be the path of a JSON map file, got ${JSON.stringify(file)}`);
  if (options["map"] !== undefined) throw new Error("envArgs: give map or mapFile, not both");
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`envArgs.mapFile: ${path} does not exist`);
  let map: unknown;
  try {
    map = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`envArgs.mapFile: ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (map !== null && typeof map === "object" && !Array.isArray(map) && (map as { name?: unknown }).name === undefined) {
    throw new Error(`smaclite map ${path}: name: missing (every map needs a name)`);
  }
  const { mapFile: _, ...rest } = options;
  return { ...rest, map };
}
