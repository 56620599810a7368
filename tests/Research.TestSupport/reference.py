"""Runs a snippet of PyTorch on tensors saved by Research.Torch and saves what it computes.

usage: reference.py CODE_FILE INPUTS.pt OUTPUTS.pt
The snippet sees `inputs` (a dict of tensors), `outputs` (a dict to fill), `torch`, `F` and `nn`.
"""
import sys

import torch

torch.set_num_threads(1)
code = open(sys.argv[1]).read()
inputs = torch.load(sys.argv[2])
outputs = {}
env = {"torch": torch, "F": torch.nn.functional, "nn": torch.nn, "inputs": inputs, "outputs": outputs}
exec(compile(code, "reference-snippet", "exec"), env)
result = {k: v.detach().contiguous() for k, v in outputs.items()}
# libtorch 1.13's C++ unpickler lacks SETITEM, which pickle uses for one-entry dicts: always write two or more.
result["__reference__"] = torch.zeros(0)
torch.save(result, sys.argv[3])
