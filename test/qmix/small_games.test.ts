// End-to-end training on the paper's two-step game and a
// non-monotonic matrix game, with the paper's
// setup (presets/*.json): QMIX recovers the two-step game's Q_tot table and
// its optimal return 8, VDN settles for 7, and on the non-monotonic 3×3 game
// QMIX learns the monotonic projection that loses the 8.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../../src/envs/index.ts";
import { twoStepStates } from "../../src/envs/two_step.ts";
import { matrixGameStates, MatrixGameEnv } from "../../src/envs/matrix_game.ts";
import { resolveConfig } from "../../src/train/config.ts";
import { trainLoop } from "../../src/train/loop.ts";
import { qtotTables } from "../../src/train/qtot_table.ts";
import { Trainer } from "../../src/train/trainer.ts";

function preset(name: string): Record<string, unknown> {
  const o = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "presets", `${name}.json`), "utf8")) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith("_")));
}

function train(env: string, overrides: Record<string, unknown>): Trainer {
  const trainer = new Trainer(resolveConfig(["preset", preset(env)], ["test", overrides]));
  trainLoop(trainer);
  return trainer;
}

// The QMIX paper's learned Q_tot (its Table 1), rows = agent 1's action.
const PAPER = { "1": [[6.93, 6.93], [7.92, 7.92]], "2A": [[7, 7], [7, 7]], "2B": [[0, 1], [1, 8]] } as Record<string, number[][]>;

describe("two-step game", () => {
  it("QMIX learns the paper's Q_tot table (within 0.2) and the greedy return 8", () => {
    const trainer = train("two_step", { mixer: "qmix", seed: 0 });
    for (const t of qtotTables(trainer.learner, twoStepStates())) {
      const want = PAPER[t.name]!;
      const got = t.qtot as number[][];
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) expect(Math.abs(got[a]![b]! - want[a]![b]!), `state ${t.name} [${a}][${b}] = ${got[a]![b]}`).toBeLessThan(0.2);
    }
    expect(trainer.evaluate(1).returnMean).toBe(8);
  });

  it("VDN settles for the greedy return 7", () => {
    const trainer = train("two_step", { mixer: "vdn", seed: 0 });
    expect(trainer.evaluate(1).returnMean).toBe(7);
  });
});

describe("non-monotonic 3×3 game", () => {
  it("QMIX learns the monotonic projection: the 8 is lost", () => {
    const trainer = train("nonmonotonic_3x3", { mixer: "qmix", seed: 1, tMax: 10000 });
    const env = trainer.envs[0] as MatrixGameEnv;
    const [table] = qtotTables(trainer.learner, matrixGameStates(env));
    const q = table!.qtot as number[][];
    // The optimum's row and column are pushed down together; the 0 block is learned.
    expect(q[0]![0]!).toBeLessThan(-5);
    for (const [a, b] of [[1, 1], [1, 2], [2, 1], [2, 2]] as const) expect(Math.abs(q[a]![b]!)).toBeLessThan(0.5);
    expect(trainer.evaluate(1).returnMean).toBe(0);
  });
});
