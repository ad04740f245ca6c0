// QMIX itself (Rashid et al. 2018), pymarl's modules/, learners/ and
// components/ in one folder: the agent networks, the mixers and their
// monotonicity, the agents' inputs, the TD targets, the learner and its
// data-parallel split, the episode batch and replay buffer, ε-greedy action
// selection and the deployed policy. What runs it is in src/train.
export * from "./agents.ts";
export * from "./mixers.ts";
export * from "./monotonicity.ts";
export * from "./batch.ts";
export * from "./inputs.ts";
export * from "./targets.ts";
export * from "./learner.ts";
export * from "./data_parallel.ts";
export * from "./networks.ts";
export * from "./action_selection.ts";
export * from "./buffer.ts";
export * from "./policy.ts";
