// Pictures of a simple_spread frame: an ASCII grid for terminals (`eval
// --render`) and an SVG for browsers and reports. Pure functions of the
// frame, so rendering never touches the physics.

import type { Decisions } from "./env.ts";

export interface SpreadFrame {
  nAgents: number;
  nLandmarks: number;
  /** [nAgents * 2] x, y pairs. */
  agentPos: ArrayLike<number>;
  /** [nLandmarks * 2] x, y pairs. */
  landmarkPos: ArrayLike<number>;
  agentSize: number;
  landmarkSize: number;
  t: number;
  maxCycles: number;
  /** The team reward of the last step (0 before the first). */
  reward: number;
}

const GRID_W = 41;
const GRID_H = 21;

/** Half the side of the square shown: at least the reset box [-1, 1]², grown to keep everything in view. */
function extent(f: SpreadFrame): number {
  let e = 1;
  for (let i = 0; i < 2 * f.nAgents; i++) e = Math.max(e, Math.abs(f.agentPos[i]!) + f.agentSize);
  for (let i = 0; i < 2 * f.nLandmarks; i++) e = Math.max(e, Math.abs(f.landmarkPos[i]!) + f.landmarkSize);
  return e;
}

function fmt(v: number): string {
  return (v >= 0 ? " " : "") + v.toFixed(3);
}

/** MPE's discrete actions (simple_env.py _set_action): 0 no-op, then unit forces -x, +x, -y, +y. */
export const SPREAD_ACTION_NAMES: readonly string[] = ["no-op", "left", "right", "down", "up"];

/** The legend `eval --render` prints once above the episode. */
export const SPREAD_LEGEND = [
  "legend: o = landmark, 0-9 = agent (drawn over a landmark it covers); +y is up; reward = the team's last reward",
  "        (minus the summed distances from each landmark to its nearest agent, minus collisions);",
  "        chose = the action the agent's network picks in this frame, Q = that action's Qᵢ (a utility, not a return:",
  "        the mixer turns the chosen Qᵢ into Q_tot, the team's estimate of its discounted return).",
].join("\n");

/** Landmarks are 'o', agents their index (mod 10) drawn over them; +y is up. With decisions, each agent's line ends with its chosen action and Q. */
export function renderSpreadText(f: SpreadFrame, decisions?: Decisions): string {
  const e = extent(f);
  const grid: string[][] = Array.from({ length: GRID_H }, () => new Array<string>(GRID_W).fill(" "));
  const plot = (x: number, y: number, ch: string): void => {
    const c = Math.round(((x + e) / (2 * e)) * (GRID_W - 1));
    const r = Math.round(((e - y) / (2 * e)) * (GRID_H - 1));
    const row = grid[r];
    if (row !== undefined && c >= 0 && c < GRID_W) row[c] = ch;
  };
  for (let l = 0; l < f.nLandmarks; l++) plot(f.landmarkPos[2 * l]!, f.landmarkPos[2 * l + 1]!, "o");
  for (let i = 0; i < f.nAgents; i++) plot(f.agentPos[2 * i]!, f.agentPos[2 * i + 1]!, String(i % 10));
  const border = `+${"-".repeat(GRID_W)}+`;
  const lines = [`simple_spread t=${f.t}/${f.maxCycles} reward=${f.reward.toFixed(3)} view=[-${e.toFixed(2)}, ${e.toFixed(2)}]^2`, border];
  for (const row of grid) lines.push(`|${row.join("")}|`);
  lines.push(border);
  const A = decisions ? decisions.q.length / f.nAgents : 0;
  for (let i = 0; i < f.nAgents; i++) {
    const a = decisions?.actions[i];
    const choice = a === undefined ? "" : `  chose ${SPREAD_ACTION_NAMES[a] ?? a} Q ${decisions!.q[i * A + a]!.toFixed(2)}`;
    lines.push(`agent ${i}    (${fmt(f.agentPos[2 * i]!)}, ${fmt(f.agentPos[2 * i + 1]!)})${choice}`);
  }
  for (let l = 0; l < f.nLandmarks; l++) lines.push(`landmark ${l} (${fmt(f.landmarkPos[2 * l]!)}, ${fmt(f.landmarkPos[2 * l + 1]!)})`);
  // PettingZoo's integrate_state moves an agent by its velocity before the
  // step's force changes it, and velocities start at zero.
  if (f.t === 1) lines.push("(agents are where they were at t=0: PettingZoo moves them by the velocity before the first action's push, which starts at zero)");
  return lines.join("\n");
}

/** Colours as PettingZoo draws them: agents (0.35, 0.35, 0.85), landmarks (0.25, 0.25, 0.25). */
const AGENT_FILL = "rgb(89,89,217)";
const LANDMARK_FILL = "rgb(64,64,64)";

export function renderSpreadSvg(f: SpreadFrame, sizePx = 400): string {
  const e = extent(f);
  const n = (v: number): string => v.toFixed(4);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${sizePx}" height="${sizePx}" viewBox="${n(-e)} ${n(-e)} ${n(2 * e)} ${n(2 * e)}">`,
    `<rect x="${n(-e)}" y="${n(-e)}" width="${n(2 * e)}" height="${n(2 * e)}" fill="white"/>`,
  ];
  // SVG's y grows downwards; the world's grows upwards, so every y is negated.
  for (let l = 0; l < f.nLandmarks; l++) {
    parts.push(`<circle cx="${n(f.landmarkPos[2 * l]!)}" cy="${n(-f.landmarkPos[2 * l + 1]!)}" r="${n(f.landmarkSize)}" fill="${LANDMARK_FILL}"/>`);
  }
  const font = n(f.agentSize);
  for (let i = 0; i < f.nAgents; i++) {
    const x = f.agentPos[2 * i]!;
    const y = -f.agentPos[2 * i + 1]!;
    parts.push(`<circle cx="${n(x)}" cy="${n(y)}" r="${n(f.agentSize)}" fill="${AGENT_FILL}" fill-opacity="0.8"/>`);
    parts.push(`<text x="${n(x)}" y="${n(y)}" font-size="${font}" fill="white" text-anchor="middle" dominant-baseline="central">${i}</text>`);
  }
  parts.push(`<text x="${n(-e + 0.03 * e)}" y="${n(-e + 0.08 * e)}" font-size="${n(0.07 * e)}" fill="black">t=${f.t}/${f.maxCycles} reward=${f.reward.toFixed(3)}</text>`);
  parts.push("</svg>");
  return parts.join("\n");
}
