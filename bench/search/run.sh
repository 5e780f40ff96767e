#!/usr/bin/env bash
# Search benchmark: .NET ExactIndex/QuantizedIndex, then FAISS IndexFlatIP and IndexHNSWFlat on the same
# vectors and queries. Prints numbers; not a pass/fail test.
#   bench/search/run.sh            100,000 and 1,000,000 vectors (a few minutes on 2 cores)
#   bench/search/run.sh --quick    100,000 only
# Extra arguments go to the .NET bench (--queries N, --sizes a,b). Set HNSW_MAX to build HNSW at 1M too.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${VISAGE_BENCH_WORK:-${TMPDIR:-/tmp}/visage-bench-search}"
bin="$work/bin"

# Debian's own python3 carries the apt-installed faiss module (a pyenv python on PATH would not).
PY=/usr/bin/python3
# OpenBLAS: with Debian's default reference BLAS, FAISS's batched search (one sgemm) would be unfairly slow.
if ! "$PY" -c 'import faiss, numpy' 2>/dev/null || [ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]; then
  echo "run.sh: installing python3-faiss and OpenBLAS with apt" >&2
  apt_get() { if [ "$(id -u)" = 0 ]; then apt-get "$@"; else sudo apt-get "$@"; fi; }
  apt_get install -y python3-faiss python3-numpy libopenblas0-pthread >&2
fi

# A configuration of its own ("Bench", optimised) so this never touches the Release output ./visage builds.
dotnet build "$here/Visage.Bench.Search/Visage.Bench.Search.csproj" -c Bench -p:Optimize=true -o "$bin" -v quiet -nologo >&2
mkdir -p "$work"
dotnet "$bin/Visage.Bench.Search.dll" --work "$work" "$@"
"$PY" "$here/faiss_bench.py" "$work" --hnsw-max "${HNSW_MAX:-200000}"
# The vector files are large (2 GB per 1M case); the JSON results stay.
rm -f "$work"/*.f32 "$work"/*.i64
