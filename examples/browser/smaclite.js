// The SMAClite panel, a battle view that explains itself. A recorded greedy
// battle (worker.js posts its frames and recordEpisode's record) replays on
// a camera that follows the units (battle.js), with play/pause, step, scrub and speed
// (replay.js). Click or hover a unit: its agent's Qᵢ for every action at that
// step, as its network computed them, the chosen one marked and the target
// of an attack highlighted. Under the battle, the mixer's side: each agent's
// ∂Q_tot/∂Qᵢ over the battle (equation (5)) and Q_tot of the joint action
// taken against the discounted return that followed. While a map trains,
// the greedy win rate and the returns are drawn as they come, and the
// latest evaluation's battle can be replayed.

import { drawBattle } from "./battle.js";
import { AGENT_LINES, drawCredit, drawCurve, drawValue } from "./charts.js";
import { Player } from "./replay.js";

const $ = (id) => document.getElementById(id);
const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(100 * x)}%`);

// One battle step at 1×: SMAC's 8 game ticks of 1/22.4 s would be 0.36 s; a little faster reads better.
const FRAME_MS = 300;
const TYPE_NAMES = { STALKER: "stalker", ZEALOT: "zealot", MARINE: "marine", MARAUDER: "marauder", MEDIVAC: "medivac", ZERGLING: "zergling", BANELING: "baneling", COLOSSUS: "colossus", SPINE_CRAWLER: "spine crawler" };
const typeName = (t) => TYPE_NAMES[t] ?? t.toLowerCase();
const unitName = (u) => `${u.ally ? "agent" : "enemy"} ${u.idInFaction}`;

// ------------------------------------------------------------ the inspector

/** The units an agent's chosen action at step t is aimed at (an attack's enemy, a heal's ally). */
function actionTarget(ep, k, i, a) {
  if (a < 6) return null;
  const frame = ep.frames[k], healer = ep.actionNames[i][a].startsWith("heal");
  return frame.units.find((u) => u.ally === healer && u.idInFaction === a - 6) ?? null;
}

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

/**
 * What a student reads off for the selected unit at frame k: for one of our
 * agents, its Qᵢ for every action (the network's output at that step), the
 * available ones as bars, the unavailable greyed, the chosen one marked;
 * then its credit ∂Q_tot/∂Qᵢ and the team's Q_tot against what followed.
 */
function renderInspector(root, ep, k, sel, onTargetHover) {
  if (!ep || !sel) {
    root.replaceChildren(el("p", { className: "muted", textContent: "Click or hover a unit to see why it acts: its agent's Qᵢ for every action at this step." }));
    return;
  }
  const frame = ep.frames[k], rec = ep.record, T = rec.steps.length;
  const u = frame.units.find((v) => v.ally === sel.ally && v.idInFaction === sel.idInFaction);
  const first = ep.frames[0].units.find((v) => v.ally === sel.ally && v.idInFaction === sel.idInFaction);
  const swatch = sel.ally ? el("span", { className: "swatch", style: `background:${AGENT_LINES[sel.idInFaction % AGENT_LINES.length]}` }) : "";
  const head = el("h3", {}, swatch, `${sel.ally ? "Agent" : "Enemy"} ${sel.idInFaction} · ${typeName(first.type)}`);
  const alive = u ? `hp ${pct(u.hp)}${u.shield === null ? "" : `, shields ${pct(u.shield)}`}` : `dead since step ${ep.frames.findIndex((f) => !f.units.some((v) => v.ally === sel.ally && v.idInFaction === sel.idInFaction))}`;
  const parts = [head, el("p", { className: "small", textContent: alive })];
  root.dataset.unit = unitName(sel);
  if (!sel.ally) {
    parts.push(el("p", { className: "muted small", textContent: "The enemy is SMAClite's scripted AI: it attacks the nearest of our units and has no Q-values." }));
    root.replaceChildren(...parts);
    delete root.dataset.step;
    return;
  }
  const i = sel.idInFaction, t = Math.min(k, T - 1), step = rec.steps[t], A = rec.nActions;
  root.dataset.step = String(t);
  if (k >= T) parts.push(el("p", { className: "small muted", textContent: `The battle is over (${ep.won === true ? "won" : ep.won === false ? "lost" : "time limit"}); the last decision, step ${t}, is shown.` }));
  if (!u && k < T) parts.push(el("p", { className: "small muted", textContent: "A dead agent can only take no-op; its Qs no longer matter." }));
  const q = step.q.slice(i * A, (i + 1) * A), avail = step.avail.slice(i * A, (i + 1) * A), chosen = step.actions[i];
  // Bars span the available actions' Qs (the choice is among them); unavailable ones are clamped into the same scale.
  const availQ = q.filter((_, a) => avail[a]);
  const lo = Math.min(...availQ), hi = Math.max(...availQ), span = hi - lo || 1;
  const table = el("table", { className: "qbars" });
  table.dataset.agent = String(i);
  for (let a = 0; a < A; a++) {
    const target = a >= 6 ? ep.frames[t].units.find((v) => v.ally === ep.actionNames[i][a].startsWith("heal") && v.idInFaction === a - 6) : null;
    let name = ep.actionNames[i][a];
    if (a >= 6) name += target ? ` (${typeName(target.type)}, hp ${pct(target.hp)})` : " (dead)";
    const row = table.insertRow();
    row.dataset.action = String(a);
    row.dataset.q = String(q[a]);
    row.dataset.available = String(avail[a] === 1);
    row.dataset.chosen = String(a === chosen);
    row.className = `${avail[a] ? "avail" : "unavail"}${a === chosen ? " chosen" : ""}`;
    row.insertCell().textContent = `${a === chosen ? "▶ " : ""}${name}`;
    const bar = el("div", { className: "bar" });
    bar.style.width = `${(8 + 92 * Math.max(0, Math.min(1, (q[a] - lo) / span))).toFixed(1)}%`;
    row.insertCell().append(bar);
    row.insertCell().textContent = q[a].toFixed(3);
    row.title = avail[a] ? (a === chosen ? "chosen: the highest Q among the available actions" : "available") : "not available at this step (out of range, blocked or dead): masked out before the argmax";
    if (target) {
      row.dataset.target = String(target.id);
      row.addEventListener("mouseenter", () => onTargetHover(target.id));
      row.addEventListener("mouseleave", () => onTargetHover(null));
    }
  }
  parts.push(el("p", { className: "small", textContent: `Qᵢ at step ${t} for every action (bars from the lowest to the highest available one; greyed: not available; ▶ the one chosen, the highest available):` }), table);
  if (step.credit) {
    const total = step.credit.reduce((x, y) => x + y, 0);
    parts.push(el("p", { className: "small credit" },
      el("b", { textContent: `∂Q_tot/∂Q${i} = ${step.credit[i].toFixed(3)}` }),
      ` (${pct(step.credit[i] / total)} of the team's credit at this step): raising this agent's Q by 1 raises Q_tot by that much — the mixer's weight on it for this state, equation (5).`));
    parts.push(el("p", { className: "small" },
      el("b", { textContent: `Q_tot = ${step.qTot.toFixed(2)}` }),
      `, the mixer's estimate of the team's discounted return from step ${t}; the return that actually followed was ${step.returnToGo.toFixed(2)} (γ = ${rec.gamma}).`));
  } else {
    parts.push(el("p", { className: "small muted", textContent: "This team came without its mixer: no Q_tot or credit." }));
  }
  root.replaceChildren(...parts);
}

// ------------------------------------------------------------ the panel

function setupSmaclite() {
  const train = $("smaclite-train"), stop = $("smaclite-stop"), map = $("smaclite-map"), latestButton = $("smaclite-latest");
  const status = $("smaclite-status"), caption = $("smaclite-episode"), canvas = $("smaclite-world"), inspector = $("smaclite-inspector");
  const credit = $("smaclite-credit"), value = $("smaclite-value"), winrate = $("smaclite-winrate"), returns = $("smaclite-return");
  let worker = null, paused = false, lastWon = null, tEnv = 0, tMax = 10_000;
  let epCount = 0, shownKey = "";
  let ep = null, latest = null, selected = { ally: true, idInFaction: 0 }, hovered = null, hoverTarget = null, drawn = [];
  const curves = { won: [], test: [], train: [] };

  const view = { get episode() { return ep; }, get drawn() { return drawn; }, get selected() { return hovered ?? selected; }, player: null };
  window.qmixPage = { ...(window.qmixPage ?? {}), smaclite: view };

  function draw(k, frac) {
    if (!ep) return;
    const sel = hovered ?? selected;
    const rec = ep.record, T = rec.steps.length, t = Math.min(k, T - 1);
    // Highlight: the unit a hovered Q row aims at, else the target of the selected agent's chosen action.
    let targets = [];
    if (hoverTarget !== null) targets = [hoverTarget];
    else if (sel?.ally && k < T) {
      const u = actionTarget(ep, k, sel.idInFaction, rec.steps[k].actions[sel.idInFaction]);
      if (u) targets = [u.id];
    }
    const out = drawBattle(canvas, ep, k, frac, { selected: sel, targets });
    drawn = out.drawn;
    canvas.dataset.selected = sel ? unitName(sel) : "";
    canvas.dataset.highlight = targets.map((id) => { const u = ep.frames[k].units.find((v) => v.id === id); return u ? unitName(u) : ""; }).join(",");
    // How much of the canvas the units' box fills: the camera fits them.
    const xs = drawn.map((d) => d.x), ys = drawn.map((d) => d.y);
    canvas.dataset.fit = drawn.length ? String(Math.max((Math.max(...xs) - Math.min(...xs)) / canvas.width, (Math.max(...ys) - Math.min(...ys)) / canvas.height)) : "0";
    canvas.dataset.frames = String((+canvas.dataset.frames || 0) + 1);
    const aliveAt = (s, i) => ep.frames[s].units.some((u) => u.ally && u.idInFaction === i);
    drawCredit(credit, rec.steps[0].credit ? rec.steps.map((s) => s.credit) : null, { cursor: t, alive: aliveAt, highlight: sel?.ally ? sel.idInFaction : null });
    drawValue(value, rec.steps.map((s) => s.qTot), rec.steps.map((s) => s.returnToGo), { cursor: t });
    const key = `${epCount}:${k}:${sel ? unitName(sel) : ""}`;
    if (key !== shownKey) {
      shownKey = key;
      renderInspector(inspector, ep, k, sel, (id) => { hoverTarget = id; player.draw(); });
      const sofar = rec.steps.slice(0, k).reduce((x, s) => x + s.reward, 0);
      const end = k === ep.frames.length - 1 ? (ep.won === true ? " — won" : ep.won === false ? " — lost" : " — time limit") : "";
      const who = ep.source === "loaded" ? "pretrained team" : `team at ${fmtInt(ep.tEnv)} steps`;
      const evaluation = ep.evaluation ? ` (that evaluation: greedy win rate ${pct(ep.evaluation.battleWonMean)}, return ${ep.evaluation.returnMean.toFixed(1)})` : "";
      caption.textContent = `${who}, ${ep.env}: step ${k}, return ${sofar.toFixed(1)}${end}${evaluation}`;
    }
  }

  const player = (view.player = new Player($("smaclite-player"), {
    frameMs: FRAME_MS, label: "step", onFrame: draw,
    // At the end of a training battle, go on to the latest evaluation's if one came meanwhile.
    onEnd: () => { if (latest && latest !== ep && ep.source !== "loaded") show(latest); },
  }));

  function show(m) {
    ep = m;
    epCount++;
    latestButton.disabled = latest === null || latest === ep;
    player.load(m.frames.length);
  }

  function hit(e) {
    const r = canvas.getBoundingClientRect();
    const x = ((e.clientX - r.left) * canvas.width) / r.width, y = ((e.clientY - r.top) * canvas.height) / r.height;
    let best = null, bd = Infinity;
    for (const d of drawn) {
      const dist = Math.hypot(d.x - x, d.y - y);
      if (dist <= d.r + 4 && dist < bd) { best = d; bd = dist; }
    }
    return best && { ally: best.ally, idInFaction: best.idInFaction };
  }
  player.keys(canvas);
  canvas.addEventListener("click", (e) => {
    const h = hit(e);
    if (h) selected = h;
    hovered = null;
    canvas.focus();
    player.draw();
  });
  canvas.addEventListener("mousemove", (e) => {
    const h = hit(e);
    const same = (a, b) => (a === null && b === null) || (a && b && a.ally === b.ally && a.idInFaction === b.idInFaction);
    if (same(h, hovered)) return;
    hovered = h;
    canvas.style.cursor = h ? "pointer" : "default";
    player.draw();
  });
  canvas.addEventListener("mouseleave", () => { hovered = null; player.draw(); });
  latestButton.addEventListener("click", () => { if (latest) show(latest); });

  function drawCurves() {
    const x = Math.max(tEnv, tMax > 0 ? Math.min(tMax, 20_000) : 10_000);
    drawCurve(winrate, [{ points: curves.won, color: "#d9480f", dots: true }], x, { yRange: [0, 1], yLabel: (v) => `${Math.round(v * 100)}%` });
    drawCurve(returns, [{ points: curves.train, color: "#9aa4b5" }, { points: curves.test, color: "#d9480f", dots: true }], x, { yRange: [0, 20] });
    winrate.dataset.points = String(curves.won.length);
    returns.dataset.points = String(curves.train.length + curves.test.length);
  }

  const newWorker = () => {
    worker?.terminate();
    worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    worker.onmessage = onMessage;
    return worker;
  };

  function onMessage({ data: m }) {
    switch (m.type) {
      case "started": status.textContent = `training QMIX on ${m.env}…`; tMax = m.config.tMax; break;
      case "eval":
        lastWon = m.battleWonMean ?? lastWon;
        curves.won.push([m.tEnv, m.battleWonMean ?? 0]);
        curves.test.push([m.tEnv, m.returnMean]);
        drawCurves();
        break;
      case "metrics":
        if (Number.isFinite(m.metrics.return_mean)) { curves.train.push([m.metrics.t_env, m.metrics.return_mean]); drawCurves(); }
        break;
      case "progress":
        tEnv = m.tEnv;
        status.textContent = `t_env ${fmtInt(m.tEnv)} / ${fmtInt(m.tMax)}  ε ${m.epsilon.toFixed(2)}  greedy win rate ${pct(lastWon)} (best ${pct(m.bestWon)})  ${fmtInt(m.stepsPerSec)} steps/s`;
        break;
      case "episode":
        if (m.source === "loaded") { show(m); break; }
        latest = m;
        latestButton.textContent = `Replay the latest battle (${fmtInt(m.tEnv)} steps)`;
        // The training team's battle takes over unless someone is looking at a paused battle or the pretrained one.
        if (!ep || (ep.source !== "loaded" && (player.playing || player.atEnd))) { if (!player.playing) show(m); }
        latestButton.disabled = latest === ep;
        break;
      case "done": status.textContent += "  — done"; stop.disabled = true; break;
      case "error": status.textContent = m.message; break;
    }
  }

  train.addEventListener("click", () => {
    // The preset logs every 10,000 steps, minutes in a tab; every 2,000 keeps the return curve moving.
    newWorker().postMessage({ type: "train", env: `smaclite/${map.value}`, overrides: { logInterval: 2000 } });
    curves.won.length = curves.test.length = curves.train.length = 0;
    tEnv = 0;
    latest = null;
    drawCurves();
    paused = false;
    stop.disabled = false;
    stop.textContent = "Pause";
  });
  stop.addEventListener("click", () => {
    paused = !paused;
    worker?.postMessage({ type: paused ? "stop" : "resume" });
    stop.textContent = paused ? "Resume" : "Pause";
  });
  $("smaclite-pretrained").addEventListener("click", async () => {
    // The shipped teams in models/: 2s3z, and corridor (a super-hard map; docs/results-smaclite.md).
    const res = await fetch(new URL(`../../models/${$("smaclite-team").value}.safetensors`, import.meta.url));
    if (!res.ok) { status.textContent = `could not fetch the pretrained team (HTTP ${res.status})`; return; }
    const bytes = await res.arrayBuffer();
    (worker ?? newWorker()).postMessage({ type: "play", bytes }, [bytes]);
  });
  drawCurves();
  drawCredit(credit, [], {});
  drawValue(value, null);
  renderInspector(inspector, null, 0, null);
}

setupSmaclite();
