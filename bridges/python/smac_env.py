"""SMAC (StarCraft Multi-Agent Challenge) served to qmix-ts.

    python3 smac_env.py --map_name 3m [--difficulty 7 --reward_sparse false ...]

StarCraft2Env already has pymarl's MultiAgentEnv interface, which is the
bridge's, so this adapter only builds it: every --key value goes to
StarCraft2Env(...) as a keyword argument, and the trainer's seed becomes its
`seed`. An episode that hits the map's time limit is reported as truncated
(info["episode_limit"], pymarl's convention), a won or lost battle as
terminated.

Needs SMAC (https://github.com/oxwhirl/smac; not the PyPI package "smac",
which is an unrelated optimiser), StarCraft II and the SMAC maps; see
docs/bridge.md.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmix_bridge import serve  # noqa: E402


def make_env(options):
    try:
        from smac.env import StarCraft2Env
    except ImportError as e:
        raise ImportError("smac_env.py needs SMAC: pip install git+https://github.com/oxwhirl/smac.git "
                          "(plus StarCraft II and the SMAC maps, docs/bridge.md) [%s]" % e)
    options = dict(options)
    map_name = str(options.pop("map_name", options.pop("map", "3m")))
    env = StarCraft2Env(map_name=map_name, **options)
    env.name = "smac_" + map_name
    return env


if __name__ == "__main__":
    serve(make_env)
