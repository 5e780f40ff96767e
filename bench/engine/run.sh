#!/usr/bin/env bash
# Engine speed and accuracy for the record: `visage bench` on a 640x480 photo, then `visage eval` on the
# developer face set (verify/ + liveness/). Prints Markdown; the 1-minute load average is printed with each
# run because the figures are only as good as the idle cores behind them.
#   bench/engine/run.sh [SECONDS_PER_PHASE]      (default 20)
#   VISAGE_TESTDATA=/path/to/faces bench/engine/run.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER_PHASE="${1:-20}"
FACES="${VISAGE_TESTDATA:-$ROOT/../shared/testdata/faces}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

load() { cut -d' ' -f1 /proc/loadavg; }
echo "# visage bench + eval — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, commit $(git -C "$ROOT" rev-parse --short HEAD)"
echo
echo "## bench (load average before: $(load))"
echo '```'
"$ROOT/visage" bench --seconds "$SECONDS_PER_PHASE"
echo '```'
echo "load average after: $(load)"
echo
echo "## eval verify/ + liveness/ (load average before: $(load))"
echo '```'
"$ROOT/visage" eval "$FACES/verify" --liveness "$FACES/liveness" --roc-out "$OUT/roc.svg"
echo '```'
echo "load average after: $(load)"
