// One frame of a SMAClite battle on a canvas: the walkable ground around the
// units, attack and heal lines, each unit by faction with its type letter and
// index, hp and shields as rings around it (rings cannot overlap a
// neighbour's the way bars above the units did), a faint cross where a unit
// fell, the selected unit and the target of its chosen action marked.

const ALLY = "rgb(89, 89, 217)", ENEMY = "rgb(214, 64, 56)", HEAL = "#2b8a3e", TARGET = "#f59f00";

// ------------------------------------------------------------ the camera

/** The live units' bounding box in frame k, or null when none is left. */
function unitBox(frame) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const u of frame.units) {
    x0 = Math.min(x0, u.x - u.radius); x1 = Math.max(x1, u.x + u.radius);
    y0 = Math.min(y0, u.y - u.radius); y1 = Math.max(y1, u.y + u.radius);
  }
  return x0 <= x1 ? { x0, x1, y0, y1 } : null;
}

/**
 * The view for frame k: the units of frames k−1 … k+2 (so the camera moves
 * before they reach its edge) with a margin, at least MIN_SPAN map cells
 * across, widened to the canvas's shape. Pixels per cell and the centre.
 */
const MARGIN = 2, MIN_SPAN = 8;
function cameraAt(frames, k, W, H) {
  let b = null;
  for (let j = Math.max(0, k - 1); j <= Math.min(frames.length - 1, k + 2); j++) {
    const f = unitBox(frames[j]);
    if (!f) continue;
    b = b ? { x0: Math.min(b.x0, f.x0), x1: Math.max(b.x1, f.x1), y0: Math.min(b.y0, f.y0), y1: Math.max(b.y1, f.y1) } : f;
  }
  if (!b) { const f = frames[0]; b = { x0: 0, x1: f.width, y0: 0, y1: f.height }; }
  const w = Math.max(b.x1 - b.x0 + 2 * MARGIN, MIN_SPAN), h = Math.max(b.y1 - b.y0 + 2 * MARGIN, MIN_SPAN * H / W);
  return { cx: (b.x0 + b.x1) / 2, cy: (b.y0 + b.y1) / 2, s: Math.min(W / w, H / h) };
}

const lerp = (a, b, t) => a + (b - a) * t;

// ------------------------------------------------------------ the battle

/**
 * Frame k of an episode, `frac` of the way to frame k + 1 (units glide
 * between steps). Returns what it drew: each unit's id, name and place on
 * the canvas, for hit testing and for tests.
 */
export function drawBattle(canvas, ep, k, frac, { selected = null, targets = [] } = {}) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  const frames = ep.frames, f = frames[k], g = frames[Math.min(k + 1, frames.length - 1)];
  const c0 = cameraAt(frames, k, W, H), c1 = cameraAt(frames, Math.min(k + 1, frames.length - 1), W, H);
  const cam = { cx: lerp(c0.cx, c1.cx, frac), cy: lerp(c0.cy, c1.cy, frac), s: lerp(c0.s, c1.s, frac) };
  const s = cam.s;
  // The map's y axis points up; the canvas's down.
  const X = (x) => W / 2 + (x - cam.cx) * s, Y = (y) => H / 2 - (y - cam.cy) * s;
  ctx.fillStyle = "#c9ced8";
  ctx.fillRect(0, 0, W, H);
  const { width: MW, height: MH, walkable } = f;
  const cx0 = Math.max(0, Math.floor(cam.cx - W / 2 / s)), cx1 = Math.min(MW, Math.ceil(cam.cx + W / 2 / s));
  const cy0 = Math.max(0, Math.floor(cam.cy - H / 2 / s)), cy1 = Math.min(MH, Math.ceil(cam.cy + H / 2 / s));
  for (let r = cy0; r < cy1; r++) {
    for (let c = cx0; c < cx1; c++) {
      if (!walkable[r * MW + c]) continue;
      ctx.fillStyle = (r + c) % 2 ? "#fff" : "#f7f8fa";
      ctx.fillRect(X(c), Y(r + 1), s + 0.5, s + 0.5);
    }
  }
  // Units that died by frame k: a faint cross where each was last seen.
  const alive = new Set(f.units.map((u) => u.id));
  const fallen = new Map();
  for (let j = k; j >= 0 && fallen.size + alive.size < frames[0].units.length; j--) {
    for (const u of frames[j].units) if (!alive.has(u.id) && !fallen.has(u.id)) fallen.set(u.id, u);
  }
  ctx.lineWidth = 2;
  for (const u of fallen.values()) {
    const x = X(u.x), y = Y(u.y), d = Math.max(3, u.radius * s * 0.45);
    ctx.strokeStyle = u.ally ? ALLY : ENEMY;
    ctx.globalAlpha = 0.4;
    ctx.beginPath(); ctx.moveTo(x - d, y - d); ctx.lineTo(x + d, y + d); ctx.moveTo(x + d, y - d); ctx.lineTo(x - d, y + d); ctx.stroke();
  }
  ctx.globalAlpha = 1;
  const next = new Map(g.units.map((u) => [u.id, u]));
  const pos = new Map(f.units.map((u) => {
    const v = next.get(u.id);
    return [u.id, v ? { x: lerp(u.x, v.x, frac), y: lerp(u.y, v.y, frac) } : { x: u.x, y: u.y }];
  }));
  // Who attacks (or heals) whom.
  ctx.lineWidth = Math.max(1.5, s * 0.08);
  for (const u of f.units) {
    const p = pos.get(u.id), q = u.target === null ? undefined : pos.get(u.target);
    if (!q) continue;
    ctx.strokeStyle = u.heals ? HEAL : u.ally ? ALLY : ENEMY;
    ctx.globalAlpha = 0.5;
    ctx.beginPath(); ctx.moveTo(X(p.x), Y(p.y)); ctx.lineTo(X(q.x), Y(q.y)); ctx.stroke();
  }
  ctx.globalAlpha = 1;
  const drawn = [];
  for (const u of f.units) {
    const p = pos.get(u.id), x = X(p.x), y = Y(p.y);
    const r = Math.max(5, u.radius * s * 0.8);
    const ring = Math.max(2, r * 0.22);
    // hp as a ring just outside the unit, shields as a second ring outside that: no bars to overlap.
    const arc = (rr, share, color) => {
      ctx.lineWidth = ring;
      ctx.strokeStyle = "#dfe3ea";
      ctx.beginPath(); ctx.arc(x, y, rr, 0, 2 * Math.PI); ctx.stroke();
      if (share > 0) {
        ctx.strokeStyle = color;
        ctx.beginPath(); ctx.arc(x, y, rr, -Math.PI / 2, -Math.PI / 2 + 2 * Math.PI * share); ctx.stroke();
      }
    };
    if (targets.includes(u.id)) {
      ctx.fillStyle = TARGET;
      ctx.globalAlpha = 0.35;
      ctx.beginPath(); ctx.arc(x, y, r + 3.5 * ring, 0, 2 * Math.PI); ctx.fill();
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = u.ally ? ALLY : ENEMY;
    ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.fill();
    arc(r + ring, u.hp, u.hp > 0.5 ? "#2f9e44" : u.hp > 0.25 ? "#f08c00" : "#e03131");
    if (u.shield !== null) arc(r + 2.2 * ring, u.shield, "#1c7ed6");
    if (selected && selected.ally === u.ally && selected.idInFaction === u.idInFaction) {
      ctx.strokeStyle = "#1d2330";
      ctx.lineWidth = 2;
      ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.arc(x, y, r + 3.4 * ring, 0, 2 * Math.PI); ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.fillStyle = "#fff";
    ctx.font = `bold ${Math.max(9, Math.round(r * 0.95))}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(`${u.type[0]}${u.idInFaction}`, x, y + 0.5);
    drawn.push({ id: u.id, ally: u.ally, idInFaction: u.idInFaction, x, y, r: r + 2.2 * ring });
  }
  ctx.fillStyle = "#1d2330";
  ctx.font = "12px ui-monospace, Menlo, monospace";
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(`step ${f.step}   agents ${f.units.filter((u) => u.ally).length}   enemies ${f.units.filter((u) => !u.ally).length}`, 8, 8);
  return { drawn, camera: cam };
}
