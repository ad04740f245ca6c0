// A learning-curve picture as a standalone SVG string: greedy test return
// against environment steps, one line per series, and optionally series on a
// second axis at the right (the win rate, in per cent).

export interface Series {
  label: string;
  points: Array<[number, number]>;
  /** A shaded band around the line, as [x, low, high] (the interquartile range over seeds, say). */
  band?: Array<[number, number, number]>;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"];

export interface CurveOptions {
  title?: string;
  width?: number;
  height?: number;
  yLabel?: string;
  /** Fixed y range; lines outside it are clipped at the frame. [the data's range] */
  yMin?: number;
  yMax?: number;
  /** Where the legend goes. ["top-left"] */
  legend?: "top-left" | "bottom-right";
  /** Series read against a second axis on the right (a win rate beside the return), dashed. */
  right?: { series: Series[]; yLabel: string; yMin: number; yMax: number; format?: (v: number) => string };
}

export function curveSvg(series: Series[], opts: CurveOptions = {}): string {
  const W = opts.width ?? 640, H = opts.height ?? 400, L = 64, R = opts.right ? 64 : 16, T = 36, B = 48;
  const finite = ([x, y]: [number, number]) => Number.isFinite(x) && Number.isFinite(y);
  const all = series.flatMap((s) => [...s.points, ...(s.band ?? []).flatMap(([x, lo, hi]): Array<[number, number]> => [[x, lo], [x, hi]])]).filter(finite);
  const xs = [...all, ...(opts.right?.series.flatMap((s) => s.points).filter(finite) ?? [])].map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = Math.min(0, ...xs), x1 = Math.max(1, ...xs);
  let y0 = opts.yMin ?? Math.min(...ys), y1 = opts.yMax ?? Math.max(...ys);
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) { y0 = 0; y1 = 1; }
  if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const esc = (s: string) => s.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<clipPath id="plot"><rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}"/></clipPath>`);
  if (opts.title) parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(opts.title)}</text>`);
  for (let k = 0; k <= 5; k++) {
    const yv = y0 + ((y1 - y0) * k) / 5, xv = x0 + ((x1 - x0) * k) / 5;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${py(yv).toFixed(1)}" y2="${py(yv).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${L - 6}" y="${(py(yv) + 4).toFixed(1)}" text-anchor="end">${fmt(yv)}</text>`);
    parts.push(`<text x="${px(xv).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${fmtSteps(xv)}</text>`);
  }
  const right = opts.right;
  const pyR = right ? (y: number) => T + (1 - (y - right.yMin) / (right.yMax - right.yMin)) * (H - T - B) : py;
  if (right) {
    for (let k = 0; k <= 5; k++) {
      const yv = right.yMin + ((right.yMax - right.yMin) * k) / 5;
      parts.push(`<text x="${W - R + 6}" y="${(pyR(yv) + 4).toFixed(1)}" text-anchor="start">${esc((right.format ?? fmt)(yv))}</text>`);
    }
    parts.push(`<text transform="translate(${W - 12} ${(T + H - B) / 2}) rotate(90)" text-anchor="middle">${esc(right.yLabel)}</text>`);
  }
  parts.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 10}" text-anchor="middle">environment steps</text>`);
  parts.push(`<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel ?? "greedy test return")}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const band = (s.band ?? []).filter(([x, lo, hi]) => Number.isFinite(x) && Number.isFinite(lo) && Number.isFinite(hi));
    if (band.length) {
      const edge = [...band.map(([x, , hi]) => `${px(x).toFixed(1)},${py(hi).toFixed(1)}`), ...band.reverse().map(([x, lo]) => `${px(x).toFixed(1)},${py(lo).toFixed(1)}`)];
      parts.push(`<polygon fill="${color}" fill-opacity="0.2" stroke="none" clip-path="url(#plot)" points="${edge.join(" ")}"/>`);
    }
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    if (pts.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" clip-path="url(#plot)" points="${pts.join(" ")}"/>`);
    const legend = opts.legend === "bottom-right"
      ? `x="${W - R - 10}" y="${H - B - 10 - 16 * (series.length - 1 - i)}" text-anchor="end"`
      : `x="${L + 10}" y="${T + 16 + 16 * i}"`;
    parts.push(`<text ${legend} fill="${color}">${esc(s.label)}</text>`);
  });
  right?.series.forEach((s, j) => {
    const i = series.length + j, color = COLORS[i % COLORS.length]!;
    const pts = s.points.filter(finite).map(([x, y]) => `${px(x).toFixed(1)},${pyR(y).toFixed(1)}`);
    if (pts.length) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" stroke-dasharray="6 3" clip-path="url(#plot)" points="${pts.join(" ")}"/>`);
    parts.push(`<text x="${L + 10}" y="${T + 16 + 16 * i}" fill="${color}">${esc(s.label)} (right axis, dashed)</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a < 1e-9) return "0";
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return a >= 100 ? v.toFixed(0) : v.toFixed(a >= 10 ? 1 : 2);
}

/** Environment steps on the x axis: whole numbers, 12k, 1.5M. */
function fmtSteps(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 || a % 1e6 === 0 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  return Math.round(v).toLocaleString("en");
}
