// XuanCe's API shape (agi-brain/xuance): its config keys and environment
// names mapped onto ours, config files in either set of keys, QMIX_Agents and
// get_runner.
export * from "./xuance_config.ts";
export * from "./xuance_envs.ts";
export * from "./config_file.ts";
export * from "./qmix_agents.ts";
export * from "./get_runner.ts";
