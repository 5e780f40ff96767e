#!/usr/bin/python3
"""One table and the ratios from a search bench run (WORK/dotnet.json + WORK/faiss.json), the machine line,
and a plot of queries/s on one core against recall@1 at the largest size (WORK/search-bench.svg).
Usage: summary.py WORK [--publish DIR]   (--publish copies the SVG to DIR/search-bench.svg)
Also writes the text to WORK/summary.md."""
import json, os, shutil, sys


def machine_line(work):
    cpu, flags = "?", ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name") and cpu == "?":
            cpu = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = line
    start = "?"
    path = os.path.join(work, "load-start")
    if os.path.exists(path):
        start = " ".join(open(path).read().split()[:3])
    end = " ".join(open("/proc/loadavg").read().split()[:3])
    return (f"machine: {os.cpu_count()} cores, {cpu}, AVX2 {'yes' if ' avx2' in flags else 'no'}, "
            f"AVX-512 {'yes' if ' avx512f' in flags else 'no'}; load average (1/5/15 min) at start {start}, at end {end}")


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value:,.{digits}f}"


def rows_for(case, faiss_row):
    """(method, q/s 1t, q/s 2t, batched 1t, batched 2t, CPU ms/q, p50, p95, recall@1, recall@10, build/load s, MB)."""
    q, e, b = case["QuantizedOneThread"], case["ExactOneThread"], case["QuantizedBatch"]
    rows = [
        (".NET QuantizedIndex", q["QueriesPerSecond"], case["QuantizedTwoThreadsQps"], b["OneThreadQps"], b["TwoThreadsQps"],
         q["CpuMsPerQuery"], q["P50Ms"], q["P95Ms"], fmt(case["RecallAt1"], 4), fmt(case["RecallAt10"], 4),
         case["QuantizedLoadSeconds"], case["QuantizedVectorBytes"] / 1e6),
        (".NET ExactIndex", e["QueriesPerSecond"], None, None, case.get("ExactBatchTwoThreadsQps"), e["CpuMsPerQuery"], e["P50Ms"], e["P95Ms"], "exact", "exact",
         case["ExactLoadSeconds"], case["ExactVectorBytes"] / 1e6),
    ]
    if faiss_row:
        f = faiss_row
        rows.append(("FAISS IndexFlatIP", f["flat_single_qps_1t"], None, f["flat_batch_qps_1t"], f["flat_batch_qps_2t"], f["flat_cpu_ms"],
                     f["flat_p50_ms"], f["flat_p95_ms"], fmt(f["flat_recall1"], 4), fmt(f["flat_recall10"], 4), f["flat_load_s"], f["flat_bytes"] / 1e6))
        h = f.get("hnsw")
        for ef in (64, 128, 256):
            r = f.get(f"hnsw_ef{ef}")
            if not r:
                continue
            build = f"{h['build_wall_s']:.0f} (cached, load {h['load_s']:.1f})" if h["reused"] else h["build_wall_s"]
            rows.append((f"FAISS HNSW M=32 ef{ef}", r["qps_1t"], None, r["batch_qps_1t"], r["batch_qps_2t"], r["cpu_ms"], r["p50_ms"], r["p95_ms"],
                         fmt(r["recall1"], 4), fmt(r["recall10"], 4), build, h["bytes"] / 1e6))
    return rows


def ratios(case, f):
    q, b = case["QuantizedOneThread"], case["QuantizedBatch"]
    parts = [f"{q['QueriesPerSecond'] / f['flat_single_qps_1t']:.1f}x FAISS flat one-by-one on 1 thread "
             f"({f['flat_cpu_ms'] / q['CpuMsPerQuery']:.1f}x by CPU time)",
             f"{q['QueriesPerSecond'] / f['flat_batch_qps_1t']:.2f}x FAISS flat batched on 1 thread",
             f"batched vs batched {b['OneThreadQps'] / f['flat_batch_qps_1t']:.2f}x (1 thread), {b['TwoThreadsQps'] / f['flat_batch_qps_2t']:.2f}x (2 threads)",
             f"one-by-one on 2 threads {case['QuantizedTwoThreadsQps'] / f['flat_batch_qps_2t']:.2f}x FAISS flat batched on 2"]
    r = f.get("hnsw_ef128")
    if r:
        parts.append(f"{q['QueriesPerSecond'] / r['qps_1t']:.2f}x FAISS HNSW ef128 one-by-one "
                     f"(recall@1 {case['RecallAt1']:.4f} vs {r['recall1']:.4f}; memory {case['QuantizedVectorBytes'] / 1e6:.0f} MB vs {f['hnsw']['bytes'] / 1e6:.0f} MB)")
    return "; ".join(parts)


def plot(cases, faiss_by_case, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    size = max(c["Count"] for c in cases if c["Shape"] != "real")
    chosen = [c for c in cases if c["Count"] == size and c["Shape"] != "real"]
    fig, axes = plt.subplots(1, len(chosen), figsize=(5.2 * len(chosen), 4.6), squeeze=False, sharey=True)
    for ax, case in zip(axes[0], chosen):
        f = faiss_by_case.get((case["Shape"], case["Count"]))
        q, b = case["QuantizedOneThread"], case["QuantizedBatch"]
        ax.scatter([case["RecallAt1"]], [q["QueriesPerSecond"]], marker="o", s=70, color="tab:blue", label="ours (QuantizedIndex), one by one", zorder=3)
        ax.scatter([b["RecallAt1"]], [b["OneThreadQps"]], marker="s", s=70, color="tab:cyan", label="ours, batched (SearchBatch)", zorder=3)
        if f:
            ax.scatter([f["flat_recall1"]], [f["flat_single_qps_1t"]], marker="v", s=70, color="tab:red", label="FAISS IndexFlatIP, one by one", zorder=3)
            ax.scatter([f["flat_recall1"]], [f["flat_batch_qps_1t"]], marker="^", s=70, color="tab:orange", label="FAISS IndexFlatIP, batched", zorder=3)
            efs = [ef for ef in (64, 128, 256) if f.get(f"hnsw_ef{ef}")]
            if efs:
                xs = [f[f"hnsw_ef{ef}"]["recall1"] for ef in efs]
                ys = [f[f"hnsw_ef{ef}"]["qps_1t"] for ef in efs]
                ax.plot(xs, ys, "-D", color="tab:green", label="FAISS HNSW M=32, one by one (efSearch)", zorder=3)
                for ef, x, y in zip(efs, xs, ys):
                    ax.annotate(f"ef{ef}", (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8)
        # The target: ≤ 20 ms per query on one core (≥ 50 q/s) at recall@1 ≥ 0.99.
        ax.axhline(50, color="grey", linestyle=":", linewidth=1)
        ax.axvline(0.99, color="grey", linestyle=":", linewidth=1)
        ax.set_xscale("linear")
        ax.set_yscale("log")
        ax.set_title(f"{case['Shape']}, {case['Count']:,} x 512")
        ax.set_xlabel("recall@1 vs exact search")
        ax.grid(True, which="both", alpha=0.25)
    axes[0][0].set_ylabel("queries/s on one core (log)")
    lo = min(0.95, *(p for c in chosen for p in (c["RecallAt1"],)))
    for ax in axes[0]:
        ax.set_xlim(left=min(lo, ax.get_xlim()[0]), right=1.005)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle("Search at %s faces: throughput on one core vs recall (dotted: the issue's 20 ms / 0.99 target)" % f"{size:,}", fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    fig.savefig(path, format="svg")
    plt.close(fig)


def main():
    work = sys.argv[1]
    publish = sys.argv[sys.argv.index("--publish") + 1] if "--publish" in sys.argv else None
    cases = json.load(open(os.path.join(work, "dotnet.json")))
    faiss_path = os.path.join(work, "faiss.json")
    faiss_rows = json.load(open(faiss_path)) if os.path.exists(faiss_path) else []
    faiss_by_case = {(r["shape"], r["n"]): r for r in faiss_rows}

    out = ["## Search bench summary", "", machine_line(work),
           "Timings are wall clock (noisy when the cores are shared); CPU ms/q is process CPU time per query on one thread.", ""]
    header = ("| size | shape | method | q/s 1t | q/s 2t | batched q/s 1t | batched q/s 2t | CPU ms/q | p50 ms | p95 ms "
              "| recall@1 | recall@10 | build/load s | MB |")
    out += [header, "|" + "---|" * (header.count("|") - 1)]
    for case in cases:
        f = faiss_by_case.get((case["Shape"], case["Count"]))
        for r in rows_for(case, f):
            cells = [f"{case['Count']:,}", case["Shape"], r[0]] + [fmt(v, 2 if i in (5, 6, 7) else 1) for i, v in enumerate(r[1:], start=1)]
            out.append("| " + " | ".join(cells) + " |")
    out += ["", "Ratios (.NET QuantizedIndex vs FAISS, same vectors and queries):"]
    for case in cases:
        f = faiss_by_case.get((case["Shape"], case["Count"]))
        if f:
            out.append(f"- {case['Shape']} {case['Count']:,}: {ratios(case, f)}")
    misses = [c for c in cases if c["RecallAt1"] < 1 and "NearTieMisses" in c]
    if misses:
        out += ["", "Top-1 misses of QuantizedIndex that are near-ties (the vector returned is within 2.5e-4 of the best by exact "
                "similarity, below the 12-bit re-rank's resolution):"]
        out += [f"- {c['Shape']} {c['Count']:,}: {c['NearTieMisses']} of {round((1 - c['RecallAt1']) * c['Queries'])}" for c in misses]
    identity = [c for c in cases if c.get("Identity")]
    if identity:
        out += ["", "Identity rank-1 of the real queries (top answer is a photo of the query's person; distractors have no identity):"]
        for c in identity:
            i = c["Identity"]
            out.append(f"- {c['Shape']} {c['Count']:,} ({i['RealRows']:,} real rows, {c['Queries']} queries, {i['OtherPhotoQueries']} from held-out photos): "
                       f"exact {i['ExactRank1']:.4f}, quantized {i['QuantizedRank1']:.4f}; held-out photos only: exact {i['ExactRank1OtherPhoto']:.4f}, "
                       f"quantized {i['QuantizedRank1OtherPhoto']:.4f}; distractors hold {i.get('DistractorShareOfExactTopK', 0):.1%} of the exact top-10 slots")
    text = "\n".join(out)
    print(text)
    open(os.path.join(work, "summary.md"), "w").write(text + "\n")

    svg = os.path.join(work, "search-bench.svg")
    try:
        plot(cases, faiss_by_case, svg)
        print(f"\nplot: {svg}")
        if publish:
            shutil.copyfile(svg, os.path.join(publish, "search-bench.svg"))
            print(f"published: {os.path.join(publish, 'search-bench.svg')}")
    except ImportError:
        print("\nplot skipped: matplotlib missing (apt-get install python3-matplotlib)")


if __name__ == "__main__":
    main()
