"""Serve a multi-agent environment to qmix-ts over stdin/stdout.

The protocol (docs/bridge.md) is one JSON object per line: a request from the
trainer on stdin, its reply on stdout. Standard library only, so the bridge
runs wherever the environment does.

An environment is any object with pymarl's MultiAgentEnv methods:

    get_env_info() -> {"n_agents", "obs_shape", "state_shape", "n_actions", "episode_limit"}
    reset(seed=None)                     # seed is optional in the signature
    step(actions) -> (reward, terminated, info)    # pymarl; info["episode_limit"] marks a time-out
                  or (reward, terminated, truncated, info)
    get_obs() -> one sequence per agent  # lists, tuples or numpy arrays
    get_state() -> sequence
    get_avail_actions() -> one 0/1 sequence per agent
    close()

Serve one with `serve(make_env)`, where make_env(options) builds it from a
dict: the script's `--key value` arguments, then the trainer's envArgs, then
"seed". Or, without writing a script:

    python3 qmix_bridge.py my_package.my_module:make_env --key value
"""

import base64
import importlib
import inspect
import json
import math
import os
import signal
import sys
import traceback
from array import array

PROTOCOL_VERSION = 1


def parse_options(argv):
    """`--key value` pairs to a dict; values are JSON when they parse (3, 0.5, true), else strings."""
    out, i = {}, 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("--") or len(arg) == 2:
            raise SystemExit("qmix_bridge: expected --key value arguments, got %r" % arg)
        key, eq, value = arg[2:].partition("=")
        if not eq:
            if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                value = "true"  # a bare flag
            else:
                i += 1
                value = argv[i]
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
        i += 1
    return out


def _flat(x):
    """A nested sequence (or numpy array) as a flat list of Python numbers."""
    if hasattr(x, "ravel") and hasattr(x, "tolist"):
        return x.ravel().tolist()
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            if isinstance(v, (int, float, bool)):
                out.append(v)
            else:
                out.extend(_flat(v))
        return out
    return [x]


def _f32_bytes(x):
    """Little-endian Float32 bytes of a flat or per-agent sequence, or a numpy array."""
    if hasattr(x, "astype") and hasattr(x, "tobytes"):
        return x.astype("<f4").tobytes()  # numpy: no Python-level loop
    try:
        a = array("f", x)  # a flat sequence of numbers
    except TypeError:
        a = _f32_rows(x)
    if sys.byteorder == "big":
        a.byteswap()
    return a.tobytes()


def _f32_rows(x):
    """One row per agent (lists, tuples or numpy arrays) into one native Float32 array."""
    a = array("f")
    for v in x:
        if hasattr(v, "astype") and hasattr(v, "tobytes"):
            a.frombytes(v.astype("=f4").tobytes())
        elif isinstance(v, (list, tuple)):
            n = len(a)
            try:
                a.extend(v)
            except TypeError:  # deeper nesting; extend may have taken a prefix
                del a[n:]
                a.extend(_flat(v))
        else:
            a.append(v)
    return a


def _encode(x, kind, b64):
    """Floats ('f') or 0/1 flags ('u8') for the wire: a flat JSON list, or base64 little-endian."""
    if not b64:
        values = _flat(x)
        return [1 if v else 0 for v in values] if kind == "u8" else [float(v) for v in values]
    if kind == "u8":
        return {"b64": base64.b64encode(bytes(1 if v else 0 for v in _flat(x))).decode("ascii"), "dtype": "u8"}
    return {"b64": base64.b64encode(_f32_bytes(x)).decode("ascii")}


def _size(shape):
    if isinstance(shape, (list, tuple)):
        n = 1
        for d in shape:
            n *= int(d)
        return n
    return int(shape)


def _scalar_info(info):
    """Keep the JSON scalars of an info dict (numpy scalars become Python numbers)."""
    out = {}
    for k, v in (info or {}).items():
        if hasattr(v, "item") and not hasattr(v, "__len__"):
            v = v.item()
        if isinstance(v, bool) or isinstance(v, str):
            out[str(k)] = v
        elif isinstance(v, (int, float)) and math.isfinite(v):
            out[str(k)] = v
    return out


class _Server:
    def __init__(self, make_env, options, out):
        self.make_env, self.options, self.out = make_env, options, out
        self.env, self.info, self.b64, self.reset_takes_seed = None, None, True, False

    def reply(self, obj):
        try:
            text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
        except ValueError as e:  # NaN or infinity in a JSON-encoded array
            text = json.dumps({"id": obj.get("id"), "error": "the reply cannot be encoded as JSON: %s" % e})
        self.out.write(text.encode("utf-8") + b"\n")
        self.out.flush()

    def observe(self, reply):
        env, b64 = self.env, self.b64
        reply["obs"] = _encode(env.get_obs(), "f", b64)
        reply["state"] = _encode(env.get_state(), "f", b64)
        reply["avail_actions"] = _encode(env.get_avail_actions(), "u8", b64)
        return reply

    def handle(self, req):
        cmd = req.get("cmd")
        if cmd == "info":
            if self.env is None:
                version = req.get("version")
                if version != PROTOCOL_VERSION:
                    raise ValueError("protocol version %r requested; this bridge speaks version %d" % (version, PROTOCOL_VERSION))
                self.b64 = req.get("encoding", "b64") == "b64"
                options = dict(self.options)
                options.update(req.get("options") or {})
                if req.get("seed") is not None:
                    options["seed"] = req["seed"]
                self.env = self.make_env(options)
                try:
                    self.reset_takes_seed = "seed" in inspect.signature(self.env.reset).parameters
                except (TypeError, ValueError):
                    self.reset_takes_seed = False
                i = self.env.get_env_info()
                self.info = {
                    "version": PROTOCOL_VERSION,
                    "name": str(getattr(self.env, "name", type(self.env).__name__)),
                    "n_agents": int(i["n_agents"]),
                    "obs_dim": _size(i.get("obs_dim", i.get("obs_shape"))),
                    "state_dim": _size(i.get("state_dim", i.get("state_shape"))),
                    "n_actions": int(i["n_actions"]),
                    "episode_limit": int(i["episode_limit"]),
                }
            return dict(self.info)
        if self.env is None:
            raise ValueError("the first request must be \"info\" (with \"version\": %d), got %r" % (PROTOCOL_VERSION, cmd))
        if cmd == "reset":
            seed = req.get("seed")
            if self.reset_takes_seed:
                self.env.reset(seed=seed)
            else:
                self.env.reset()
            return self.observe({})
        if cmd == "step":
            actions = req.get("actions")
            n = self.info["n_agents"]
            if not isinstance(actions, list) or len(actions) != n:
                raise ValueError("step: \"actions\" must be a list of %d integers, got %r" % (n, actions))
            out = self.env.step([int(a) for a in actions])
            if len(out) == 4:
                reward, terminated, truncated, info = out
            else:
                reward, terminated, info = out
                info = dict(info or {})
                # pymarl's convention: a time-out ends the episode but is not terminal.
                truncated = bool(info.pop("episode_limit", False))
                terminated = bool(terminated) and not truncated
            reward = float(reward)
            if not math.isfinite(reward):
                raise ValueError("step returned a non-finite reward %r" % reward)
            return self.observe({"reward": reward, "terminated": bool(terminated), "truncated": bool(truncated),
                                 "info": _scalar_info(info)})
        raise ValueError("unknown cmd %r; expected info, reset, step or close" % (cmd,))

    def close(self):
        if self.env is not None and hasattr(self.env, "close"):
            self.env.close()
            self.env = None


def _claim_stdout():
    """Keep the real stdout for replies and point fd 1 at stderr, so a print()
    in the environment (or in C code under it) cannot corrupt the protocol."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout.reconfigure(line_buffering=True)  # print() now goes to stderr: show it as it comes
    return out


def serve(make_env, argv=None):
    """Answer requests on stdin until "close" or end of input."""
    options = parse_options(sys.argv[1:] if argv is None else argv)
    out = _claim_stdout()
    # Ctrl-C in a terminal reaches the whole process group; the trainer owns
    # the shutdown (it sends "close" or closes stdin).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.stdin.isatty():
        print("qmix_bridge: waiting for JSON requests on stdin (protocol: docs/bridge.md)", file=sys.stderr)
    server = _Server(make_env, options, out)
    try:
        for line in sys.stdin.buffer:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                if not isinstance(req, dict):
                    raise ValueError("a request must be a JSON object")
            except ValueError as e:
                server.reply({"id": None, "error": "bad request: %s" % e})
                continue
            rid = req.get("id")
            if req.get("cmd") == "close":
                try:
                    server.close()
                    server.reply({"id": rid})
                except Exception as e:
                    server.reply({"id": rid, "error": "%s: %s" % (type(e).__name__, e), "traceback": traceback.format_exc()})
                return
            try:
                reply = server.handle(req)
            except Exception as e:
                server.reply({"id": rid, "error": "%s: %s" % (type(e).__name__, e), "traceback": traceback.format_exc()})
                continue
            server.reply(dict({"id": rid}, **reply))
    finally:
        server.close()


def main():
    if len(sys.argv) < 2 or ":" not in sys.argv[1]:
        raise SystemExit("usage: python3 qmix_bridge.py MODULE:FACTORY [--key value ...]\n"
                         "  FACTORY(options: dict) returns an environment with pymarl's MultiAgentEnv methods")
    module, _, attr = sys.argv[1].partition(":")
    sys.path.insert(0, os.getcwd())
    factory = getattr(importlib.import_module(module), attr)
    serve(factory, sys.argv[2:])


if __name__ == "__main__":
    main()
