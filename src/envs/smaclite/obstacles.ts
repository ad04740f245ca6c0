// Terrain as collision-avoidance obstacles: every unwalkable cell is covered
// by axis-aligned rectangles, grown greedily rightwards then upwards from the
// first uncovered cell in row-major order (SMAClite's env/rvo2/static_obstacle.py,
// which may let a rectangle overlap cells an earlier one covered). Each
// rectangle is a counter-clockwise polygon of four edges for ORCA.

export interface ObstacleEdge {
  x: number;
  y: number;
  /** Unit direction towards the next corner. */
  dx: number;
  dy: number;
}

export interface Obstacle {
  cx: number;
  cy: number;
  halfWidth: number;
  halfHeight: number;
  /** Corners from (x, y) counter-clockwise: heading east, north, west, south. */
  edges: readonly ObstacleEdge[];
}

function rectangle(x: number, y: number, w: number, h: number): Obstacle {
  return {
    cx: x + w / 2, cy: y + h / 2, halfWidth: w / 2, halfHeight: h / 2,
    edges: [
      { x, y, dx: 1, dy: 0 },
      { x: x + w, y, dx: 0, dy: 1 },
      { x: x + w, y: y + h, dx: -1, dy: 0 },
      { x, y: y + h, dx: 0, dy: -1 },
    ],
  };
}

/** `walkable` is [height][width] row-major, 1 where units may stand. */
export function obstaclesFromTerrain(walkable: Uint8Array, width: number, height: number): Obstacle[] {
  const seen = new Uint8Array(width * height);
  const out: Obstacle[] = [];
  const ground = (x: number, y: number) => walkable[y * width + x] === 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (seen[y * width + x]) continue;
      seen[y * width + x] = 1;
      if (ground(x, y)) continue;
      let xEnd = x + 1;
      for (let x2 = x + 1; x2 < width && !ground(x2, y); x2++) {
        xEnd = x2 + 1;
        seen[y * width + x2] = 1;
      }
      let yEnd = y + 1;
      for (let y2 = y + 1; y2 < height; y2++) {
        let open = false;
        for (let x2 = x; x2 < xEnd; x2++) if (ground(x2, y2)) open = true;
        if (open) break;
        yEnd = y2 + 1;
        for (let x2 = x; x2 < xEnd; x2++) seen[y2 * width + x2] = 1;
      }
      out.push(rectangle(x, y, xEnd - x, yEnd - y));
    }
  }
  return out;
}

/** Whether the rectangle comes within `radius` of (px, py). */
export function obstacleWithin(o: Obstacle, px: number, py: number, radius: number): boolean {
  const dx = Math.max(0, Math.abs(px - o.cx) - o.halfWidth);
  if (dx > radius) return false;
  const dy = Math.max(0, Math.abs(py - o.cy) - o.halfHeight);
  if (dy > radius) return false;
  return dx + dy <= radius ? true : dx * dx + dy * dy <= radius * radius;
}
