#!/usr/bin/env bash
# Load test on loopback (prints numbers; exit 1 on any 5xx, timeout or inconsistency).
#   bench/load/run.sh                      3 minutes, 16 clients, service in-process
#   bench/load/run.sh --seconds 20         a short run
#   bench/load/run.sh --url URL --key KEY  against a running service (RSS read from its /metrics)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${VISAGE_BENCH_WORK:-${TMPDIR:-/tmp}/visage-bench-load}/bin"
# A configuration of its own ("Bench", optimised) so this never touches the Release output ./visage builds.
dotnet build "$here/Visage.Bench.Load.csproj" -c Bench -p:Optimize=true -o "$bin" -v quiet -nologo >&2
# The binaries live outside the repository, so the photos are located from here.
export VISAGE_TESTDATA="${VISAGE_TESTDATA:-$(cd "$here/../../.." && pwd)/shared/testdata/faces}"
exec dotnet "$bin/Visage.Bench.Load.dll" "$@"
