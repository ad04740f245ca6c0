// The example page in a real browser: Debian's Chromium, headless, driven by
// playwright-core (no browser download; executablePath is the system binary).
// A local static server serves the repository, the page imports the freshly
// built dist/ as plain ES modules, and a click trains the two-step game in a
// Web Worker until the page shows greedy return 8 and the paper's Q_tot for
// state 2B. Then simple_spread_v3 trains until its canvas has drawn greedy
// episodes and the curve has points, a screenshot is saved to
// test/runtime/__screenshots__/browser.png (gitignored), and the team is
// downloaded as bytes and loaded back from the file.
//
// Skipped, saying why, when no Chromium binary is found: set CHROMIUM_PATH
// or install it (`apt-get install -y chromium`; .ci/run does this in CI).

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStatic } from "../../examples/serve.ts";

// The page's side of waitForFunction, typed without pulling the DOM lib into the suite.
declare const document: { getElementById(id: string): { dataset: Record<string, string | undefined>; textContent: string | null } | null };

const ROOT = join(import.meta.dirname, "..", "..");
const SHOT_DIR = join(import.meta.dirname, "__screenshots__");
const CHROMIUM = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
  .find((p): p is string => !!p && existsSync(p));

if (!CHROMIUM) console.warn("SKIPPING the browser test: no Chromium binary (set CHROMIUM_PATH or apt-get install -y chromium; .ci/run installs it)");

let server: Server, url: string, browser: BrowserContext, page: Page, profile: string;
const consoleErrors: string[] = [];

describe.skipIf(!CHROMIUM)(`example page in headless Chromium${CHROMIUM ? "" : " — SKIPPED: no Chromium binary (set CHROMIUM_PATH or apt-get install -y chromium)"}`, () => {
  beforeAll(async () => {
    // The page imports ../../dist/index.js: build it from the current sources.
    execFileSync(join(ROOT, "node_modules", ".bin", "tsx"), [join(ROOT, "scripts", "build.ts")], { cwd: ROOT, stdio: "pipe" });
    ({ server, url } = await serveStatic(ROOT));
    profile = mkdtempSync(join(tmpdir(), "qmix-chromium-"));
    // A fresh profile each run; playwright passes it as --user-data-dir.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM!,
      headless: true,
      viewport: { width: 1220, height: 760 },
      // Root in a container needs --no-sandbox; the rest keep Chromium off the network.
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
    page = browser.pages()[0] ?? await browser.newPage();
    page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    // A map's own preset (presets/smaclite_<map>.json) is optional, as on the command line: its 404 is expected.
    page.on("response", (r) => { if (r.status() >= 400 && !(r.status() === 404 && /\/presets\/smaclite_\w+\.json$/.test(r.url()))) consoleErrors.push(`HTTP ${r.status()} ${r.url()}`); });
    await page.goto(`${url}examples/browser/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it("trains two_step in a Web Worker to greedy return 8, with the paper's Q_tot table", async () => {
    await page.click("#two-step-train");
    await page.waitForSelector("#two-step-status[data-done]", { timeout: 90_000 });
    expect(consoleErrors).toEqual([]);
    expect(await page.textContent("#two-step-greedy")).toBe("8");
    const cell = async (a1: number, a2: number) => Number(await page.textContent(`table[data-state="2B"] td[data-a1="${a1}"][data-a2="${a2}"]`));
    expect(await cell(1, 1)).toBeCloseTo(8, 0);
    expect(Math.abs(await cell(0, 0))).toBeLessThan(0.5);
    const tMax = (JSON.parse(readFileSync(join(ROOT, "presets", "two_step.json"), "utf8")) as { tMax: number }).tMax;
    expect(await page.textContent("#two-step-status")).toContain(`done · t_env ${tMax.toLocaleString("en-US")} `);
  }, 120_000);

  it("draws simple_spread_v3 episodes and the learning curve while training; saves a screenshot", async () => {
    await page.click("#spread-train");
    await page.waitForFunction(() => {
      const world = document.getElementById("spread-world")!, curve = document.getElementById("spread-curve")!;
      return Number(world.dataset.frames ?? 0) > 30 && Number(curve.dataset.points ?? 0) >= 6;
    }, undefined, { timeout: 90_000 });
    expect(consoleErrors).toEqual([]);
    expect(await page.textContent("#spread-status")).toMatch(/^t_env [\d,]+ · episode/);
    mkdirSync(SHOT_DIR, { recursive: true });
    const shot = join(SHOT_DIR, "browser.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
  }, 120_000);

  it("downloads the team as safetensors bytes and plays it back from a file", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#spread-save")]);
    expect(download.suggestedFilename()).toMatch(/^simple_spread_v3-team-\d+\.safetensors$/);
    const file = join(profile, "team.safetensors");
    await download.saveAs(file);
    await page.setInputFiles("#spread-load", file);
    await page.waitForFunction(() => document.getElementById("spread-episode")!.textContent!.includes("loaded team"), undefined, { timeout: 30_000 });
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it("loads the pretrained team shipped in models/ and plays it", async () => {
    await page.evaluate(() => { document.getElementById("spread-episode")!.textContent = ""; });
    await page.click("#spread-pretrained");
    await page.waitForFunction(() => document.getElementById("spread-episode")!.textContent!.includes("loaded team"), undefined, { timeout: 30_000 });
    await page.screenshot({ path: join(SHOT_DIR, "pretrained.png"), fullPage: true });
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it("trains QMIX on SMAClite's 3m in the SMAClite panel and replays a greedy battle on the canvas; saves a screenshot", async () => {
    await page.selectOption("#smaclite-map", "3m");
    await page.click("#smaclite-train");
    await page.waitForFunction(() => /team at [\d,]+ steps, smaclite\/3m: step \d+, return/.test(document.getElementById("smaclite-episode")!.textContent!)
      && /^t_env [\d,]+/.test(document.getElementById("smaclite-status")!.textContent!), undefined, { timeout: 90_000 });
    await page.click("#smaclite-stop");
    expect(consoleErrors).toEqual([]);
    await page.waitForTimeout(1500); // let the replay run a few frames
    mkdirSync(SHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SHOT_DIR, "smaclite.png"), fullPage: true });
  }, 120_000);

  it("plays the pretrained 2s3z team shipped in models/ to the end of a battle", async () => {
    await page.click("#smaclite-pretrained");
    await page.waitForFunction(() => /pretrained team, smaclite\/2s3z: step \d+, return [\d.]+ — (won|lost)/.test(document.getElementById("smaclite-episode")!.textContent!), undefined, { timeout: 60_000 });
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: join(SHOT_DIR, "smaclite-pretrained.png"), fullPage: true });
  }, 90_000);
});
