// The command line for a newcomer: help per command with every option and
// its default, `qmix config` generated from the config's own tables,
// "did you mean" for commands, options, environments and config keys,
// usage errors that exit 2 and leave no folder, shipped teams by
// pretrained:NAME, and a curve drawn while training runs. Run in-process
// (main() with stdout and stderr captured), so each case costs milliseconds.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { renderSpreadText, SimpleSpreadEnv } from "../../src/envs/index.ts";
import { suggest } from "../../src/envs/suggest.ts";
import { CONFIG_HELP, CONFIG_KEYS, configTable, DEFAULT_CONFIG, resolveConfig } from "../../src/train/config.ts";
import { COMMANDS } from "../../src/node/cli_commands.ts";
import { trainRunFolder, writeCurve } from "../../src/node/train_run.ts";
import { runMain } from "../util/run_main.ts";

const dir = mkdtempSync(join(tmpdir(), "qmix-cli-help-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const qmix = (...argv: string[]) => runMain(argv);

describe("qmix help", () => {
  it("--help lists the commands; each command's --help lists its own options, one line each, with defaults", async () => {
    const top = await qmix("--help");
    expect(top.code).toBe(0);
    for (const c of Object.keys(COMMANDS)) expect(top.stdout).toMatch(new RegExp(`^  ${c}\\s+\\S`, "m"));
    const seen = new Set<string>();
    for (const [c, spec] of Object.entries(COMMANDS).filter(([, x]) => !x.ownParser)) {
      const h = await qmix(c, "--help");
      expect(h.code).toBe(0);
      expect((await qmix("help", c)).stdout).toBe(h.stdout);
      seen.add(h.stdout);
      for (const o of spec.options) {
        expect(h.stdout, `${c} --${o.flag}`).toContain(`--${o.flag}`);
        if (o.default !== undefined) expect(h.stdout).toContain(`[default: ${o.default}]`);
      }
    }
    expect(seen.size).toBe(Object.values(COMMANDS).filter((x) => !x.ownParser).length);
    // sweep and report print their own help.
    expect((await qmix("help", "sweep")).stdout).toMatch(/qmix sweep FILE/);
    const train = (await qmix("train", "--help")).stdout;
    expect(train).toMatch(/^ {2}--quiet +no lines on stdout/m);
    expect(train).toMatch(/^ {2}--steps N +.*\[default: the preset's tMax, else 2,050,000\]/m);
    const evalHelp = (await qmix("eval", "--help")).stdout;
    expect(evalHelp).toMatch(/^ {2}--seed N +.*\[default: 12345\]/m);
    expect(evalHelp).toMatch(/^ {2}--env NAME/m);
  });

  it("qmix config gives every key its meaning, type, default and source, from the config's own tables", async () => {
    const r = await qmix("config");
    expect(r.code).toBe(0);
    for (const k of CONFIG_KEYS) {
      expect(r.stdout).toMatch(new RegExp(`^${k}\\s+\\S`, "m"));
      expect(CONFIG_HELP[k].meaning.length, k).toBeGreaterThan(5);
    }
    expect(r.stdout).toMatch(/^lr\s+learning rate\n\s+a finite number in \[0, 10\]; default 0\.0005 \(pymarl default\.yaml lr\)$/m);
    const j = JSON.parse((await qmix("config", "--json")).stdout) as ReturnType<typeof configTable>;
    expect(j.map((row) => row.key)).toEqual(CONFIG_KEYS);
    for (const row of j) expect(JSON.parse(row.default)).toEqual(DEFAULT_CONFIG[row.key]);
  });
});

describe("qmix errors", () => {
  it("suggest the closest command, option, environment and config key, and exit 2", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["trian"], /unknown command "trian"\. Did you mean "train"\?/],
      [["train", "--evn", "two_step"], /unknown option --evn for "train"\. Did you mean "--env"\?/],
      [["train", "--json"], /--json does not apply to "train" \(it is an option of eval, config\)/],
      [["train", "--render"], /--render does not apply to "train"/],
      [["envs", "extra"], /unexpected argument "extra" for "envs"/],
      [["train", "--env", "simple_spread", "--out", join(dir, "e1")], /^qmix: unknown environment "simple_spread"\. Did you mean "simple_spread_v3"\?/],
      [["train", "--env", "two_step", "--set", "learningRate=0.1", "--out", join(dir, "e2")], /unknown config key "learningRate"\. Did you mean "lr"\?/],
      [["train", "--env", "two_step", "--set", "batch_size=8", "--out", join(dir, "e3")], /unknown config key "batch_size"\. Did you mean "batchSize"\? Allowed/],
      [["train", "--env", "two_step", "--set", "t_max=8", "--out", join(dir, "e4")], /Did you mean "tMax"\?/],
      [["train", "--env", "two_step", "--set", "learning_rate=0.1", "--out", join(dir, "e5")], /Did you mean "lr"\?/],
      [["train", "--config", join(dir, "missing.yaml")], new RegExp(`--config: no file at ${join(dir, "missing.yaml").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`)],
      [["eval", "--checkpoint", "pretrained:smaclite_2s3z"], /pretrained:smaclite_2s3z: no such team .*Did you mean "smaclite_2s3z-qmix"\?/],
    ];
    for (const [argv, message] of cases) {
      const r = await qmix(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toMatch(message);
      expect(r.stderr).not.toMatch(/makeEnv:|ENOENT/);
    }
    // A run that never started leaves no folder behind.
    for (const e of ["e1", "e2", "e3", "e4", "e5"]) expect(existsSync(join(dir, e)), e).toBe(false);
  });

  it("suggest() prefers a spelling that differs only in case or underscores, and stays quiet when nothing is close", () => {
    expect(suggest("batch_size", CONFIG_KEYS)).toEqual(["batchSize"]);
    expect(suggest("epsilon_anneal_time", CONFIG_KEYS)).toEqual(["epsilonAnnealTime"]);
    expect(suggest("gama", CONFIG_KEYS)).toEqual(["gamma"]);
    expect(suggest("zzzzzz", CONFIG_KEYS)).toEqual([]);
  });
});

describe("qmix eval of a shipped team", () => {
  it("finds pretrained:NAME in the package's models/ and says 'episode' for one", async () => {
    const r = await qmix("eval", "--checkpoint", "pretrained:simple_spread_v3-qmix", "--episodes", "1");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^qmix on simple_spread_v3: greedy return -?\d+\.\d+ ± 0\.000 over 1 episode \(.*models\/simple_spread_v3-qmix\.safetensors, trained/);
  });
});

describe("while training", () => {
  it("curve.svg exists from the first evaluation on, and the log line gives SMAClite's return out of 20 and the win rate in per cent", async () => {
    const out = join(dir, "curve");
    let curveAtFirstEval = false;
    let stdout = "";
    const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => { stdout += String(s); return true; });
    try {
      const config = resolveConfig(["test", { env: "smaclite/3m", agent: "ff", rnnHiddenDim: 8, mixingEmbedDim: 4, hypernetEmbed: 8, bufferSize: 8, batchSize: 2, tMax: 240, testInterval: 120, testNEpisode: 1, logInterval: 120 }]);
      await trainRunFolder(out, config, { hooks: { onMetrics: (m) => { if (m.t_env === 0) curveAtFirstEval = existsSync(join(out, "curve.svg")); } } });
    } finally {
      o.mockRestore();
    }
    expect(curveAtFirstEval).toBe(true);
    expect(stdout).toMatch(/test return \d+\.\d+ ± \d+\.\d+ of 20 {2}won \d+\.\d%/);
    const svg = readFileSync(join(out, "curve.svg"), "utf8");
    expect(svg).toContain("greedy win rate (right axis, dashed)");
    expect(svg).toContain(">100%</text>");
  });

  it("curve.svg's axis labels read as step counts, with no 0.00", () => {
    const m = join(dir, "m.jsonl"), svg = join(dir, "c.svg");
    rmSync(m, { force: true });
    const lines = [0, 10_000, 20_000].map((t, i) => JSON.stringify({ t_env: t, test_return_mean: -20 + 5 * i, test_battle_won_mean: i / 2 }));
    writeFileSync(m, lines.join("\n") + "\n");
    writeCurve(m, svg, "t");
    const text = readFileSync(svg, "utf8");
    expect(text).not.toContain(">0.00<");
    expect(text).toContain(">20k<");
    expect(text).toContain(">0%<");
  });
});

describe("simple_spread's text frames", () => {
  it("say at t=1 why the agents have not moved yet", () => {
    const env = new SimpleSpreadEnv({ seed: 1 });
    env.reset(1);
    env.step([1, 2, 3]);
    expect(renderSpreadText(env.frame())).toContain("PettingZoo moves them by the velocity before the first action's push");
  });
});
