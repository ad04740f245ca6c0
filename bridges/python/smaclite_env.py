"""SMAClite (uoe-agents/smaclite), the original of qmix-ts's smaclite port, served to qmix-ts.

    python3 smaclite_env.py --map 2s3z [--episode_limit 120] [--use_cpp_rvo2 false]

So a team trained on the port can be played on SMAClite itself:

    npm run qmix -- eval --checkpoint runs/smaclite_2s3z-qmix-seed0 \\
        --env "process:python3 bridges/python/smaclite_env.py --map 2s3z"

The team sees SMAClite's observations, state and available actions as they
are. SMAClite has no time limit, so this adapter adds SMAC's (the map's
episode_limit in oxwhirl/smac's map list, as the port does; --episode_limit
overrides it) and reports an episode that reaches it as truncated, a won or
lost battle as terminated, and battle_won in the step's info.

Needs SMAClite and Gymnasium importable (pip install smaclite), or their
source folders named by SMACLITE_PATH and GYM_PATH (the folders holding the
`smaclite/` and `gymnasium/` packages), plus numpy, scikit-learn and rtree.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmix_bridge import serve  # noqa: E402

# SMAC's episode limits (oxwhirl/smac, smac/env/starcraft2/maps/smac_maps.py), by SMAClite map name.
EPISODE_LIMITS = {
    "10m_vs_11m": 150, "27m_vs_30m": 180, "2c_vs_64zg": 400, "2s3z": 120, "2s_vs_1sc": 300, "3s5z": 150,
    "3s5z_vs_3s6z": 170, "3s_vs_5z": 250, "bane_vs_bane": 200, "corridor": 400, "mmm": 150, "mmm2": 180,
}


def _import_smaclite():
    for var in ("GYM_PATH", "SMACLITE_PATH"):
        if os.environ.get(var):
            sys.path.insert(0, os.environ[var])
    try:
        from smaclite.env.maps.map import MapPreset
        from smaclite.env.smaclite import SMACliteEnv
    except ImportError as e:
        raise ImportError("smaclite_env.py needs SMAClite: pip install smaclite, or set SMACLITE_PATH and GYM_PATH "
                          "to the folders holding its smaclite/ and Gymnasium's gymnasium/ packages [%s]" % e)
    return MapPreset, SMACliteEnv


class SmacliteTeam:
    """pymarl's MultiAgentEnv over a SMACliteEnv, with SMAC's time limit."""

    def __init__(self, options):
        options = dict(options)
        map_name = str(options.pop("map", options.pop("map_name", "2s3z"))).lower()
        seed = options.pop("seed", None)
        limit = options.pop("episode_limit", None)
        use_cpp = bool(options.pop("use_cpp_rvo2", False))
        if options:
            raise ValueError("smaclite_env.py: unknown options %s; known: map, episode_limit, use_cpp_rvo2" % sorted(options))
        MapPreset, SMACliteEnv = _import_smaclite()
        presets = {m.value.name.lower(): m for m in MapPreset}
        if map_name not in presets:
            raise ValueError("smaclite_env.py: unknown map %r; SMAClite's maps: %s" % (map_name, ", ".join(sorted(presets))))
        if limit is None:
            limit = EPISODE_LIMITS.get(map_name, 150)
        self.episode_limit = int(limit)
        self.env = SMACliteEnv(map_info=presets[map_name].value, seed=seed, use_cpp_rvo2=use_cpp)
        self.name = "smaclite_" + map_name
        self.steps = 0
        self.env.reset(seed=seed)

    def get_env_info(self):
        return {"n_agents": self.env.n_agents, "obs_shape": self.env.obs_size, "state_shape": self.env.state_size,
                "n_actions": self.env.n_actions, "episode_limit": self.episode_limit}

    def reset(self, seed=None):
        self.steps = 0
        self.env.reset(seed=seed)

    def step(self, actions):
        _, reward, done, _, info = self.env.step([int(a) for a in actions])
        self.steps += 1
        truncated = not done and self.steps >= self.episode_limit
        info = dict(info)
        info["dead_allies"] = self.env.n_agents - len(self.env.agents)
        info["dead_enemies"] = self.env.n_enemies - len(self.env.enemies)
        return float(reward), bool(done), truncated, info

    def get_obs(self):
        return self.env.get_obs()

    def get_state(self):
        return self.env.get_state()

    def get_avail_actions(self):
        return self.env.get_avail_actions()

    def close(self):
        self.env.close()


def make_env(options):
    return SmacliteTeam(options)


if __name__ == "__main__":
    serve(make_env)
