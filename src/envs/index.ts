// Everything in src/envs, and the built-in environments registered by name.

import { registerEnv } from "./registry.ts";
import { makeTwoStep } from "./two_step.ts";
import { makeMatrixGame, makeNonmonotonic3x3 } from "./matrix_game.ts";
import { makeSimpleSpread } from "./simple_spread.ts";
import { makeSmaclite, SMACLITE_MAP_NAMES, STANDARD_MAPS } from "./smaclite/index.ts";

export type { Decisions, EnvFactory, EnvOptions, MultiAgentEnv, StepResult } from "./env.ts";
export { listEnvs, makeEnv, registerEnv, unregisterEnv, UnknownEnvError, type EnvInfo, type RegisterOptions } from "./registry.ts";
export { didYouMean, editDistance, suggest } from "./suggest.ts";
export { checkOptions, intIn, numberIn, resolveAliases, seedOf, showValue, type OptionRule, type OptionRules } from "./options.ts";
export { checkActions } from "./actions.ts";
export { jointActions, namedState, type NamedState } from "./states.ts";
export { ObsTimestep, StateTimestep, wrapTimestep } from "./timestep.ts";
export {
  TwoStepEnv,
  makeTwoStep,
  twoStepStates,
  TWO_STEP_PAYOFF_2A,
  TWO_STEP_PAYOFF_2B,
  TWO_STEP_STATE_NAMES,
  type TwoStepStateName,
} from "./two_step.ts";
export {
  MatrixGameEnv,
  makeMatrixGame,
  makeNonmonotonic3x3,
  matrixGameStates,
  NONMONOTONIC_3X3,
  type MatrixGameConfig,
  type Payoff,
} from "./matrix_game.ts";
export { SimpleSpreadEnv, makeSimpleSpread, renderSvg, type SimpleSpreadConfig, type SpreadWorldState } from "./simple_spread.ts";
export { renderSpreadSvg, renderSpreadText, SPREAD_ACTION_NAMES, SPREAD_LEGEND, type SpreadFrame } from "./simple_spread_render.ts";

// `replace: true` keeps a second evaluation of this module (two bundles, hot
// reload) from failing on names it registered itself.
registerEnv("two_step", makeTwoStep, {
  description: "QMIX paper two-step game: 2 agents, 2 actions, 2 steps; optimal return 8 (no options)",
  replace: true,
});
registerEnv("matrix_game", makeMatrixGame, {
  description: "one-step cooperative matrix game; options: payoff (nested [A]..[A] or flat A^n), nAgents, nActions",
  replace: true,
});
registerEnv("nonmonotonic_3x3", makeNonmonotonic3x3, {
  description: "matrix game [[8,-12,-12],[-12,0,0],[-12,0,0]] that monotonic mixing fails (no options)",
  replace: true,
});
registerEnv("simple_spread_v3", makeSimpleSpread, {
  description: "PettingZoo MPE simple_spread_v3, discrete; options: nAgents|N (3), localRatio|local_ratio (0.5), maxCycles|max_cycles (25)",
  replace: true,
});

export {
  SmacliteEnv, SeededOrder, Battle, Unit, makeSmaclite, smacliteMap, resolveMap, resolveUnit, renderBattleText, unitLetter, smacliteActionName, BATTLE_LEGEND,
  STANDARD_MAPS, STANDARD_UNITS, SMACLITE_MAP_NAMES, STEP_MUL,
  type MapFile, type MapSpec, type UnitFile, type UnitType, type UnitOrder, type SmacliteOptions, type SmacliteFrame, type SmacliteFrameUnit,
} from "./smaclite/index.ts";

registerEnv("smaclite", (o) => makeSmaclite(o), {
  description: "SMAClite battle on a map of your own or by name; options: map (a name or a map object), mapFile (a JSON file, from the command line), episodeLimit",
  replace: true,
});
for (const name of SMACLITE_MAP_NAMES) {
  const m = STANDARD_MAPS[name]!;
  const ours = m.source !== undefined ? "; a map of ours, SMAC's layout" : "";
  registerEnv(`smaclite/${name}`, (o) => makeSmaclite(o, name), {
    description: `SMAClite ${m.name}: ${m.num_allied_units} agents vs ${m.num_enemy_units} ${m.num_enemy_units === 1 ? "enemy" : "enemies"}, SMAC's limit ${m.episode_limit} steps${ours}; options: episodeLimit`,
    replace: true,
  });
}
