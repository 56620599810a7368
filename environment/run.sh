#!/usr/bin/env bash
# The main job: sets up, then trains a small model with Research.Torch and prints its loss falling.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash environment/setup.sh
dotnet run --project src/Research.Demo -c Release --no-build -- "$@"
