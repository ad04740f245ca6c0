// What runs QMIX (pymarl's runners/, run.py and config/): the episode runner,
// the run's config with its defaults, the trainer and its loop, checkpoints,
// learning curves, Q_tot tables and the YAML reader for config files.
export * from "./runner.ts";
export * from "./config.ts";
export * from "./trainer.ts";
export * from "./loop.ts";
export * from "./checkpoint.ts";
export * from "./qtot_table.ts";
export * from "./curve.ts";
export * from "./yaml.ts";
