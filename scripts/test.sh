#!/usr/bin/env bash
# Runs every test of the solution against the real models, real SQLite files, a real PostgreSQL
# server (started by the tests themselves on loopback) and real HTTP. Ends with one line
# "tests: N passed, N failed" and exits non-zero when any test failed or none ran.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/setup.sh" --test
[ -x "$ROOT/scripts/build-ui.sh" ] && "$ROOT/scripts/build-ui.sh"

RESULTS="$ROOT/artifacts/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
echo "test: building" >&2
dotnet build Visage.slnx -c Release -nologo -v q
status=0
dotnet test Visage.slnx -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$RESULTS" "$@" || status=$?

passed=0; failed=0
for f in "$RESULTS"/*.trx; do
  [ -f "$f" ] || continue
  c=$(grep -o '<Counters [^>]*>' "$f" | head -n1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$c"); passed=$((passed + ${p:-0}))
  x=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$c"); failed=$((failed + ${x:-0}))
done
echo "tests: $passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then exit 1; fi
