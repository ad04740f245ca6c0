// Collision avoidance: ORCA, optimal reciprocal collision avoidance (van den
// Berg, Guy, Snape, Lin, Manocha, "Reciprocal n-body collision avoidance",
// 2011). Each neighbour and each nearby obstacle edge cuts velocity space by a
// half-plane; the new velocity is the point of their intersection closest to
// the preferred one (a 2-D linear program, linearProgram2), or, when they
// leave nothing, the velocity that violates the unit constraints least
// (linearProgram3). We follow SMAClite's numpy transcription of the RVO2
// library (env/rvo2/rvo2.py) case by case, its departures included: a unit
// assumes a moving neighbour takes half the avoiding and a still one none,
// and an edge's half-plane is shifted by the same amount along both axes
// where it derives its point from the edge direction.

import { obstacleWithin, type Obstacle } from "./obstacles.ts";
import type { NeighbourList } from "./neighbours.ts";
import { TICKS_PER_SECOND, type Unit } from "./unit.ts";

// Time horizons in seconds for units and obstacles (SMAClite's TAU, TAU_OBST).
const INV_TIME_HORIZON = 1;
const INV_TIME_HORIZON_OBST = 1;
const EPSILON = 1e-5;

// numpy types. SMAClite keeps positions in float32 arrays and mixes them with
// float64 ones, and numpy 1.x rounds by rules of its own: an operation of two
// arrays, or of two scalars, computes in the wider type; an array with a
// scalar computes in the array's type, the scalar rounded to it first. A
// vector below carries a flag, true where numpy holds it as float32, and each
// operation rounds as numpy would. Obstacle lines are float64 throughout.
const f = Math.fround;
const r32 = (x: number, is32: boolean) => (is32 ? f(x) : x);
/** numpy's 2-element dot product: in float32 it rounds each product and the sum (no fused multiply-add). */
const dot = (ax: number, ay: number, bx: number, by: number, is32: boolean) =>
  is32 ? f(f(ax * bx) + f(ay * by)) : ax * bx + ay * by;
const det = (ax: number, ay: number, bx: number, by: number, is32: boolean) =>
  is32 ? f(f(ax * by) - f(ay * bx)) : ax * by - ay * bx;
const det64 = (ax: number, ay: number, bx: number, by: number) => ax * by - ay * bx;
const sq = (ax: number, ay: number) => ax * ax + ay * ay;
/** numpy's norm: the square root of the dot product (Math.hypot rounds differently). */
const norm = (x: number, y: number, is32 = false) => r32(Math.sqrt(dot(x, y, x, y, is32)), is32);

interface Line {
  px: number;
  py: number;
  dx: number;
  dy: number;
  p32: boolean;
  d32: boolean;
}

interface Vec {
  x: number;
  y: number;
  is32: boolean;
}

// Lines and vectors are reused from call to call: a tick allocates nothing here.
const lines: Line[] = [];
let nLines = 0;
const projectedPool: Line[] = [];
const newLine = (): Line => ({ px: 0, py: 0, dx: 0, dy: 0, p32: false, d32: false });
function addLine(px: number, py: number, dx: number, dy: number, p32: boolean, d32: boolean): void {
  const l = lines[nLines] ?? (lines[nLines] = newLine());
  l.px = px;
  l.py = py;
  l.dx = dx;
  l.dy = dy;
  l.p32 = p32;
  l.d32 = d32;
  nLines++;
}
const pref: Vec = { x: 0, y: 0, is32: false };
const res: Vec = { x: 0, y: 0, is32: false };
const lp1: Vec = { x: 0, y: 0, is32: false };
const keep: Vec = { x: 0, y: 0, is32: false };
const dir: Vec = { x: 0, y: 0, is32: false };

/**
 * Set unit.nextVx/nextVy from its preferred velocity, its neighbours and the
 * obstacles within its radius plus one second of travel (ground units).
 */
export function avoidCollisions(unit: Unit, neighbours: NeighbourList<Unit>, obstacles: readonly Obstacle[]): void {
  if ((unit.prefVx === 0 && unit.prefVy === 0) || unit.hp === 0) {
    unit.nextVx = unit.prefVx;
    unit.nextVy = unit.prefVy;
    unit.next32 = unit.pref32;
    return;
  }
  nLines = 0;
  const reach = unit.radius + unit.type.speed;
  for (const o of obstacles) if (obstacleWithin(o, unit.x, unit.y, reach)) obstacleLines(unit, o);
  const nObstacleLines = nLines;
  for (let i = 0; i < neighbours.n; i++) {
    const other = neighbours.units[i]!;
    if (other === unit || other.hp === 0) continue;
    unitLine(unit, other, neighbours.dists[i]!);
  }
  const maxV = unit.type.speed;
  pref.x = unit.prefVx;
  pref.y = unit.prefVy;
  pref.is32 = unit.pref32;
  const ok = linearProgram2(lines, nLines, maxV, pref, false, res);
  if (ok < nLines) linearProgram3(nObstacleLines, ok, maxV);
  unit.nextVx = res.x;
  unit.nextVy = res.y;
  unit.next32 = res.is32;
}

function unitLine(unit: Unit, other: Unit, distance: number): void {
  const rpx = f(other.x - unit.x);
  const rpy = f(other.y - unit.y);
  const V = unit.v32 && other.v32;
  const rvx = r32(unit.vx - other.vx, V);
  const rvy = r32(unit.vy - other.vy, V);
  const distSq = distance * distance;
  const r = unit.radius + other.radius;
  const rSq = r * r;
  const share = other.prefVx !== 0 || other.prefVy !== 0 ? 0.5 : 1;
  let dx: number, dy: number, ux: number, uy: number, d32: boolean, u32: boolean;
  if (distSq > rSq) {
    // w: from the centre of the cut-off circle to the relative velocity
    const wx = r32(rvx - INV_TIME_HORIZON * rpx, V);
    const wy = r32(rvy - INV_TIME_HORIZON * rpy, V);
    const wLenSq = dot(wx, wy, wx, wy, V);
    const dot1 = dot(wx, wy, rpx, rpy, V);
    if (dot1 < 0 && dot1 * dot1 > rSq * wLenSq) {
      // project on the cut-off circle
      const wLen = r32(Math.sqrt(wLenSq), V);
      const nx = r32(wx / wLen, V);
      const ny = r32(wy / wLen, V);
      dx = ny;
      dy = -nx;
      const k = r32(r * INV_TIME_HORIZON - wLen, V);
      ux = r32(k * nx, V);
      uy = r32(k * ny, V);
      d32 = u32 = V;
    } else {
      // project on a leg of the velocity obstacle
      const leg = Math.sqrt(distSq - rSq);
      if (det(rpx, rpy, wx, wy, V) > 0) {
        dx = (rpx * leg - rpy * r) / distSq;
        dy = (rpx * r + rpy * leg) / distSq;
      } else {
        dx = (-rpx * leg - rpy * r) / distSq;
        dy = (rpx * r - rpy * leg) / distSq;
      }
      const dot2 = rvx * dx + rvy * dy;
      ux = dot2 * dx - rvx;
      uy = dot2 * dy - rvy;
      d32 = u32 = false;
    }
  } else {
    // already overlapping: leave within one tick
    const wx = r32(rvx - TICKS_PER_SECOND * rpx, V);
    const wy = r32(rvy - TICKS_PER_SECOND * rpy, V);
    const wLen = norm(wx, wy, V);
    const nx = r32(wx / wLen, V);
    const ny = r32(wy / wLen, V);
    dx = ny;
    dy = -nx;
    const k = r32(r * TICKS_PER_SECOND - wLen, V);
    ux = r32(k * nx, V);
    uy = r32(k * ny, V);
    d32 = u32 = V;
  }
  const p32 = unit.v32 && u32;
  addLine(r32(unit.vx + r32(share * ux, u32), p32), r32(unit.vy + r32(share * uy, u32), p32), dx, dy, p32, d32);
}

function obstacleLines(unit: Unit, o: Obstacle): void {
  const { edges } = o;
  const px = unit.x;
  const py = unit.y;
  const radius = unit.radius;
  const radiusSq = radius * radius;
  const inv = INV_TIME_HORIZON_OBST;
  const vx = unit.vx;
  const vy = unit.vy;
  for (let i = 0; i < edges.length; i++) {
    let o1 = edges[i]!;
    let o2 = edges[(i + 1) % edges.length]!;
    // only edges that face the unit
    if (!(det64(o1.x - px, o1.y - py, o2.x - o1.x, o2.y - o1.y) < 0)) continue;
    const r1x = o1.x - px, r1y = o1.y - py;
    const r2x = o2.x - px, r2y = o2.y - py;
    let covered = false;
    for (let k = 0; k < nLines; k++) {
      const l = lines[k]!;
      if (
        det64(inv * r1x - l.px, inv * r1y - l.py, l.dx, l.dy) - inv * radius >= -EPSILON &&
        det64(inv * r2x - l.px, inv * r2y - l.py, l.dx, l.dy) - inv * radius >= -EPSILON
      ) {
        covered = true;
        break;
      }
    }
    if (covered) continue;
    const distSq1 = r1x * r1x + r1y * r1y;
    const distSq2 = r2x * r2x + r2y * r2y;
    const ovx = o2.x - o1.x, ovy = o2.y - o1.y;
    const s = (-r1x * ovx - r1y * ovy) / (ovx * ovx + ovy * ovy);
    const lx = -r1x - s * ovx, ly = -r1y - s * ovy;
    const distSqLine = lx * lx + ly * ly;
    // collisions with the edge itself
    if (s < 0 && distSq1 < radiusSq) {
      const n = norm(r1y, r1x);
      addLine(0, 0, -r1y / n, r1x / n, false, false);
      continue;
    } else if (s > 1 && distSq2 <= radiusSq) {
      if (det64(r2x, r2y, o2.dx, o2.dy) < 0) continue;
      const n = norm(r2y, r2x);
      addLine(0, 0, -r2y / n, r2x / n, false, false);
      continue;
    } else if (s > 0 && s < 1 && distSqLine <= radiusSq) {
      addLine(0, 0, -o1.dx, -o1.dy, false, false);
      continue;
    }
    // the legs of the obstacle's velocity obstacle
    let lgx: number, lgy: number, rgx: number, rgy: number;
    if (s < 0 && distSqLine <= radiusSq) {
      o2 = o1; // seen from the unit the edge is a point: its first corner
      const leg1 = Math.sqrt(distSq1 - radiusSq);
      lgx = (r1x * leg1 - r1y * radius) / distSq1;
      lgy = (r1x * radius + r1y * leg1) / distSq1;
      rgx = (r1x * leg1 + r1y * radius) / distSq1;
      rgy = (-r1x * radius + r1y * leg1) / distSq1;
    } else if (s > 1 && distSqLine <= radiusSq) {
      o1 = o2; // its second corner
      const leg2 = Math.sqrt(distSq2 - radiusSq);
      lgx = (r2x * leg2 - r2y * radius) / distSq2;
      lgy = (r2x * radius + r2y * leg2) / distSq2;
      rgx = (r2x * leg2 + r2y * radius) / distSq2;
      rgy = (-r2x * radius + r2y * leg2) / distSq2;
    } else {
      const leg1 = Math.sqrt(distSq1 - radiusSq);
      lgx = (r1x * leg1 - r1y * radius) / distSq1;
      lgy = (r1x * radius + r1y * leg1) / distSq1;
      const leg2 = Math.sqrt(distSq2 - radiusSq);
      rgx = (r2x * leg2 + r2y * radius) / distSq2;
      rgy = (-r2x * radius + r2y * leg2) / distSq2;
    }
    // a leg pointing into a neighbouring edge is replaced by that edge ("foreign")
    const leftNeighbour = edges[(i + edges.length - 1) % edges.length]!;
    let leftForeign = false;
    let rightForeign = false;
    if (det64(lgx, lgy, -leftNeighbour.dx, -leftNeighbour.dy) >= 0) {
      lgx = -leftNeighbour.dx;
      lgy = -leftNeighbour.dy;
      leftForeign = true;
    }
    if (det64(rgx, rgy, o2.dx, o2.dy) <= 0) {
      rgx = o2.dx;
      rgy = o2.dy;
      rightForeign = true;
    }
    const lcx = inv * (o1.x - px), lcy = inv * (o1.y - py);
    const rcx = inv * (o2.x - px), rcy = inv * (o2.y - py);
    const cvx = rcx - lcx, cvy = rcy - lcy;
    const same = o1 === o2;
    const t = same ? 0.5 : ((vx - lcx) * cvx + (vy - lcy) * cvy) / (cvx * cvx + cvy * cvy);
    const tLeft = (vx - lcx) * lgx + (vy - lcy) * lgy;
    const tRight = (vx - rcx) * rgx + (vy - rcy) * rgy;
    if ((t < 0 && tLeft < 0) || (same && tLeft < 0 && tRight < 0)) {
      // project on the left cut-off circle
      const n = norm(vx - lcx, vy - lcy);
      const wx = (vx - lcx) / n, wy = (vy - lcy) / n;
      addLine(lcx + radius * inv * wx, lcy + radius * inv * wy, wy, -wx, false, false);
      continue;
    } else if (t > 1 && tRight < 0) {
      // the right cut-off circle
      const n = norm(vx - rcx, vy - rcy);
      const wx = (vx - rcx) / n, wy = (vy - rcy) / n;
      addLine(rcx + radius * inv * wx, rcy + radius * inv * wy, wy, -wx, false, false);
      continue;
    }
    const distSqCutoff = t < 0 || t > 1 || same ? Infinity : sq(vx - (lcx + t * cvx), vy - (lcy + t * cvy));
    const distSqLeft = tLeft < 0 ? Infinity : sq(vx - (lcx + tLeft * lgx), vy - (lcy + tLeft * lgy));
    const distSqRight = tRight < 0 ? Infinity : sq(vx - (rcx + tRight * rgx), vy - (rcy + tRight * rgy));
    let dx: number, dy: number, bx: number, by: number;
    if (distSqCutoff <= distSqLeft && distSqCutoff <= distSqRight) {
      dx = -o1.dx;
      dy = -o1.dy;
      bx = lcx;
      by = lcy;
    } else if (distSqLeft <= distSqRight) {
      if (leftForeign) continue;
      dx = lgx;
      dy = lgy;
      bx = lcx;
      by = lcy;
    } else {
      if (rightForeign) continue;
      dx = -rgx;
      dy = -rgy;
      bx = rcx;
      by = rcy;
    }
    // SMAClite builds the normal (-dy, dx) as a 0-d array of -dy, so the shift is -dy on both axes
    const shift = radius * inv * -dy;
    addLine(bx + shift, by + shift, dx, dy, false, false);
  }
}

/** Optimise on line `lineNo` subject to the lines before it; false if they leave nothing on it. */
function linearProgram1(lines: readonly Line[], lineNo: number, maxV: number, opt: Vec, direction: boolean, res: Vec): boolean {
  const line = lines[lineNo]!;
  const d = dot(line.px, line.py, line.dx, line.dy, line.p32 && line.d32);
  const disc = d * d + maxV * maxV - dot(line.px, line.py, line.px, line.py, line.p32);
  if (disc < 0) return false; // the speed circle misses the line
  const sqrtDisc = Math.sqrt(disc);
  let tLeft = -d - sqrtDisc;
  let tRight = -d + sqrtDisc;
  for (let i = 0; i < lineNo; i++) {
    const o = lines[i]!;
    const den32 = line.d32 && o.d32;
    const denominator = det(line.dx, line.dy, o.dx, o.dy, den32);
    const diff32 = line.p32 && o.p32;
    const num32 = o.d32 && diff32;
    const numerator = det(o.dx, o.dy, r32(line.px - o.px, diff32), r32(line.py - o.py, diff32), num32);
    if (Math.abs(denominator) < EPSILON) {
      if (numerator < 0) return false; // parallel and on the wrong side
      continue;
    }
    const t = r32(numerator / denominator, den32 && num32);
    if (denominator >= 0) tRight = Math.min(tRight, t);
    else tLeft = Math.max(tLeft, t);
    if (tLeft > tRight) return false;
  }
  let t: number;
  if (direction) t = dot(opt.x, opt.y, line.dx, line.dy, opt.is32 && line.d32) > 0 ? tRight : tLeft;
  else {
    const diff32 = opt.is32 && line.p32;
    t = dot(line.dx, line.dy, r32(opt.x - line.px, diff32), r32(opt.y - line.py, diff32), line.d32 && diff32);
    if (t < tLeft) t = tLeft;
    else if (t > tRight) t = tRight;
  }
  pointOnLine(line, t, res);
  return true;
}

/** line.point + t * line.direction, rounded as numpy would. */
function pointOnLine(line: Line, t: number, res: Vec): void {
  const tt = r32(t, line.d32);
  const is32 = line.p32 && line.d32;
  res.x = r32(line.px + r32(tt * line.dx, line.d32), is32);
  res.y = r32(line.py + r32(tt * line.dy, line.d32), is32);
  res.is32 = is32;
}

/** Whether `res` violates the line: det(direction, point - res) > `bound`. */
function violation(line: Line, res: Vec): number {
  const diff32 = line.p32 && res.is32;
  return det(line.dx, line.dy, r32(line.px - res.x, diff32), r32(line.py - res.y, diff32), line.d32 && diff32);
}

/** The velocity closest to `opt` (or furthest along it, `direction`) within every half-plane; returns how many lines it satisfied. */
function linearProgram2(lines: readonly Line[], count: number, maxV: number, opt: Vec, direction: boolean, res: Vec): number {
  const m32 = f(maxV);
  if (direction) {
    res.x = opt.is32 ? f(opt.x * m32) : opt.x * maxV;
    res.y = opt.is32 ? f(opt.y * m32) : opt.y * maxV;
    res.is32 = opt.is32;
  } else if (dot(opt.x, opt.y, opt.x, opt.y, opt.is32) > maxV * maxV) {
    const n = norm(opt.x, opt.y, opt.is32);
    res.x = opt.is32 ? f(f(opt.x / n) * m32) : (opt.x / n) * maxV;
    res.y = opt.is32 ? f(f(opt.y / n) * m32) : (opt.y / n) * maxV;
    res.is32 = opt.is32;
  } else {
    res.x = opt.x;
    res.y = opt.y;
    res.is32 = opt.is32;
  }
  for (let i = 0; i < count; i++) {
    if (violation(lines[i]!, res) <= 0) continue; // already satisfied
    if (!linearProgram1(lines, i, maxV, opt, direction, lp1)) return i;
    res.x = lp1.x;
    res.y = lp1.y;
    res.is32 = lp1.is32;
  }
  return count;
}

/** No velocity satisfies every unit line: minimise the largest violation, keeping the obstacle lines hard. */
function linearProgram3(nObstacle: number, begin: number, maxV: number): void {
  let distance = 0;
  const projected = projectedPool;
  for (let i = begin; i < nLines; i++) {
    const line = lines[i]!;
    if (violation(line, res) <= distance) continue;
    let nProjected = 0;
    const put = (): Line => {
      const l = projected[nProjected] ?? (projected[nProjected] = newLine());
      nProjected++;
      return l;
    };
    for (let j = 0; j < nObstacle; j++) Object.assign(put(), lines[j]!);
    for (let j = nObstacle; j < i; j++) {
      const o = lines[j]!;
      const d32 = line.d32 && o.d32;
      const d = det(line.dx, line.dy, o.dx, o.dy, d32);
      let px: number, py: number, p32: boolean;
      if (Math.abs(d) <= EPSILON) {
        if (dot(line.dx, line.dy, o.dx, o.dy, d32) > 0) continue; // same direction
        p32 = line.p32 && o.p32;
        px = 0.5 * r32(line.px + o.px, p32);
        py = 0.5 * r32(line.py + o.py, p32);
      } else {
        const diff32 = line.p32 && o.p32;
        const n32 = o.d32 && diff32;
        const num = det(o.dx, o.dy, r32(line.px - o.px, diff32), r32(line.py - o.py, diff32), n32);
        const k = r32(r32(num / d, n32 && d32), line.d32);
        p32 = line.p32 && line.d32;
        px = r32(line.px + r32(k * line.dx, line.d32), p32);
        py = r32(line.py + r32(k * line.dy, line.d32), p32);
      }
      const nx = r32(o.dx - line.dx, d32);
      const ny = r32(o.dy - line.dy, d32);
      const n = norm(nx, ny, d32);
      const l = put();
      l.px = px;
      l.py = py;
      l.dx = r32(nx / n, d32);
      l.dy = r32(ny / n, d32);
      l.p32 = p32;
      l.d32 = d32;
    }
    keep.x = res.x;
    keep.y = res.y;
    keep.is32 = res.is32;
    dir.x = -line.dy;
    dir.y = line.dx;
    dir.is32 = line.d32;
    if (linearProgram2(projected, nProjected, maxV, dir, true, res) < nProjected) {
      res.x = keep.x;
      res.y = keep.y;
      res.is32 = keep.is32;
    }
    distance = violation(line, res);
  }
}
