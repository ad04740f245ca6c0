"""A toy environment that misbehaves on purpose, for the bridge's tests.

    python3 faulty_env.py --mode MODE [--at K]

It plays the two-step game (toy_env.py) until its K-th step request
(counted over the process's life, from 1; default 3), then:
  crash       writes a message to stderr and exits with code 3
  hang        stops answering (sleeps forever)
  raise       raises an exception inside step (an error reply; the process lives)
  wrong_size  returns observations one number short
  bad_json    writes a line that is not JSON instead of the reply
  wrong_id    replies with another request's id
With --at 0 the fault hits the first request ("info") instead.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmix_bridge import parse_options, serve  # noqa: E402
from toy_env import TwoStep  # noqa: E402

OPTIONS = parse_options(sys.argv[1:])
MODE = OPTIONS.get("mode")
AT = int(OPTIONS.get("at", 3))
MODES = ("crash", "hang", "raise", "wrong_size", "bad_json", "wrong_id")
if MODE not in MODES:
    raise SystemExit("faulty_env: --mode must be one of %s, got %r" % (", ".join(MODES), MODE))


def fault(where):
    if MODE == "crash":
        sys.stderr.write("faulty_env: simulated crash in %s\n" % where)
        sys.stderr.flush()
        os._exit(3)
    if MODE == "hang":
        while True:
            time.sleep(3600)
    if MODE == "raise":
        raise RuntimeError("simulated failure in %s" % where)


class Faulty(TwoStep):
    name = "faulty"

    def __init__(self):
        super().__init__()
        self.steps, self.short = 0, False

    def step(self, actions):
        self.steps += 1
        if self.steps == AT:
            fault("step %d" % self.steps)
            self.short = MODE == "wrong_size"
        return super().step(actions)

    def get_obs(self):
        obs = super().get_obs()
        return [obs[0], obs[1][:-1]] if self.short else obs


def make_env(options):
    if AT == 0:
        fault("info")
    return Faulty()


def raw_protocol():
    """bad_json and wrong_id break the protocol itself, which serve() never does."""
    out = sys.stdout
    steps = 0
    for line in sys.stdin:
        req = json.loads(line)
        cmd, rid = req.get("cmd"), req.get("id")
        if cmd == "step":
            steps += 1
        if (cmd == "step" and steps == AT) or (AT == 0 and cmd == "info"):
            out.write("this is not JSON\n" if MODE == "bad_json" else json.dumps({"id": rid + 100}) + "\n")
            out.flush()
            continue
        if cmd == "info":
            reply = {"version": 1, "n_agents": 2, "obs_dim": 4, "state_dim": 4, "n_actions": 2, "episode_limit": 2}
        elif cmd == "close":
            reply = {}
        else:
            s = 0 if cmd == "reset" else 3
            reply = {"obs": [float(i % 4 == s) for i in range(8)], "state": [float(i == s) for i in range(4)],
                     "avail_actions": [1, 1, 1, 1]}
            if cmd == "step":
                reply.update(reward=0.0, terminated=False, truncated=False)
        out.write(json.dumps(dict({"id": rid}, **reply)) + "\n")
        out.flush()
        if cmd == "close":
            return


if __name__ == "__main__":
    if MODE in ("bad_json", "wrong_id"):
        raw_protocol()
    else:
        serve(make_env, [])
