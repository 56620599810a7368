"""Loads the BLAS Research.Torch runs on, before torch: Debian's OpenMP build of OpenBLAS when it is installed, so that
libtorch binds to it (src/Research.Torch/Native/BlasRuntime.cs does the same for our side); RESEARCH_BLAS=system keeps
the system's choice. Import this module before `import torch`."""
import ctypes
import os

OPENMP_BLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"
if os.environ.get("RESEARCH_BLAS", "").lower() != "system" and os.path.exists(os.path.join(OPENMP_BLAS, "libopenblas.so.0")):
    for _name in ("libopenblas.so.0", "libblas.so.3", "liblapack.so.3"):
        ctypes.CDLL(os.path.join(OPENMP_BLAS, _name), mode=ctypes.RTLD_GLOBAL)
