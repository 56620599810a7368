#!/usr/bin/env bash
# Sets up everything Research needs on Debian 12 with the .NET 10 SDK. Idempotent: safe to rerun.
#   environment/setup.sh            install packages and build
#   SKIP_APT=1 environment/setup.sh build only (packages already present)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ "${SKIP_APT:-0}" != 1 ]]; then
  mapfile -t wanted < <(grep -v '^\s*#' environment/apt-packages.txt | grep -v '^\s*$')
  missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# Component steps (npm packages, kernelspec, ...) in order.
for step in environment/setup.d/*.sh; do
  [[ -e "$step" ]] || continue
  echo "setup: $(basename "$step")"
  bash "$step"
done

echo "setup: dotnet build"
dotnet build Research.sln -c Release -nologo -v q -clp:ErrorsOnly
