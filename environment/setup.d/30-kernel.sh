#!/usr/bin/env bash
# Jupyter kernelspec `research-csharp` for the C# kernel (src/Research.Kernel). setup.sh runs this step
# before `dotnet build Research.sln -c Release`, which produces the DLL the kernelspec points at.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/environment/kernel-install.sh"
