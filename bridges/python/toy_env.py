"""The QMIX paper's two-step game in pure Python, served over the bridge.

A toy for tests and for measuring the bridge: the same game as the built-in
TypeScript `two_step` (src/envs/two_step.ts), so a run through the bridge can
be compared with one without it. Two agents, two actions, two steps:
  state 1: reward 0; agent 1's action picks the next state, 0 -> 2A, 1 -> 2B;
  state 2A: every joint action pays 7;
  state 2B: pays [[0, 1], [1, 8]] (rows: agent 1's action).
The optimum is 8: agent 1 picks 1, then both pick 1.

    python3 toy_env.py [--pad K]

--pad K appends K zeros to every observation and to the state, to measure
the cost of larger payloads.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmix_bridge import serve  # noqa: E402

PAYOFF_2A = [[7, 7], [7, 7]]
PAYOFF_2B = [[0, 1], [1, 8]]


class TwoStep:
    name = "toy_two_step"

    def __init__(self, pad=0):
        self.pad = int(pad)
        self.s = 0  # 0: state 1, 1: 2A, 2: 2B, 3: end

    def get_env_info(self):
        return {"n_agents": 2, "obs_shape": 4 + self.pad, "state_shape": 4 + self.pad,
                "n_actions": 2, "episode_limit": 2}

    def reset(self, seed=None):
        self.s = 0  # deterministic: the seed changes nothing

    def step(self, actions):
        a1, a2 = actions
        if self.s == 0:
            self.s = 1 if a1 == 0 else 2
            return 0.0, False, {}
        if self.s in (1, 2):
            reward = (PAYOFF_2A if self.s == 1 else PAYOFF_2B)[a1][a2]
            self.s = 3
            return float(reward), True, {}
        raise RuntimeError("step after the episode ended; call reset first")

    def _one_hot(self):
        v = [0.0] * (4 + self.pad)
        v[self.s] = 1.0
        return v

    def get_obs(self):
        return [self._one_hot(), self._one_hot()]

    def get_state(self):
        return self._one_hot()

    def get_avail_actions(self):
        return [[1, 1], [1, 1]]

    def close(self):
        pass


def make_env(options):
    return TwoStep(pad=options.get("pad", 0))


if __name__ == "__main__":
    serve(make_env)
