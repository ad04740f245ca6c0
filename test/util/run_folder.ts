// Helpers for tests that stop a training process: wait until it trains, and
// say what a stopped run folder still lacks.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The files a stopped two_step run must hold (qtot.json: a matrix game's table), and no lock: [] when complete. */
export function complete(out: string): string[] {
  const missing = ["config.json", "metrics.jsonl", "model.safetensors", "buffer.safetensors", "curve.svg", "qtot.json"].filter((f) => !existsSync(join(out, f)));
  if (existsSync(join(out, "train.lock"))) missing.push("(train.lock still there)");
  return missing;
}

/** Waits until training is under way: the first metrics line is the t = 0 evaluation. */
export async function started(out: string): Promise<void> {
  const m = join(out, "metrics.jsonl");
  for (let k = 0; k < 300 && !(existsSync(m) && readFileSync(m, "utf8").length > 0); k++) await sleep(100);
  await sleep(300);
}
