// The episode runner: several environment copies stepped in lockstep, one
// batched agent forward per step (pymarl's parallel runner; one copy is the
// plain episode runner). It fills a preallocated episode batch in the
// layout of pymarl's EpisodeBatch.

import type { MultiAgentEnv } from "../envs/env.ts";
import type { Rng } from "../tensor/random.ts";
import { type EpisodeBatch, emptyBatch } from "../qmix/batch.ts";
import type { DecentralisedPolicy } from "../qmix/policy.ts";

export interface RunResult {
  batch: EpisodeBatch;
  /** Per environment: the sum of team rewards. */
  returns: Float64Array;
  /** Per environment: transitions taken. */
  lengths: Int32Array;
  /** Environment steps in total. */
  steps: number;
  /** Per environment: 1 if the episode ended with info.battle_won true, 0 if false, -1 if the environment does not say (SMAC's flag). */
  won: Int8Array;
}

export class EnvError extends Error {
  override name = "EnvError";
}

export class ParallelRunner {
  readonly batch: EpisodeBatch;
  readonly maxSteps: number;
  private readonly obsBuf: Float32Array;
  private readonly availBuf: Uint8Array;
  private readonly active: Uint8Array;

  /**
   * With timeLimitTerminal, an episode that ends at its time limit is stored
   * as terminal (no bootstrap), against pymarl's default (its
   * episode runner stores a time-limit end as non-terminal); see
   * QMixConfig.timeLimitTerminal.
   */
  constructor(readonly envs: MultiAgentEnv[], readonly policy: DecentralisedPolicy, readonly timeLimitTerminal = false) {
    if (envs.length === 0) throw new RangeError("ParallelRunner: needs at least one environment");
    const e = envs[0]!;
    for (const other of envs) {
      if (other.nAgents !== e.nAgents || other.obsDim !== e.obsDim || other.stateDim !== e.stateDim || other.nActions !== e.nActions) {
        throw new EnvError(`ParallelRunner: environment copies differ in sizes (${other.name} vs ${e.name})`);
      }
    }
    this.maxSteps = e.episodeLimit;
    this.batch = emptyBatch(e, envs.length, this.maxSteps);
    this.obsBuf = new Float32Array(envs.length * e.nAgents * e.obsDim);
    this.availBuf = new Uint8Array(envs.length * e.nAgents * e.nActions).fill(1);
    this.active = new Uint8Array(envs.length);
  }

  /** Runs one episode in every environment copy, seeded by `seeds[e]`. */
  run(epsilon: number, rng: Rng, seeds: ArrayLike<number>): RunResult {
    const envs = this.envs, E = envs.length, b = this.batch;
    const { nAgents: n, obsDim: O, nActions: A } = b;
    const T1 = this.maxSteps + 1;
    for (const arr of [b.obs, b.state, b.availActions, b.actions, b.reward, b.terminated, b.filled]) arr.fill(0);
    const returns = new Float64Array(E), lengths = new Int32Array(E);
    const done = new Uint8Array(E);
    const won = new Int8Array(E).fill(-1);
    envs.forEach((env, e) => env.reset(seeds[e]));
    this.policy.reset(E);
    this.active.fill(1);
    let steps = 0;
    for (let t = 0; t < T1; t++) {
      // Record what every still-running episode sees at t (the final
      // observation too: the target bootstraps from it).
      let anyActive = false;
      for (let e = 0; e < E; e++) {
        if (!this.active[e]) continue;
        this.record(envs[e]!, e, t);
        if (done[e] || t === this.maxSteps) this.active[e] = 0;
        else anyActive = true;
      }
      if (!anyActive) break;
      for (let e = 0; e < E; e++) {
        if (!this.active[e]) continue;
        this.obsBuf.set(b.obs.subarray((e * T1 + t) * n * O, (e * T1 + t + 1) * n * O), e * n * O);
        this.availBuf.set(b.availActions.subarray((e * T1 + t) * n * A, (e * T1 + t + 1) * n * A), e * n * A);
      }
      const actions = this.policy.act(this.obsBuf, this.availBuf, epsilon, rng, this.active);
      for (let e = 0; e < E; e++) {
        if (!this.active[e]) continue;
        const env = envs[e]!, k = e * T1 + t;
        const act = actions.subarray(e * n, (e + 1) * n);
        b.actions.set(act, k * n);
        const res = env.step(act);
        if (!Number.isFinite(res.reward)) throw new EnvError(`${env.name}: step returned a non-finite reward (${res.reward}) at step ${t}`);
        b.reward[k] = res.reward;
        // A time-limit end is not terminal: the target bootstraps there (unless timeLimitTerminal).
        b.terminated[k] = res.terminated || (this.timeLimitTerminal && res.truncated) ? 1 : 0;
        returns[e]! += res.reward;
        lengths[e] = t + 1;
        steps++;
        if (res.truncated && !res.terminated && t + 1 < this.maxSteps) {
          // A non-terminal end must come at the episode limit: the batch
          // layout bootstraps from the next stored step, which would be padding.
          throw new EnvError(`${env.name}: truncated at step ${t + 1}, before its episodeLimit ${this.maxSteps}; an episode that is not terminal must run to episodeLimit (or report terminated)`);
        }
        if (res.terminated || res.truncated) {
          done[e] = 1;
          const w = res.info?.["battle_won"];
          if (typeof w === "boolean") won[e] = w ? 1 : 0;
        }
      }
    }
    return { batch: b, returns, lengths, steps, won };
  }

  private record(env: MultiAgentEnv, e: number, t: number): void {
    const b = this.batch, T1 = this.maxSteps + 1, k = e * T1 + t;
    const { nAgents: n, obsDim: O, stateDim: S, nActions: A } = b;
    const obs = env.getObs(), state = env.getState(), avail = env.getAvailActions();
    if (obs.length !== n * O) throw new EnvError(`${env.name}: getObs() returned ${obs.length} values, expected nAgents × obsDim = ${n} × ${O}`);
    if (state.length !== S) throw new EnvError(`${env.name}: getState() returned ${state.length} values, expected stateDim = ${S}`);
    if (avail.length !== n * A) throw new EnvError(`${env.name}: getAvailActions() returned ${avail.length} values, expected nAgents × nActions = ${n} × ${A}`);
    for (let i = 0; i < obs.length; i++) if (!Number.isFinite(obs[i]!)) throw new EnvError(`${env.name}: observation of agent ${Math.floor(i / O)} has a non-finite value (${obs[i]}) at step ${t}`);
    for (let i = 0; i < n; i++) {
      let any = 0;
      for (let a = 0; a < A; a++) any |= avail[i * A + a]!;
      if (!any) throw new EnvError(`${env.name}: getAvailActions() gives agent ${i} no available action at step ${t}`);
    }
    b.obs.set(obs, k * n * O);
    b.state.set(state, k * S);
    b.availActions.set(avail, k * n * A);
    b.filled[k] = 1;
  }
}
