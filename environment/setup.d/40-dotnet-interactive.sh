#!/usr/bin/env bash
# .NET Interactive's Jupyter kernel `.net-csharp`, for the test that loads the Research.Interactive package there
# (tests/Research.Interactive.Tests/DotNetInteractiveTests.cs). Nothing is installed user-wide:
#   artifacts/dotnet-interactive/tool                        the dotnet tool Microsoft.dotnet-interactive (--tool-path)
#   artifacts/dotnet-interactive/jupyter/kernels/.net-csharp  its kernelspec; put the jupyter folder on JUPYTER_PATH
# The kernel's HTTP server listens on loopback only (--http-local-only; without it, it binds every interface).
# Idempotent: the tool is installed only when that version is missing; the kernelspec is rewritten (cheap).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version=1.0.712001
home="$root/artifacts/dotnet-interactive"
tool="$home/tool"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# A failed install does not fail setup: the reason goes to install-error.txt and that one test reports it as its skip
# reason (everything else here works without .NET Interactive).
error_file="$home/install-error.txt"
if [[ ! -x "$tool/dotnet-interactive" || ! -d "$tool/.store/microsoft.dotnet-interactive/$version" ]]; then
  mkdir -p "$home"
  dotnet tool uninstall --tool-path "$tool" Microsoft.dotnet-interactive >/dev/null 2>&1 || true
  if ! out="$(dotnet tool install --tool-path "$tool" Microsoft.dotnet-interactive --version "$version" 2>&1)"; then
    printf 'dotnet tool install Microsoft.dotnet-interactive %s failed:\n%s\n' "$version" "$out" > "$error_file"
    echo "dotnet-interactive: WARNING: install failed (see $error_file); the .NET Interactive test will be skipped" >&2
    exit 0
  fi
fi
rm -f "$error_file"

spec="$home/jupyter/kernels/.net-csharp"
mkdir -p "$spec"
/usr/bin/python3 - "$spec/kernel.json" "$tool/dotnet-interactive" <<'PY'
import json, os, random, sys
path, exe = sys.argv[1:3]
# The kernel takes the first port of its range it finds free, so two kernels starting at the same moment (two test
# suites on one machine) race for the same port and one fails with "address already in use" (seen for 2048). Each
# written kernelspec starts its range at a random port instead.
start = random.SystemRandom().randrange(2048, 2900)
spec = {
    "argv": [exe, "jupyter", "--default-kernel", "csharp", "--http-local-only", "--http-port-range", f"{start}-3000",
             "{connection_file}"],
    "display_name": ".NET (C#)",
    "language": "C#",
    "env": {"DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_CLI_TELEMETRY_OPTOUT": "1"},
}
tmp = f"{path}.{os.getpid()}.tmp"
with open(tmp, "w") as f:
    json.dump(spec, f, indent=2)
    f.write("\n")
os.replace(tmp, path)
PY
echo "dotnet-interactive: $version in $tool; kernelspec .net-csharp in $home/jupyter"
