// The page: buttons, the two-step Q_tot tables of QMIX and VDN side by side,
// the simple_spread canvas, learning curve and monotonicity chart. Everything
// heavy happens in worker.js; this side only draws what the worker posts, so
// the page stays responsive while training runs.

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

const AGENT = "rgb(89,89,217)", LANDMARK = "rgb(64,64,64)";

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
      ctx.globalAlpha = 0.85;
      ctx.fill();
      ctx.globalAlpha = 1;
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
  ctx.fillStyle = "#1d2330";
  ctx.font = "12px ui-monospace, Menlo, monospace";
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(`t=${f.t}/${f.maxCycles}  reward=${f.reward.toFixed(3)}`, 8, 8);
}

function niceStep(range, ticks) {
  const raw = range / ticks, mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
}

function drawCurve(canvas, train, test, tMax) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  const L = 44, R = 14, T = 12, B = 38;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  const all = [...train, ...test];
  const x1 = Math.max(tMax, 1000);
  let y0 = Math.min(...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]));
  if (!all.length) [y0, y1] = [-60, 0];
  if (y1 - y0 < 1) y0 -= 1;
  const step = niceStep(y1 - y0, 5);
  y0 = Math.floor(y0 / step) * step;
  y1 = Math.ceil(y1 / step) * step;
  const px = (t) => L + (t / x1) * (W - L - R), py = (v) => T + ((y1 - v) / (y1 - y0)) * (H - T - B);
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#667085";
  ctx.strokeStyle = "#eef0f4";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let v = y0; v <= y1 + 1e-9; v += step) {
    ctx.beginPath(); ctx.moveTo(L, py(v)); ctx.lineTo(W - R, py(v)); ctx.stroke();
    ctx.fillText(String(+v.toFixed(6)), L - 6, py(v));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const xs = niceStep(x1, 4);
  for (let t = 0; t <= x1 + 1e-9; t += xs) ctx.fillText(t >= 1000 ? `${t / 1000}k` : String(t), px(t), H - B + 6);
  ctx.fillText("environment steps", (L + W - R) / 2, H - 16);
  ctx.strokeStyle = "#c3c9d4";
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  ctx.strokeStyle = "#9aa4b5";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  train.forEach(([t, v], i) => (i ? ctx.lineTo(px(t), py(v)) : ctx.moveTo(px(t), py(v))));
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.fillStyle = "#d9480f";
  for (const [t, v] of test) { ctx.beginPath(); ctx.arc(px(t), py(v), 3.5, 0, 2 * Math.PI); ctx.fill(); }
}

// Agent colours for the monotonicity chart (the world draws every agent in
// the same blue with its number on it).
const AGENT_LINES = ["#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#1098ad", "#f08c00"];

/**
 * ∂Q_tot/∂Qᵢ of each agent over the steps of an episode, drawn up to step
 * `upTo`, on a y axis that starts at 0: the monotonicity constraint (3) says
 * no line can go below it. grads: [step][agent].
 */
function drawMonotonicity(canvas, grads, upTo) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  const L = 44, R = 10, T = 12, B = 34;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  ctx.font = "11px system-ui, sans-serif";
  if (!grads || grads.length === 0) {
    ctx.fillStyle = "#667085";
    ctx.textAlign = "center";
    ctx.fillText(grads ? "waiting for an episode" : "this team came without its mixer", W / 2, H / 2);
    return;
  }
  const steps = grads.length, n = grads[0].length;
  let top = 0;
  for (const g of grads) for (const v of g) top = Math.max(top, v);
  const step = niceStep(Math.max(top, 1e-3), 4);
  const y1 = Math.ceil(Math.max(top, 1e-3) / step) * step;
  const px = (t) => L + (t / Math.max(steps - 1, 1)) * (W - L - R), py = (v) => T + ((y1 - v) / y1) * (H - T - B);
  ctx.strokeStyle = "#eef0f4";
  ctx.fillStyle = "#667085";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let v = 0; v <= y1 + 1e-9; v += step) {
    ctx.beginPath(); ctx.moveTo(L, py(v)); ctx.lineTo(W - R, py(v)); ctx.stroke();
    ctx.fillText(String(+v.toFixed(4)), L - 6, py(v));
  }
  ctx.strokeStyle = "#1d2330";
  ctx.beginPath(); ctx.moveTo(L, py(0)); ctx.lineTo(W - R, py(0)); ctx.stroke();
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (let t = 0; t < steps; t += 5) ctx.fillText(String(t), px(t), H - B + 5);
  ctx.fillText("step of the episode", (L + W - R) / 2, H - 15);
  ctx.lineWidth = 2;
  const last = Math.min(upTo, steps - 1);
  for (let i = 0; i < n; i++) {
    ctx.strokeStyle = AGENT_LINES[i % AGENT_LINES.length];
    ctx.beginPath();
    for (let t = 0; t <= last; t++) (t ? ctx.lineTo(px(t), py(grads[t][i])) : ctx.moveTo(px(t), py(grads[t][i])));
    ctx.stroke();
  }
  ctx.lineWidth = 1;
}

function setupSpread() {
  const train = $("spread-train"), stop = $("spread-stop"), save = $("spread-save"), load = $("spread-load");
  const status = $("spread-status"), world = $("spread-world"), curve = $("spread-curve"), caption = $("spread-episode");
  const mono = $("spread-mono"), monoCaption = $("spread-mono-caption");
  let worker = null, paused = false;
  const points = { train: [], test: [] };
  let tEnv = 0;
  // Episodes play at 10 frames per second (PettingZoo's render_fps for MPE);
  // the newest one received replaces the one shown when that finishes.
  let showing = null, next = null, started = 0;

  function animate(now) {
    if (!showing && next) {
      showing = next;
      next = null;
      started = now;
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
    }
    if (showing) {
      const k = Math.floor((now - started) / 100);
      const f = showing.frames[Math.min(k, showing.frames.length - 1)];
      drawWorld(world, f, showing.extent);
      // The state before step t's actions is frame t; the chart follows the replay.
      drawMonotonicity(mono, showing.monotonicity, Math.min(k, showing.frames.length - 1));
      world.dataset.frames = String((+world.dataset.frames || 0) + 1);
      if (k >= showing.frames.length + 5) { if (next) showing = null; else started = now; }
    }
    requestAnimationFrame(animate);
  }
  requestAnimationFrame(animate);

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
        drawCurve(curve, points.train, points.test, Math.max(tEnv, 10_000));
        curve.dataset.points = String(points.train.length + points.test.length);
        break;
      case "episode":
        // A loaded team plays at once and is not replaced by a training replay before it has played.
        if (m.source === "loaded") showing = null;
        else if (next?.source === "loaded") break;
        next = { ...m, extent: episodeExtent(m.frames) };
        break;
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
  drawCurve(curve, [], [], 10_000);
  drawMonotonicity(mono, [], 0);
}

setupTwoStep();
setupSpread();
