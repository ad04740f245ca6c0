// The SMAClite panel: trains QMIX on a SMAClite map in its own worker
// (worker.js, with the command line's presets) and replays greedy battles on
// a canvas: units by faction and type, hp and shield bars, attack and heal
// lines. "Play the pretrained 2s3z team" replays the shipped team.

const $ = (id) => document.getElementById(id);
const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(100 * x)}%`);

const ALLY = "rgb(89, 89, 217)", ENEMY = "rgb(214, 64, 56)", HEAL = "#2b8a3e";
const FRAME_MS = 110;

/** One battle frame: the walkable map, then lines, then units with their bars. */
export function drawBattle(canvas, frame) {
  const ctx = canvas.getContext("2d");
  const { width: W, height: H, walkable } = frame;
  // The view: the walkable part of the map (most maps are a band across a larger square), centred.
  let c0 = W, c1 = 0, r0 = H, r1 = 0;
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) if (walkable[r * W + c]) { c0 = Math.min(c0, c); c1 = Math.max(c1, c + 1); r0 = Math.min(r0, r); r1 = Math.max(r1, r + 1); }
  if (c1 <= c0) { c0 = 0; c1 = W; r0 = 0; r1 = H; }
  const s = Math.min(canvas.width / (c1 - c0), canvas.height / (r1 - r0));
  const ox = (canvas.width - s * (c1 - c0)) / 2, oy = (canvas.height - s * (r1 - r0)) / 2;
  // The map's y axis points up; the canvas's down.
  const X = (x) => ox + (x - c0) * s, Y = (y) => canvas.height - oy - (y - r0) * s;
  ctx.fillStyle = "#c9ced8";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#fff";
  for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) if (walkable[r * W + c]) ctx.fillRect(X(c), Y(r + 1), s + 0.5, s + 0.5);
  const byId = new Map(frame.units.map((u) => [u.id, u]));
  ctx.lineWidth = 1.5;
  for (const u of frame.units) {
    const t = u.target === null ? undefined : byId.get(u.target);
    if (!t) continue;
    ctx.strokeStyle = u.heals ? HEAL : u.ally ? ALLY : ENEMY;
    ctx.globalAlpha = 0.55;
    ctx.beginPath();
    ctx.moveTo(X(u.x), Y(u.y));
    ctx.lineTo(X(t.x), Y(t.y));
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  for (const u of frame.units) {
    const r = Math.max(3, u.radius * s);
    ctx.fillStyle = u.ally ? ALLY : ENEMY;
    ctx.beginPath();
    ctx.arc(X(u.x), Y(u.y), r, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = "#fff";
    ctx.font = `bold ${Math.max(9, Math.round(r * 1.2))}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(u.type[0].toUpperCase(), X(u.x), Y(u.y) + 0.5);
    // Bars above the unit: shields (blue) over hp (green to red).
    const bw = Math.max(14, 2.4 * r), bx = X(u.x) - bw / 2;
    let by = Y(u.y) - r - 5;
    ctx.fillStyle = "#e4e7ec";
    ctx.fillRect(bx, by, bw, 3);
    ctx.fillStyle = u.hp > 0.5 ? "#2f9e44" : u.hp > 0.25 ? "#f08c00" : "#e03131";
    ctx.fillRect(bx, by, bw * u.hp, 3);
    if (u.shield !== null) {
      by -= 4;
      ctx.fillStyle = "#e4e7ec";
      ctx.fillRect(bx, by, bw, 3);
      ctx.fillStyle = "#1c7ed6";
      ctx.fillRect(bx, by, bw * u.shield, 3);
    }
  }
}

function setupSmaclite() {
  const train = $("smaclite-train"), stop = $("smaclite-stop"), map = $("smaclite-map");
  const status = $("smaclite-status"), caption = $("smaclite-episode"), canvas = $("smaclite-world");
  let worker = null, paused = false, lastWon = null, replay = null;

  const newWorker = () => {
    worker?.terminate();
    worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    worker.onmessage = onMessage;
    return worker;
  };

  function animate(now) {
    if (!replay) return;
    const k = Math.max(0, Math.min(replay.frames.length - 1, Math.floor((now - replay.t0) / FRAME_MS)));
    drawBattle(canvas, replay.frames[k]);
    const m = replay.msg;
    const end = k === replay.frames.length - 1 ? (m.won === true ? " — won" : m.won === false ? " — lost" : "") : "";
    caption.textContent = `${m.source === "loaded" ? "pretrained team" : `team at ${fmtInt(m.tEnv)} steps`}, ${m.env}: step ${replay.frames[k].step}, return ${m.return.toFixed(1)}${end}`;
    if (k < replay.frames.length - 1) requestAnimationFrame(animate);
    else replay = null;
  }

  function onMessage({ data: m }) {
    switch (m.type) {
      case "started": status.textContent = `training QMIX on ${m.env}…`; break;
      case "eval": lastWon = m.battleWonMean ?? lastWon; break;
      case "progress":
        status.textContent = `t_env ${fmtInt(m.tEnv)} / ${fmtInt(m.tMax)}  ε ${m.epsilon.toFixed(2)}  greedy win rate ${pct(lastWon)} (best ${pct(m.bestWon)})  ${fmtInt(m.stepsPerSec)} steps/s`;
        break;
      case "episode":
        // The pretrained team's battle always shows; the training team's when nothing else is playing.
        if (m.source === "loaded" || !replay) {
          const idle = !replay;
          replay = { msg: m, frames: m.frames, t0: performance.now() };
          if (idle) requestAnimationFrame(animate);
        }
        break;
      case "done": status.textContent += "  — done"; stop.disabled = true; break;
      case "error": status.textContent = m.message; break;
    }
  }

  train.addEventListener("click", () => {
    newWorker().postMessage({ type: "train", env: `smaclite/${map.value}` });
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
    const res = await fetch(new URL("../../models/smaclite_2s3z-qmix.safetensors", import.meta.url));
    if (!res.ok) { status.textContent = `could not fetch the pretrained team (HTTP ${res.status})`; return; }
    const bytes = await res.arrayBuffer();
    (worker ?? newWorker()).postMessage({ type: "play", bytes }, [bytes]);
  });
}

setupSmaclite();
