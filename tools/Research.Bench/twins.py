"""PyTorch twins of the bench's training steps (tools/Research.Bench/ModelCases.cs builds our side from the library's models).

usage: twins.py THREADS LOSS_STEPS TIMED_STEPS CASE.safetensors [CASE.safetensors ...]
  -> prints {case: {"losses": [first LOSS_STEPS losses], "ms": median ms of TIMED_STEPS further steps}} as JSON.

Each case file is written by our side: the model's initial parameters ("param.<state-dict name>"), the batch
("input.<name>") and, in the metadata, the case ("case") and the shapes the twin needs. Both sides train with Adam
(lr 1e-3, PyTorch defaults otherwise) on that one batch, so the first losses must agree.
"""
import json
import statistics
import sys
import time

import same_blas  # noqa: F401  (before torch: the BLAS Research.Torch runs on)

import torch  # noqa: E402  (after the BLAS above)
import torch.nn.functional as F  # noqa: E402

_DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32, "U8": torch.uint8, "BOOL": torch.bool}


def read_safetensors(path):
    """(tensors, metadata): 8-byte little-endian header length, JSON header, raw little-endian data."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        flat = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"]).clone()
    return tensors, metadata


def _ints(text):
    return [int(v) for v in text.split(",")]


def _causal_conv1d(x, p, name, dilation=1):
    w = p[name + ".weight"]
    return F.conv1d(F.pad(x, ((w.shape[-1] - 1) * dilation, 0)), w, p.get(name + ".bias"), dilation=dilation)


def _conv1x1(x, p, name):
    return F.conv1d(x, p[name + ".weight"], p.get(name + ".bias"))


def mlp(p, x, meta):
    """A Sequential of Linear layers (named in meta["linears"]) with ReLU between them; cross-entropy."""
    names = meta["linears"].split(",")
    h = x["x"]
    for i, name in enumerate(names):
        h = F.linear(h, p[name + ".weight"], p[name + ".bias"])
        if i < len(names) - 1:
            h = torch.relu(h)
    return F.cross_entropy(h, x["y"])


def wavenet(p, x, meta):
    """Research.Models.Audio.WaveNet.NextSampleNll(codes) (condition on 1)."""
    codes = x["codes"]
    t = codes.shape[1]
    h = F.one_hot(codes[:, :t - 1], int(meta["classes"])).to(p["input.weight"].dtype).transpose(1, 2)
    h = _causal_conv1d(h, p, "input")
    skips = None
    for i, d in enumerate(_ints(meta["dilations"])):
        z = torch.tanh(_causal_conv1d(h, p, f"layers.{i}.filter", d)) * torch.sigmoid(_causal_conv1d(h, p, f"layers.{i}.gate", d))
        h = h + _conv1x1(z, p, f"layers.{i}.residual")
        s = _conv1x1(z, p, f"layers.{i}.skip")
        skips = s if skips is None else skips + s
    logits = _conv1x1(torch.relu(_conv1x1(torch.relu(skips), p, "head1")), p, "head2")
    return F.cross_entropy(logits, codes[:, 1:])


def _pairwise_decay(g):
    n = g.shape[-2]
    index = torch.arange(n)
    future = (index.unsqueeze(0) > index.unsqueeze(1)).unsqueeze(-1)
    return (g.unsqueeze(-2) - g.unsqueeze(-3)).masked_fill(future, float("-inf")).exp()


def _gla_chunked(q, k, v, log_alpha, chunk):
    b, h, t, dk = q.shape
    dv = v.shape[-1]
    n = (t + chunk - 1) // chunk
    if n * chunk != t:
        pad = (0, 0, 0, n * chunk - t)
        q, k, v, log_alpha = F.pad(q, pad), F.pad(k, pad), F.pad(v, pad), F.pad(log_alpha, pad)
    q = q.reshape(b, h, n, chunk, dk)
    k = k.reshape(b, h, n, chunk, dk)
    v = v.reshape(b, h, n, chunk, dv)
    gamma = log_alpha.reshape(b, h, n, chunk, dk).cumsum(3)
    scores = ((q.unsqueeze(4) * _pairwise_decay(gamma)) * k.unsqueeze(3)).sum(-1)
    intra = scores.matmul(v).unbind(2)
    gamma_last = gamma.select(3, chunk - 1)
    queries = (q * gamma.exp()).unbind(2)
    updates = (k * (gamma_last.unsqueeze(3) - gamma).exp()).transpose(-1, -2).matmul(v).unbind(2)
    decays = gamma_last.exp().unsqueeze(-1).unbind(2)
    state, outputs = None, []
    for c in range(n):
        outputs.append(intra[c] if state is None else intra[c] + queries[c].matmul(state))
        state = updates[c] if state is None else decays[c] * state + updates[c]
    return torch.cat(outputs, 2)[:, :, :t]


def gla(p, x, meta):
    """Research.Models.Sequence.GatedLinearAttentionLayer (gated, chunked form); mean squared error."""
    heads, chunk, tau = int(meta["heads"]), int(meta["chunk"]), float(meta["temperature"])
    inp = x["x"]
    b, t, _ = inp.shape

    def split(z):
        return z.view(b, t, heads, z.shape[2] // heads).transpose(1, 2)

    q = split(F.linear(inp, p["query.weight"]))
    q = q * (1.0 / (q.shape[-1] ** 0.5))
    k = split(F.linear(inp, p["key.weight"]))
    v = split(F.linear(inp, p["value.weight"]))
    log_alpha = split(F.logsigmoid(F.linear(F.linear(inp, p["gate_down.weight"]), p["gate_up.weight"], p["gate_up.bias"])) / tau)
    o = _gla_chunked(q, k, v, log_alpha, chunk)
    o = o * (o.square().mean(-1, keepdim=True) + 1e-5).rsqrt() * p["head_norm.weight"]
    merged = o.transpose(1, 2).reshape(b, t, v.shape[1] * v.shape[3])
    r = F.silu(F.linear(inp, p["output_gate.weight"], p["output_gate.bias"]))
    return F.mse_loss(F.linear(merged * r, p["output.weight"]), x["y"])


def fno(p, x, meta):
    """Research.Models.Operators.FourierNeuralOperator on [batch, 1, points]; mean squared error."""
    layers, modes = int(meta["layers"]), int(meta["modes"])
    v = _conv1x1(x["x"], p, "lift")
    n = v.shape[-1]
    for i in range(layers):
        spectrum = torch.fft.rfft(v, dim=-1)[..., :modes]
        mixed = torch.einsum("bik,iok->bok", spectrum, torch.view_as_complex(p[f"layers.{i}.spectral.weight"]))
        v = torch.fft.irfft(mixed, n=n, dim=-1) + _conv1x1(v, p, f"layers.{i}.pointwise")
        if i < layers - 1:
            v = F.gelu(v)
    u = _conv1x1(F.gelu(_conv1x1(v, p, "project_hidden")), p, "project_out")
    return F.mse_loss(u, x["y"])


def _haar(channels, dtype):
    one = torch.tensor([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, -0.5, -0.5, 0.5, -0.5, 0.5, -0.5, 0.5, -0.5, -0.5, 0.5], dtype=dtype)
    return one.repeat(channels).reshape(4 * channels, 1, 2, 2)


def _bn(z, p, name):
    return F.batch_norm(z, None, None, p[name + ".weight"], p[name + ".bias"], training=True, eps=1e-5)


def wavemix(p, x, meta):
    """Research.Models.Vision.WaveMix (training mode: batch statistics); cross-entropy."""
    blocks, stride = int(meta["blocks"]), int(meta["stem_stride"])
    z = F.gelu(F.conv2d(x["x"], p["stem1.weight"], p["stem1.bias"], stride=stride, padding=1))
    z = _bn(F.gelu(F.conv2d(_bn(z, p, "stem_norm1"), p["stem2.weight"], p["stem2.bias"], padding=1)), p, "stem_norm2")
    for i in range(blocks):
        b = f"blocks.{i}."
        reduced = F.conv2d(z, p[b + "reduce.weight"], p[b + "reduce.bias"])
        s = F.conv2d(reduced, _haar(reduced.shape[1], reduced.dtype), stride=2, groups=reduced.shape[1])
        h = F.conv2d(F.gelu(F.conv2d(s, p[b + "mlp1.weight"], p[b + "mlp1.bias"])), p[b + "mlp2.weight"], p[b + "mlp2.bias"])
        z = z + _bn(F.conv_transpose2d(h, p[b + "up.weight"], p[b + "up.bias"], stride=2, padding=1), p, b + "norm")
    return F.cross_entropy(F.linear(z.mean([2, 3]), p["head.weight"], p["head.bias"]), x["y"])


def lstm(p, x, meta):
    """Research.Models.Sequence.LstmTagger (one layer) on int64 tokens; cross-entropy over every step."""
    tokens = x["tokens"]
    encoded = F.one_hot(tokens, int(meta["vocabulary"])).to(p["readout.weight"].dtype)
    weights = [p["lstm.weight_ih_l0"], p["lstm.weight_hh_l0"], p["lstm.bias_ih_l0"], p["lstm.bias_hh_l0"]]
    zeros = torch.zeros(1, tokens.shape[0], p["lstm.weight_hh_l0"].shape[1], dtype=encoded.dtype)
    output, _, _ = torch.lstm(encoded, (zeros, zeros), weights, True, 1, 0.0, True, False, True)
    logits = F.linear(output, p["readout.weight"], p["readout.bias"])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x["y"].reshape(-1))


TWINS = {"mlp": mlp, "wavenet": wavenet, "gla": gla, "fno": fno, "wavemix": wavemix, "lstm": lstm}


def run_case(path, loss_steps, timed_steps):
    tensors, meta = read_safetensors(path)
    params = {k[len("param."):]: v.requires_grad_() for k, v in tensors.items() if k.startswith("param.")}
    inputs = {k[len("input."):]: v for k, v in tensors.items() if k.startswith("input.")}
    twin = TWINS[meta["case"]]
    optimizer = torch.optim.Adam(params.values(), lr=1e-3)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = twin(params, inputs, meta)
        loss.backward()
        optimizer.step()
        return loss.item()

    losses = [step() for _ in range(loss_steps)]
    samples = []
    for _ in range(timed_steps):
        t0 = time.perf_counter()
        step()
        samples.append((time.perf_counter() - t0) * 1000)
    return {"losses": losses, "ms": statistics.median(samples) if samples else None}


if __name__ == "__main__":
    torch.set_num_threads(int(sys.argv[1]))
    loss_steps, timed_steps = int(sys.argv[2]), int(sys.argv[3])
    results = {}
    for case_path in sys.argv[4:]:
        results[read_safetensors(case_path)[1]["case"]] = run_case(case_path, loss_steps, timed_steps)
    print(json.dumps(results))
