// Config files: ours as JSON or YAML (our keys, layered over the
// environment's presets), or XuanCe's as YAML (its keys, mapped by
// ./xuance_config.ts over our defaults: a XuanCe file describes a whole run,
// so our presets do not sit under it). Portable: the caller reads the text.

import type { MultiAgentEnv } from "../envs/env.ts";
import { makeEnv } from "../envs/registry.ts";
import { ConfigError } from "../train/config.ts";
import { fromXuance, isXuanceConfig } from "./xuance_config.ts";
import { envNameOf, mixerOf } from "./xuance_envs.ts";
import { parseYaml } from "../train/yaml.ts";

export type ConfigLayer = [string, Record<string, unknown>];

export interface ConfigFile {
  path: string;
  /** In XuanCe's keys (learning_rate, running_steps, …) rather than ours. */
  xuance: boolean;
  data: Record<string, unknown>;
}

/** Parses a .json, .yaml or .yml config file's text; keys starting with "_" are comments in our JSON files. */
export function parseConfigFile(path: string, text: string): ConfigFile {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  let o: unknown;
  if (ext === "json") {
    try {
      o = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
    }
  } else if (ext === "yaml" || ext === "yml") {
    o = parseYaml(text, path);
  } else {
    throw new ConfigError(`config file ${path}: expected a .json, .yaml or .yml file`);
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    throw new ConfigError(`config file ${path}: expected ${ext === "json" ? "a JSON object" : "a map of config keys at the top level"}`);
  }
  const data = Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith("_")));
  return { path, xuance: isXuanceConfig(data), data };
}

/** The environment a config file names, in our names (a XuanCe file's env_name and env_id mapped), if it names one. */
export function fileEnvName(file: ConfigFile): string | undefined {
  if (!file.xuance) return typeof file.data.env === "string" ? file.data.env : undefined;
  const family = file.data.env_name, id = file.data.env_id;
  if (typeof family !== "string") return undefined;
  return envNameOf(family, id === undefined || id === null ? undefined : String(id));
}

export interface XuanceLayer {
  layer: ConfigLayer;
  notes: string[];
  ignored: Array<{ key: string; reason: string }>;
}

const SC2_NAMES = new Set(["sc2", "starcraft2"]);

/**
 * A XuanCe file as a layer of our keys for the run on `envName` with
 * `mixer`. The file's own agent, env_name and env_id must agree with them
 * (a StarCraft II file may run on SMAClite's port of its map, with a note).
 */
export function xuanceLayer(file: ConfigFile, envName: string, mixer: string | undefined, envArgs: Record<string, unknown> = {},
  make: (name: string, options: Record<string, unknown>) => MultiAgentEnv = makeEnv): XuanceLayer {
  // The episode limit converts XuanCe's transition counts into our episodes.
  const env = make(envName, { ...envArgs, seed: 0 });
  const episodeLimit = env.episodeLimit;
  env.close?.();
  const m = fromXuance(file.data as never, { episodeLimit, source: file.path });
  const notes = [...m.notes];
  if (m.method !== undefined && mixer !== undefined && mixerOf(m.method) !== mixer) {
    throw new ConfigError(`${file.path}: "agent" says ${m.method.toUpperCase()}, the run was asked for mixer "${mixer}"; make them agree`);
  }
  if (m.envName !== undefined) {
    const family = m.envName.toLowerCase();
    if (SC2_NAMES.has(family) && envName.startsWith("smaclite/")) {
      notes.push(`env_name "${m.envName}": running SMAClite's port of ${m.envId ?? "the map"} (${envName}); StarCraft II itself is not here`);
      if (m.envId !== undefined && `smaclite/${m.envId.toLowerCase()}` !== envName) throw new ConfigError(`${file.path}: "env_id" is "${m.envId}", the run is on ${envName}`);
    } else {
      const named = envNameOf(m.envName, m.envId);
      if (named !== envName) throw new ConfigError(`${file.path}: "env_name"/"env_id" name ${named}, the run is on ${envName}; make them agree`);
    }
  }
  return { layer: [file.path, { ...m.config, env: envName }], notes, ignored: m.ignored };
}
