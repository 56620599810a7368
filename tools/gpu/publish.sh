#!/usr/bin/env bash
# Publishes the GPU runner (tools/GpuCheck: the CUDA tests, timed reproduction steps, one experiment end to end)
# self-contained for linux-x64, trimmed (framework only: TrimMode=partial keeps our assemblies whole, since the test
# runner and the experiment registry find types by reflection), into artifacts/gpu/runner — the folder a GPU machine,
# which has no .NET, gets through `carry`. The native shim is not included: check.sh builds it there against that
# machine's libtorch. Prints the folder's size (the carried paths may hold 64 MiB in all).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/artifacts/gpu/runner}
rm -rf "$out"
dotnet publish "$root/tools/GpuCheck/GpuCheck.csproj" -c Release -p:GpuRunner=true -nologo -v quiet -o "$out"
rm -f "$out/libresearch_torch.so"
echo "runner: $out, $(du -sm "$out" | cut -f1) MiB ($(du -sb "$out" | cut -f1) bytes)"
