// The example page in a real browser: Debian's Chromium, headless, driven by
// playwright-core (no browser download; executablePath is the system binary).
// A local static server serves the repository, the page imports the freshly
// built dist/ as plain ES modules, and a click trains the two-step game in a
// Web Worker until the page shows greedy return 8 and the paper's Q_tot for
// state 2B; the VDN switch then trains VDN beside it to 7 (two-step.png).
// Then simple_spread_v3 trains until its canvas has drawn greedy episodes,
// the curve has points and the monotonicity chart shows ∂Q_tot/∂Qᵢ ≥ 0 for
// every agent and step; a screenshot is saved to
// test/runtime/__screenshots__/browser.png (gitignored), and the team is
// downloaded as bytes and loaded back from the file. The pretrained team's
// replay draws the chart from the mixer saved beside it.
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
import "../../src/envs/index.ts";
import { makeEnv } from "../../src/envs/registry.ts";
import { wrapTimestep } from "../../src/envs/timestep.ts";
import { readConfig } from "../../src/train/checkpoint.ts";
import { DecentralisedPolicy } from "../../src/qmix/policy.ts";
import { Rng } from "../../src/tensor/random.ts";

// The page's side of waitForFunction, typed without pulling the DOM lib into the suite.
declare const document: {
  getElementById(id: string): { dataset: Record<string, string | undefined>; textContent: string | null } | null;
  querySelector(sel: string): unknown;
};
declare const Event: new (type: string) => unknown;

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
    await page.waitForSelector('#two-step-status[data-done="qmix"]', { timeout: 90_000 });
    expect(consoleErrors).toEqual([]);
    expect(await page.textContent("#two-step-greedy-qmix")).toBe("8");
    const cell = async (a1: number, a2: number) => Number(await page.textContent(`#two-step-tables-qmix table[data-state="2B"] td[data-a1="${a1}"][data-a2="${a2}"]`));
    expect(await cell(1, 1)).toBeCloseTo(8, 0);
    expect(Math.abs(await cell(0, 0))).toBeLessThan(0.5);
    const tMax = (JSON.parse(readFileSync(join(ROOT, "presets", "two_step.json"), "utf8")) as { tMax: number }).tMax;
    expect(await page.textContent("#two-step-status")).toContain(`done · t_env ${tMax.toLocaleString("en-US")} `);
  }, 120_000);

  it("switches to VDN and trains it beside QMIX: VDN's greedy return 7, QMIX's 8, both tables side by side; saves a screenshot", async () => {
    await page.check('input[name="two-step-mixer"][value="vdn"]');
    expect(await page.textContent("#two-step-train")).toBe("Train VDN");
    await page.click("#two-step-train");
    await page.waitForSelector('#two-step-status[data-done="vdn"]', { timeout: 90_000 });
    expect(consoleErrors).toEqual([]);
    expect(await page.textContent("#two-step-greedy-vdn")).toBe("7");
    expect(await page.textContent("#two-step-greedy-qmix")).toBe("8");
    // VDN's state-1 row for agent 1's action 1 cannot see the 8 behind 2B; QMIX's does (≈ 7.9 against the paper's 7.92).
    const q = async (m: string, s: string, a1: number, a2: number) => Number(await page.textContent(`#two-step-tables-${m} table[data-state="${s}"] td[data-a1="${a1}"][data-a2="${a2}"]`));
    expect(await q("qmix", "1", 1, 1)).toBeGreaterThan(7.5);
    expect(await q("vdn", "1", 1, 1)).toBeLessThan(7.5);
    const boxes = await Promise.all(["#two-step-tables-qmix", "#two-step-tables-vdn"].map((sel) => page.locator(sel).boundingBox()));
    expect(boxes[1]!.x).toBeGreaterThan(boxes[0]!.x + boxes[0]!.width - 1); // side by side, VDN to the right
    mkdirSync(SHOT_DIR, { recursive: true });
    await page.locator("#two-step").screenshot({ path: join(SHOT_DIR, "two-step.png") });
  }, 120_000);

  it("draws simple_spread_v3 episodes, the learning curve and ∂Q_tot/∂Q_i ≥ 0 of every agent while training; saves a screenshot", async () => {
    await page.click("#spread-train");
    await page.waitForFunction(() => {
      const world = document.getElementById("spread-world")!, curve = document.getElementById("spread-curve")!;
      const mono = document.getElementById("spread-mono")!;
      return Number(world.dataset.frames ?? 0) > 30 && Number(curve.dataset.points ?? 0) >= 6 && mono.dataset.source === "training" && mono.dataset.steps !== undefined;
    }, undefined, { timeout: 90_000 });
    expect(consoleErrors).toEqual([]);
    expect(await page.textContent("#spread-status")).toMatch(/^t_env [\d,]+ · episode/);
    const mono = await page.evaluate(() => ({ ...document.getElementById("spread-mono")!.dataset }));
    expect(Number(mono.steps)).toBe(25);
    expect(Number(mono.agents)).toBe(3);
    expect(Number(mono.min)).toBeGreaterThanOrEqual(0);
    expect(Number(mono.max)).toBeGreaterThan(0);
    expect(await page.textContent("#spread-mono-caption")).toMatch(/never below 0/);
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
    await page.waitForFunction(() => document.getElementById("spread-episode")!.textContent!.includes("loaded team")
      && document.getElementById("spread-mono")!.dataset.source === "loaded" && document.getElementById("spread-mono")!.dataset.steps !== undefined, undefined, { timeout: 30_000 });
    // The shipped file carries its mixer: the chart shows the shipped team's ∂Q_tot/∂Qᵢ, all ≥ 0.
    const mono = await page.evaluate(() => ({ ...document.getElementById("spread-mono")!.dataset }));
    expect(Number(mono.steps)).toBe(25);
    expect(Number(mono.min)).toBeGreaterThanOrEqual(0);
    await page.waitForTimeout(2700); // let the replay and its chart run to the episode's end
    await page.screenshot({ path: join(SHOT_DIR, "pretrained.png"), fullPage: true });
    await page.locator("#spread").screenshot({ path: join(SHOT_DIR, "monotonicity.png") });
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it("steps and scrubs the simple_spread replay; each agent's Qs at the step shown, the chosen one its highest", async () => {
    await page.click("#spread-player button.step-back");
    expect(await page.getAttribute("#spread-player", "data-playing")).toBe("false");
    await page.evaluate(() => { const s = document.querySelector("#spread-player .scrub") as unknown as { value: string; dispatchEvent(e: unknown): void }; s.value = "7"; s.dispatchEvent(new Event("input")); });
    expect(await page.getAttribute("#spread-player", "data-step")).toBe("7");
    await page.click("#spread-player button.step-forward");
    expect(await page.getAttribute("#spread-player", "data-step")).toBe("8");
    expect(await page.getAttribute("#spread-q table", "data-step")).toBe("8");
    const rows = await page.$$eval("#spread-q tr[data-agent]", (trs) => trs.map((tr) => Array.from((tr as unknown as { querySelectorAll(s: string): ArrayLike<{ dataset: Record<string, string>; className: string }> }).querySelectorAll("td[data-q]"), (td) => ({ q: Number(td.dataset.q), chosen: td.className === "chosen" }))));
    expect(rows.length).toBe(3);
    for (const cells of rows) {
      expect(cells.length).toBe(5);
      const best = Math.max(...cells.map((c) => c.q));
      expect(cells.filter((c) => c.chosen).map((c) => c.q)).toEqual([best]);
    }
    await page.click("#spread-player button.play");
    expect(await page.getAttribute("#spread-player", "data-playing")).toBe("true");
    expect(consoleErrors).toEqual([]);
  }, 30_000);

  it("trains QMIX on SMAClite's 3m: the win-rate and return curves update live and the evaluation's greedy battle replays; saves a screenshot", async () => {
    await page.selectOption("#smaclite-map", "3m");
    await page.click("#smaclite-train");
    // The first evaluation (at step 0) posts its greedy battle and the curves' first points.
    await page.waitForFunction(() => /team at [\d,]+ steps, smaclite\/3m: step \d+, return [\d.]+.*\(that evaluation: greedy win rate \d+%/.test(document.getElementById("smaclite-episode")!.textContent!)
      && /^t_env [\d,]+/.test(document.getElementById("smaclite-status")!.textContent!)
      && Number(document.getElementById("smaclite-winrate")!.dataset.points) >= 1 && Number(document.getElementById("smaclite-return")!.dataset.points) >= 1, undefined, { timeout: 90_000 });
    await page.click("#smaclite-stop");
    expect(consoleErrors).toEqual([]);
    // The training battle carries its record: Q_tot and credit from the learner's own mixer, every credit ≥ 0.
    const rec = await page.evaluate(() => {
      const ep = (globalThis as unknown as { qmixPage: { smaclite: { episode: { env: string; record: { steps: Array<{ qTot: number | null; credit: number[] | null }> } } } } }).qmixPage.smaclite.episode;
      return { env: ep.env, steps: ep.record.steps.length, credit: ep.record.steps.flatMap((x) => x.credit ?? [NaN]), qTot: ep.record.steps.map((x) => x.qTot) };
    });
    expect(rec.env).toBe("smaclite/3m");
    expect(rec.credit.length).toBe(3 * rec.steps);
    for (const g of rec.credit) expect(g).toBeGreaterThanOrEqual(0);
    for (const q of rec.qTot) expect(Number.isFinite(q)).toBe(true);
    await page.waitForTimeout(1000); // let the replay run a few frames
    mkdirSync(SHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SHOT_DIR, "smaclite.png"), fullPage: true });
  }, 120_000);

  it("plays the pretrained 2s3z team shipped in models/ to the end of a battle, at 4×, on a camera that fits the units", async () => {
    await page.selectOption("#smaclite-player select.speed", "4");
    await page.click("#smaclite-pretrained");
    await page.waitForFunction(() => /pretrained team, smaclite\/2s3z: step \d+, return [\d.]+ — (won|lost)/.test(document.getElementById("smaclite-episode")!.textContent!), undefined, { timeout: 60_000 });
    expect(consoleErrors).toEqual([]);
    const player = await page.evaluate(() => ({ ...document.getElementById("smaclite-player")!.dataset }));
    expect(player.playing).toBe("false");
    expect(player.speed).toBe("4");
    expect(Number(player.step)).toBe(Number(player.frames) - 1);
    expect(await page.textContent("#smaclite-player button.play")).toBe("Replay");
    // The camera fits the units: while both sides fight, their spread covers a good part of the canvas.
    for (const k of [20, 10, 0]) {
      await page.evaluate((k) => { const s = document.querySelector("#smaclite-player .scrub") as unknown as { value: string; dispatchEvent(e: unknown): void }; s.value = String(k); s.dispatchEvent(new Event("input")); }, k);
      expect(await page.getAttribute("#smaclite-player", "data-step")).toBe(String(k));
      expect(Number(await page.getAttribute("#smaclite-world", "data-fit")), `step ${k}`).toBeGreaterThan(0.3);
    }
    await page.screenshot({ path: join(SHOT_DIR, "smaclite-pretrained.png"), fullPage: true });
  }, 90_000);

  it("drives the battle view's controls: play, pause, step, scrub, speed", async () => {
    const step = async () => Number(await page.getAttribute("#smaclite-player", "data-step"));
    await page.selectOption("#smaclite-player select.speed", "0.25");
    await page.click("#smaclite-player button.play");
    expect(await page.getAttribute("#smaclite-player", "data-playing")).toBe("true");
    await page.waitForFunction(() => Number(document.getElementById("smaclite-player")!.dataset.step) >= 1, undefined, { timeout: 10_000 });
    await page.click("#smaclite-player button.play");
    expect(await page.getAttribute("#smaclite-player", "data-playing")).toBe("false");
    const paused = await step();
    await page.waitForTimeout(700);
    expect(await step()).toBe(paused); // paused means paused
    await page.click("#smaclite-player button.step-forward");
    await page.click("#smaclite-player button.step-forward");
    expect(await step()).toBe(paused + 2);
    await page.click("#smaclite-player button.step-back");
    expect(await step()).toBe(paused + 1);
    await page.evaluate(() => { const s = document.querySelector("#smaclite-player .scrub") as unknown as { value: string; dispatchEvent(e: unknown): void }; s.value = "12"; s.dispatchEvent(new Event("input")); });
    expect(await step()).toBe(12);
    expect(await page.textContent("#smaclite-episode")).toMatch(/pretrained team, smaclite\/2s3z: step 12, return/);
    expect(await page.textContent("#smaclite-player .step-label")).toMatch(/^step 12 \/ \d+$/);
    // The keyboard on the canvas: → and ← step.
    await page.focus("#smaclite-world");
    await page.keyboard.press("ArrowRight");
    expect(await step()).toBe(13);
    await page.keyboard.press("ArrowLeft");
    expect(await step()).toBe(12);
    await page.selectOption("#smaclite-player select.speed", "1");
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it("clicking a unit shows its agent's Q-values at that step, the agent network's (compared with DecentralisedPolicy), with its target highlighted", async () => {
    // Where the page drew agent 2 at step 12, from its own state.
    const drawn = await page.evaluate(() => (globalThis as unknown as { qmixPage: { smaclite: { drawn: Array<{ ally: boolean; idInFaction: number; x: number; y: number }> } } }).qmixPage.smaclite.drawn);
    const agent = drawn.find((d) => d.ally && d.idInFaction === 2) ?? drawn.find((d) => d.ally)!;
    const box = (await page.locator("#smaclite-world").boundingBox())!;
    const size = await page.evaluate(() => { const c = document.getElementById("smaclite-world") as unknown as { width: number; height: number }; return { w: c.width, h: c.height }; });
    await page.mouse.click(box.x + (agent.x * box.width) / size.w, box.y + (agent.y * box.height) / size.h);
    expect(await page.getAttribute("#smaclite-world", "data-selected")).toBe(`agent ${agent.idInFaction}`);
    expect(await page.getAttribute("#smaclite-inspector", "data-unit")).toBe(`agent ${agent.idInFaction}`);
    expect(await page.getAttribute("#smaclite-inspector", "data-step")).toBe("12");
    const rows = await page.$$eval("#smaclite-inspector table.qbars tr", (trs) => trs.map((tr) => {
      const r = tr as unknown as { dataset: Record<string, string>; className: string; textContent: string };
      return { ...r.dataset, className: r.className, text: r.textContent } as Record<string, string | undefined>;
    }));
    const seed = await page.evaluate(() => (globalThis as unknown as { qmixPage: { smaclite: { episode: { seed: number } } } }).qmixPage.smaclite.episode.seed);
    // The same battle in Node: the shipped team, its config, the episode's seed, stepped to step 12.
    const bytes = new Uint8Array(readFileSync(join(ROOT, "models", "smaclite_2s3z-qmix.safetensors")));
    const config = readConfig(bytes);
    const policy = DecentralisedPolicy.fromBytes(bytes);
    const env = wrapTimestep(makeEnv(config.env, { ...config.envArgs, seed }), config);
    env.reset(seed);
    policy.reset(1);
    const rng = new Rng(1);
    let avail = env.getAvailActions(), actions = policy.act(env.getObs(), avail, 0, rng);
    for (let t = 0; t < 12; t++) {
      env.step(actions);
      avail = env.getAvailActions();
      actions = policy.act(env.getObs(), avail, 0, rng);
    }
    const A = env.nActions, i = agent.idInFaction;
    expect(rows.length).toBe(A);
    for (let a = 0; a < A; a++) {
      expect(Number(rows[a]!.q), `action ${a}`).toBeCloseTo(policy.lastQ[i * A + a]!, 4);
      expect(rows[a]!.available).toBe(String(avail[i * A + a] === 1));
      expect(rows[a]!.className).toContain(avail[i * A + a] ? "avail" : "unavail");
      expect(rows[a]!.chosen).toBe(String(a === actions[i]));
      if (a >= 6) expect(rows[a]!.text).toMatch(new RegExp(`^(▶ )?attack enemy ${a - 6} \\((stalker|zealot), hp \\d+%\\)|attack enemy ${a - 6} \\(dead\\)`));
    }
    // The chosen attack's target is highlighted on the canvas.
    const highlight = await page.getAttribute("#smaclite-world", "data-highlight");
    expect(highlight).toBe(actions[i]! >= 6 ? `enemy ${actions[i]! - 6}` : "");
    expect(await page.textContent("#smaclite-inspector")).toMatch(/∂Q_tot\/∂Q\d = \d+\.\d{3}/);
    expect(await page.textContent("#smaclite-inspector")).toMatch(/Q_tot = -?\d+\.\d\d, the mixer's estimate/);
    // Hovering an attack row highlights that row's target instead.
    const attack = rows.findIndex((r) => r.target !== undefined);
    if (attack >= 0) {
      await page.hover(`#smaclite-inspector table.qbars tr[data-action="${attack}"]`);
      expect(await page.getAttribute("#smaclite-world", "data-highlight")).toBe(`enemy ${attack - 6}`);
    }
    // Hovering an enemy on the canvas shows it; leaving the canvas returns to the selected agent.
    const enemy = drawn.find((d) => !d.ally)!;
    await page.mouse.move(box.x + (enemy.x * box.width) / size.w, box.y + (enemy.y * box.height) / size.h);
    expect(await page.getAttribute("#smaclite-inspector", "data-unit")).toBe(`enemy ${enemy.idInFaction}`);
    await page.mouse.move(box.x + box.width + 50, box.y - 50);
    expect(await page.getAttribute("#smaclite-inspector", "data-unit")).toBe(`agent ${agent.idInFaction}`);
    expect(consoleErrors).toEqual([]);
    await page.locator("#smaclite").screenshot({ path: join(SHOT_DIR, "battle-view.png") });
  }, 60_000);

  it("plays the pretrained corridor team, picked from the list of shipped teams", async () => {
    await page.selectOption("#smaclite-team", "smaclite_corridor-qmix");
    await page.click("#smaclite-pretrained");
    await page.waitForFunction(() => /pretrained team, smaclite\/corridor: step \d+/.test(document.getElementById("smaclite-episode")!.textContent!), undefined, { timeout: 60_000 });
    expect(consoleErrors).toEqual([]);
    expect(Number(await page.getAttribute("#smaclite-player", "data-frames"))).toBeGreaterThan(1);
  }, 90_000);
});
