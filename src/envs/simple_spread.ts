// PettingZoo's MPE simple_spread_v3 (discrete actions), ported step for step:
// N agents must cover N landmarks while not bumping into each other. Physics
// in float64 like NumPy; observations rounded to float32 as PettingZoo returns
// them. Every constant and the order of operations follow
// test/fixtures/simple_spread_v3_traces.json `spec`, read from PettingZoo's
// mpe/_mpe_utils/core.py, simple_env.py and simple_spread.py.

import type { EnvOptions, MultiAgentEnv, StepResult } from "./env.ts";
import { Rng } from "../tensor/random.ts";
import { checkActions } from "./actions.ts";
import type { Decisions } from "./env.ts";
import { checkOptions, intIn, numberIn, resolveAliases } from "./options.ts";
import { renderSpreadSvg, renderSpreadText, type SpreadFrame } from "./simple_spread_render.ts";

const DT = 0.1; // core.py World.dt
const DAMPING = 0.25; // core.py World.damping
const CONTACT_FORCE = 100; // core.py World.contact_force = 1e2
const CONTACT_MARGIN = 1e-3; // core.py World.contact_margin
const AGENT_SIZE = 0.15; // simple_spread.py make_world
const LANDMARK_SIZE = 0.05; // core.py Entity.size default (landmarks do not collide)
const MASS = 1; // core.py Entity.initial_mass
const SENSITIVITY = 5; // simple_env.py _set_action: agent.accel is None
const DIM_C = 2; // simple_spread.py: world.dim_c; agents are silent, so comm is zeros
const N_ACTIONS = 5; // no-op, left (-x), right (+x), down (-y), up (+y)
/** Agent-agent contact and the collision penalty start below the sum of the radii. */
const COLLIDE_DIST = AGENT_SIZE + AGENT_SIZE;

export interface SimpleSpreadConfig {
  /** Agents, and as many landmarks [3, PettingZoo's N]. */
  nAgents?: number;
  /** Weight of the local (collision) reward [0.5, PettingZoo's local_ratio]. */
  localRatio?: number;
  /** Steps per episode before truncation [25, PettingZoo's max_cycles]. */
  maxCycles?: number;
  seed?: number;
}

/** Positions and velocities as [x, y] pairs, one per agent or landmark. */
export interface SpreadWorldState {
  agentPos: ArrayLike<ArrayLike<number>>;
  /** Zeros if left out, as after a reset. */
  agentVel?: ArrayLike<ArrayLike<number>>;
  landmarkPos: ArrayLike<ArrayLike<number>>;
}

const RULES = {
  nAgents: intIn(1, 100),
  localRatio: numberIn(0, 1),
  maxCycles: intIn(1, 1_000_000),
};

/** PettingZoo's spellings, accepted by the registry factory. */
const ALIASES = { N: "nAgents", local_ratio: "localRatio", max_cycles: "maxCycles" };

export class SimpleSpreadEnv implements MultiAgentEnv {
  readonly name = "simple_spread_v3";
  readonly nAgents: number;
  readonly nLandmarks: number;
  readonly obsDim: number;
  readonly stateDim: number;
  readonly stateIsObs = true;
  readonly nActions = N_ACTIONS;
  readonly episodeLimit: number;
  readonly localRatio: number;

  private rng: Rng;
  // World state, [x0, y0, x1, y1, ...], and scratch for forces: allocated once.
  private readonly pos: Float64Array;
  private readonly vel: Float64Array;
  private readonly lmPos: Float64Array;
  private readonly force: Float64Array;
  private readonly agentRewards: Float64Array;
  /** Every agent's observation, row-major; the state is the same numbers. */
  private readonly obs: Float32Array;
  private readonly avail: Uint8Array;
  private t = 0;
  private done = false;
  private lastReward = 0;

  constructor(config: SimpleSpreadConfig = {}) {
    checkOptions(this.name, config as EnvOptions, RULES);
    const n = config.nAgents ?? 3; // simple_spread_v3 N=3
    this.nAgents = n;
    this.nLandmarks = n;
    this.localRatio = config.localRatio ?? 0.5; // simple_spread_v3 local_ratio=0.5
    this.episodeLimit = config.maxCycles ?? 25; // simple_spread_v3 max_cycles=25
    // vel, pos, landmarks, other agents, their comm channels.
    this.obsDim = 4 + 2 * this.nLandmarks + (2 + DIM_C) * (n - 1);
    this.stateDim = n * this.obsDim;
    this.pos = new Float64Array(2 * n);
    this.vel = new Float64Array(2 * n);
    this.lmPos = new Float64Array(2 * this.nLandmarks);
    this.force = new Float64Array(2 * n);
    this.agentRewards = new Float64Array(n);
    this.obs = new Float32Array(this.stateDim);
    this.avail = new Uint8Array(n * N_ACTIONS).fill(1);
    this.rng = new Rng(config.seed ?? 0);
    this.reset();
  }

  /** Agents and landmarks uniform in [-1, 1]², velocities zero (simple_spread.py reset_world). */
  reset(seed?: number): void {
    if (seed !== undefined) this.rng = new Rng(seed);
    for (let i = 0; i < this.pos.length; i++) this.pos[i] = this.rng.uniform(-1, 1);
    for (let i = 0; i < this.lmPos.length; i++) this.lmPos[i] = this.rng.uniform(-1, 1);
    this.vel.fill(0);
    this.startEpisode();
  }

  /** Put the world in a given state, as if a reset had drawn it (the trace tests start from PettingZoo's). */
  setWorldState(ws: SpreadWorldState): void {
    copyPairs(this.pos, ws.agentPos, this.nAgents, "agentPos");
    if (ws.agentVel === undefined) this.vel.fill(0);
    else copyPairs(this.vel, ws.agentVel, this.nAgents, "agentVel");
    copyPairs(this.lmPos, ws.landmarkPos, this.nLandmarks, "landmarkPos");
    this.startEpisode();
  }

  getWorldState(): { agentPos: number[][]; agentVel: number[][]; landmarkPos: number[][] } {
    return { agentPos: pairs(this.pos), agentVel: pairs(this.vel), landmarkPos: pairs(this.lmPos) };
  }

  private startEpisode(): void {
    this.t = 0;
    this.done = false;
    this.lastReward = 0;
    this.agentRewards.fill(0);
    this.writeObs();
  }

  step(actions: ArrayLike<number>): StepResult {
    if (this.done) throw new Error(`${this.name}.step: the episode has ended after ${this.t} steps; call reset() first`);
    checkActions(this.name, actions, this.nAgents, N_ACTIONS);
    const n = this.nAgents;
    const pos = this.pos;
    const vel = this.vel;
    const f = this.force;

    // Action forces (simple_env.py _set_action): a unit direction times the sensitivity.
    for (let i = 0; i < n; i++) {
      const a = actions[i]!;
      f[2 * i] = a === 1 ? -SENSITIVITY : a === 2 ? SENSITIVITY : 0;
      f[2 * i + 1] = a === 3 ? -SENSITIVITY : a === 4 ? SENSITIVITY : 0;
    }

    // Contact forces between agent pairs in PettingZoo's loop order (core.py
    // apply_environment_force): a soft penetration log(1 + e^(-(d - dmin)/k)) k.
    // Landmarks do not collide, so only agents take part.
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const dx = pos[2 * a]! - pos[2 * b]!;
        const dy = pos[2 * a + 1]! - pos[2 * b + 1]!;
        const dist = Math.sqrt(dx * dx + dy * dy);
        const x = -(dist - COLLIDE_DIST) / CONTACT_MARGIN;
        // Below -746 e^x is exactly 0 in float64, so the force is exactly 0; a
        // zero distance has no direction (NumPy would give NaN), so no push.
        if (x < -746 || dist === 0) continue;
        const pen = logAddExp0(x) * CONTACT_MARGIN;
        // Evaluated in NumPy's order: contact_force * delta / dist * penetration.
        const fx = ((CONTACT_FORCE * dx) / dist) * pen;
        const fy = ((CONTACT_FORCE * dy) / dist) * pen;
        f[2 * a] = fx + f[2 * a]!;
        f[2 * a + 1] = fy + f[2 * a + 1]!;
        f[2 * b] = -fx + f[2 * b]!;
        f[2 * b + 1] = -fy + f[2 * b + 1]!;
      }
    }

    // Integration (core.py integrate_state): position with the old velocity,
    // then damping, then the force's push. Agents have no max_speed here.
    for (let k = 0; k < 2 * n; k++) {
      pos[k] = pos[k]! + vel[k]! * DT;
      vel[k] = vel[k]! * (1 - DAMPING);
      vel[k] = vel[k]! + (f[k]! / MASS) * DT;
    }

    const collisions = this.computeRewards();
    this.t++;
    const truncated = this.t >= this.episodeLimit;
    this.done = truncated;
    this.writeObs();
    return { reward: this.lastReward, terminated: false, truncated, info: { collisions } };
  }

  /**
   * simple_spread.py: global = -Σ_landmarks min_agents distance; local_i =
   * -(other agents closer than 2 radii); r_i = global (1 - ρ) + local_i ρ
   * (simple_env.py). The team reward is their mean. Returns colliding pairs.
   */
  private computeRewards(): number {
    const n = this.nAgents;
    const pos = this.pos;
    const lm = this.lmPos;
    let global = 0;
    for (let l = 0; l < this.nLandmarks; l++) {
      const lx = lm[2 * l]!;
      const ly = lm[2 * l + 1]!;
      let best = Infinity;
      for (let i = 0; i < n; i++) {
        const dx = pos[2 * i]! - lx;
        const dy = pos[2 * i + 1]! - ly;
        const d = Math.sqrt(dx * dx + dy * dy);
        if (d < best) best = d;
      }
      global -= best;
    }
    let hits = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let local = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const dx = pos[2 * j]! - pos[2 * i]!;
        const dy = pos[2 * j + 1]! - pos[2 * i + 1]!;
        if (Math.sqrt(dx * dx + dy * dy) < COLLIDE_DIST) local -= 1;
      }
      hits -= local;
      const r = global * (1 - this.localRatio) + local * this.localRatio;
      this.agentRewards[i] = r;
      sum += r;
    }
    this.lastReward = sum / n;
    return hits / 2;
  }

  /** simple_spread.py observation, per agent: vel, pos, landmark - pos, other - pos, other comm (zeros). */
  private writeObs(): void {
    const n = this.nAgents;
    const pos = this.pos;
    const o = this.obs;
    for (let i = 0; i < n; i++) {
      const px = pos[2 * i]!;
      const py = pos[2 * i + 1]!;
      let k = i * this.obsDim;
      o[k++] = this.vel[2 * i]!;
      o[k++] = this.vel[2 * i + 1]!;
      o[k++] = px;
      o[k++] = py;
      for (let l = 0; l < this.nLandmarks; l++) {
        o[k++] = this.lmPos[2 * l]! - px;
        o[k++] = this.lmPos[2 * l + 1]! - py;
      }
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        o[k++] = pos[2 * j]! - px;
        o[k++] = pos[2 * j + 1]! - py;
      }
      // The comm slots that follow are never written: they stay zero.
    }
  }

  /** A copy of every agent's observation, [nAgents * obsDim]. */
  getObs(): Float32Array {
    return this.obs.slice();
  }

  /** env.state() in PettingZoo: the observations concatenated, [nAgents * obsDim]. */
  getState(): Float32Array {
    return this.obs.slice();
  }

  /** The observations without a copy; overwritten by the next step or reset. */
  obsView(): Float32Array {
    return this.obs;
  }

  getAvailActions(): Uint8Array {
    return this.avail.slice();
  }

  /** Each agent's reward from the last step (zeros before the first), as PettingZoo reports them. */
  lastAgentRewards(): Float64Array {
    return this.agentRewards.slice();
  }

  /** Steps taken in this episode. */
  get steps(): number {
    return this.t;
  }

  frame(): SpreadFrame {
    return {
      nAgents: this.nAgents,
      nLandmarks: this.nLandmarks,
      agentPos: this.pos.slice(),
      landmarkPos: this.lmPos.slice(),
      agentSize: AGENT_SIZE,
      landmarkSize: LANDMARK_SIZE,
      t: this.t,
      maxCycles: this.episodeLimit,
      reward: this.lastReward,
    };
  }

  render(decisions?: Decisions): string {
    return renderSpreadText(this.frame(), decisions);
  }

  renderSvg(sizePx?: number): string {
    return renderSpreadSvg(this.frame(), sizePx);
  }
}

/** log(e^0 + e^x), stable both ways, as NumPy's logaddexp(0, x). */
function logAddExp0(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function copyPairs(dst: Float64Array, src: ArrayLike<ArrayLike<number>>, count: number, what: string): void {
  if (src === null || typeof src !== "object" || src.length !== count) {
    const got = src === null || typeof src !== "object" ? String(src) : `${src.length} entries`;
    throw new Error(`simple_spread_v3.setWorldState: ${what} must hold ${count} [x, y] pairs, got ${got}`);
  }
  for (let i = 0; i < count; i++) {
    const p = src[i];
    const x = p?.[0];
    const y = p?.[1];
    if (p === undefined || p.length !== 2 || typeof x !== "number" || typeof y !== "number" || !Number.isFinite(x) || !Number.isFinite(y)) {
      throw new Error(`simple_spread_v3.setWorldState: ${what}[${i}] must be a pair of finite numbers [x, y], got ${JSON.stringify(p === undefined ? p : Array.from(p))}`);
    }
    dst[2 * i] = x;
    dst[2 * i + 1] = y;
  }
}

function pairs(a: Float64Array): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length; i += 2) out.push([a[i]!, a[i + 1]!]);
  return out;
}

export function makeSimpleSpread(options: EnvOptions = {}): SimpleSpreadEnv {
  const o = resolveAliases("simple_spread_v3", options, ALIASES);
  return new SimpleSpreadEnv(o as SimpleSpreadConfig);
}

export function renderSvg(env: SimpleSpreadEnv, sizePx?: number): string {
  return env.renderSvg(sizePx);
}
