#!/usr/bin/env bash
# Installs the Jupyter kernelspec `research-csharp` ("C# (Research)") user-wide:
#   ~/.local/share/jupyter/kernels/research-csharp/kernel.json   (or $JUPYTER_DATA_DIR/kernels/...)
# It runs the kernel that `dotnet build Research.sln -c Release` produces:
#   dotnet src/Research.Kernel/bin/Release/net10.0/Research.Kernel.dll {connection_file}
# Setup calls this (setup.d/30-kernel.sh) before the build, so the DLL may not exist yet: that is fine.
#   CONFIGURATION=Debug environment/kernel-install.sh   point at the Debug build instead
#   KERNEL_DLL=/path/Research.Kernel.dll ...           point at any build
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="${CONFIGURATION:-Release}"
dll="${KERNEL_DLL:-$root/src/Research.Kernel/bin/$config/net10.0/Research.Kernel.dll}"
dotnet_bin="$(command -v dotnet || echo dotnet)"
dotnet_bin="$(readlink -f "$dotnet_bin" 2>/dev/null || echo "$dotnet_bin")"
data_dir="${JUPYTER_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/jupyter}"
dest="$data_dir/kernels/research-csharp"
mkdir -p "$dest"
/usr/bin/python3 - "$dest/kernel.json" "$dotnet_bin" "$dll" <<'PY'
import json, sys
path, dotnet, dll = sys.argv[1:4]
spec = {
    "argv": [dotnet, dll, "{connection_file}"],
    "display_name": "C# (Research)",
    "language": "csharp",
    "interrupt_mode": "message",
    "env": {"DOTNET_TieredPGO": "0", "DOTNET_TC_QuickJitForLoops": "1", "DOTNET_gcServer": "0"},
    "metadata": {"debugger": False},
}
import os
tmp = f"{path}.{os.getpid()}.tmp"         # atomic: notebook runs side by side may install the same spec
with open(tmp, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
PY
echo "kernel-install: research-csharp -> $dest/kernel.json (runs $dll)"
[[ -f "$dll" ]] || echo "kernel-install: note: $dll is not built yet (dotnet build Research.sln -c Release builds it)"
