using Visage.Bench.Load;
using Visage.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Visage.Server.Tests.Hardening;

/// <summary>Runs alone (no other test class in parallel): it measures the process's managed heap, which other classes'
/// servers in the same test process would otherwise move.</summary>
[CollectionDefinition(nameof(AloneInProcess), DisableParallelization = true)]
public sealed class AloneInProcess;

[Collection(nameof(AloneInProcess))]
public sealed class LoadTests(SqliteVisageServer server, ITestOutputHelper output) : IClassFixture<SqliteVisageServer>
{
    /// <summary>~20 s in CI (VISAGE_TEST_LONG=short or unset), 3 minutes with VISAGE_TEST_LONG=long.</summary>
    static TimeSpan Duration => Environment.GetEnvironmentVariable("VISAGE_TEST_LONG") == "long" ? TimeSpan.FromMinutes(3) : TimeSpan.FromSeconds(20);

    /// <summary>Live managed data may grow by the faces enrolled (a few KB each) and warm caches; 64 MB is far above
    /// that and far below a leak of per-request buffers (each upload is 20–400 KB; thousands of requests are sent).</summary>
    const long HeapGrowthBound = 64L * 1024 * 1024;

    [Fact]
    public async Task Sixteen_clients_enrolling_identifying_updating_and_deleting_get_no_5xx_and_leave_a_consistent_collection_and_flat_heap()
    {
        var people = Directory.GetDirectories(TestData.Path_("verify"));
        Array.Sort(people, StringComparer.Ordinal);
        // Warm-up (models, JIT, connection pools) before the baseline, so the baseline is not the cold process.
        var admin = server.Admin();
        var warm = await admin.CreateCollection(name: "warm-up");
        await admin.Enroll(warm, Photos.Verify("BBT_amy", 1), "warm");
        await admin.Identify(warm, Photos.Verify("BBT_amy", 2));
        long heapBefore = MemorySamplers.HeapAfterFullCollection();

        var report = await new LoadDriver(new LoadOptions(server.BaseAddress, server.AdminKey, people)
        {
            Duration = Duration, Clients = 16, Seed = 20261122, SampleEvery = TimeSpan.FromSeconds(2),
            SampleMemory = MemorySamplers.InProcess,
        }).RunAsync();
        long heapAfter = MemorySamplers.HeapAfterFullCollection();
        output.WriteLine(ReportWriter.Text(report));
        output.WriteLine($"managed heap after a full GC: {heapBefore / 1048576.0:F1} MB before, {heapAfter / 1048576.0:F1} MB after");

        Assert.Equal(0, report.ServerErrors);
        Assert.Equal(0, report.Timeouts);
        Assert.Empty(report.Inconsistencies);
        Assert.True(report.EnrollsOk > 0 && report.DeletesOk > 0, "the run must have enrolled and deleted faces to prove anything");
        foreach (var op in report.Ops)
        {
            Assert.True(op.Requests > 0, $"{op.Op} never ran");
            // Rate limits are off by default; every answer is a success or a documented client error.
            Assert.DoesNotContain(429, op.ByStatus.Keys);
            Assert.DoesNotContain(0, op.ByStatus.Keys);
        }
        Assert.True(heapAfter - heapBefore < HeapGrowthBound,
            $"managed heap grew by {(heapAfter - heapBefore) / 1048576.0:F1} MB over the run (bound {HeapGrowthBound / 1048576} MB)");
    }
}
