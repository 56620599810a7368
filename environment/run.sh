#!/usr/bin/env bash
# The main job: sets up, shows Research.Torch training a small model, then executes the notebooks
# (every paper reproduction) through the C# kernel and writes executed notebooks + HTML reports to
# artifacts/notebooks/.
#   environment/run.sh                                  all notebooks at cpu scale (minutes each)
#   RESEARCH_SCALE=smoke environment/run.sh             seconds each (what CI runs)
#   environment/run.sh notebooks/sequence/mingru.ipynb  selected notebooks
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash environment/setup.sh
dotnet run --project src/Research.Demo -c Release --no-build
RESEARCH_SCALE="${RESEARCH_SCALE:-cpu}" bash environment/notebooks.sh "$@"
