// Validation of environment options at the door. Every environment states the
// keys it understands and what each may hold; a mistake names the
// environment, the key and what is allowed, so a typo in a config file never
// turns silently into a default.

import type { EnvOptions } from "./env.ts";

export interface OptionRule {
  /** What is allowed, in words: "an integer in [1, 100]". */
  allowed: string;
  ok: (value: unknown) => boolean;
}

export type OptionRules = Record<string, OptionRule>;

/** Every environment takes a seed; it is checked here so no env forgets. */
const SEED_RULE: OptionRule = {
  allowed: "a finite number",
  ok: (v) => typeof v === "number" && Number.isFinite(v),
};

export function intIn(lo: number, hi: number): OptionRule {
  return {
    allowed: `an integer in [${lo}, ${hi}]`,
    ok: (v) => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi,
  };
}

export function numberIn(lo: number, hi: number): OptionRule {
  return {
    allowed: `a number in [${lo}, ${hi}]`,
    ok: (v) => typeof v === "number" && Number.isFinite(v) && v >= lo && v <= hi,
  };
}

/** A short, bounded picture of a value for an error message. */
export function showValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  if (typeof v === "function") return "a function";
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Throw if `options` holds a key not in `rules` (besides `seed`) or a value a
 * rule rejects. Keys whose value is `undefined` count as absent.
 */
export function checkOptions(env: string, options: EnvOptions, rules: OptionRules): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new Error(`${env}: options must be an object, got ${showValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    const value = options[key];
    if (value === undefined) continue;
    const rule = key === "seed" ? SEED_RULE : rules[key];
    if (rule === undefined) {
      const allowed = [...Object.keys(rules), "seed"].join(", ");
      throw new Error(`${env}: unknown option "${key}"; allowed options: ${allowed}`);
    }
    if (!rule.ok(value)) {
      throw new Error(`${env}: option "${key}" must be ${rule.allowed}, got ${showValue(value)}`);
    }
  }
}

/**
 * Fold alternative spellings into their canonical key (PettingZoo's
 * `max_cycles` for our `maxCycles`), refusing both at once.
 */
export function resolveAliases(env: string, options: EnvOptions, aliases: Record<string, string>): EnvOptions {
  const out: EnvOptions = { ...options };
  for (const [alias, canonical] of Object.entries(aliases)) {
    if (out[alias] === undefined) {
      delete out[alias];
      continue;
    }
    if (out[canonical] !== undefined) {
      throw new Error(`${env}: options "${alias}" and "${canonical}" name the same setting; give only one`);
    }
    out[canonical] = out[alias];
    delete out[alias];
  }
  return out;
}

/** The seed option as a number, or undefined. Call after checkOptions. */
export function seedOf(options: EnvOptions): number | undefined {
  const s = options["seed"];
  return typeof s === "number" ? s : undefined;
}
