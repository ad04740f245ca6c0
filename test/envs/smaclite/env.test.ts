// The SMAClite port's interface: sizes, seeding, the pymarl/SMAC contract
// (dead agents no-op, features in [-1, 1], battle_won, time-limit ends),
// errors that name what went wrong, and maps given as data.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { makeEnv, makeSmaclite, resolveMap, SMACLITE_MAP_NAMES, STANDARD_MAPS, type MapFile, type MultiAgentEnv } from "../../../src/envs/index.ts";
import { Rng } from "../../../src/tensor/random.ts";

function randomActions(env: MultiAgentEnv, rng: Rng): Int32Array {
  const avail = env.getAvailActions();
  const a = new Int32Array(env.nAgents);
  for (let i = 0; i < env.nAgents; i++) {
    const ok: number[] = [];
    for (let k = 0; k < env.nActions; k++) if (avail[i * env.nActions + k]) ok.push(k);
    a[i] = ok[rng.int(ok.length)]!;
  }
  return a;
}

/** One episode with random available actions; every observation, state and reward, flattened. */
function episode(env: MultiAgentEnv, seed: number, actSeed: number): number[] {
  const rng = new Rng(actSeed);
  env.reset(seed);
  const out: number[] = [];
  for (let t = 0; t < env.episodeLimit; t++) {
    const r = env.step(randomActions(env, rng));
    out.push(...env.getObs(), ...env.getState(), r.reward);
    if (r.terminated || r.truncated) break;
  }
  return out;
}

describe("smaclite maps", () => {
  it("every map is registered as smaclite/<name> with SMAC's sizes", () => {
    expect(SMACLITE_MAP_NAMES).toEqual(expect.arrayContaining([
      "10m_vs_11m", "27m_vs_30m", "2c_vs_64zg", "2s3z", "2s_vs_1sc", "3s5z", "3s5z_vs_3s6z", "3s_vs_5z", "bane_vs_bane", "corridor", "mmm", "mmm2", "3m", "8m",
    ]));
    const sizes: Record<string, [number, number, number, number, number]> = {
      // agents, actions, obs, state, limit: SMAClite's feature layout, SMAC's limits
      "2s3z": [5, 11, 80, 120, 120], "3s5z": [8, 14, 128, 216, 150], mmm2: [10, 18, 176, 322, 180], corridor: [6, 30, 156, 282, 400], "3m": [3, 9, 30, 48, 60],
    };
    for (const [name, s] of Object.entries(sizes)) {
      const e = makeEnv(`smaclite/${name}`);
      expect([e.nAgents, e.nActions, e.obsDim, e.stateDim, e.episodeLimit], name).toEqual(s);
    }
  });

  it("equal seeds give equal episodes, other seeds other episodes", () => {
    const a = makeEnv("smaclite/2s3z", { seed: 3 });
    const b = makeEnv("smaclite/2s3z", { seed: 3 });
    const e1 = episode(a, 11, 5);
    expect(episode(b, 11, 5)).toEqual(e1);
    expect(episode(a, 12, 5)).not.toEqual(e1);
  });

  it("features stay in [-1, 1], dead agents see zeros and may only no-op", () => {
    fc.assert(fc.property(fc.constantFrom("2s3z", "mmm", "bane_vs_bane", "corridor", "2s_vs_1sc"), fc.integer({ min: 0, max: 1000 }), (name, seed) => {
      const env = makeEnv(`smaclite/${name}`, { seed });
      const rng = new Rng(seed);
      env.reset(seed);
      for (let t = 0; t < 30; t++) {
        const r = env.step(randomActions(env, rng));
        const obs = env.getObs(), avail = env.getAvailActions();
        let worst = 0;
        for (const v of obs) worst = Math.max(worst, Math.abs(v));
        for (const v of env.getState()) worst = Math.max(worst, Math.abs(v));
        expect(worst).toBeLessThanOrEqual(1 + 1e-6);
        for (let i = 0; i < env.nAgents; i++) {
          const row = avail.subarray(i * env.nActions, (i + 1) * env.nActions);
          if (row[0] === 1) {
            if (!row.slice(1).every((x) => x === 0)) expect.fail(`agent ${i}: no-op only for the dead`);
            if (!obs.subarray(i * env.obsDim, (i + 1) * env.obsDim).every((x) => x === 0)) expect.fail(`dead agent ${i} sees something`);
          } else if (row[1] !== 1) expect.fail(`agent ${i}: stop is always available to the living`);
        }
        if (r.terminated || r.truncated) break;
      }
    }), { numRuns: 10 });
  });

  it("a battle won ends terminated with battle_won, a step cap truncates", () => {
    // agents that always attack their lowest available target beat 3m's scripted enemy sometimes; 2s_vs_1sc's crawler never moves
    const env = makeSmaclite({ map: "2s_vs_1sc", episodeLimit: 5 });
    let r;
    for (let t = 0; t < 5; t++) r = env.step([1, 1]);
    expect(r!.truncated && !r!.terminated).toBe(true);
    expect(r!.info).toMatchObject({ battle_won: false, episode_limit: true });
    expect(() => env.step([1, 1])).toThrow(/episode is over/);
    const three = makeEnv("smaclite/3m", { seed: 0 });
    let won = 0;
    for (let ep = 0; ep < 20 && won === 0; ep++) {
      three.reset(ep);
      for (let t = 0; t < three.episodeLimit; t++) {
        const avail = three.getAvailActions();
        const a = [0, 1, 2].map((i) => { const row = avail.subarray(i * 9, i * 9 + 9); const tgt = [6, 7, 8].find((k) => row[k]); return tgt ?? (row[4] ? 4 : row[0] ? 0 : 1); });
        const res = three.step(a);
        if (res.terminated) {
          if (res.info!["battle_won"]) won++;
          expect(res.info!["dead_enemies"] === 3).toBe(res.info!["battle_won"]);
          break;
        }
      }
    }
    expect(won).toBeGreaterThan(0);
  });
});

describe("smaclite errors name what is wrong", () => {
  it("an unavailable action names the agent, the action and the available ones", () => {
    const env = makeEnv("smaclite/2s3z");
    // enemies start out of range: attacking enemy 0 (action 6) is unavailable
    expect(() => env.step([6, 1, 1, 1, 1])).toThrow(/agent 0 cannot take action 6; available: \[1, 2, 3, 4, 5\]/);
    expect(() => env.step([1, 1, 1, 1])).toThrow(/expected 5 actions/);
    expect(() => env.step([1, 1, 1, 1, 11])).toThrow(/agent 4 cannot take action 11/);
    expect(() => env.step([1, 1, 1, 1, 0.5])).toThrow(/agent 4 cannot take action 0.5/);
  });

  it("a dead agent's non-zero action is an error", () => {
    const env = makeEnv("smaclite/3m", { seed: 1 });
    const rng = new Rng(1);
    for (let t = 0; t < env.episodeLimit; t++) {
      const avail = env.getAvailActions();
      const dead = [0, 1, 2].find((i) => avail[i * env.nActions] === 1);
      if (dead !== undefined) {
        const a = [...randomActions(env, rng)];
        a[dead] = 1;
        expect(() => env.step(a)).toThrow(new RegExp(`agent ${dead} is dead and cannot take action 1; available: \\[0\\]`));
        return;
      }
      if (env.step(randomActions(env, rng)).terminated) env.reset();
    }
    throw new Error("no agent died within the episode");
  });

  it("an unknown map lists the known ones; options are checked", () => {
    expect(() => makeSmaclite({ map: "4z" })).toThrow(/unknown map "4z"; known maps: .*2s3z.*mmm2/);
    expect(() => makeSmaclite({})).toThrow(/say which map/);
    expect(() => makeEnv("smaclite/2s3z", { mapp: "x" })).toThrow(/unknown option "mapp"/);
    expect(() => makeEnv("smaclite/2s3z", { episodeLimit: 0 })).toThrow(/episodeLimit/);
    expect(() => makeEnv("smaclite/2s3z", { map: "3m" })).toThrow(/fixed by the name/);
    expect(() => makeSmaclite({ mapFile: "x.json" })).toThrow(/read by the command line/);
  });

  const base = (): MapFile => structuredClone(STANDARD_MAPS["3m"]!) as MapFile;
  const cases: Array<[string, (m: Record<string, unknown>) => void, RegExp]> = [
    ["an unknown field", (m) => (m.colour = "red"), /colour: unknown field/],
    ["a wrong unit count", (m) => (m.num_allied_units = 4), /num_allied_units: is 4 but the ALLY groups hold 3 units/],
    ["an unknown unit type", (m) => ((m.groups as { units: unknown }[])[0]!.units = { MARNE: 3 }), /groups\[0\]\.units\.MARNE: unknown unit type "MARNE"; known: .*MARINE/],
    ["a bad faction", (m) => ((m.groups as { faction: unknown }[])[1]!.faction = "FOE"), /groups\[1\]\.faction: must be one of ALLY, ENEMY, got "FOE"/],
    ["an unknown terrain preset", (m) => (m.terrain_preset = "MOON"), /terrain_preset: must be one of SIMPLE/],
    ["a short terrain", (m) => { delete m.terrain_preset; m.terrain = ["___"]; }, /terrain: must be 32 rows/],
    ["a bad attack point", (m) => (m.attack_point = [1]), /attack_point: must be \[x, y\]/],
    ["shields on a shieldless unit", (m) => (m.ally_has_shields = true), /ally_has_shields: is true but MARINE has no shield/],
    ["a missing type id", (m) => { m.num_unit_types = 2; m.unit_type_ids = { ZEALOT: 0 }; }, /unit_type_ids: must give MARINE an id in \[0, 1\]/],
    ["a bad custom unit", (m) => { m.custom_units = { GHOST: { hp: -1 } }; (m.groups as { units: unknown }[])[0]!.units = { GHOST: 3 }; }, /custom_units: GHOST\.\w+: /],
  ];
  for (const [what, edit, msg] of cases) {
    it(`a map file with ${what} names the field`, () => {
      const m = base() as unknown as Record<string, unknown>;
      edit(m);
      expect(() => resolveMap(m, "my_map.json")).toThrow(msg);
      expect(() => resolveMap(m, "my_map.json")).toThrow(/^smaclite map my_map\.json: /);
    });
  }

  it("a map of one's own plays, custom units included", () => {
    const m = base() as unknown as Record<string, unknown>;
    m.name = "2g_vs_3m";
    m.num_allied_units = 2;
    m.custom_units = { GIANT: { hp: 200, armor: 1, damage: 20, cooldown: 1, speed: 2, attack_range: 4, size: 1.5, attributes: ["ARMORED"], valid_targets: ["GROUND"] } };
    (m.groups as { units: unknown }[])[0]!.units = { GIANT: 2 };
    const env = makeSmaclite({ map: m });
    expect([env.name, env.nAgents, env.nActions]).toEqual(["smaclite/2g_vs_3m", 2, 9]);
    expect(episode(env, 0, 0).length).toBeGreaterThan(0);
  });
});

describe("smaclite render", () => {
  it("draws the map, every unit and a line per unit", () => {
    const env = makeEnv("smaclite/mmm");
    const text = env.render!();
    expect(text).toMatch(/^MMM {2}step 0 {2}agents 10\/10 {2}enemies 10\/10/);
    expect(text).toMatch(/agent 0 V \(/);
    expect(text).toMatch(/enemy 9 r \(/);
    expect((text.match(/[MRV]/g) ?? []).length).toBeGreaterThan(0);
  });
});
