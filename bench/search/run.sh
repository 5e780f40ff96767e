#!/usr/bin/env bash
# Search benchmark: .NET ExactIndex/QuantizedIndex, then FAISS IndexFlatIP and IndexHNSWFlat on the same
# vectors and queries, then one summary table, the ratios and a plot. Prints numbers; not a pass/fail test.
#   bench/search/run.sh              100,000 and 1,000,000 vectors (tens of minutes on 2 cores, ~6 GB)
#   bench/search/run.sh --quick      100,000 only
#   bench/search/run.sh --publish    also copy the plot to docs/notes/search-bench.svg
# Other arguments go to the .NET bench (--queries N, --sizes a,b, --no-real). HNSW indexes are cached in
# ${VISAGE_BENCH_CACHE:-~/.cache/visage-bench}/faiss/ and built when missing up to HNSW_MAX vectors (default
# 200,000; the 1M build takes ~100 CPU-minutes with Debian's generic FAISS). Real embeddings of the developer
# photos are cached beside them (real-embeddings/), keyed by the models and the photo list.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${VISAGE_BENCH_WORK:-${TMPDIR:-/tmp}/visage-bench-search}"
bin="$work/bin"
faces="${VISAGE_TESTDATA:-$repo/../shared/testdata/faces}"

publish=0
args=()
for a in "$@"; do
  if [ "$a" = --publish ]; then publish=1; else args+=("$a"); fi
done
# The photos are optional: without them the real-embedding cases are skipped.
if [ -d "$faces/verify" ]; then args+=(--faces "$(cd "$faces" && pwd)"); else echo "run.sh: no photos at $faces, real cases skipped" >&2; fi

# Debian's own python3 carries the apt-installed modules (a pyenv python on PATH would not).
PY=/usr/bin/python3
# OpenBLAS: with Debian's default reference BLAS, FAISS's batched search (one sgemm) would be unfairly slow.
if ! "$PY" -c 'import faiss, numpy, matplotlib' 2>/dev/null || [ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then
  echo "run.sh: installing python3-faiss, OpenBLAS and matplotlib with apt" >&2
  apt_get() { if [ "$(id -u)" = 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
  apt_get install -y python3-faiss python3-numpy python3-matplotlib libopenblas0-pthread >&2
fi

mkdir -p "$work"
cat /proc/loadavg > "$work/load-start"
# A configuration of its own ("Bench", optimised) so this never touches the Release output ./visage builds.
dotnet build "$here/Visage.Bench.Search/Visage.Bench.Search.csproj" -c Bench -p:Optimize=true -o "$bin" -v quiet -nologo >&2
dotnet "$bin/Visage.Bench.Search.dll" --work "$work" "${args[@]}"
"$PY" "$here/faiss_bench.py" "$work" --hnsw-max "${HNSW_MAX:-200000}"
echo
if [ "$publish" = 1 ]; then "$PY" "$here/summary.py" "$work" --publish "$repo/docs/notes"; else "$PY" "$here/summary.py" "$work"; fi
# The vector files are large (2 GB per 1M case); the JSON results, summary and plot stay.
rm -f "$work"/*.f32 "$work"/*.i64
