// The port against SMAClite itself (../../fixtures/smaclite_traces.json, or
// $QMIX_VECTORS): every recorded episode, driven by its recorded per-tick unit
// orders and actions, must give SMAClite's units (position, velocity, hp,
// shield, energy, cooldown, target), observations, state, available actions,
// rewards and end flags at every step.

import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { makeSmaclite, type Unit, type UnitOrder } from "../../../src/envs/smaclite/index.ts";

interface TraceUnit {
  id: number;
  faction: "ALLY" | "ENEMY";
  id_in_faction: number;
  type: string;
  pos: number[];
  velocity: number[];
  hp: number;
  shield: number;
  energy: number;
  cooldown: number;
  target: number | null;
}
interface TraceStep {
  actions: number[];
  unit_orders: number[][];
  reward: number;
  done: boolean;
  battle_won: boolean;
  obs: number[][];
  state: number[];
  avail: number[][] | null;
  alive: number[];
  units: TraceUnit[];
}
interface TraceEpisode {
  map: string;
  seed: number;
  policy: string;
  n_agents: number;
  n_enemies: number;
  n_actions: number;
  obs_size: number;
  state_size: number;
  max_reward: number;
  initial: { units: TraceUnit[]; obs: number[][]; state: number[]; avail: number[][] };
  steps: TraceStep[];
}

const root = fileURLToPath(new URL("../../..", import.meta.url));
const folder = resolve(root, process.env["QMIX_VECTORS"] ?? "test/fixtures");
// smaclite_traces.json is the shared file; smaclite_traces_*.json hold more episodes of the same layout
const files = readdirSync(folder).filter((f) => /^smaclite_traces(_[\w-]+)?\.json$/.test(f)).sort();
const episodes = files.flatMap((f) => (JSON.parse(readFileSync(resolve(folder, f), "utf8")) as { episodes: TraceEpisode[] }).episodes.map((e) => ({ ...e, file: f })));

// The shared file's own note: observations about 1e-5, positions about 1e-4.
const OBS_TOL = 1e-5;
const POS_TOL = 1e-4;
const HP_TOL = 1e-9;

/** Replays recorded orders; a unit set that differs from the recording is an error naming the tick. */
class RecordedOrder implements UnitOrder {
  private k = 0;
  constructor(private readonly orders: number[][]) {}
  shuffle(units: Unit[]): void {
    const ids = this.orders[this.k];
    if (ids === undefined) throw new Error(`recorded orders ran out at tick ${this.k}`);
    const byId = new Map(units.map((u) => [u.id, u]));
    if (ids.length !== units.length || ids.some((id) => !byId.has(id))) {
      throw new Error(`tick ${this.k}: live units [${units.map((u) => u.id).join(", ")}] differ from the recorded order [${ids.join(", ")}]`);
    }
    ids.forEach((id, i) => (units[i] = byId.get(id)!));
    this.k++;
  }
}

function maxDiff(got: ArrayLike<number>, want: readonly number[]): number {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m;
}

function checkUnits(live: Iterable<Unit>, want: readonly TraceUnit[], where: string): number {
  const byId = new Map([...live].map((u) => [u.id, u]));
  expect([...byId.keys()].sort((a, b) => a - b), `${where}: live units`).toEqual(want.map((u) => u.id));
  let worst = 0;
  for (const w of want) {
    const u = byId.get(w.id)!;
    expect(u.faction, `${where}: unit ${w.id} faction`).toBe(w.faction);
    expect(u.idInFaction, `${where}: unit ${w.id} id in faction`).toBe(w.id_in_faction);
    expect(u.type.name, `${where}: unit ${w.id} type`).toBe(w.type);
    worst = Math.max(worst, Math.abs(u.x - w.pos[0]!), Math.abs(u.y - w.pos[1]!), Math.abs(u.vx - w.velocity[0]!), Math.abs(u.vy - w.velocity[1]!));
    for (const [k, got, exp] of [["hp", u.hp, w.hp], ["shield", u.shield, w.shield], ["energy", u.energy, w.energy], ["cooldown", u.cooldown, w.cooldown]] as const) {
      expect(Math.abs(got - exp), `${where}: unit ${w.id} ${k} ${got} vs ${exp}`).toBeLessThanOrEqual(HP_TOL);
    }
    expect(u.target === null ? null : u.target.id, `${where}: unit ${w.id} target`).toBe(w.target);
  }
  return worst;
}

describe("SMAClite port replays SMAClite's episodes", () => {
  it("has episodes to replay", () => {
    expect(episodes.length).toBeGreaterThan(0);
  });
  for (const [i, ep] of episodes.entries()) {
    it(`${ep.file} episode ${i}: ${ep.map}, seed ${ep.seed}, ${ep.policy} (${ep.steps.length} steps)`, () => {
      const env = makeSmaclite({ map: ep.map, unitOrder: new RecordedOrder(ep.steps.flatMap((s) => s.unit_orders)) }) as ReturnType<typeof makeSmaclite> & {
        battle: { units: Map<number, Unit>; maxReward: number };
      };
      expect([env.nAgents, env.nActions, env.obsDim, env.stateDim]).toEqual([ep.n_agents, ep.n_actions, ep.obs_size, ep.state_size]);
      expect(env.battle.maxReward).toBe(ep.max_reward);
      let worstPos = checkUnits(env.battle.units.values(), ep.initial.units, "after reset");
      let worstObs = Math.max(maxDiff(env.getObs(), ep.initial.obs.flat()), maxDiff(env.getState(), ep.initial.state));
      expect([...env.getAvailActions()]).toEqual(ep.initial.avail.flat());
      for (const [t, s] of ep.steps.entries()) {
        const where = `step ${t}`;
        const r = env.step(s.actions);
        expect(Math.abs(r.reward - s.reward), `${where}: reward ${r.reward} vs ${s.reward}`).toBeLessThanOrEqual(1e-12);
        expect(r.terminated, `${where}: done`).toBe(s.done);
        expect(r.info?.["battle_won"], `${where}: battle_won`).toBe(s.battle_won);
        worstPos = Math.max(worstPos, checkUnits(env.battle.units.values(), s.units, where));
        worstObs = Math.max(worstObs, maxDiff(env.getObs(), s.obs.flat()), maxDiff(env.getState(), s.state));
        if (s.avail !== null) expect([...env.getAvailActions()], `${where}: available actions`).toEqual(s.avail.flat());
        expect(worstPos, `${where}: positions and velocities`).toBeLessThanOrEqual(POS_TOL);
        expect(worstObs, `${where}: observations and state`).toBeLessThanOrEqual(OBS_TOL);
        if (r.terminated) break;
      }
    });
  }
});
