#!/usr/bin/env bash
# Runs every test: sets up the machine (packages, build), then the xunit suites and the notebooks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash environment/setup.sh
mkdir -p artifacts/test
dotnet test Research.sln -c Release --no-build -nologo \
  --logger "console;verbosity=normal" --results-directory artifacts/test 2>&1 | tee artifacts/test/dotnet-test.log
status=${PIPESTATUS[0]}
# One closing line for the whole suite: "N passed, N failed, N skipped".
python3 - artifacts/test/dotnet-test.log <<'PY' || true
import re, sys
p = f = s = 0
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"(Passed|Failed)!\s+-\s+Failed:\s+(\d+), Passed:\s+(\d+), Skipped:\s+(\d+)", line)
    if m:
        f += int(m.group(2)); p += int(m.group(3)); s += int(m.group(4))
print(f"dotnet: {p} passed, {f} failed, {s} skipped")
PY
exit "$status"
