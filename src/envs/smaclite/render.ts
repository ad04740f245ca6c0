// A battle as text, for `qmix eval --render`: the map one character per cell
// (# where no unit may walk), each unit by a letter of its type, upper case
// for the agents and lower case for the enemy, then a line per unit; given
// the team's decisions, each agent's line ends with the action it chose and
// that action's Q.

import type { Decisions } from "../env.ts";
import type { Battle } from "./world.ts";
import type { Unit } from "./unit.ts";

const LETTERS: Record<string, string> = {
  STALKER: "S", ZEALOT: "Z", MARINE: "M", MARAUDER: "R", MEDIVAC: "V", ZERGLING: "G", BANELING: "B", COLOSSUS: "C", SPINE_CRAWLER: "P",
};

export function unitLetter(u: Unit): string {
  const l = LETTERS[u.type.name] ?? u.type.name[0] ?? "?";
  return u.faction === "ALLY" ? l.toUpperCase() : l.toLowerCase();
}

function bar(v: number, max: number): string {
  return `${Math.round(v)}/${max}`;
}

const MOVES = ["north", "south", "east", "west"];

/** SMAClite's action k for an agent: 0 no-op, 1 stop, 2-5 moves, then one attack (or, for a healer, heal) per target. */
export function smacliteActionName(action: number, healer = false): string {
  if (action === 0) return "no-op";
  if (action === 1) return "stop";
  if (action <= 5) return `move ${MOVES[action - 2]}`;
  return healer ? `heal agent ${action - 6}` : `attack enemy ${action - 6}`;
}

/** The legend `eval --render` prints once above the battle. */
export const BATTLE_LEGEND = [
  "legend: upper case = our agents, lower case = the enemy, by type (S stalker, Z zealot, M marine, R marauder, V medivac,",
  "        G zergling, B baneling, C colossus, P spine crawler); # = not walkable; -> = whom a unit attacks or heals;",
  "        chose = the action the agent's network picks in this frame, Q = that action's Qᵢ (a utility, not a return:",
  "        the mixer turns the chosen Qᵢ into Q_tot, the team's estimate of its discounted return).",
].join("\n");

export function renderBattleText(battle: Battle, step: number, decisions?: Decisions): string {
  const { width, height, walkable } = battle.map;
  const rows: string[][] = [];
  for (let y = height - 1; y >= 0; y--) {
    const row: string[] = [];
    for (let x = 0; x < width; x++) row.push(walkable[y * width + x] ? "." : "#");
    rows.push(row);
  }
  for (const u of battle.units.values()) {
    const cx = Math.floor(u.x);
    const cy = Math.floor(u.y);
    if (cx >= 0 && cx < width && cy >= 0 && cy < height) rows[height - 1 - cy]![cx] = unitLetter(u);
  }
  const lines = [`${battle.map.name}  step ${step}  agents ${battle.allies.size}/${battle.map.nAllies}  enemies ${battle.enemies.size}/${battle.map.nEnemies}`];
  for (const r of rows) lines.push(r.join(""));
  for (const u of battle.units.values()) {
    const shield = u.maxShield > 0 ? ` shield ${bar(u.shield, u.maxShield)}` : "";
    const target = u.target === null ? "" : ` -> ${u.target.faction === "ALLY" ? "agent" : "enemy"} ${u.target.idInFaction}`;
    let choice = "";
    if (decisions && u.faction === "ALLY") {
      const a = decisions.actions[u.idInFaction]!, A = decisions.q.length / decisions.actions.length;
      choice = `  chose ${smacliteActionName(a, u.type.healer === true)} Q ${decisions.q[u.idInFaction * A + a]!.toFixed(2)}`;
    }
    lines.push(`${u.faction === "ALLY" ? "agent" : "enemy"} ${u.idInFaction} ${unitLetter(u)} (${u.x.toFixed(1)}, ${u.y.toFixed(1)}) hp ${bar(u.hp, u.maxHp)}${shield}${target}${choice}`);
  }
  return lines.join("\n");
}
