// A battle as text, for `qmix eval --render`: the map one character per cell
// (# where no unit may walk), each unit by a letter of its type, upper case
// for the agents and lower case for the enemy, then a line per unit.

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

export function renderBattleText(battle: Battle, step: number): string {
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
    lines.push(`${u.faction === "ALLY" ? "agent" : "enemy"} ${u.idInFaction} ${unitLetter(u)} (${u.x.toFixed(1)}, ${u.y.toFixed(1)}) hp ${bar(u.hp, u.maxHp)}${shield}${target}`);
  }
  return lines.join("\n");
}
