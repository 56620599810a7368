#!/usr/bin/env bash
# The main job: sets up, shows Research.Torch training a small model, executes the notebooks (every paper
# reproduction) through the C# kernel, and writes the gallery of results.
#   environment/run.sh                     the flagships (notebooks/flagships.txt, one per family) at cpu scale, every
#                                          other notebook at smoke scale, in parallel: about 15 minutes on 2 cores
#   environment/run.sh --all               every notebook at cpu scale (RESEARCH_SCALE overrides: smoke, cpu, gpu)
#   environment/run.sh sequence notebooks/kan/kan.ipynb
#                                          selected families (folders of notebooks/) or notebooks, at cpu scale
# Executed notebooks and HTML reports go to artifacts/notebooks/, run directories (with each claim's record,
# claim.json) to artifacts/runs/, and the gallery to artifacts/notebooks/index.html.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash environment/setup.sh
dotnet run --project src/Research.Demo -c Release --no-build

export RESEARCH_RUNS="${RESEARCH_RUNS:-$root/artifacts/runs}"
selected=()
status=0
if (($# == 0)); then
  RESEARCH_SCALE="${RESEARCH_SCALE:-smoke}" NOTEBOOKS_CPU_LIST="$root/notebooks/flagships.txt" bash environment/notebooks.sh || status=$?
elif [[ "$1" == "--all" ]]; then
  RESEARCH_SCALE="${RESEARCH_SCALE:-cpu}" bash environment/notebooks.sh || status=$?
else
  for arg in "$@"; do
    if [[ -f "$arg" ]]; then selected+=("$arg")
    elif [[ -d "notebooks/$arg" ]]; then mapfile -t -O "${#selected[@]}" selected < <(find "notebooks/$arg" -name '*.ipynb' | sort)
    else echo "run.sh: '$arg' is neither a notebook nor a family (folders: $(ls notebooks | tr '\n' ' '))" >&2; exit 2
    fi
  done
  RESEARCH_SCALE="${RESEARCH_SCALE:-cpu}" bash environment/notebooks.sh "${selected[@]}" || status=$?
fi
# The gallery shows failed notebooks too, so it is written whatever happened above.
dotnet src/Research.Cli/bin/Release/net10.0/research.dll gallery --runs "$RESEARCH_RUNS"
exit "$status"
