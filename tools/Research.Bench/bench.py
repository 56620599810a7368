"""PyTorch side of the Research.Torch benchmark: the same workloads, the same thread count.

usage: bench.py THREADS  -> prints {name: median_ms} as JSON
(importable with sys.argv[1] set: profile.sh runs one workload alone)
"""
import json
import statistics
import sys
import time

import same_blas  # noqa: F401  (before torch: the BLAS Research.Torch runs on)

import torch  # noqa: E402  (after the BLAS above)

torch.set_num_threads(int(sys.argv[1]))


def median_ms(fn, repeats, inner):
    for _ in range(max(1, repeats // 5)):
        fn(inner)
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(inner)
        samples.append((time.perf_counter() - t0) * 1000 / inner)
    return statistics.median(samples)


def tiny_add(n, grad=False):
    a = torch.ones(1, requires_grad=grad)
    b = torch.ones(1)
    for _ in range(n):
        c = a + b


def mlp_setup():
    torch.manual_seed(0)
    ps = [(torch.randn(32, 64) * 0.1).requires_grad_(), torch.zeros(64, requires_grad=True),
          (torch.randn(64, 64) * 0.1).requires_grad_(), torch.zeros(64, requires_grad=True),
          (torch.randn(64, 10) * 0.1).requires_grad_(), torch.zeros(10, requires_grad=True)]
    return ps, torch.randn(16, 32), torch.randn(16, 10)


def mlp_steps(state, n):
    ps, x, y = state
    w1, b1, w2, b2, w3, b3 = ps
    for _ in range(n):
        h = torch.relu(x @ w1 + b1)
        h = torch.relu(h @ w2 + b2)
        loss = ((h @ w3 + b3 - y) ** 2).mean()
        for p in ps:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p.sub_(p.grad, alpha=0.01)


def conv_setup():
    torch.manual_seed(0)
    ch, layers = 32, 10
    ws = [(torch.randn(2 * ch, ch, 2) * 0.1).requires_grad_() for _ in range(layers)]
    return ws, torch.randn(8, ch, 16000)


def conv_steps(state, n):
    ws, x = state
    for _ in range(n):
        h = x
        for i, w in enumerate(ws):
            d = 2 ** i
            z = torch.conv1d(torch.nn.functional.pad(h, (d, 0)), w, None, 1, 0, d)
            f, g = z.chunk(2, 1)
            h = h + torch.tanh(f) * torch.sigmoid(g)
        loss = h.square().mean()
        for w in ws:
            w.grad = None
        loss.backward()


if __name__ == "__main__":  # importable: profile.sh runs mlp_steps alone
    results = {
        "tiny add (1 element)": median_ms(lambda n: tiny_add(n), 30, 20000),
        "tiny add, requires_grad": median_ms(lambda n: tiny_add(n, True), 30, 20000),
    }
    mlp = mlp_setup()
    results["MLP step, batch 16 (overhead-bound)"] = median_ms(lambda n: mlp_steps(mlp, n), 30, 100)
    conv = conv_setup()
    results["dilated causal conv stack, 8x1s@16kHz fwd+bwd (kernel-bound)"] = median_ms(lambda n: conv_steps(conv, n), 5, 1)
    print(json.dumps(results))
