#!/usr/bin/env bash
# Runs every test: sets up the machine (packages, build), then the xunit suites, then every notebook
# at smoke scale through the real kernel and Jupyter. Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash environment/setup.sh || { echo "tests: setup failed"; exit 1; }
mkdir -p artifacts/test

dotnet test Research.sln -c Release --no-build -nologo --filter "Category!=AfterNotebooks" \
  --logger "console;verbosity=normal" --results-directory artifacts/test 2>&1 | tee artifacts/test/dotnet-test.log
dotnet_status=${PIPESTATUS[0]}

# The prepared GPU check in its CPU mode: the runner published self-contained (as a GPU machine gets it), the shim
# rebuilt by CMake (up to date after the build), the CUDA tests reported as skipped, one experiment and the timed steps
# of three reproductions on the CPU, the report written. On a GPU machine the same script runs without --cpu.
{ bash tools/gpu/publish.sh && OUT="$root/artifacts/test/gpu-check" bash tools/gpu/check.sh --cpu; } 2>&1 | tee artifacts/test/gpu-check.log
gpu_check_status=${PIPESTATUS[0]}

# Notebooks at smoke scale (into artifacts/test, so a cpu-scale run in artifacts/notebooks is kept), then the gallery of
# their results and the test that opens it in Chromium with the network cut.
export NOTEBOOKS_OUT="$root/artifacts/test/notebooks" RESEARCH_RUNS="$root/artifacts/test/runs"
rm -rf "$NOTEBOOKS_OUT" "$RESEARCH_RUNS"
RESEARCH_SCALE=smoke bash environment/notebooks.sh 2>&1 | tee artifacts/test/notebooks.log
notebooks_status=${PIPESTATUS[0]}
dotnet src/Research.Cli/bin/Release/net10.0/research.dll gallery --notebooks "$NOTEBOOKS_OUT" 2>&1 | tee -a artifacts/test/notebooks.log
gallery_status=${PIPESTATUS[0]}
dotnet test tests/Research.Interactive.Tests/Research.Interactive.Tests.csproj -c Release --no-build -nologo \
  --filter "Category=AfterNotebooks" --logger "console;verbosity=normal" --results-directory artifacts/test 2>&1 \
  | tee -a artifacts/test/dotnet-test.log
dotnet_status=$((dotnet_status || PIPESTATUS[0] || gallery_status || gpu_check_status))

/usr/bin/python3 - artifacts/test/dotnet-test.log artifacts/test/notebooks.log "$gpu_check_status" <<'PY'
import re, sys
# The console logger ends each test project with "Total tests: N" then "Passed: N", "Failed: N", "Skipped: N" lines.
totals = {"Passed": 0, "Failed": 0, "Skipped": 0}
in_summary = False
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("Total tests:"):
        in_summary = True
        continue
    m = re.match(r"\s+(Passed|Failed|Skipped):\s+(\d+)\s*$", line)
    if in_summary and m:
        totals[m.group(1)] += int(m.group(2))
    elif in_summary and not line.strip().startswith("Total time"):
        in_summary = False
nb_ok = nb_failed = 0
for line in open(sys.argv[2], errors="replace"):
    nb_ok += line.startswith("notebooks: ok ")
    nb_failed += line.startswith("notebooks: FAILED ")
gpu_ok = int(sys.argv[3] == "0")
p, f, s = totals["Passed"], totals["Failed"], totals["Skipped"]
print(f"xunit: {p} passed, {f} failed, {s} skipped")
print(f"notebooks: {nb_ok} passed, {nb_failed} failed")
print(f"gpu check --cpu: {'passed' if gpu_ok else 'failed'}")
print(f"tests: {p + nb_ok + gpu_ok} passed, {f + nb_failed + 1 - gpu_ok} failed, {s} skipped")
PY
((dotnet_status == 0 && notebooks_status == 0))
