#!/usr/bin/env bash
# Executes notebooks headless with the `research-csharp` kernel and writes executed copies and HTML reports:
#   environment/notebooks.sh                      every notebooks/**/*.ipynb
#   environment/notebooks.sh notebooks/sequence/mingru.ipynb ...
# Output: artifacts/notebooks/<family>/<id>.ipynb and .html (family = the notebook's folder name;
# NOTEBOOKS_OUT overrides artifacts/notebooks). Parameters reach notebooks through the environment:
#   RESEARCH_SCALE=smoke|cpu|gpu (default smoke here, as in CI)   RESEARCH_DEVICE (default cpu)
#   NOTEBOOK_TIMEOUT seconds per cell (default 1800)
# Exits non-zero if any notebook fails, naming the notebook, the cell and the error.
# Uses Debian's /usr/bin/jupyter (nbconvert/nbclient), not whatever python3 is first on PATH.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export RESEARCH_SCALE="${RESEARCH_SCALE:-smoke}"
export RESEARCH_DEVICE="${RESEARCH_DEVICE:-cpu}"
export RESEARCH_RUNS="${RESEARCH_RUNS:-$root/artifacts/runs}"   # run directories of experiments the notebooks run
jupyter=/usr/bin/jupyter
python=/usr/bin/python3
out_root="${NOTEBOOKS_OUT:-$root/artifacts/notebooks}"
timeout="${NOTEBOOK_TIMEOUT:-1800}"

# This checkout's kernel, not whichever build the user-wide kernelspec points at (several checkouts or worktrees
# can run notebooks side by side): a kernelspec under artifacts/jupyter that JUPYTER_PATH puts first.
kernel_data="$root/artifacts/jupyter"
JUPYTER_DATA_DIR="$kernel_data" bash "$root/environment/kernel-install.sh" >/dev/null
export JUPYTER_PATH="$kernel_data${JUPYTER_PATH:+:$JUPYTER_PATH}"

if (($#)); then
  notebooks=("$@")
else
  mapfile -t notebooks < <(find notebooks -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
fi
if ((${#notebooks[@]} == 0)); then echo "notebooks: nothing to run"; exit 0; fi

failed=()
for nb in "${notebooks[@]}"; do
  if [[ ! -f "$nb" ]]; then echo "notebooks: FAILED $nb: no such file" >&2; failed+=("$nb"); continue; fi
  nb_abs="$(readlink -f "$nb")"
  family="$(basename "$(dirname "$nb_abs")")"
  id="$(basename "$nb_abs" .ipynb)"
  dest="$out_root/$family"
  mkdir -p "$dest"
  log="$dest/$id.log"
  t0=$SECONDS
  echo "notebooks: $nb (scale=$RESEARCH_SCALE device=$RESEARCH_DEVICE)"
  if "$jupyter" nbconvert --execute --to notebook \
      --ExecutePreprocessor.kernel_name=research-csharp \
      --ExecutePreprocessor.timeout="$timeout" \
      --output-dir "$dest" --output "$id.ipynb" "$nb_abs" >"$log" 2>&1; then
    "$jupyter" nbconvert --to html --embed-images --output-dir "$dest" --output "$id.html" "$dest/$id.ipynb" >>"$log" 2>&1 \
      || echo "notebooks: warning: HTML report for $nb failed (see $log)" >&2
    echo "notebooks: ok $nb -> $dest/$id.ipynb, .html ($((SECONDS - t0)) s)"
  else
    failed+=("$nb")
    # Name the failing cell: nbclient's CellExecutionError quotes the cell source; find it in the notebook.
    "$python" - "$nb_abs" "$log" <<'PY' >&2
import json, re, sys
nb_path, log_path = sys.argv[1], sys.argv[2]
log = open(log_path, errors="replace").read()
m = re.search(r"An error occurred while executing the following cell:\n-+\n(.*?)\n-+\n\n(.*)", log, re.S)
if not m:
    print(f"notebooks: FAILED {nb_path}\n" + "\n".join(log.splitlines()[-30:]))
    sys.exit()
source, rest = m.group(1), m.group(2)
cells = json.load(open(nb_path))["cells"]
index = next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"
              and "".join(c.get("source", [])).strip() == source.strip()), None)
code_no = None if index is None else sum(1 for c in cells[:index + 1] if c.get("cell_type") == "code")
where = "unknown cell" if index is None else f"cell {index} (code cell {code_no})"
error = "\n".join(l for l in rest.strip().splitlines() if not l.startswith("Traceback") and "nbclient" not in l)
print(f"notebooks: FAILED {nb_path}, {where}:\n{source}\n----\n{error.strip()}")
PY
  fi
done

if ((${#failed[@]})); then
  echo "notebooks: ${#failed[@]} of ${#notebooks[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "notebooks: all ${#notebooks[@]} passed"
