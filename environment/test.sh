#!/usr/bin/env bash
# Runs every test: sets up the machine (packages, build), then the xunit suites, then every notebook
# at smoke scale through the real kernel and Jupyter. Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash environment/setup.sh || { echo "tests: setup failed"; exit 1; }
mkdir -p artifacts/test

dotnet test Research.sln -c Release --no-build -nologo \
  --logger "console;verbosity=normal" --results-directory artifacts/test 2>&1 | tee artifacts/test/dotnet-test.log
dotnet_status=${PIPESTATUS[0]}

RESEARCH_SCALE=smoke bash environment/notebooks.sh 2>&1 | tee artifacts/test/notebooks.log
notebooks_status=${PIPESTATUS[0]}

/usr/bin/python3 - artifacts/test/dotnet-test.log artifacts/test/notebooks.log <<'PY'
import re, sys
p = f = s = 0
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"(Passed|Failed)!\s+-\s+Failed:\s+(\d+), Passed:\s+(\d+), Skipped:\s+(\d+)", line)
    if m:
        f += int(m.group(2)); p += int(m.group(3)); s += int(m.group(4))
nb_ok = nb_failed = 0
for line in open(sys.argv[2], errors="replace"):
    nb_ok += line.startswith("notebooks: ok ")
    nb_failed += line.startswith("notebooks: FAILED ")
print(f"xunit: {p} passed, {f} failed, {s} skipped")
print(f"notebooks: {nb_ok} passed, {nb_failed} failed")
print(f"tests: {p + nb_ok} passed, {f + nb_failed} failed, {s} skipped")
PY
((dotnet_status == 0 && notebooks_status == 0))
