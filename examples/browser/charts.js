// The page's charts, shared by its panels: a learning curve over environment
// steps, and the two charts that follow a replayed episode step by step —
// each agent's ∂Q_tot/∂Qᵢ, and Q_tot against the return that followed.

export const AGENT_LINES = ["#3b5bdb", "#e8590c", "#2b8a3e", "#ae3ec9", "#1098ad", "#f08c00", "#c2255c", "#5c940d", "#862e9c", "#0b7285"];

export function niceStep(range, ticks) {
  const raw = range / ticks, mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
}

function frame(ctx, W, H) {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  ctx.font = "11px system-ui, sans-serif";
}

/**
 * A learning curve: `series` are { points: [[t, v]], color, dots? } over
 * t in [0, tMax]; fixed y range when `yRange` is given (a win rate's [0, 1]).
 */
export function drawCurve(canvas, series, tMax, { yRange = null, yLabel = (v) => String(+v.toFixed(6)), xLabel = "environment steps" } = {}) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  const L = 44, R = 14, T = 12, B = 38;
  frame(ctx, W, H);
  const all = series.flatMap((s) => s.points);
  const x1 = Math.max(tMax, 1000);
  let y0, y1;
  if (yRange) [y0, y1] = yRange;
  else {
    y0 = Math.min(...all.map((p) => p[1]));
    y1 = Math.max(...all.map((p) => p[1]));
    if (!all.length) [y0, y1] = [-60, 0];
    if (y1 - y0 < 1) y0 -= 1;
  }
  const step = niceStep(y1 - y0, 5);
  y0 = Math.floor(y0 / step) * step;
  y1 = Math.ceil(y1 / step) * step;
  const px = (t) => L + (t / x1) * (W - L - R), py = (v) => T + ((y1 - v) / (y1 - y0)) * (H - T - B);
  ctx.fillStyle = "#667085";
  ctx.strokeStyle = "#eef0f4";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let v = y0; v <= y1 + 1e-9; v += step) {
    ctx.beginPath(); ctx.moveTo(L, py(v)); ctx.lineTo(W - R, py(v)); ctx.stroke();
    ctx.fillText(yLabel(v), L - 6, py(v));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const xs = niceStep(x1, 4);
  for (let t = 0; t <= x1 + 1e-9; t += xs) ctx.fillText(t >= 1000 ? `${t / 1000}k` : String(t), px(t), H - B + 6);
  ctx.fillText(xLabel, (L + W - R) / 2, H - 16);
  ctx.strokeStyle = "#c3c9d4";
  ctx.strokeRect(L, T, W - L - R, H - T - B);
  for (const s of series) {
    ctx.strokeStyle = ctx.fillStyle = s.color;
    if (s.dots) {
      for (const [t, v] of s.points) { ctx.beginPath(); ctx.arc(px(t), py(v), 3.5, 0, 2 * Math.PI); ctx.fill(); }
      if (s.points.length > 1) {
        ctx.globalAlpha = 0.5;
        ctx.beginPath();
        s.points.forEach(([t, v], i) => (i ? ctx.lineTo(px(t), py(v)) : ctx.moveTo(px(t), py(v))));
        ctx.stroke();
        ctx.globalAlpha = 1;
      }
    } else {
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      s.points.forEach(([t, v], i) => (i ? ctx.lineTo(px(t), py(v)) : ctx.moveTo(px(t), py(v))));
      ctx.stroke();
      ctx.lineWidth = 1;
    }
  }
}

/** Axes over the steps of an episode; returns the mappings. */
function stepAxes(ctx, W, H, steps, y0, y1, yTitle) {
  const L = 46, R = 10, T = 12, B = 34;
  const step = niceStep(Math.max(y1 - y0, 1e-3), 4);
  y0 = Math.floor(y0 / step) * step;
  y1 = Math.max(Math.ceil(y1 / step) * step, y0 + step);
  const px = (t) => L + (t / Math.max(steps - 1, 1)) * (W - L - R), py = (v) => T + ((y1 - v) / (y1 - y0)) * (H - T - B);
  ctx.strokeStyle = "#eef0f4";
  ctx.fillStyle = "#667085";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let v = y0; v <= y1 + 1e-9; v += step) {
    ctx.beginPath(); ctx.moveTo(L, py(v)); ctx.lineTo(W - R, py(v)); ctx.stroke();
    ctx.fillText(String(+v.toFixed(4)), L - 6, py(v));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const every = steps > 60 ? 20 : steps > 25 ? 10 : 5;
  for (let t = 0; t < steps; t += every) ctx.fillText(String(t), px(t), H - B + 5);
  ctx.fillText("step of the episode", (L + W - R) / 2, H - 15);
  ctx.save();
  ctx.translate(10, T + (H - T - B) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(yTitle, 0, 0);
  ctx.restore();
  return { px, py, L, R, T, B, y0, y1 };
}

function cursorLine(ctx, x, T, bottom) {
  ctx.strokeStyle = "#1d2330";
  ctx.globalAlpha = 0.35;
  ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(x, T); ctx.lineTo(x, bottom); ctx.stroke();
  ctx.globalAlpha = 1;
}

/**
 * ∂Q_tot/∂Qᵢ of each agent over the steps of an episode, on a y axis that
 * starts at 0: the monotonicity constraint (3) says no line can go below it.
 * grads: [step][agent]; alive(t, i) ends an agent's line where its unit
 * died (a cross marks the last step it acted alive); `cursor` marks the
 * step shown, `highlight` draws one agent's line thicker.
 */
export function drawCredit(canvas, grads, { cursor = null, alive = () => true, highlight = null, empty = "waiting for an episode" } = {}) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  frame(ctx, W, H);
  if (!grads || grads.length === 0) {
    ctx.fillStyle = "#667085";
    ctx.textAlign = "center";
    ctx.fillText(grads ? empty : "this team came without its mixer", W / 2, H / 2);
    return;
  }
  const steps = grads.length, n = grads[0].length;
  let top = 0;
  for (const g of grads) for (const v of g) top = Math.max(top, v);
  const { px, py, T, B } = stepAxes(ctx, W, H, steps, 0, Math.max(top, 1e-3), "∂Q_tot/∂Qᵢ");
  ctx.strokeStyle = "#1d2330";
  ctx.beginPath(); ctx.moveTo(px(0), py(0)); ctx.lineTo(px(steps - 1), py(0)); ctx.stroke();
  for (let i = 0; i < n; i++) {
    ctx.strokeStyle = ctx.fillStyle = AGENT_LINES[i % AGENT_LINES.length];
    ctx.lineWidth = highlight === i ? 3.5 : highlight === null ? 2 : 1.5;
    ctx.globalAlpha = highlight === null || highlight === i ? 1 : 0.45;
    ctx.beginPath();
    let last = -1;
    for (let t = 0; t < steps && alive(t, i); t++) {
      (t ? ctx.lineTo(px(t), py(grads[t][i])) : ctx.moveTo(px(t), py(grads[t][i])));
      last = t;
    }
    ctx.stroke();
    if (last >= 0 && last < steps - 1) {
      // The unit died: its line ends here.
      const x = px(last), y = py(grads[last][i]);
      ctx.lineWidth = 2;
      ctx.beginPath(); ctx.moveTo(x - 4, y - 4); ctx.lineTo(x + 4, y + 4); ctx.moveTo(x + 4, y - 4); ctx.lineTo(x - 4, y + 4); ctx.stroke();
    }
  }
  ctx.globalAlpha = 1;
  ctx.lineWidth = 1;
  if (cursor !== null) cursorLine(ctx, px(Math.min(cursor, steps - 1)), T, H - B);
}

/**
 * Q_tot of the joint action taken at each step (the mixer's estimate of the
 * discounted return from there) against the discounted return that actually
 * followed; the gap between them is shaded.
 */
export function drawValue(canvas, qTot, returns, { cursor = null } = {}) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  frame(ctx, W, H);
  if (!qTot || qTot.length === 0 || qTot[0] === null) {
    ctx.fillStyle = "#667085";
    ctx.textAlign = "center";
    ctx.fillText(qTot ? "this team came without its mixer: no Q_tot" : "waiting for an episode", W / 2, H / 2);
    return;
  }
  const steps = qTot.length, all = [...qTot, ...returns];
  const { px, py, T, B } = stepAxes(ctx, W, H, steps, Math.min(0, ...all), Math.max(...all), "return");
  ctx.fillStyle = "rgba(217, 72, 15, 0.12)";
  ctx.beginPath();
  for (let t = 0; t < steps; t++) (t ? ctx.lineTo(px(t), py(qTot[t])) : ctx.moveTo(px(t), py(qTot[t])));
  for (let t = steps - 1; t >= 0; t--) ctx.lineTo(px(t), py(returns[t]));
  ctx.closePath();
  ctx.fill();
  const line = (vs, color, dash) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.setLineDash(dash);
    ctx.beginPath();
    vs.forEach((v, t) => (t ? ctx.lineTo(px(t), py(v)) : ctx.moveTo(px(t), py(v))));
    ctx.stroke();
    ctx.setLineDash([]);
  };
  line(returns, "#d9480f", [5, 4]);
  line(qTot, "#1d2330", []);
  ctx.lineWidth = 1;
  if (cursor !== null) cursorLine(ctx, px(Math.min(cursor, steps - 1)), T, H - B);
}
