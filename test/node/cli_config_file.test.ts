// `qmix train --config FILE` reads JSON and YAML, in our keys or XuanCe's;
// a bad file names the line or the key.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const dir = mkdtempSync(join(tmpdir(), "qmix-cli-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function qmix(...args: string[]) {
  const r = spawnSync(TSX, [join(ROOT, "src", "node", "cli.ts"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("qmix train --config", () => {
  it("trains from a XuanCe YAML config and says how it read it", () => {
    const out = join(dir, "xuance");
    const r = qmix("train", "--config", join(ROOT, "test", "fixtures", "xuance", "qmix_simple_spread_v3.yaml"), "--steps", "100", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/training qmix on simple_spread_v3 .* for 100 steps, seed 3/);
    expect(r.stdout).toMatch(/read .*qmix_simple_spread_v3\.yaml as a XuanCe config/);
    expect(r.stdout).toMatch(/ignored log_dir: logs go to the run folder/);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toMatchObject({ env: "simple_spread_v3", bufferSize: 100, rnnHiddenDim: 32, tMax: 100 });
  });

  it("reads our keys from YAML over the preset", () => {
    const file = join(dir, "ours.yaml");
    writeFileSync(file, "# our keys\nenv: two_step\nlr: 0.002   # faster\ntMax: 200\n");
    const out = join(dir, "ours");
    const r = qmix("train", "--config", file, "--out", out, "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, "qtot.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "config.json"), "utf8"))).toMatchObject({ lr: 0.002, tMax: 200, mixingEmbedDim: 8 });
  });

  it("names the line of a broken file and the key it cannot honour", () => {
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, "env: two_step\nlr: [0.1\n");
    const r1 = qmix("train", "--config", broken, "--out", join(dir, "b1"));
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/broken\.yaml, line 2: /);
    const unhonoured = join(dir, "unhonoured.yaml");
    writeFileSync(unhonoured, "agent: QMIX\nenv_name: mpe\nenv_id: simple_spread_v3\nrepresentation_hidden_size: [64]\nq_hidden_size: [128]\n");
    const r2 = qmix("train", "--config", unhonoured, "--out", join(dir, "b2"));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/"q_hidden_size": \[128\] differs from representation_hidden_size \[64\]/);
  });
});
