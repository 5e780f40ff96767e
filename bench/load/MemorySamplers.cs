using System.Diagnostics;
using System.Globalization;

namespace Visage.Bench.Load;

public static class MemorySamplers
{
    /// <summary>This process (the service hosted in-process, with the load clients beside it): RSS and the managed heap
    /// as it stands (no forced collection, which would disturb the latencies being measured).</summary>
    public static Task<MemorySample> InProcess()
    {
        using var self = Process.GetCurrentProcess();
        return Task.FromResult(new MemorySample(0, self.WorkingSet64, GC.GetTotalMemory(false)));
    }

    /// <summary>A service elsewhere: RSS from its /metrics; its managed heap is not published there (reported as 0).</summary>
    public static Func<Task<MemorySample>> FromMetrics(HttpClient http) => async () =>
    {
        var text = await http.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
            if (line.StartsWith("process_resident_memory_bytes ", StringComparison.Ordinal))
                return new MemorySample(0, (long)double.Parse(line.AsSpan(30), CultureInfo.InvariantCulture), 0);
        return new MemorySample(0, 0, 0);
    };

    /// <summary>The managed heap after a full, compacting, blocking collection: the live data, for before/after comparisons.</summary>
    public static long HeapAfterFullCollection()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }
}
