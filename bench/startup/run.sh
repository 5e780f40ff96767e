#!/usr/bin/env bash
# Start-up benchmark: a real `visage serve` on a store holding N faces in one collection (SQLite and PostgreSQL).
# Prints fill time, store size, seconds to /readyz 200, CPU time, RSS and index memory, identify p50/p95 over HTTP with
# real photos, and an enroll + delete while serving. Numbers only, no pass/fail.
#   bench/startup/run.sh                                   100,000 on both stores
#   bench/startup/run.sh --sizes 1000000 --stores sqlite   1M on SQLite (the fill takes minutes once; cached after)
# The filled SQLite stores are kept in $VISAGE_BENCH_WORK (default /tmp/visage-bench-startup); delete it to refill.
# PostgreSQL is a throw-away server (tests/Visage.Testing/Postgres/PostgresServer.cs) filled on every run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${VISAGE_BENCH_WORK:-${TMPDIR:-/tmp}/visage-bench-startup}"
mkdir -p "$work"

if [[ " $* " == *postgres* || " $* " != *--stores* ]] && [ ! -x /usr/lib/postgresql/15/bin/postgres ]; then
  echo "run.sh: installing postgresql-15 with apt" >&2
  apt_get() { if [ "$(id -u)" = 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
  apt_get install -y postgresql-15 >&2
fi
"$root/scripts/setup.sh" --quiet   # ONNX Runtime and the models the service loads

# A configuration of its own ("Bench", optimised) so this never touches the Release output ./visage builds.
# VISAGE_CLI=path/visage.dll measures another build (e.g. a worktree of an older commit, for before/after figures).
cli="${VISAGE_CLI:-$root/src/Visage.Cli/bin/Bench/net10.0/visage.dll}"
[ -n "${VISAGE_CLI:-}" ] || dotnet build "$root/src/Visage.Cli/Visage.Cli.csproj" -c Bench -p:Optimize=true -v quiet -nologo >&2
dotnet build "$here/Visage.Bench.Startup/Visage.Bench.Startup.csproj" -c Bench -p:Optimize=true -v quiet -nologo >&2

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$here/Visage.Bench.Startup/bin/Bench/net10.0/Visage.Bench.Startup.dll" --work "$work" --cli "$cli" "$@"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
