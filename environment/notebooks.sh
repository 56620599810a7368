#!/usr/bin/env bash
# Executes notebooks headless with the `research-csharp` kernel and writes executed copies and HTML reports:
#   environment/notebooks.sh                      every notebooks/**/*.ipynb
#   environment/notebooks.sh notebooks/sequence/mingru.ipynb ...
# Output: artifacts/notebooks/<family>/<id>.ipynb and .html (family = the notebook's folder name;
# NOTEBOOKS_OUT overrides artifacts/notebooks). Parameters reach notebooks through the environment:
#   RESEARCH_SCALE=smoke|cpu|gpu (default smoke here, as in CI)   RESEARCH_DEVICE (default cpu)
#   NOTEBOOK_TIMEOUT seconds per cell (default 1800)   NOTEBOOK_JOBS notebooks at a time (default: the core count;
#   each runs its small models on one thread, see ThreadLimit)   NOTEBOOKS_CPU_LIST a file of notebooks to run at cpu
#   scale whatever RESEARCH_SCALE says (environment/run.sh's flagships)
# Exits non-zero if any notebook fails, naming the notebook, the cell and the error.
# Uses Debian's nbclient/nbconvert through /usr/bin/python3 (environment/run_notebooks.py), not whatever python3 is
# first on PATH; per-notebook times go to <out>/times.json.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export RESEARCH_SCALE="${RESEARCH_SCALE:-smoke}"
export RESEARCH_DEVICE="${RESEARCH_DEVICE:-cpu}"
export RESEARCH_RUNS="${RESEARCH_RUNS:-$root/artifacts/runs}"   # run directories of experiments the notebooks run
python=/usr/bin/python3
out_root="${NOTEBOOKS_OUT:-$root/artifacts/notebooks}"
timeout="${NOTEBOOK_TIMEOUT:-1800}"
jobs="${NOTEBOOK_JOBS:-$(nproc)}"

# This checkout's kernel, not whichever build the user-wide kernelspec points at (several checkouts or worktrees
# can run notebooks side by side): a kernelspec under artifacts/jupyter, found before the user-wide one. A JUPYTER_PATH
# the caller set (e.g. a test's kernel under test) still comes first.
kernel_data="$root/artifacts/jupyter"
JUPYTER_DATA_DIR="$kernel_data" bash "$root/environment/kernel-install.sh" >/dev/null
export JUPYTER_PATH="${JUPYTER_PATH:+$JUPYTER_PATH:}$kernel_data"

if (($#)); then
  notebooks=("$@")
else
  mapfile -t notebooks < <(find notebooks -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
fi
if ((${#notebooks[@]} == 0)); then echo "notebooks: nothing to run"; exit 0; fi

mkdir -p "$out_root"
exec "$python" "$root/environment/run_notebooks.py" --out "$out_root" --timeout "$timeout" --jobs "$jobs" \
  ${NOTEBOOKS_CPU_LIST:+--cpu-list "$NOTEBOOKS_CPU_LIST"} "${notebooks[@]}"
