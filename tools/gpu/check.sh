#!/usr/bin/env bash
# The prepared check for a GPU machine (one NVIDIA GPU, CUDA, CMake and a CUDA PyTorch 2.x; no .NET, no network).
#
#   bash tools/gpu/check.sh          on the GPU machine, with artifacts/gpu/runner carried (tools/gpu/publish.sh)
#   bash tools/gpu/check.sh --cpu    here or in CI: the same steps against Debian's libtorch, CPU only, smoke scale
#
# 1. builds the native shim with CMake against the machine's libtorch (PyTorch's, found through
#    torch.utils.cmake_prefix_path; --cpu: Debian's, in the folder `dotnet build` uses, so an up-to-date shim is reused);
#    if CMake cannot configure, it compiles the same sources with the compiler directly;
# 2. runs the carried runner: the CUDA tests of Research.Torch.Tests, then one experiment end to end on the device;
# 3. times training steps of WaveNet, GLA and FNO (gpu scale) on CUDA and on the machine's CPU, for the ratio;
# 4. writes report.md (with the build log's tail on failure), build.log, tests.log, run.log, steps.tsv (and, on the
#    GPU machine, torch.log: what importing PyTorch printed) to $OUT
#    (default artifacts/gpu/report).
# Every phase has its own time limit; the whole stays under 8 minutes on one H100.
# Environment: GPU_CHECK_STEPS / GPU_CHECK_CPU_STEPS (timed steps on CUDA / CPU), GPU_CHECK_SCALE, GPU_CHECK_RUN
# (the experiment run end to end), GPU_CHECK_ONLY (workloads, e.g. "wavenet,gla").
set -uo pipefail

mode=gpu
[[ "${1:-}" == "--cpu" ]] && mode=cpu
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-$root/artifacts/gpu/report}
mkdir -p "$out"
report=$out/report.md
runner=$root/artifacts/gpu/runner/GpuCheck
native=$root/src/Research.Torch/native
started=$(date +%s)
status=0

say() { echo "$*" | tee -a "$report"; }
elapsed() { echo $(( $(date +%s) - started )); }
fail() { status=1; say "**FAILED**: $*"; }

: > "$report"
say "# GPU check ($mode mode), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
say ""
say "- host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
if command -v nvidia-smi > /dev/null; then
  say "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -1)"
fi

# ---- the libtorch to build against ----
python=$(command -v python3 || true)
[[ "$mode" == cpu && -x /usr/bin/python3 ]] && python=/usr/bin/python3
if [[ "$mode" == gpu ]]; then
  [[ -n "$python" ]] || { fail "no python3 to find PyTorch's libtorch"; exit 1; }
  torch_info=$("$python" -c 'import torch, os; print(torch.__version__, torch.version.cuda, torch.utils.cmake_prefix_path, os.path.dirname(torch.__file__), int(torch._C._GLIBCXX_USE_CXX11_ABI))' 2> "$out/torch.log") \
    || { fail "PyTorch did not import: $(tail -5 "$out/torch.log")"; exit 1; }
  read -r torch_version torch_cuda cmake_prefix torch_root cxx11_abi <<< "$torch_info"
  say "- PyTorch $torch_version (CUDA $torch_cuda) at $torch_root"
  build=$root/artifacts/gpu/build-cuda
  torch_dir=$cmake_prefix/Torch
  steps=${GPU_CHECK_STEPS:-20}; cpu_steps=${GPU_CHECK_CPU_STEPS:-2}; scale=${GPU_CHECK_SCALE:-gpu}; device=cuda
  if [[ -z "${CUDACXX:-}" && -x /usr/local/cuda/bin/nvcc ]]; then
    export CUDACXX=/usr/local/cuda/bin/nvcc PATH=/usr/local/cuda/bin:$PATH
  fi
  # PyTorch's CUDA libraries (cuBLAS, cuDNN, ... from its nvidia-* wheels), in case libtorch_cuda's RUNPATH misses one.
  nvidia_libs=$(find "$torch_root/../nvidia" -maxdepth 3 -type d -name lib 2>/dev/null | tr '\n' ':')
  export LD_LIBRARY_PATH="${nvidia_libs}$torch_root/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-9.0}   # H100 / H200; CMake then need not probe the GPU
else
  say "- Debian libtorch (CPU)"
  build=$native/build/Release
  torch_dir=
  steps=${GPU_CHECK_STEPS:-2}; cpu_steps=$steps; scale=${GPU_CHECK_SCALE:-smoke}; device=cpu
fi
shim=$build/libresearch_torch.so

# ---- 1. the native shim ----
build_cmake() {
  local args=(-S "$native" -B "$build" -DCMAKE_BUILD_TYPE=Release)
  if [[ -n "$torch_dir" ]]; then
    args+=(-DTorch_DIR="$torch_dir" -DCMAKE_PREFIX_PATH="$cmake_prefix")
    command -v ninja > /dev/null && [[ ! -f "$build/CMakeCache.txt" ]] && args+=(-G Ninja)
  fi
  timeout 120 cmake "${args[@]}" && timeout 240 cmake --build "$build" -j "$(nproc)"
}

# Without CMake's Torch package: the same sources, compiled directly against PyTorch's headers and libraries.
build_direct() {
  local std cuda_inc objects=() pids=() src
  std=$(grep -rhoE 'cxx_std_[0-9]+' "$torch_dir" "$cmake_prefix/Caffe2" 2>/dev/null | sort -t_ -k3 -n | tail -1 | sed 's/cxx_std_//')
  std=${std:-17}
  cuda_inc=$(dirname "$(find /usr/local/cuda/include /usr/local/cuda*/targets/*/include "$torch_root/../nvidia" \
    -name cuda_runtime_api.h 2>/dev/null | head -1)")
  echo "direct build: C++$std, CUDA headers in $cuda_inc, _GLIBCXX_USE_CXX11_ABI=$cxx11_abi"
  mkdir -p "$build/direct"
  for src in "$native"/src/*.cpp; do
    objects+=("$build/direct/$(basename "$src" .cpp).o")
    timeout 180 g++ -std=c++"$std" -O2 -fPIC -fvisibility=hidden -Wall -Wno-unused-parameter -D_GLIBCXX_USE_CXX11_ABI="$cxx11_abi" \
      -DRT_WITH_CUDA -I"$native/src" -I"$torch_root/include" -I"$torch_root/include/torch/csrc/api/include" -I"$cuda_inc" \
      -c "$src" -o "${objects[-1]}" &
    pids+=($!)
  done
  local ok=0
  for p in "${pids[@]}"; do wait "$p" || ok=1; done
  [[ $ok == 0 ]] || return 1
  g++ -shared -o "$shim" "${objects[@]}" -L"$torch_root/lib" -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -Wl,--as-needed \
    -ltorch -ltorch_cpu -lc10 -Wl,-rpath,"$torch_root/lib"
}

say ""
say "## 1. Native shim"
t0=$(date +%s)
[[ "$mode" == gpu ]] && rm -rf "$build"
if build_cmake > "$out/build.log" 2>&1 && { [[ "$mode" == cpu ]] || grep -q "research_torch: CUDA libtorch" "$out/build.log"; }; then
  how="CMake"
elif [[ "$mode" == gpu ]] && { echo "---- CMake failed or found no CUDA; building directly ----"; build_direct; } >> "$out/build.log" 2>&1; then
  how="the compiler directly (CMake failed or found no CUDA: see build.log)"
else
  how=""
fi
if [[ -z "$how" || ! -f "$shim" ]]; then
  fail "the shim did not build ($(( $(date +%s) - t0 )) s). Last lines of build.log:"
  { echo '```'; grep -E 'error|Error' "$out/build.log" | head -40; echo '...'; tail -40 "$out/build.log"; echo '```'; } >> "$report"
  exit 1
fi
say "- built with $how in $(( $(date +%s) - t0 )) s: $shim ($(du -k "$shim" | cut -f1) KiB)"
say "- links: $(ldd "$shim" | grep -oE 'lib(torch|torch_cuda|torch_cpu|c10|c10_cuda)\.so' | sort -u | tr '\n' ' ')"
grep -q "research_torch: CUDA libtorch" "$out/build.log" && say "- CMake found a CUDA libtorch (RT_WITH_CUDA)"

# ---- 2. the runner: CUDA tests, one experiment end to end ----
[[ -f "$runner" && ! -x "$runner" ]] && chmod +x "$runner"
if [[ ! -x "$runner" ]]; then
  if [[ "$mode" == cpu ]] && command -v dotnet > /dev/null; then
    say "- publishing the runner (tools/gpu/publish.sh)"
    bash "$root/tools/gpu/publish.sh" >> "$out/build.log" 2>&1 || { fail "publish failed (build.log)"; exit 1; }
  else
    fail "no runner at $runner: run tools/gpu/publish.sh here and carry artifacts/gpu/runner"
    exit 1
  fi
fi
say "- runner: $(du -sm "$(dirname "$runner")" | cut -f1) MiB"
export RESEARCH_TORCH_NATIVE=$shim
export RESEARCH_CACHE=${RESEARCH_CACHE:-$root/artifacts/gpu/cache}
export DOTNET_CLI_TELEMETRY_OPTOUT=1

say ""
say "## 2. libtorch as the runner sees it"
info=$(timeout 60 "$runner" info 2>&1) || fail "the runner could not load the shim: $info"
say "- $(echo "$info" | head -1)"
if [[ "$mode" == gpu ]] && ! echo "$info" | head -1 | grep -qE 'CUDA devices: [1-9]'; then
  fail "libtorch sees no CUDA device"
fi

say ""
say "## 3. CUDA tests (Research.Torch.Tests, [CudaFact])"
timeout 120 "$runner" tests > "$out/tests.log" 2>&1
tests_rc=$?
say "- $(tail -1 "$out/tests.log")"
grep -E '^(FAIL|SKIP)' "$out/tests.log" | head -20 | sed 's/^/  - /' >> "$report"
if [[ "$mode" == gpu && $tests_rc != 0 ]]; then fail "CUDA tests (tests.log)"; fi
if [[ "$mode" == cpu ]] && ! grep -qE '^CUDA tests: 0 passed, 0 failed, [1-9][0-9]* skipped' "$out/tests.log"; then
  fail "without a GPU every CUDA test should be skipped (tests.log)"
fi

experiment=${GPU_CHECK_RUN:-fno}
say ""
say "## 4. \`$experiment\` end to end at smoke scale on $device"
t0=$(date +%s)
if timeout 120 "$runner" run "$experiment" --scale smoke --device "$device" --runs "$root/artifacts/gpu/runs" > "$out/run.log" 2>&1; then
  say "- $(( $(date +%s) - t0 )) s"
  grep -E 'claim|CUDA memory' "$out/run.log" | sed 's/^/  - /' >> "$report"
else
  fail "the $experiment run failed (run.log)"
  tail -20 "$out/run.log" >> "$report"
fi

# ---- 3. timed steps ----
only=${GPU_CHECK_ONLY:-wavenet,gla,fno}
say ""
say "## 5. Training steps at $scale scale ($only)"
: > "$out/steps.tsv"
if [[ "$mode" == gpu ]]; then
  timeout 120 "$runner" steps --device cuda --scale "$scale" --steps "$steps" --warmup 3 --only "$only" >> "$out/steps.tsv" 2>> "$out/run.log" \
    || fail "CUDA steps (run.log)"
fi
timeout 150 "$runner" steps --device cpu --scale "$scale" --steps "$cpu_steps" --warmup 1 --only "$only" >> "$out/steps.tsv" 2>> "$out/run.log" \
  || fail "CPU steps (run.log)"
python=${python:-python3}
"$python" - "$out/steps.tsv" >> "$report" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip() and not l.startswith("workload")]
by = {}
for r in rows:
    by.setdefault(r[0], {})[r[1].split(":")[0]] = r
print("\n| workload | kind | parameters | shape | device | steps | ms/step | throughput | peak allocated / reserved (MiB) | CPU ÷ CUDA |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name, devices in by.items():
    for dev, r in devices.items():
        ratio = ""
        if dev == "cuda" and "cpu" in devices:
            ratio = f"{float(devices['cpu'][4]) / float(r[4]):.1f}×"
        mem = f"{r[12]} / {r[13]}" if r[12] else ""
        print(f"| {name} | {r[11]} | {r[9]} | {r[10]} | {r[1]} | {r[3]} | {r[4]} | {r[5]} {r[6]}/s | {mem} | {ratio} |")
PY

say ""
say "Total: $(elapsed) s, $( [[ $status == 0 ]] && echo 'all checks passed' || echo 'some checks FAILED' )."
exit $status
