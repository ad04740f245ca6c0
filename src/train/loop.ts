// The schedule around Trainer.step(): greedy evaluations every testInterval
// environment steps (and at the start, as pymarl), metrics every
// logInterval, checkpoints every saveInterval. What happens at each point
// (files, progress) is up to the hooks.

import type { LoopCounters } from "./checkpoint.ts";
import type { EvalResult, TrainEvent, Trainer } from "./trainer.ts";

export interface Metrics {
  t_env: number;
  episode: number;
  updates: number;
  epsilon: number;
  /** The learning rate at t_env: what the next updates use. */
  lr: number;
  return_mean: number;
  loss?: number;
  td_error_abs?: number;
  q_tot_mean?: number;
  target_mean?: number;
  grad_norm?: number;
  steps_per_sec: number;
  /** Wall-clock seconds since this loop started (a resumed run starts again from 0). */
  wall_s: number;
  test_return_mean?: number;
  /** The collected episodes' win rate since the last log line, for environments that report battle_won. */
  battle_won_mean?: number;
  /** pymarl's name: the greedy evaluation's win rate, for environments that report battle_won. */
  test_battle_won_mean?: number;
  test_return_std?: number;
  best_test_return?: number;
}

export interface LoopHooks {
  onMetrics?(m: Metrics): void;
  onEvaluate?(r: EvalResult, improved: boolean): void;
  onCheckpoint?(loop: LoopCounters): void;
  onProgress?(e: TrainEvent, lastTest: EvalResult | null, stepsPerSec: number): void;
  shouldStop?(): boolean;
  now?(): number;
}

/** Runs the whole schedule synchronously. */
export function trainLoop(trainer: Trainer, hooks: LoopHooks = {}, start?: LoopCounters): LoopCounters {
  const it = trainSteps(trainer, hooks, start);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}

/**
 * The same schedule, handing control back every `sliceMs` so the host can
 * run its event loop: signal handlers (Ctrl-C) in Node, messages in a Web
 * Worker.
 */
export async function trainLoopAsync(trainer: Trainer, hooks: LoopHooks = {}, start?: LoopCounters, sliceMs = 100, tEnd = trainer.config.tMax): Promise<LoopCounters> {
  const it = trainSteps(trainer, hooks, start, tEnd);
  const now = hooks.now ?? (() => performance.now());
  let t = now();
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
    if (now() - t >= sliceMs) {
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      t = now();
    }
  }
}

/**
 * The schedule as a generator: one yield per collected batch of episodes,
 * until t_env reaches tEnd (the config's tMax unless a caller trains in
 * installments, as QMixAgents.train does), or until stopWinRate's run of
 * evaluations is complete (a resumed run that had completed it stops at once).
 */
export function* trainSteps(trainer: Trainer, hooks: LoopHooks = {}, start?: LoopCounters, tEnd = trainer.config.tMax): Generator<void, LoopCounters, void> {
  const c = trainer.config;
  const now = hooks.now ?? (() => performance.now());
  const loop: LoopCounters = start ?? { lastTestT: -c.testInterval - 1, lastLogT: 0, lastSaveT: 0 };
  let lastTest: EvalResult | null = null;
  let retSum = 0, retCount = 0, wonSum = 0, wonCount = 0;
  const learnerSums = { loss: 0, td: 0, q: 0, y: 0, g: 0, n: 0 };
  const tStart = now();
  let tWindow = tStart, stepsWindow = trainer.tEnv, sps = 0;

  // The early stop (stopWinRate): evaluations in a row that won at least that share.
  if (c.stopWinRate > 0) loop.goalStreak ??= 0;
  const goalReached = () => c.stopWinRate > 0 && (loop.goalStreak ?? 0) >= c.stopAfterTests;
  const evaluate = () => {
    const before = trainer.best;
    lastTest = trainer.evaluate();
    if (c.stopWinRate > 0) loop.goalStreak = (lastTest.battleWonMean ?? 0) >= c.stopWinRate ? (loop.goalStreak ?? 0) + 1 : 0;
    const improved = trainer.best !== before;
    hooks.onEvaluate?.(lastTest, improved);
    return lastTest;
  };

  const emit = (test: EvalResult | null) => {
    const m: Metrics = {
      t_env: trainer.tEnv, episode: trainer.episode, updates: trainer.updates, epsilon: trainer.epsilon, lr: trainer.learningRate,
      return_mean: retCount ? retSum / retCount : NaN, steps_per_sec: Math.round(sps),
      wall_s: Math.round(now() - tStart) / 1000,
    };
    if (learnerSums.n > 0) {
      const n = learnerSums.n;
      Object.assign(m, { loss: learnerSums.loss / n, td_error_abs: learnerSums.td / n, q_tot_mean: learnerSums.q / n, target_mean: learnerSums.y / n, grad_norm: learnerSums.g / n });
    }
    if (test) Object.assign(m, { test_return_mean: test.returnMean, test_return_std: test.returnStd, best_test_return: trainer.best?.returnMean });
    if (wonCount > 0) m.battle_won_mean = wonSum / wonCount;
    if (test?.battleWonMean !== undefined) m.test_battle_won_mean = test.battleWonMean;
    hooks.onMetrics?.(m);
    retSum = retCount = wonSum = wonCount = 0;
    Object.assign(learnerSums, { loss: 0, td: 0, q: 0, y: 0, g: 0, n: 0 });
  };

  if (trainer.tEnv - loop.lastTestT >= c.testInterval && c.testNEpisode > 0) {
    emit(evaluate());
    loop.lastTestT = trainer.tEnv;
  }
  while (trainer.tEnv < tEnd && !goalReached() && !hooks.shouldStop?.()) {
    const e = trainer.step();
    retSum += e.trainReturnMean;
    retCount++;
    if (e.trainWonMean !== undefined) {
      wonSum += e.trainWonMean;
      wonCount++;
    }
    if (e.learner) {
      const s = e.learner;
      learnerSums.loss += s.loss; learnerSums.td += s.tdErrorAbs; learnerSums.q += s.qTotMean; learnerSums.y += s.targetMean; learnerSums.g += s.gradNorm; learnerSums.n++;
    }
    const t = now();
    if (t - tWindow >= 1000) {
      sps = ((trainer.tEnv - stepsWindow) * 1000) / (t - tWindow);
      tWindow = t;
      stepsWindow = trainer.tEnv;
    }
    hooks.onProgress?.(e, lastTest, sps);
    let test: EvalResult | null = null;
    if (c.testNEpisode > 0 && trainer.tEnv - loop.lastTestT >= c.testInterval) {
      test = evaluate();
      loop.lastTestT = trainer.tEnv;
    }
    if (test || trainer.tEnv - loop.lastLogT >= c.logInterval) {
      emit(test);
      loop.lastLogT = trainer.tEnv;
    }
    if (c.saveInterval > 0 && trainer.tEnv - loop.lastSaveT >= c.saveInterval) {
      loop.lastSaveT = trainer.tEnv;
      hooks.onCheckpoint?.(loop);
    }
    yield;
  }
  // A final evaluation when the run ended between test points.
  if (!hooks.shouldStop?.() && !goalReached() && c.testNEpisode > 0 && loop.lastTestT !== trainer.tEnv) {
    emit(evaluate());
    loop.lastTestT = trainer.tEnv;
  }
  return loop;
}
