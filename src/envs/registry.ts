// The environment registry: names to factories, so configs and the CLI can
// say "simple_spread_v3" and users can add their own games beside ours.
// The built-ins are registered by ./index.ts.

import type { EnvFactory, EnvOptions, MultiAgentEnv } from "./env.ts";
import { didYouMean } from "./suggest.ts";

/** makeEnv was given a name nobody registered; the message suggests the closest. */
export class UnknownEnvError extends Error {
  override name = "UnknownEnvError";
  constructor(readonly envName: string, readonly known: string[]) {
    const list = known.length > 0 ? known.join(", ") : "(none; import src/envs/index.ts to register the built-ins)";
    super(`unknown environment ${JSON.stringify(envName)}.${didYouMean(envName, known)} Registered: ${list}`);
  }
}

export interface EnvInfo {
  name: string;
  description: string;
}

export interface RegisterOptions {
  description?: string;
  /** Allow replacing an environment already registered under this name. */
  replace?: boolean;
}

interface Entry {
  factory: EnvFactory;
  description: string;
}

const registry = new Map<string, Entry>();

export function registerEnv(name: string, factory: EnvFactory, info: RegisterOptions = {}): void {
  if (typeof name !== "string" || name.length === 0 || /\s/.test(name)) {
    throw new Error(`registerEnv: name must be a non-empty string without spaces, got ${JSON.stringify(name)}`);
  }
  if (typeof factory !== "function") {
    throw new Error(`registerEnv("${name}"): factory must be a function (options) => MultiAgentEnv, got ${typeof factory}`);
  }
  if (registry.has(name) && info.replace !== true) {
    throw new Error(`registerEnv: "${name}" is already registered; pass { replace: true } to replace it`);
  }
  registry.set(name, { factory, description: info.description ?? "" });
}

/** Remove a registered environment; returns whether it was there. */
export function unregisterEnv(name: string): boolean {
  return registry.delete(name);
}

export function listEnvs(): EnvInfo[] {
  return [...registry.entries()].map(([name, e]) => ({ name, description: e.description }));
}

export function makeEnv(name: string, options: EnvOptions & { seed?: number } = {}): MultiAgentEnv {
  const entry = registry.get(name);
  if (entry === undefined) {
    throw new UnknownEnvError(name, [...registry.keys()]);
  }
  const env = entry.factory(options);
  checkEnvShape(name, env);
  return env;
}

/** A factory's result must at least look like a MultiAgentEnv; cheap, and it catches a wrong return. */
function checkEnvShape(name: string, env: MultiAgentEnv): void {
  if (env === null || typeof env !== "object") {
    throw new Error(`makeEnv("${name}"): the factory returned ${String(env)}, not an environment`);
  }
  for (const m of ["reset", "step", "getObs", "getState", "getAvailActions"] as const) {
    if (typeof env[m] !== "function") throw new Error(`makeEnv("${name}"): the environment has no ${m}() method`);
  }
  for (const k of ["nAgents", "obsDim", "stateDim", "nActions", "episodeLimit"] as const) {
    const v = env[k];
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`makeEnv("${name}"): ${k} must be a positive integer, got ${String(v)}`);
    }
  }
}
