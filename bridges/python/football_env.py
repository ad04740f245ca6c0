"""Google Research Football's multi-agent API served to qmix-ts.

    python3 football_env.py --env_name academy_3_vs_1_with_keeper [--n_agents 3 --episode_limit 150 ...]

One agent per controlled left-team player (--n_agents; the default is the
scenario's attackers for the academy scenarios listed in AGENTS below, else
1), each seeing GRF's
"simple115v2" vector (115 numbers: ball, both teams' positions and motions,
the active player, the game mode). The state is the agents' observations
concatenated; the team reward is the mean of the agents' rewards
(--rewards scoring, GRF's default: +1 for our goal, -1 for theirs; add
"scoring,checkpoints" for shaping). All 19 actions are always available.

An episode ends when GRF says so (a goal, the ball out of play or lost, in
the academy scenarios) — terminated — or after --episode_limit steps (150,
the usual setting for academy scenarios in pymarl-style code) — truncated.
Any other --key value goes to gfootball.env.create_environment(...), and the
trainer's seed becomes other_config_options["game_engine_random_seed"].

Needs gfootball (pip install gfootball, which builds the game engine; see
docs/bridge.md).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmix_bridge import serve  # noqa: E402

AGENTS = {"academy_3_vs_1_with_keeper": 3, "academy_counterattack_easy": 4, "academy_counterattack_hard": 4,
          "academy_pass_and_shoot_with_keeper": 2, "academy_run_pass_and_shoot_with_keeper": 2}


class Football:
    def __init__(self, options):
        try:
            import gfootball.env as football
        except ImportError as e:
            raise ImportError("football_env.py needs Google Research Football: pip install gfootball "
                              "(see docs/bridge.md for its system packages) [%s]" % e)
        options = dict(options)
        env_name = str(options.pop("env_name", options.pop("env", "academy_3_vs_1_with_keeper")))
        self.n_agents = int(options.pop("n_agents", AGENTS.get(env_name, 1)))
        self.limit = int(options.pop("episode_limit", 150))
        seed = options.pop("seed", None)
        other = dict(options.pop("other_config_options", {}))
        if seed is not None:
            other.setdefault("game_engine_random_seed", int(seed) % (2 ** 31))
        options.setdefault("representation", "simple115v2")
        options.setdefault("rewards", "scoring")
        self.name = "football_" + env_name
        self.env = football.create_environment(env_name=env_name, number_of_left_players_agent_controls=self.n_agents,
                                               other_config_options=other, **options)
        self.n_actions = int(self.env.action_space.nvec[0]) if hasattr(self.env.action_space, "nvec") else int(self.env.action_space.n)
        self.obs = self._agents(self.env.reset())
        self.t = 0

    def _agents(self, obs):
        if isinstance(obs, tuple):  # gymnasium's reset gives (obs, info)
            obs = obs[0]
        rows = obs.reshape(self.n_agents, -1)  # one agent gives a flat vector
        return [rows[i] for i in range(self.n_agents)]

    def get_env_info(self):
        d = int(self.obs[0].size)
        return {"n_agents": self.n_agents, "obs_shape": d, "state_shape": d * self.n_agents,
                "n_actions": self.n_actions, "episode_limit": self.limit}

    def reset(self, seed=None):
        self.obs = self._agents(self.env.reset())
        self.t = 0

    def step(self, actions):
        out = self.env.step(list(actions) if self.n_agents > 1 else int(actions[0]))
        obs, rewards = out[0], out[1]
        done = out[2] if len(out) == 4 else (out[2] or out[3])  # gym's 4-tuple or gymnasium's 5-tuple
        self.obs = self._agents(obs)
        self.t += 1
        r = rewards.reshape(-1) if hasattr(rewards, "reshape") else [rewards]
        reward = float(sum(float(x) for x in r)) / len(r)
        terminated = bool(done)
        truncated = not terminated and self.t >= self.limit
        return reward, terminated, truncated, {"score_reward": float(out[-1].get("score_reward", 0.0))}

    def get_obs(self):
        return self.obs

    def get_state(self):
        return [v for o in self.obs for v in o.tolist()]

    def get_avail_actions(self):
        return [[1] * self.n_actions for _ in range(self.n_agents)]

    def close(self):
        self.env.close()


if __name__ == "__main__":
    serve(Football)
