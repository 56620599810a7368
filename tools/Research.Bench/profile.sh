#!/usr/bin/env bash
# Where one bench case's training step spends its CPU time, ours against the PyTorch twin: `perf record` of each side's
# process while it trains (the first seconds, start-up and model building, are skipped), grouped by shared object —
# libtorch's kernels, OpenBLAS, libc, the binding (our shim; the Python interpreter and torch's Python extension), the
# .NET runtime and its JIT-compiled code.
# usage: tools/Research.Bench/profile.sh CASE [STEPS] [SKIP_MS]   CASE: mlp, wavenet, gla, fno, wavemix, lstm, or mlp16
# (the batch-16 MLP step; give it ~30000 steps)
# (build first: dotnet build tools/Research.Bench -c Release; needs `perf` and perf_event_paranoid ≤ 2 or root)
set -euo pipefail
case=${1:?usage: profile.sh CASE [STEPS] [SKIP_MS]}
steps=${2:-200}
skip=${3:-4000}
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/bin/Release/net10.0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
threads=$(nproc)

report() {
  perf report -i "$1" --sort dso --stdio --percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
  echo "  -- top symbols --"
  perf report -i "$1" --sort dso,sym --stdio --percent-limit 1.5 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12 | cut -c1-150
}

echo "== ours ($threads threads) =="
DOTNET_PerfMapEnabled=1 perf record -q -F 499 -D "$skip" -o "$dir/ours.data" -- \
  dotnet "$bin/Research.Bench.dll" --case "$case" "$steps" "$dir" | tee "$dir/ours.txt"
report "$dir/ours.data"
core=$(sed -n 's/^OpenBLAS kernels: //p' "$dir/ours.txt")

echo "== PyTorch twin ($threads threads) =="
if [ "$case" = mlp16 ]; then
  twin=(/usr/bin/python3 -c "import sys; sys.argv = ['bench.py', '$threads']; sys.path.insert(0, '$bin'); import bench
s = bench.mlp_setup(); bench.mlp_steps(s, 3); bench.mlp_steps(s, $steps)")
else
  twin=(/usr/bin/python3 "$bin/twins.py" "$threads" 3 "$steps" "$dir/$case.safetensors")
fi
OPENBLAS_CORETYPE=$core perf record -q -F 499 -D "$skip" -o "$dir/theirs.data" -- "${twin[@]}"
echo
report "$dir/theirs.data"
