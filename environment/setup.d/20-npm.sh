#!/usr/bin/env bash
# npm packages for the notebook extension (plotly.js), pinned by environment/npm/package-lock.json.
# Reinstalls only when the lock file changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root/environment/npm"
stamp=node_modules/.package-lock.json
if [[ ! -f node_modules/plotly.js-dist-min/plotly.min.js || package-lock.json -nt "$stamp" ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
test -f node_modules/plotly.js-dist-min/plotly.min.js
