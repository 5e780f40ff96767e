#!/usr/bin/python3
"""FAISS baselines on the vectors and queries the .NET search bench wrote (WORK/dotnet.json):
IndexFlatIP (exact, the reference for speed) and IndexHNSWFlat M=32 (approximate graph), timed one query at
a time and batched, on one and two threads, with recall against the .NET exact answers; prints .NET/FAISS
ratios and writes WORK/faiss.json.
HNSW indexes are cached in ${VISAGE_BENCH_CACHE:-~/.cache/visage-bench}/faiss/hnsw-M32-<key>.{index,json},
<key> = first 16 hex digits of the SHA-256 of the data file: Debian's FAISS is a generic (non-AVX2) build and
an HNSW build takes CPU-minutes per 100k vectors.
Usage: faiss_bench.py WORK [--hnsw-max N]   (an HNSW index not in the cache is built only up to N vectors)"""
import ctypes, hashlib, json, os, sys, time
import numpy as np
import faiss

K = 10
M = 32
EF_CONSTRUCTION = 40  # FAISS's default for IndexHNSWFlat; recorded in the cache's JSON
EF_SEARCH = (64, 128, 256)


def set_threads(n):
    """FAISS's OpenMP threads, and OpenBLAS's own pool (batched flat search is one sgemm)."""
    faiss.omp_set_num_threads(n)
    try:
        ctypes.CDLL("libopenblas.so.0").openblas_set_num_threads(n)
    except (OSError, AttributeError):
        pass  # reference BLAS: single-threaded anyway


def blas_name():
    try:
        get_config = ctypes.CDLL("libopenblas.so.0").openblas_get_config
        get_config.restype = ctypes.c_char_p
        return get_config().decode()
    except (OSError, AttributeError):
        return "reference BLAS (slow sgemm: install libopenblas0-pthread)"


def timed_single(index, queries, threads):
    """One query per call, as a service answers requests: q/s, p50 ms, p95 ms, CPU ms per query
    (process CPU time, which shows the cost without the waits on a machine shared with other jobs)."""
    set_threads(threads)
    index.search(queries[:1], K)
    lat = []
    cpu = time.process_time()
    start = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        index.search(q[None, :], K)
        lat.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - start
    cpu_ms = (time.process_time() - cpu) * 1000 / len(queries)
    lat.sort()
    return len(queries) / total, lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.95))], cpu_ms


def timed_batch(index, queries, threads):
    """All queries in one call (flat: BLAS matrix products; HNSW: queries spread over the threads): q/s and the answers."""
    set_threads(threads)
    start = time.perf_counter()
    _, ids = index.search(queries, K)
    return len(queries) / (time.perf_counter() - start), ids


def recall(ids, truth):
    at1 = float(np.mean(ids[:, 0] == truth[:, 0]))
    at10 = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(ids, truth)]))
    return at1, at10


def cache_dir():
    root = os.environ.get("VISAGE_BENCH_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "visage-bench")
    return os.path.join(root, "faiss")


def data_key(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def hnsw_index(data, data_file, hnsw_max):
    """The cached HNSW index of these vectors, else a fresh build (saved) when n <= hnsw_max, else None.
    Returns (index, meta, reused, file size in bytes)."""
    n, d = data.shape
    base = os.path.join(cache_dir(), f"hnsw-M{M}-{data_key(data_file)}")
    if os.path.exists(base + ".index") and os.path.exists(base + ".json"):
        meta = json.load(open(base + ".json"))
        if meta.get("n") == n and meta.get("d") == d and meta.get("M") == M:
            t = time.perf_counter()
            index = faiss.read_index(base + ".index")
            meta["load_s"] = time.perf_counter() - t
            return index, meta, True, os.path.getsize(base + ".index")
    if n > hnsw_max:
        return None, None, False, 0
    set_threads(2)
    index = faiss.IndexHNSWFlat(d, M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    wall, cpu = time.perf_counter(), time.process_time()
    index.add(data)
    meta = dict(n=n, d=d, M=M, efConstruction=EF_CONSTRUCTION, build_wall_s=time.perf_counter() - wall,
                build_cpu_s=time.process_time() - cpu, threads=2)
    os.makedirs(cache_dir(), exist_ok=True)
    # Index first, JSON last, each renamed into place: a JSON beside an index means the index is whole.
    faiss.write_index(index, base + ".index.tmp")
    os.replace(base + ".index.tmp", base + ".index")
    with open(base + ".json.tmp", "w") as f:
        json.dump(meta, f)
    os.replace(base + ".json.tmp", base + ".json")
    return index, meta, False, os.path.getsize(base + ".index")


def main():
    work = sys.argv[1]
    hnsw_max = int(sys.argv[sys.argv.index("--hnsw-max") + 1]) if "--hnsw-max" in sys.argv else 200_000
    cases = json.load(open(os.path.join(work, "dotnet.json")))
    results = []
    print(f"BLAS: {blas_name()}; FAISS {faiss.__version__}, SIMD: {faiss.get_compile_options() if hasattr(faiss, 'get_compile_options') else '?'}")
    for case in cases:
        n, d, nq = case["Count"], 512, case["Queries"]
        print(f"\n== FAISS: {case['Shape']}, {n:,} vectors, {nq} queries, k={K}", flush=True)
        data = np.fromfile(case["DataFile"], dtype=np.float32).reshape(n, d)
        queries = np.fromfile(case["QueryFile"], dtype=np.float32).reshape(nq, d)
        truth = np.fromfile(case["TruthFile"], dtype=np.int64).reshape(nq, K)
        row = {"shape": case["Shape"], "n": n, "queries": nq}

        set_threads(2)
        t = time.perf_counter()
        flat = faiss.IndexFlatIP(d)
        flat.add(data)
        row["flat_load_s"] = time.perf_counter() - t
        row["flat_bytes"] = n * d * 4
        # FAISS flat at 1M costs ~0.5 s CPU per single query here; time a subset so the run stays in minutes.
        subset = queries[: max(10, min(nq, 200, 20_000_000 // n))]
        qps1, p50, p95, cpu = timed_single(flat, subset, 1)
        row.update(flat_single_qps_1t=qps1, flat_p50_ms=p50, flat_p95_ms=p95, flat_cpu_ms=cpu, flat_single_timed=len(subset))
        row["flat_batch_qps_1t"], ids = timed_batch(flat, queries, 1)
        row["flat_batch_qps_2t"], _ = timed_batch(flat, queries, 2)
        row["flat_recall1"], row["flat_recall10"] = recall(ids, truth)
        print(f"IndexFlatIP: add {row['flat_load_s']:.2f} s; one-by-one on 1 thread {qps1:.1f} q/s (p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
              f"CPU {cpu:.1f} ms/query, {len(subset)} queries); batched {row['flat_batch_qps_1t']:.1f} q/s on 1 thread, "
              f"{row['flat_batch_qps_2t']:.1f} q/s on 2; agreement with .NET exact: recall@1 {row['flat_recall1']:.4f}", flush=True)
        del flat

        hnsw, meta, reused, size = hnsw_index(data, case["DataFile"], hnsw_max)
        if hnsw is None:
            print(f"IndexHNSWFlat M={M}: not in the cache and not built above {hnsw_max:,} vectors (raise HNSW_MAX)")
        else:
            row["hnsw"] = dict(meta, reused=reused, bytes=size)
            how = (f"reused from the cache (loaded in {meta['load_s']:.1f} s; built earlier in {meta['build_wall_s']:.0f} s wall, "
                   f"{meta['build_cpu_s']:.0f} CPU-s on {meta['threads']} threads)") if reused else \
                  f"built in {meta['build_wall_s']:.1f} s wall, {meta['build_cpu_s']:.1f} CPU-s on {meta['threads']} threads, saved to the cache"
            print(f"IndexHNSWFlat M={M}, efConstruction {meta['efConstruction']}: {how}; {size / 1e6:.0f} MB (float32 vectors + graph)", flush=True)
            for ef in EF_SEARCH:
                hnsw.hnsw.efSearch = ef
                qps, p50, p95, cpu = timed_single(hnsw, queries, 1)
                batch1, ids = timed_batch(hnsw, queries, 1)
                batch2, _ = timed_batch(hnsw, queries, 2)
                r1, r10 = recall(ids, truth)
                row[f"hnsw_ef{ef}"] = dict(qps_1t=qps, p50_ms=p50, p95_ms=p95, cpu_ms=cpu, batch_qps_1t=batch1, batch_qps_2t=batch2,
                                           recall1=r1, recall10=r10)
                print(f"  efSearch {ef}: one-by-one 1 thread {qps:.0f} q/s, p50 {p50:.2f} ms, p95 {p95:.2f} ms, CPU {cpu:.2f} ms/query; "
                      f"batched {batch1:.0f} q/s on 1 thread, {batch2:.0f} on 2; recall@1 {r1:.4f}, recall@10 {r10:.4f}", flush=True)
            del hnsw

        ours, ours_cpu = case["QuantizedOneThread"]["QueriesPerSecond"], case["QuantizedOneThread"]["CpuMsPerQuery"]
        batch = case["QuantizedBatch"]
        print(f"ratio .NET QuantizedIndex / FAISS IndexFlatIP: one-by-one on 1 thread {ours / qps1:.1f}x "
              f"({row['flat_cpu_ms'] / ours_cpu:.1f}x by CPU time), {ours / row['flat_batch_qps_1t']:.2f}x FAISS batched; "
              f"batched vs batched: {batch['OneThreadQps'] / row['flat_batch_qps_1t']:.2f}x on 1 thread, "
              f"{batch['TwoThreadsQps'] / row['flat_batch_qps_2t']:.2f}x on 2", flush=True)
        results.append(row)
        del data
        # After every case, so a long run interrupted at 1M still leaves the 100k results.
        json.dump(results, open(os.path.join(work, "faiss.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
