// The three TypeScript snippets of docs/usage.md's "Coming from XuanCe",
// run as written: each is copied into a module in a fresh folder, with
// "qmix-ts" pointed at src/, next to the config files it names, and run
// with tsx. The only edits: the demo and the page's qmix_myenv.yaml get
// small step budgets.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../../src/train/checkpoint.ts";
import { DecentralisedPolicy } from "../../src/qmix/policy.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const section = (() => {
  const doc = readFileSync(join(ROOT, "docs", "usage.md"), "utf8");
  return doc.slice(doc.indexOf("## Coming from XuanCe"));
})();

function snippets(): string[] {
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** The section's one YAML file, qmix_myenv.yaml. */
const docYaml = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)[0] ?? "";

/** Runs a snippet in a fresh folder holding `files`; returns the folder. */
function run(code: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "qmix-xuance-api-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const source = code
    .replaceAll('from "qmix-ts/node"', `from ${JSON.stringify(join(ROOT, "src", "node", "index.ts"))}`)
    .replaceAll('from "qmix-ts"', `from ${JSON.stringify(join(ROOT, "src", "index.ts"))}`);
  writeFileSync(join(dir, "snippet.mts"), source);
  const r = spawnSync(TSX, [join(dir, "snippet.mts")], { cwd: dir, encoding: "utf8", timeout: 180_000 });
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  return dir;
}

const fixture = readFileSync(join(ROOT, "test", "fixtures", "xuance", "qmix_simple_spread_v3.yaml"), "utf8");
const myConfig = fixture.replace("running_steps: 300", "running_steps: 100").replace("seed: 3", "seed: 0");

describe("docs/usage.md, Coming from XuanCe", () => {
  const [demo, ownConfig, custom] = snippets();
  it("has the three snippets", () => {
    expect(snippets()).toHaveLength(3);
  });

  it("1. the built-in demo trains into its run folder", () => {
    const budget = 'isTest: false, overrides: { tMax: 100, testNEpisode: 2, learnerThreads: 1 } });';
    expect(demo!.split('isTest: false });')).toHaveLength(2);
    const dir = run(demo!.replace('isTest: false });', budget));
    const out = join(dir, "runs", "simple_spread_v3-qmix-seed0");
    for (const f of ["config.json", "metrics.jsonl", "model.safetensors", "best.safetensors"]) expect(existsSync(join(out, f)), f).toBe(true);
  });

  it("2. a config file of your own, benchmarked into its own run folder", () => {
    const dir = run(ownConfig!, { "my_config.yaml": myConfig });
    const out = join(dir, "runs", "my_config");
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toMatchObject({ tMax: 100, rnnHiddenDim: 32, bufferSize: 100 });
    expect(existsSync(join(out, "best.safetensors"))).toBe(true);
  });

  it("3. a custom environment, agents trained from the file the page shows, saved and finished", () => {
    // The page's qmix_myenv.yaml, with a budget for a test.
    const yaml = docYaml.replace(/^running_steps: 10000 .*$/m, "running_steps: 400").replace("eval_interval: 2000", "eval_interval: 200").replace("test_episode: 8", "test_episode: 1");
    expect(yaml).toContain("running_steps: 400");
    const dir = run(custom!, { "qmix_myenv.yaml": yaml });
    const bytes = new Uint8Array(readFileSync(join(dir, "final_train_model.safetensors")));
    expect(readConfig(bytes)).toMatchObject({ env: "my_env", tMax: 400, batchSizeRun: 2 });
    expect(DecentralisedPolicy.fromBytes(bytes).spec.nAgents).toBe(2);
  });
});
