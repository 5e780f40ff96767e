#!/usr/bin/python3
"""FAISS baselines on the vectors and queries the .NET search bench wrote (WORK/dotnet.json):
IndexFlatIP (exact, the reference for speed) and IndexHNSWFlat M=32 (approximate graph), timed on one
and two threads, with recall against the .NET exact answers; prints .NET/FAISS ratios.
Usage: faiss_bench.py WORK [--hnsw-max N]   (HNSW is built only for collections of at most N vectors)"""
import ctypes, json, os, sys, time
import numpy as np
import faiss

K = 10


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
    """All queries in one call (FAISS then uses BLAS matrix products): q/s and the answers."""
    set_threads(threads)
    start = time.perf_counter()
    _, ids = index.search(queries, K)
    return len(queries) / (time.perf_counter() - start), ids


def recall(ids, truth):
    at1 = float(np.mean(ids[:, 0] == truth[:, 0]))
    at10 = float(np.mean([len(set(a) & set(b)) / K for a, b in zip(ids, truth)]))
    return at1, at10


def main():
    work = sys.argv[1]
    hnsw_max = int(sys.argv[sys.argv.index("--hnsw-max") + 1]) if "--hnsw-max" in sys.argv else 200_000
    cases = json.load(open(os.path.join(work, "dotnet.json")))
    results = []
    print(f"BLAS: {blas_name()}")
    for case in cases:
        n, d, nq = case["Count"], 512, case["Queries"]
        print(f"\n== FAISS {faiss.__version__}: {case['Shape']}, {n:,} vectors, {nq} queries, k={K}", flush=True)
        data = np.fromfile(case["DataFile"], dtype=np.float32).reshape(n, d)
        queries = np.fromfile(case["QueryFile"], dtype=np.float32).reshape(nq, d)
        truth = np.fromfile(case["TruthFile"], dtype=np.int64).reshape(nq, K)
        row = {"shape": case["Shape"], "n": n}

        set_threads(2)
        t = time.perf_counter()
        flat = faiss.IndexFlatIP(d)
        flat.add(data)
        row["flat_load_s"] = time.perf_counter() - t
        # FAISS flat at 1M costs ~0.2 s per single query; time a subset so the run stays in minutes.
        subset = queries[: max(10, min(nq, 20_000_000 // n))]
        qps1, p50, p95, cpu = timed_single(flat, subset, 1)
        row.update(flat_single_qps_1t=qps1, flat_p50_ms=p50, flat_p95_ms=p95, flat_cpu_ms=cpu)
        row["flat_batch_qps_1t"], ids = timed_batch(flat, queries, 1)
        row["flat_batch_qps_2t"], _ = timed_batch(flat, queries, 2)
        row["flat_recall1"], row["flat_recall10"] = recall(ids, truth)
        print(f"IndexFlatIP: add {row['flat_load_s']:.2f} s; 1 thread one-by-one {qps1:.1f} q/s (p50 {p50:.1f} ms, p95 {p95:.1f} ms, CPU {cpu:.1f} ms/query); "
              f"batched {row['flat_batch_qps_1t']:.1f} q/s on 1 thread, {row['flat_batch_qps_2t']:.1f} q/s on 2; "
              f"agreement with .NET exact: recall@1 {row['flat_recall1']:.4f}", flush=True)
        del flat

        if n <= hnsw_max:
            set_threads(2)
            t = time.perf_counter()
            hnsw = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
            hnsw.add(data)
            row["hnsw_build_s_2t"] = time.perf_counter() - t
            print(f"IndexHNSWFlat M=32: build {row['hnsw_build_s_2t']:.1f} s on 2 threads, ~{(hnsw.ntotal * (d * 4 + 32 * 2 * 4)) / 1e6:.0f} MB", flush=True)
            for ef in (64, 128, 256):
                hnsw.hnsw.efSearch = ef
                qps, p50, p95, cpu = timed_single(hnsw, queries, 1)
                _, ids = hnsw.search(queries, K)
                r1, r10 = recall(ids, truth)
                row[f"hnsw_ef{ef}"] = dict(qps_1t=qps, p50_ms=p50, p95_ms=p95, cpu_ms=cpu, recall1=r1, recall10=r10)
                print(f"  efSearch {ef}: 1 thread {qps:.0f} q/s, p50 {p50:.2f} ms, p95 {p95:.2f} ms, CPU {cpu:.2f} ms/query, recall@1 {r1:.4f}, recall@10 {r10:.4f}", flush=True)
            del hnsw
        else:
            print(f"IndexHNSWFlat M=32: skipped above {hnsw_max:,} vectors (build time; raise with --hnsw-max)")

        ours = case["QuantizedOneThread"]["QueriesPerSecond"]
        ours_cpu = case["QuantizedOneThread"]["CpuMsPerQuery"]
        print(f"ratio .NET QuantizedIndex / FAISS IndexFlatIP on 1 thread: {ours / qps1:.1f}x one-by-one "
              f"({row['flat_cpu_ms'] / ours_cpu:.1f}x by CPU time), "
              f"{ours / row['flat_batch_qps_1t']:.1f}x vs FAISS batched; "
              f"2 threads: {case['QuantizedTwoThreadsQps'] / row['flat_batch_qps_2t']:.1f}x vs FAISS batched", flush=True)
        results.append(row)
    json.dump(results, open(os.path.join(work, "faiss.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
