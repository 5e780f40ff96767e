#!/usr/bin/env bash
# Builds the dashboard (ui/) into static files that the service serves at /ui:
#   ui/ --(npm ci, tsc --noEmit, vite build)--> src/Visage.Server/wwwroot/ui/
# Does nothing when the output is newer than every source. Nothing is fetched at run time: the
# npm packages are only build tools and bundled code. --force rebuilds anyway; --quiet says nothing
# when there is nothing to do (for ./visage, which calls it on every start).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UI="$ROOT/ui"
OUT="$ROOT/src/Visage.Server/wwwroot/ui"
STAMP="$OUT/index.html"
FORCE=0; QUIET=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    --quiet) QUIET=1 ;;
    *) echo "usage: scripts/build-ui.sh [--force] [--quiet]" >&2; exit 2 ;;
  esac
done
say() { echo "build-ui: $*" >&2; }

sources_changed() {
  [ ! -f "$STAMP" ] && return 0
  [ -n "$(find "$UI" -path "$UI/node_modules" -prune -o -type f -newer "$STAMP" -print -quit)" ]
}
up_to_date() {
  [ "$FORCE" = 0 ] && ! sources_changed && { [ "$QUIET" = 1 ] || say "up to date (${OUT#"$ROOT/"})"; }
}
up_to_date && exit 0

# Several builds and test runs share this tree: one UI build at a time, and the next one finds it done.
mkdir -p "$ROOT/.cache"
exec 9>"$ROOT/.cache/build-ui.lock"
flock 9
up_to_date && exit 0

command -v node >/dev/null && command -v npm >/dev/null \
  || { say "error: Node.js and npm are needed to build the dashboard (Debian: apt-get install nodejs npm)"; exit 1; }

cd "$UI"
# npm ci wipes node_modules; only pay for it when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing build tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error || { say "error: npm ci failed (is the npm registry reachable?)"; exit 1; }
fi
say "type-checking"
npx --no-install tsc --noEmit || { say "error: type errors in ui/src"; exit 1; }
say "building into ${OUT#"$ROOT/"}"
# Built aside and swapped in, so a running service never serves a half-written dashboard.
NEXT="$ROOT/.cache/ui-build.$$"
OLD="$ROOT/.cache/ui-old.$$"
trap 'rm -rf "$NEXT" "$OLD"' EXIT
npx --no-install vite build --logLevel warn --outDir "$NEXT" --emptyOutDir || { say "error: vite build failed"; exit 1; }
mkdir -p "$(dirname "$OUT")"
[ -d "$OUT" ] && mv "$OUT" "$OLD"
mv "$NEXT" "$OUT"
touch "$STAMP"
