// The command line's commands and their options, one table: each command's
// help is printed from its entry and its flags are checked against it, so a
// new command is one entry here plus its function in cli.ts.

import { didYouMean } from "../envs/suggest.ts";

export interface OptionSpec {
  /** The flag without its dashes: "env" for --env. */
  flag: string;
  /** The value's placeholder ("N", "FILE"); absent for a switch (--quiet). */
  value?: string;
  /** The default as a reader needs it; absent when there is none. */
  default?: string;
  meaning: string;
  /** Each occurrence counts (--set); otherwise the last one given wins. */
  repeat?: boolean;
}

export interface CommandSpec {
  summary: string;
  /** Positional arguments: their placeholder for the usage line, and how many are allowed. */
  args?: { usage: string; min: number; max: number };
  options: OptionSpec[];
  /** Lines after the options: where to read more. */
  notes?: string[];
  /** The command reads its own arguments and prints its own help (sweep, report: src/node/sweep_cli.ts). */
  ownParser?: boolean;
}

export const COMMANDS: Record<string, CommandSpec> = {
  train: {
    summary: "train a team into a run folder (config, metrics, checkpoints, curve)",
    options: [
      { flag: "env", value: "NAME|process:COMMAND", default: "simple_spread_v3", meaning: "the environment (qmix envs lists them); its preset in presets/ applies" },
      { flag: "mixer", value: "qmix|vdn|none", default: "qmix", meaning: "QMIX, VDN, or independent Q-learning" },
      { flag: "seed", value: "N", default: "0", meaning: "seed for networks, exploration and environments" },
      { flag: "steps", value: "N", default: "the preset's tMax, else 2,050,000", meaning: "environment steps to train for (with --resume: the new total)" },
      { flag: "config", value: "FILE", meaning: "a JSON or YAML config in our keys or XuanCe's (docs/usage.md)" },
      { flag: "set", value: "KEY=VALUE", repeat: true, meaning: "one config key, last of all layers (qmix config lists the keys)" },
      { flag: "out", value: "DIR", default: "runs/ENV-MIXER-seedN", meaning: "the run folder" },
      { flag: "resume", meaning: "continue the run in --out from its checkpoint" },
      { flag: "quiet", meaning: "no lines on stdout and no progress line" },
    ],
    notes: [
      "Layers, each checked: defaults, the environment's preset, --config, the flags, --set.",
      "Ctrl-C, SIGTERM and SIGHUP stop training and save a checkpoint (exit 130); --resume continues.",
    ],
  },
  eval: {
    summary: "greedy evaluation of a saved team",
    options: [
      { flag: "checkpoint", value: "FILE|DIR|pretrained:NAME", meaning: "a .safetensors file, a run folder (its best.safetensors), or a shipped team (pretrained:simple_spread_v3-qmix, pretrained:smaclite_2s3z-qmix)" },
      { flag: "episodes", value: "N", default: "32", meaning: "episodes to average over" },
      { flag: "seed", value: "N", default: "12345", meaning: "seed for the evaluation episodes" },
      { flag: "env", value: "NAME|process:COMMAND", default: "the checkpoint's", meaning: "evaluate on another implementation of the same task (same sizes)" },
      { flag: "render", meaning: "print one episode as text first" },
      { flag: "fps", value: "N", default: "4", meaning: "with --render on a terminal: frames per second of the replay" },
      { flag: "json", meaning: "print one JSON line instead of a sentence" },
    ],
  },
  envs: {
    summary: "list the environments, with the sizes training uses",
    options: [],
  },
  config: {
    summary: "list every config key: meaning, type, default, source",
    options: [{ flag: "json", meaning: "print the table as JSON" }],
  },
  sweep: { summary: "run a grid of training runs from a YAML or JSON file, resumably (qmix sweep --help)", options: [], ownParser: true },
  report: { summary: "a table over seeds and curves from run folders (qmix report --help)", options: [], ownParser: true },
};

export class UsageError extends Error {
  override name = "UsageError";
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}

export interface Args {
  command: string;
  flags: Map<string, string[]>;
  positional: string[];
}

/** Splits argv into a command, its flags (checked against COMMANDS) and positional arguments. */
export function parseArgs(argv: string[]): Args {
  const first = argv[0];
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    const about = argv[1];
    return { command: "help", flags: new Map(), positional: about === undefined ? [] : [about] };
  }
  const spec = COMMANDS[first];
  if (!spec) throw new UsageError(`unknown command "${first}".${didYouMean(first, Object.keys(COMMANDS))} Commands: ${Object.keys(COMMANDS).join(", ")}`);
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") {
      flags.set("help", ["true"]);
      continue;
    }
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const opt = spec.options.find((o) => o.flag === name);
    if (!opt) throw new UsageError(unknownFlag(first, name), first);
    if (opt.value === undefined) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value, got "${a}"`, first);
      flags.set(name, ["true"]);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith("--"))) throw new UsageError(`--${name} needs a value (${opt.value})`, first);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  if (!flags.has("help")) {
    const { min, max } = spec.args ?? { min: 0, max: 0 };
    if (positional.length > max) throw new UsageError(`unexpected argument "${positional[max]}" for "${first}"${max === 0 ? " (it takes only --flags)" : ""}`, first);
    if (positional.length < min) throw new UsageError(`"${first}" needs ${spec.args!.usage}`, first);
  }
  return { command: first, flags, positional };
}

function unknownFlag(command: string, name: string): string {
  const spec = COMMANDS[command]!;
  const owners = Object.entries(COMMANDS).filter(([c, s]) => c !== command && s.options.some((o) => o.flag === name)).map(([c]) => c);
  if (owners.length > 0) return `--${name} does not apply to "${command}" (it is an option of ${owners.join(", ")}); see qmix ${command} --help`;
  const known = spec.options.map((o) => o.flag);
  const hint = didYouMean(name, known).replace(/"([^"]+)"/g, '"--$1"');
  return `unknown option --${name} for "${command}".${hint} ${known.length ? `Options: ${known.map((f) => `--${f}`).join(", ")}` : "It takes no options."}`;
}

/** `qmix --help`: the commands. */
export function mainHelp(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "qmix — QMIX for cooperative multi-agent RL",
    "",
    "Usage: qmix COMMAND [options]     (qmix COMMAND --help for its options)",
    "",
    ...Object.entries(COMMANDS).map(([c, s]) => `  ${c.padEnd(w)}  ${s.summary}`),
    "",
    "Start with: qmix train --env simple_spread_v3   then   qmix eval --checkpoint runs/simple_spread_v3-qmix-seed0",
    "",
  ].join("\n");
}

/** `qmix COMMAND --help`: one line per option with its default. */
export function commandHelp(command: string): string {
  const spec = COMMANDS[command]!;
  const left = (o: OptionSpec) => `--${o.flag}${o.value ? ` ${o.value}` : ""}`;
  const w = Math.max(0, ...spec.options.map((o) => left(o).length).filter((n) => n <= 28));
  const lines = [`qmix ${command}${spec.args ? ` ${spec.args.usage}` : ""}${spec.options.length ? " [options]" : ""} — ${spec.summary}`, ""];
  for (const o of spec.options) {
    const l = left(o);
    const text = `${o.meaning}${o.default !== undefined ? ` [default: ${o.default}]` : ""}${o.repeat ? " (repeatable)" : ""}`;
    lines.push(l.length > w ? `  ${l}\n  ${"".padEnd(w)}  ${text}` : `  ${l.padEnd(w)}  ${text}`);
  }
  if (spec.options.length === 0) lines.push("  (no options)");
  if (spec.notes) lines.push("", ...spec.notes);
  lines.push("");
  return lines.join("\n");
}
