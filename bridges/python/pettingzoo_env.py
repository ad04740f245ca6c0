"""Any PettingZoo parallel environment with discrete actions, served to qmix-ts.

    python3 pettingzoo_env.py --env simple_spread_v3 [--N 3 --local_ratio 0.5 --max_cycles 25 ...]

--env names the environment module: a bare name is looked up in mpe2 (MPE's
home since PettingZoo 1.25), then pettingzoo.mpe, then PettingZoo's other
families, then as a module of its own; a dotted path
(pettingzoo.sisl.pursuit_v5, my_package.my_env) is imported as given. The
module must have parallel_env(**kwargs).
Every other --key value goes to its parallel_env(...) as a keyword argument.

The team sees what QMIX needs:
  obs     each agent's observation, flattened (zero-padded to the largest)
  state   the agents' observations concatenated (MPE's own state())
  reward  the mean of the agents' rewards
  avail   every action, for live agents; only action 0 for agents that are gone
  end     terminated when every agent is terminated, truncated when any is truncated
          (MPE's max_cycles; qmix-ts bootstraps through it)
episode_limit is --episode_limit, else max_cycles, else 25 (MPE's default).
"""

import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmix_bridge import serve  # noqa: E402

FAMILIES = ("mpe2", "pettingzoo.mpe", "pettingzoo.sisl", "pettingzoo.butterfly", "pettingzoo.magent", "pettingzoo.atari")


def _import_env(name):
    candidates = [name] if "." in name else ["%s.%s" % (f, name) for f in FAMILIES] + [name]
    errors = []
    for module in candidates:
        try:
            return importlib.import_module(module)
        except ImportError as e:
            errors.append("%s: %s" % (module, e))
    raise ImportError("pettingzoo_env.py could not import %r (tried %s).\n"
                      "Install PettingZoo and the family, e.g. `pip install mpe2` for MPE, or `pip install \"pettingzoo[sisl]\"`."
                      % (name, "; ".join(errors)))


def _size(space):
    n = 1
    for d in space.shape:
        n *= int(d)
    return n


class PettingZooTeam:
    def __init__(self, options):
        options = dict(options)
        name = options.pop("env", None)
        if not name:
            raise ValueError("pettingzoo_env.py needs --env NAME, e.g. --env simple_spread_v3")
        seed = options.pop("seed", None)
        limit = options.pop("episode_limit", None)
        self.name = name
        self.env = _import_env(name).parallel_env(**options)
        self.agents = list(self.env.possible_agents)
        spaces = [self.env.action_space(a) for a in self.agents]
        if not all(hasattr(s, "n") for s in spaces):
            raise ValueError("%s has non-discrete actions; QMIX needs Discrete action spaces "
                             "(for MPE pass --continuous_actions false)" % name)
        self.n_actions = max(int(s.n) for s in spaces)
        self.n_valid = [int(s.n) for s in spaces]
        self.obs_dim = max(_size(self.env.observation_space(a)) for a in self.agents)
        self.limit = int(limit if limit is not None else options.get("max_cycles", 25))
        self.next_seed = seed
        self.obs = {}
        self.live = set(self.agents)

    def get_env_info(self):
        n = len(self.agents)
        return {"n_agents": n, "obs_shape": self.obs_dim, "state_shape": n * self.obs_dim,
                "n_actions": self.n_actions, "episode_limit": self.limit}

    def reset(self, seed=None):
        seed = seed if seed is not None else self.next_seed
        self.next_seed = None
        out = self.env.reset(seed=seed)
        self.obs = out[0] if isinstance(out, tuple) else out  # PettingZoo >= 1.22 returns (obs, infos)
        self.live = set(self.env.agents)

    def step(self, actions):
        act = {a: int(actions[i]) for i, a in enumerate(self.agents) if a in self.live}
        obs, rewards, terms, truncs, infos = self.env.step(act)
        self.obs = obs
        self.live = set(self.env.agents)
        reward = sum(float(rewards.get(a, 0.0)) for a in self.agents) / len(self.agents)
        terminated = all(terms.get(a, True) for a in self.agents)
        truncated = not terminated and any(truncs.get(a, False) for a in self.agents)
        return reward, terminated, truncated, {}

    def _agent_obs(self, a):
        o = self.obs.get(a)
        if o is None:
            flat = []
        elif hasattr(o, "ravel"):
            flat = o.ravel().tolist()
        else:
            flat = list(o) if isinstance(o, (list, tuple)) else [o]
        return flat + [0.0] * (self.obs_dim - len(flat))

    def get_obs(self):
        return [self._agent_obs(a) for a in self.agents]

    def get_state(self):
        return [v for a in self.agents for v in self._agent_obs(a)]

    def get_avail_actions(self):
        out = []
        for i, a in enumerate(self.agents):
            if a in self.live:
                out.append([1] * self.n_valid[i] + [0] * (self.n_actions - self.n_valid[i]))
            else:
                out.append([1] + [0] * (self.n_actions - 1))
        return out

    def close(self):
        self.env.close()


if __name__ == "__main__":
    serve(PettingZooTeam)
