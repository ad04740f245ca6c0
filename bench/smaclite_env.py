"""SMAClite itself stepped as bench/env.ts steps our port: uniformly random available actions,
and every step the available actions, step(), the observations and the state. Prints one JSON line.
    SMACLITE_PATH=... GYM_PATH=... /usr/bin/python3 bench/smaclite_env.py --map 2s3z --steps 500
SMACLITE_PATH and GYM_PATH: folders holding SMAClite's `smaclite/` and Gymnasium's `gymnasium/` packages
(see ../shared/tools/gen_smaclite_traces.py). Nothing of SMAClite lives in this repository."""
import argparse, contextlib, io, json, os, sys, time

sys.path[:0] = [os.environ.get("SMACLITE_PATH", "/tmp/smaclite"), os.environ.get("GYM_PATH", "/tmp/gym")]
import numpy as np  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--map", default="2s3z")
p.add_argument("--steps", type=int, default=500)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
with contextlib.redirect_stdout(io.StringIO()):  # SMAClite prints which collision-avoidance port it uses
    from smaclite.env.maps.map import MapPreset
    from smaclite.env.smaclite import SMACliteEnv
    presets = {m.value.name.lower(): m for m in MapPreset}
    env = SMACliteEnv(map_info=presets[a.map.lower()].value, seed=a.seed)
rng = np.random.default_rng(a.seed)
env.reset(seed=a.seed)
t0 = time.perf_counter()
episodes = 0
for _ in range(a.steps):
    avail = env.get_avail_actions()
    actions = [int(rng.choice(np.flatnonzero(av))) for av in avail]
    obs, reward, done, truncated, info = env.step(actions)
    env.get_state()
    if done:
        episodes += 1
        env.reset()
dt = time.perf_counter() - t0
print(json.dumps({"map": a.map, "steps": a.steps, "steps_per_sec": a.steps / dt, "episodes": episodes}))
