// How an attack lands (SMAClite's env/units/targeters/targeter.py): a plain
// hit, a medivac's heal, a baneling's explosion that hurts every enemy
// touching its blast and kills the baneling, and a colossus's laser line
// drawn across the target. Each returns the reward the attack earned.

import { pointInsideCircle, type TickContext, type Unit } from "./unit.ts";

export function strike(origin: Unit, target: Unit, ctx: TickContext): number {
  const t = origin.type.targeter;
  switch (t.kind) {
    case "STANDARD":
      return origin.dealDamage(target);
    case "HEAL":
      origin.heal(target);
      return 0;
    case "KAMIKAZE":
      return explode(origin, t.radius, ctx);
    case "LASER_BEAM":
      return laser(origin, target, t.width, t.height, ctx);
  }
}

function explode(origin: Unit, radius: number, ctx: TickContext): number {
  // an enemy baneling's own hit points count as damage dealt to it
  const bonus = origin.faction === "ALLY" ? 0 : origin.hp;
  origin.hp = 0;
  let reward = 0;
  const near = ctx.finder.query(origin.x, origin.y, radius + ctx.maxRadius, ctx.scratch);
  for (let i = 0; i < near.n; i++) {
    const u = near.units[i]!;
    if (pointInsideCircle(u.x, u.y, origin.x, origin.y, radius + u.radius)) reward += origin.dealDamage(u);
  }
  return reward + bonus;
}

/** A width × height beam centred on the target, perpendicular to the line of fire. */
function laser(origin: Unit, target: Unit, width: number, height: number, ctx: TickContext): number {
  const reach = Math.hypot(width, height) / 2;
  const dx = Math.fround(target.x - origin.x);
  const dy = Math.fround(target.y - origin.y);
  const theta = Math.atan(-1 / (dy / dx));
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  // row vector times [[c, -s], [s, c]]
  const tx = target.x * c + target.y * s;
  const ty = -target.x * s + target.y * c;
  let reward = 0;
  const near = ctx.finder.query(target.x, target.y, reach, ctx.scratch);
  for (let i = 0; i < near.n; i++) {
    const u = near.units[i]!;
    const ux = u.x * c + u.y * s;
    const uy = -u.x * s + u.y * c;
    const ex = Math.max(Math.abs(tx - ux) - width / 2, 0);
    const ey = Math.max(Math.abs(ty - uy) - height / 2, 0);
    if (ex * ex + ey * ey <= u.radius * u.radius) reward += origin.dealDamage(u);
  }
  return reward;
}
