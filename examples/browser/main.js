// The page: buttons, the two-step Q_tot tables of QMIX and VDN side by side,
// the simple_spread canvas with replay controls (replay.js), each agent's Qs
// at the step shown, the learning curve and monotonicity chart (charts.js). Everything
// heavy happens in worker.js; this side only draws what the worker posts, so
// the page stays responsive while training runs.

import { AGENT_LINES, drawCredit, drawCurve } from "./charts.js";
import { Player } from "./replay.js";

const $ = (id) => document.getElementById(id);

function trainingWorker() {
  return new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
}

const fmtInt = (n) => Math.round(n).toLocaleString("en-US");

// ---------------------------------------------------------------- two-step

// QMIX paper Table 1 (QMIX's learned Q_tot), rows = agent 1's action.
const PAPER = {
  "1": [[6.93, 6.93], [7.92, 7.92]],
  "2A": [[7.0, 7.0], [7.0, 7.0]],
  "2B": [[0, 1], [1, 8]],
};

/** White at 0, the agents' blue at 8: the game's payoffs span [0, 8]. */
function heat(v) {
  const t = Math.max(0, Math.min(1, v / 8));
  const mix = (a, b) => Math.round(a + (b - a) * t);
  return { bg: `rgb(${mix(255, 89)},${mix(255, 89)},${mix(255, 217)})`, fg: t > 0.55 ? "#fff" : "#1d2330" };
}

function renderTables(root, tables, paperRows = null) {
  root.replaceChildren(...tables.map((s) => {
    const fig = document.createElement("figure");
    const cap = document.createElement("figcaption");
    cap.textContent = `state ${s.name}`;
    const table = document.createElement("table");
    table.className = "q";
    table.dataset.state = s.name;
    s.qtot.forEach((row, i) => {
      const tr = table.insertRow();
      row.forEach((v, j) => {
        const td = tr.insertCell();
        const { bg, fg } = heat(v);
        td.textContent = v.toFixed(2);
        td.style.background = bg;
        td.style.color = fg;
        td.dataset.a1 = String(i);
        td.dataset.a2 = String(j);
      });
      const paper = table.insertRow();
      paperRows?.[s.name]?.[i]?.forEach((v) => {
        const td = paper.insertCell();
        td.className = "paper";
        td.textContent = v.toFixed(2);
      });
    });
    fig.append(cap, table);
    return fig;
  }));
}

/**
 * The two-step panel: a QMIX/VDN switch picks the mixer the Train button
 * trains, and each mixer's tables keep their own column, so after one run
 * of each the two stand side by side (the paper's point: VDN settles on 7,
 * QMIX finds 8). One worker per mixer.
 */
function setupTwoStep() {
  const button = $("two-step-train"), status = $("two-step-status");
  const workers = {};
  const mixer = () => document.querySelector('input[name="two-step-mixer"]:checked').value;
  const label = (m) => (m === "vdn" ? "VDN" : "QMIX");
  const sync = () => { button.textContent = `Train ${label(mixer())}`; };
  for (const input of document.querySelectorAll('input[name="two-step-mixer"]')) input.addEventListener("change", sync);
  sync();
  button.addEventListener("click", () => {
    const m = mixer();
    const greedy = $(`two-step-greedy-${m}`), tables = $(`two-step-tables-${m}`);
    workers[m]?.terminate();
    const worker = (workers[m] = trainingWorker());
    greedy.textContent = "–";
    greedy.classList.remove("optimal");
    status.textContent = `${label(m)}: starting…`;
    delete status.dataset.done;
    worker.onmessage = ({ data: msg }) => {
      switch (msg.type) {
        case "progress":
          status.textContent = `${label(m)}: t_env ${fmtInt(msg.tEnv)} / ${fmtInt(msg.tMax)} · ε ${msg.epsilon.toFixed(2)}` +
            (msg.stepsPerSec ? ` · ${fmtInt(msg.stepsPerSec)} steps/s` : "");
          break;
        case "eval":
          greedy.textContent = String(+msg.returnMean.toFixed(2));
          greedy.classList.toggle("optimal", msg.returnMean === 8);
          break;
        case "qtot": renderTables(tables, msg.tables, m === "qmix" ? PAPER : null); tables.dataset.trained = "true"; break;
        case "done":
          status.textContent = `${label(m)}: done · t_env ${fmtInt(msg.tEnv)} · best greedy return ${msg.best}`;
          status.dataset.done = m;
          break;
        case "error": status.textContent = `error: ${msg.message}`; break;
      }
    };
    worker.postMessage({ type: "train", env: "two_step", overrides: { mixer: m } });
  });
  const empty = ["1", "2A", "2B"].map((name) => ({ name, qtot: [[0, 0], [0, 0]] }));
  renderTables($("two-step-tables-qmix"), empty, PAPER);
  renderTables($("two-step-tables-vdn"), empty);
}

// ---------------------------------------------------------- simple_spread

// PettingZoo's agent blue; landmarks a lighter grey than its (0.25, 0.25, 0.25),
// drawn again as rings over the agents so one an agent covers stays visible.
const AGENT = "rgb(89,89,217)", LANDMARK = "rgb(150,155,165)";

// Half the side of the square shown, fixed for a whole episode: at least the
// reset box [-1, 1]², at most MAX_EXTENT — an exploring agent can drift far
// off, and following it would shrink everyone else to dots. Agents outside
// the view are pinned to its edge as rings.
const MAX_EXTENT = 2.5;

function episodeExtent(frames) {
  let e = 1;
  for (const f of frames) {
    for (let i = 0; i < 2 * f.nAgents; i++) e = Math.max(e, Math.abs(f.agentPos[i]) + f.agentSize);
    for (let i = 0; i < 2 * f.nLandmarks; i++) e = Math.max(e, Math.abs(f.landmarkPos[i]) + f.landmarkSize);
  }
  return Math.min(e * 1.05, MAX_EXTENT);
}

function drawWorld(canvas, f, e) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  const s = W / (2 * e);
  const px = (x) => (x + e) * s, py = (y) => (e - y) * s; // the world's +y is up
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = "#e3e7ee";
  ctx.setLineDash([4, 4]);
  ctx.strokeRect(px(-1), py(1), 2 * s, 2 * s);
  ctx.setLineDash([]);
  for (let l = 0; l < f.nLandmarks; l++) {
    ctx.beginPath();
    ctx.arc(px(f.landmarkPos[2 * l]), py(f.landmarkPos[2 * l + 1]), Math.max(f.landmarkSize * s, 3), 0, 2 * Math.PI);
    ctx.fillStyle = LANDMARK;
    ctx.fill();
  }
  const r = Math.max(f.agentSize * s, 6), edge = e - f.agentSize;
  ctx.globalAlpha = 0.7;
  ctx.font = `bold ${Math.round(r)}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let i = 0; i < f.nAgents; i++) {
    const ax = f.agentPos[2 * i], ay = f.agentPos[2 * i + 1];
    const inside = Math.abs(ax) <= edge && Math.abs(ay) <= edge;
    const x = px(Math.max(-edge, Math.min(edge, ax))), y = py(Math.max(-edge, Math.min(edge, ay)));
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    if (inside) {
      ctx.fillStyle = AGENT;
      ctx.fill();
      ctx.fillStyle = "#fff";
    } else {
      ctx.strokeStyle = AGENT;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.lineWidth = 1;
      ctx.fillStyle = AGENT;
    }
    ctx.fillText(String(i), x, y);
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = "rgb(90,95,105)";
  ctx.lineWidth = 1.5;
  for (let l = 0; l < f.nLandmarks; l++) {
    ctx.beginPath();
    ctx.arc(px(f.landmarkPos[2 * l]), py(f.landmarkPos[2 * l + 1]), Math.max(f.landmarkSize * s, 3), 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.lineWidth = 1;
  ctx.fillStyle = "#1d2330";
  ctx.font = "12px ui-monospace, Menlo, monospace";
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(`t=${f.t}/${f.maxCycles}  reward=${f.reward.toFixed(3)}`, 8, 8);
}

/** Each agent's Q for every action at step t, the chosen one marked: what the agents' networks thought. */
function renderSpreadQs(root, ep, t) {
  const rec = ep.record, step = rec.steps[t], A = rec.nActions;
  const table = document.createElement("table");
  table.className = "qgrid";
  table.dataset.step = String(t);
  const head = table.insertRow();
  head.insertCell().textContent = `step ${t}`;
  for (let a = 0; a < A; a++) head.insertCell().textContent = ep.actionNames[0][a];
  for (let i = 0; i < rec.nAgents; i++) {
    const row = table.insertRow();
    row.dataset.agent = String(i);
    const name = row.insertCell();
    name.textContent = `agent ${i}`;
    name.style.color = AGENT_LINES[i % AGENT_LINES.length];
    for (let a = 0; a < A; a++) {
      const td = row.insertCell();
      const q = step.q[i * A + a];
      td.textContent = q.toFixed(2);
      td.dataset.q = String(q);
      if (a === step.actions[i]) td.className = "chosen";
    }
  }
  root.replaceChildren(table);
}

function setupSpread() {
  const train = $("spread-train"), stop = $("spread-stop"), save = $("spread-save"), load = $("spread-load");
  const status = $("spread-status"), world = $("spread-world"), curve = $("spread-curve"), caption = $("spread-episode");
  const mono = $("spread-mono"), monoCaption = $("spread-mono-caption"), qTable = $("spread-q");
  let worker = null, paused = false;
  const points = { train: [], test: [] };
  let tEnv = 0;
  // Episodes play at 10 frames per second at 1× (PettingZoo's render_fps for MPE).
  // A newer episode waits until the one shown has played to its end.
  let showing = null, next = null;

  function draw(k) {
    const f = showing.frames[k];
    drawWorld(world, f, showing.extent);
    world.dataset.frames = String((+world.dataset.frames || 0) + 1);
    // The state before step t's actions is frame t; the chart's cursor follows the replay.
    const T = showing.record.steps.length, t = Math.min(k, T - 1);
    drawCredit(mono, showing.monotonicity, { cursor: t });
    renderSpreadQs(qTable, showing, t);
  }
  const player = new Player($("spread-player"), {
    frameMs: 100, onFrame: draw, label: "",
    onEnd: () => { if (next) show(next); else setTimeout(() => { if (!player.playing && !next && player.atEnd && showing?.source === "training") player.start(); }, 500); },
  });

  function show(m) {
    showing = m;
    next = null;
    caption.textContent = `greedy episode of the ${showing.source} team` +
      (showing.source === "training" ? ` at ${fmtInt(showing.tEnv)} steps` : "") + `, return ${showing.return.toFixed(2)}`;
    const g = showing.monotonicity;
    mono.dataset.source = showing.source;
    if (g && g.length) {
      const flat = g.flat();
      mono.dataset.steps = String(g.length);
      mono.dataset.agents = String(g[0].length);
      mono.dataset.min = String(Math.min(...flat));
      mono.dataset.max = String(Math.max(...flat));
      monoCaption.textContent = `∂Q_tot/∂Qᵢ of the chosen actions, ${showing.source} team: ` +
        `min ${Math.min(...flat).toFixed(3)}, max ${Math.max(...flat).toFixed(3)} — never below 0`;
    } else {
      delete mono.dataset.steps;
      monoCaption.textContent = "no mixer in this team's file: nothing to differentiate";
    }
    player.load(m.frames.length);
  }

  function onMessage({ data: m }) {
    switch (m.type) {
      case "progress":
        tEnv = m.tEnv;
        status.textContent = `t_env ${fmtInt(m.tEnv)} · episode ${fmtInt(m.episode)} · ε ${m.epsilon.toFixed(3)} · ` +
          `${m.stepsPerSec ? fmtInt(m.stepsPerSec) : "…"} steps/s` + (m.best !== null ? ` · best greedy ${m.best.toFixed(2)}` : "");
        break;
      case "metrics":
        if (Number.isFinite(m.metrics.return_mean)) points.train.push([m.metrics.t_env, m.metrics.return_mean]);
        if (m.metrics.test_return_mean !== undefined) points.test.push([m.metrics.t_env, m.metrics.test_return_mean]);
        drawCurve(curve, [{ points: points.train, color: "#9aa4b5" }, { points: points.test, color: "#d9480f", dots: true }], Math.max(tEnv, 10_000));
        curve.dataset.points = String(points.train.length + points.test.length);
        break;
      case "episode": {
        const ep = { ...m, extent: episodeExtent(m.frames) };
        // A loaded team plays at once; a training replay waits for the episode shown to end,
        // and does not take over from one paused midway (someone is looking at it).
        if (m.source === "loaded" || !showing || (!player.playing && player.atEnd)) show(ep);
        else next = ep;
        break;
      }
      case "saved": {
        const a = document.createElement("a");
        a.href = URL.createObjectURL(new Blob([m.bytes], { type: "application/octet-stream" }));
        a.download = `simple_spread_v3-team-${m.tEnv}.safetensors`;
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
        break;
      }
      case "error": status.textContent = `error: ${m.message}`; break;
    }
  }

  train.addEventListener("click", () => {
    worker?.terminate();
    worker = trainingWorker();
    worker.onmessage = onMessage;
    points.train.length = points.test.length = 0;
    paused = false;
    stop.disabled = save.disabled = false;
    stop.textContent = "Pause";
    train.textContent = "Restart";
    status.textContent = "starting…";
    // The preset's 10,000-step log interval is a minute of browser training;
    // log every 10 episodes so the curve moves.
    worker.postMessage({ type: "train", env: "simple_spread_v3", overrides: { logInterval: 250 } });
  });
  stop.addEventListener("click", () => {
    paused = !paused;
    worker?.postMessage({ type: paused ? "stop" : "resume" });
    stop.textContent = paused ? "Resume" : "Pause";
  });
  save.addEventListener("click", () => worker?.postMessage({ type: "save" }));
  load.addEventListener("change", async () => {
    const file = load.files?.[0];
    if (!file) return;
    worker ??= Object.assign(trainingWorker(), { onmessage: onMessage });
    const bytes = await file.arrayBuffer();
    worker.postMessage({ type: "play", bytes }, [bytes]);
    load.value = "";
  });
  // The team shipped in the repository (models/), trained by the CLI.
  $("spread-pretrained").addEventListener("click", async () => {
    worker ??= Object.assign(trainingWorker(), { onmessage: onMessage });
    const res = await fetch(new URL("../../models/simple_spread_v3-qmix.safetensors", import.meta.url));
    if (!res.ok) throw new Error(`could not fetch the pretrained team: HTTP ${res.status}`);
    const bytes = await res.arrayBuffer();
    worker.postMessage({ type: "play", bytes }, [bytes]);
  });
  drawCurve(curve, [], 10_000);
  drawCredit(mono, [], {});
}

setupTwoStep();
setupSpread();
