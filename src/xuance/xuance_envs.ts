// XuanCe's names for methods and environments, mapped onto ours: get_runner's
// method (iql is our mixer "none"), and its env family and env_id onto our
// registered environments (mpe + simple_spread_v3 → simple_spread_v3,
// smaclite + 2s3z → smaclite/2s3z). Families that are not here are errors
// that say so, and what to use instead where there is something.

import { listEnvs } from "../envs/registry.ts";
import { ConfigError } from "../train/config.ts";

export type Method = "qmix" | "vdn" | "iql";
export const METHODS: readonly Method[] = ["qmix", "vdn", "iql"];
export const MIXER_OF: Record<Method, "qmix" | "vdn" | "none"> = { qmix: "qmix", vdn: "vdn", iql: "none" };

/** The mixer a method name means (XuanCe's "iql" is our mixer "none"). */
export function mixerOf(method: string): "qmix" | "vdn" | "none" {
  const m = method.toLowerCase();
  if (!(METHODS as readonly string[]).includes(m)) {
    throw new ConfigError(`method: "${method}" is not one this library runs; allowed: ${METHODS.map((x) => `"${x}"`).join(", ")} (XuanCe's other methods, such as "qtran" or "mappo", are not here)`);
  }
  return MIXER_OF[m as Method];
}

// XuanCe families with no counterpart here, and what to use instead where there is one.
const ABSENT_FAMILIES: Record<string, string> = {
  sc2: 'StarCraft II is not here; env "smaclite" runs SMAClite\'s port of the SMAC maps (envId "2s3z", "3m", …)',
  starcraft2: 'StarCraft II is not here; env "smaclite" runs SMAClite\'s port of the SMAC maps (envId "2s3z", "3m", …)',
  football: "Google Research Football is not here",
  robotic_warehouse: "Robotic Warehouse is not here",
  magent2: "MAgent2 is not here",
  atari: "Atari is not here (and QMIX is a multi-agent method)",
  classic_control: "classic control tasks are single-agent; QMIX is not for them",
  box2d: "Box2D tasks are single-agent; QMIX is not for them",
  mujoco: "MuJoCo tasks are single-agent and continuous; QMIX is not for them",
};

const MPE_IDS = ["simple_spread_v3"];
const MATRIX_IDS = ["two_step", "nonmonotonic_3x3", "matrix_game"];

/**
 * Our environment name for XuanCe's (env, env_id): mpe + simple_spread_v3 →
 * simple_spread_v3, smaclite + 2s3z → smaclite/2s3z, matrix + two_step →
 * two_step. Any other family is looked up in the registry, so custom
 * environments work: a registered "FAMILY/ID", else a registered "FAMILY".
 */
export function envNameOf(env: string, envId?: string): string {
  const family = env.toLowerCase();
  const registered = new Set(listEnvs().map((e) => e.name));
  if (Object.hasOwn(ABSENT_FAMILIES, family)) throw new ConfigError(`env: "${env}": ${ABSENT_FAMILIES[family]}`);
  const need = (ids: string[]) => {
    if (envId === undefined || !ids.includes(envId)) {
      throw new ConfigError(`envId: ${envId === undefined ? "missing" : `"${envId}"`} for env "${env}"; allowed: ${ids.map((x) => `"${x}"`).join(", ")}`);
    }
    return envId;
  };
  if (family === "mpe") return need(MPE_IDS);
  if (family === "matrix") return need(MATRIX_IDS);
  if (family === "smaclite") {
    // SMAC's map names are mixed case (MMM2), SMAClite's registered ones lower case.
    const maps = [...registered].filter((n) => n.startsWith("smaclite/")).map((n) => n.slice("smaclite/".length));
    const hit = maps.find((m) => m === envId?.toLowerCase());
    return `smaclite/${hit ?? need(maps)}`;
  }
  if (envId !== undefined && registered.has(`${env}/${envId}`)) return `${env}/${envId}`;
  if (registered.has(env)) return env;
  throw new ConfigError(`env: "${env}"${envId === undefined ? "" : ` with envId "${envId}"`} is neither a family we know (mpe, smaclite, matrix) nor a registered environment; registered: ${[...registered].join(", ")} (registerEnv adds your own)`);
}

