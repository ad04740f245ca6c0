"""One QMIX training update in PyTorch, timed: the side-by-side for bench/update.ts.

Workload ("qmix-spread update", bench/README.md): n = 3 agents, O = 18, A = 5, S = 54,
agent input 26 (obs + one-hot last action + one-hot id), GRU H = 64, mixing
embed E = 32, hypernet K = 64, B = 32 episodes of T = 25 transitions (26 steps),
every step filled, no termination, every action available; double Q,
RMSprop (lr 5e-4, alpha 0.99, eps 1e-5), gradient-norm clip 10.
One update is pymarl's QLearner.train: online unroll, target unroll (no grad),
double-Q action choice, target mixer, mixer, masked TD loss, backward, clip, step.
The target networks are not refreshed inside the timed loop (bench/update.ts
does the same), so every timed call does the same work.

Set-up on Debian: apt-get install python3-torch libopenblas0-pthread, then run
with /usr/bin/python3. Without libopenblas0-pthread Debian's PyTorch falls back
to the reference BLAS and runs about 5x slower.

Prints one JSON line: ms per update (median, min, max), every sample, settings.
Exit code 3 when torch cannot be imported (bench/update.ts reports it).
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # bench/update.ts carries on without the comparison
    print(f"torch_update.py: cannot import torch ({e}); apt-get install python3-torch libopenblas0-pthread", file=sys.stderr)
    sys.exit(3)

p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
p.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1: ours is single-threaded)")
p.add_argument("--updates", type=int, default=40, help="timed updates")
p.add_argument("--warmup", type=int, default=5, help="untimed updates first")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--workload", choices=["spread", "2s3z"], default="spread", help="spread: the qmix-spread update of bench/README.md; 2s3z: 5 agents, obs 80, 11 actions, state 120, T 120")
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

N, O, A, S, T = {"spread": (3, 18, 5, 54, 25), "2s3z": (5, 80, 11, 120, 120)}[args.workload]
H, E, K, B = 64, 32, 64, 32
IN = O + A + N
GAMMA, CLIP = 0.99, 10.0


class RNNAgent(nn.Module):
    """pymarl's RNNAgent: fc1 -> ReLU -> GRUCell -> fc2."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(IN, H)
        self.rnn = nn.GRUCell(H, H)
        self.fc2 = nn.Linear(H, A)

    def forward(self, x, h):
        h = self.rnn(F.relu(self.fc1(x)), h)
        return self.fc2(h), h


class QMixer(nn.Module):
    """pymarl's QMixer with two-layer hypernetworks."""

    def __init__(self):
        super().__init__()
        self.hyper_w_1 = nn.Sequential(nn.Linear(S, K), nn.ReLU(), nn.Linear(K, E * N))
        self.hyper_w_final = nn.Sequential(nn.Linear(S, K), nn.ReLU(), nn.Linear(K, E))
        self.hyper_b_1 = nn.Linear(S, E)
        self.V = nn.Sequential(nn.Linear(S, E), nn.ReLU(), nn.Linear(E, 1))

    def forward(self, agent_qs, states):
        bs = agent_qs.size(0)
        states = states.reshape(-1, S)
        agent_qs = agent_qs.view(-1, 1, N)
        w1 = torch.abs(self.hyper_w_1(states)).view(-1, N, E)
        b1 = self.hyper_b_1(states).view(-1, 1, E)
        hidden = F.elu(torch.bmm(agent_qs, w1) + b1)
        w_final = torch.abs(self.hyper_w_final(states)).view(-1, E, 1)
        v = self.V(states).view(-1, 1, 1)
        return (torch.bmm(hidden, w_final) + v).view(bs, -1, 1)


agent, mixer = RNNAgent(), QMixer()
target_agent, target_mixer = RNNAgent(), QMixer()
target_agent.load_state_dict(agent.state_dict())
target_mixer.load_state_dict(mixer.state_dict())
params = list(agent.parameters()) + list(mixer.parameters())
optimiser = torch.optim.RMSprop(params, lr=5e-4, alpha=0.99, eps=1e-5)

# The batch, batch-major [B, T+1, ...] as pymarl's EpisodeBatch; inputs already built.
inputs = torch.randn(B, T + 1, N, IN)
state = torch.randn(B, T + 1, S)
actions = torch.randint(0, A, (B, T + 1, N, 1))
avail = torch.ones(B, T + 1, N, A)
reward = torch.randn(B, T, 1)
terminated = torch.zeros(B, T, 1)
filled = torch.ones(B, T, 1)


def unroll(net):
    """Qs for every step [B, T+1, N, A] from a zero hidden state."""
    h, qs = torch.zeros(B * N, H), []
    for t in range(T + 1):
        q, h = net(inputs[:, t].reshape(B * N, IN), h)
        qs.append(q.view(B, N, A))
    return torch.stack(qs, dim=1)


def update():
    mask = filled.clone()
    mask[:, 1:] = mask[:, 1:] * (1 - terminated[:, :-1])
    mac_out = unroll(agent)
    chosen = torch.gather(mac_out[:, :-1], dim=3, index=actions[:, :-1]).squeeze(3)
    with torch.no_grad():
        target_out = unroll(target_agent)[:, 1:]
        target_out[avail[:, 1:] == 0] = -9999999
        online = mac_out.detach().clone()
        online[avail == 0] = -9999999
        best = online[:, 1:].max(dim=3, keepdim=True)[1]  # double Q: online argmax, target value
        target_max = torch.gather(target_out, 3, best).squeeze(3)
        y = reward + GAMMA * (1 - terminated) * target_mixer(target_max, state[:, 1:])
    td = (mixer(chosen, state[:, :-1]) - y) * mask
    loss = (td ** 2).sum() / mask.sum()
    optimiser.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, CLIP)
    optimiser.step()


for _ in range(args.warmup):
    update()
times = []
for _ in range(args.updates):
    t0 = time.perf_counter()
    update()
    times.append((time.perf_counter() - t0) * 1e3)

print(json.dumps({
    "backend": "torch", "system": f"pytorch-{torch.__version__}", "workload": args.workload, "threads": args.threads,
    "updates": args.updates, "warmup": args.warmup,
    "ms_median": round(statistics.median(times), 3), "ms_min": round(min(times), 3), "ms_max": round(max(times), 3),
    "samples_ms": [round(x, 3) for x in times],
}))
