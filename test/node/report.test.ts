// qmix report: run folders grouped over seeds, medians and seeded bootstrap
// intervals, steps to a target, and the median curve with its
// interquartile band; made from run folders written here.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { bootstrapMeanCi, medianCurve, quantile, report } from "../../src/node/report.ts";

const dir = mkdtempSync(join(tmpdir(), "qmix-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A run folder whose greedy evaluations at 0, 10k, 20k, … steps won `wins`. */
function run(name: string, config: Record<string, unknown>, wins: number[], wallPerEval = 30): void {
  const d = join(dir, "runs", name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "config.json"), JSON.stringify({ env: "smaclite/2s3z", mixer: "qmix", seed: 0, ...config }));
  const lines = wins.map((w, k) => JSON.stringify({ t_env: 10_000 * k, wall_s: wallPerEval * k, test_return_mean: 20 * w, test_battle_won_mean: w }));
  writeFileSync(join(d, "metrics.jsonl"), lines.join("\n") + "\n");
}

run("qmix-seed0", { seed: 0 }, [0, 0.5, 1, 1]);
run("qmix-seed1", { seed: 1, learnerThreads: 2 }, [0, 0.25, 0.75, 0.9]);
run("qmix-seed2", { seed: 2 }, [0, 1, 1, 0.5]);
run("vdn-seed0", { mixer: "vdn" }, [0, 0, 0.5, 0.96]);

describe("qmix report", () => {
  it("groups by the config less the seed and how it ran; medians, intervals, steps to the target", () => {
    const r = report([join(dir, "runs")], { svgDir: join(dir, "svg") });
    const lines = r.markdown.trim().split("\n");
    expect(lines[0]).toBe("| method | env | seeds | best win rate: median; mean [95% CI] | final win rate: median; mean [95% CI] | steps to ≥ 95.0%: median (reached) | env steps (median) | steps/s (median) | wall-clock (median) |");
    // best 1, 0.9, 1; final 1, 0.9, 0.5; 95% first reached at 20k and 10k by two seeds
    expect(lines[2]).toMatch(/^\| QMIX \| smaclite\/2s3z \| 3 \(0, 1, 2\) \| 100\.0%; 96\.7% \[90\.0, 100\.0\] \| 90\.0%; 80\.0% \[\d+\.\d, \d+\.\d\] \| 15,000 \(2 of 3\) \| 30,000 \| 333 \| 2 min \|$/);
    expect(lines[3]).toBe("| VDN | smaclite/2s3z | 1 (0) | 96.0%; 96.0% [96.0, 96.0]* | 96.0%; 96.0% [96.0, 96.0]* | 30,000 (1 of 1) | 30,000 | 333 | 2 min |");
    expect(lines[5]).toBe("\\* one seed: the interval is the value itself.");
    expect(report([join(dir, "runs")]).markdown).toBe(r.markdown); // seeded: the same table every time
    expect(r.svgs.map((p) => p.slice(dir.length + 1))).toEqual(["svg/smaclite_2s3z-qmix.svg", "svg/smaclite_2s3z-vdn.svg"]);
    const svg = readFileSync(r.svgs[0]!, "utf8");
    expect(svg).toContain("median of 3 seeds (band: interquartile range)");
    expect(svg).toContain("<polygon");
    expect(report([join(dir, "runs", "vdn-seed0")], { metric: "return", target: 19 }).markdown).toMatch(/\| VDN \| smaclite\/2s3z \| 1 \(0\) \| 19\.200; .* \| 30,000 \(1 of 1\) \|/);
  });

  it("docs/results-smaclite.md's table is the report of docs/runs", () => {
    const root = join(import.meta.dirname, "..", "..");
    const doc = readFileSync(join(root, "docs", "results-smaclite.md"), "utf8");
    expect(doc).toContain(report([join(root, "docs", "runs")]).markdown.trim());
  });

  it("the median curve follows the k-th evaluation of every seed", () => {
    const runs = [[0, 0.2, 0.4], [0, 0.6], [0, 1, 0.8]].map((w, s) => ({ dir: "", config: { seed: s } as never, evals: w.map((y, k): [number, number] => [1000 * k + s, y]), steps: 0, seconds: 0 }));
    const c = medianCurve(runs, 100);
    expect(c.points).toEqual([[1, 0], [1001, 60], [2001, 60]]);
    expect(c.band[1]).toEqual([1001, 40, 80]);
  });

  it("the bootstrap interval is seeded, holds the mean, and is the value itself for one seed", () => {
    expect(bootstrapMeanCi([0.7])).toEqual([0.7, 0.7]);
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2, maxLength: 8 }), (xs) => {
      const [lo, hi] = bootstrapMeanCi(xs, 2000);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(bootstrapMeanCi(xs, 2000)).toEqual([lo, hi]);
      expect(lo).toBeLessThanOrEqual(mean + 1e-12);
      expect(hi).toBeGreaterThanOrEqual(mean - 1e-12);
      expect(lo).toBeGreaterThanOrEqual(Math.min(...xs) - 1e-12);
      expect(hi).toBeLessThanOrEqual(Math.max(...xs) + 1e-12);
    }), { numRuns: 30 });
    expect(quantile([4, 1, 3, 2], 0.25)).toBe(1.75);
  });
});
