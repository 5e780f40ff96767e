// Measures the store of record: enrolment insert throughput and the time to stream a collection's
// references (what every index load at start does). Prints numbers; asserts nothing.
//   dotnet run -c Release --project bench/storage/Visage.Bench.Storage -- [--faces 2000] [--stream 100000] [--writers 4] [--store both|sqlite|postgres]
using System.Diagnostics;
using Visage.Storage;
using Visage.Storage.Postgres;
using Visage.Storage.Sqlite;
using Visage.Testing.Postgres;

int faces = Arg("--faces", 2000), streamRows = Arg("--stream", 100_000), writers = Arg("--writers", 4);
string which = ArgS("--store", "both");
const int Dimension = 512, CropBytes = 112 * 112 * 3;
Console.WriteLine($"storage bench: {faces} faces insert (512-d + {CropBytes} B crop), stream {streamRows} refs (512-d, no crop), {writers} writers, {Environment.ProcessorCount} cores");

if (which is "both" or "sqlite")
{
    string dir = Directory.CreateTempSubdirectory("visage-bench-").FullName;
    try { await RunAsync("sqlite", () => new SqliteFaceStore(dir)); }
    finally { Directory.Delete(dir, true); }
}
if (which is "both" or "postgres")
{
    var server = new PostgresServer();
    await server.InitializeAsync();
    try
    {
        string cs = await server.CreateDatabaseAsync();
        await RunAsync("postgres", () => new PostgresFaceStore(cs));
    }
    finally { await server.DisposeAsync(); }
}

async Task RunAsync(string name, Func<IFaceStore> open)
{
    await using var store = open();
    await store.MigrateAsync();
    var ws = new WorkspaceRecord(Ids.New("ws"), "bench", DateTimeOffset.UtcNow);
    await store.CreateWorkspaceAsync(ws);

    var withCrops = await NewCollectionAsync(store, ws.Id);
    await InsertAsync(store, withCrops, 200, writers, crop: true);   // warm-up: JIT, pools, prepared statements
    var one = await InsertAsync(store, withCrops, faces, 1, crop: true);
    var many = await InsertAsync(store, withCrops, faces, writers, crop: true);
    Console.WriteLine($"{name}: insert with crop  1 writer {one.PerSecond,6:F0} faces/s ({one.CpuMicros:F0} µs client CPU/face) | " +
                      $"{writers} writers {many.PerSecond,6:F0} faces/s ({many.CpuMicros:F0} µs client CPU/face)");

    var bare = await InsertAsync(store, withCrops, faces, 1, crop: false);
    Console.WriteLine($"{name}: insert no crop    1 writer {bare.PerSecond,6:F0} faces/s ({bare.CpuMicros:F0} µs client CPU/face)");

    var big = await NewCollectionAsync(store, ws.Id);
    var seedWatch = Stopwatch.StartNew();
    var seedCpu = Process.GetCurrentProcess().TotalProcessorTime;
    for (int start = 0; start < streamRows; start += 1000)
        await store.InsertFacesAsync(Enumerable.Range(start, Math.Min(1000, streamRows - start))
            .Select(i => NewFace(big, i, new Random(i), crop: null)).ToList());
    Console.WriteLine($"{name}: batch insert (1000 per transaction, no crop) {streamRows / seedWatch.Elapsed.TotalSeconds,8:F0} faces/s " +
                      $"({(Process.GetCurrentProcess().TotalProcessorTime - seedCpu).TotalMicroseconds / streamRows:F0} µs client CPU/face, {streamRows} rows)");

    for (int run = 1; run <= 2; run++)
    {
        GC.Collect();
        long heapBefore = GC.GetTotalMemory(true), allocBefore = GC.GetTotalAllocatedBytes(true), maxHeap = 0;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        long rows = 0; double checksum = 0;
        await foreach (var v in store.StreamVectorsAsync(big.Id))
        {
            rows++; checksum += v.Embedding[0];
            if ((rows & 8191) == 0) maxHeap = Math.Max(maxHeap, GC.GetTotalMemory(false));
        }
        watch.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        double mb = (GC.GetTotalAllocatedBytes(true) - allocBefore) / 1048576.0;
        Console.WriteLine($"{name}: stream run {run}: {rows} refs in {watch.Elapsed.TotalSeconds:F2} s = {rows / watch.Elapsed.TotalSeconds,9:F0} refs/s, " +
                          $"{rows * Dimension * 4 / 1048576.0 / watch.Elapsed.TotalSeconds:F0} MB/s of vectors, allocated {mb:F0} MB, " +
                          $"peak heap +{(maxHeap - heapBefore) / 1048576.0:F0} MB, client CPU {cpu.TotalSeconds:F2} s (checksum {checksum:F3})");
    }
}

static async Task<CollectionRecord> NewCollectionAsync(IFaceStore store, string workspaceId)
{
    var now = DateTimeOffset.UtcNow;
    var col = new CollectionRecord(Ids.New("col"), workspaceId, "bench", null, "{}", "fr_feature@1", now, now);
    await store.CreateCollectionAsync(col);
    return col;
}

static async Task<(double PerSecond, double CpuMicros)> InsertAsync(IFaceStore store, CollectionRecord col, int count, int writers, bool crop)
{
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    int next = -1;
    await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
    {
        var random = new Random(w);
        var cropBytes = crop ? new byte[CropBytes] : null;
        if (cropBytes is not null) random.NextBytes(cropBytes);
        while (Interlocked.Increment(ref next) is var i && i < count)
        {
            var (face, primary) = NewFace(col, i, random, cropBytes);
            await store.InsertFaceAsync(face, primary);
        }
    })));
    return (count / watch.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / count);
}

static (FaceRecord, ReferenceRecord) NewFace(CollectionRecord col, int i, Random random, byte[]? crop)
{
    var now = DateTimeOffset.UtcNow;
    var face = new FaceRecord(Ids.New("face"), col.Id, $"person-{i % 1000}", "{}", 0.9f, 0.9f, 1, 2, 100, 120, 1, "fr_feature@1", now, now);
    var embedding = new float[Dimension];
    for (int d = 0; d < Dimension; d++) embedding[d] = (float)(random.NextDouble() - 0.5);
    // Random content made once per writer; only the head changes, so the bench measures the store, not Random.
    if (crop is not null) BitConverter.TryWriteBytes(crop, i);
    return (face, new ReferenceRecord(0, Ids.New("ref"), face.Id, col.Id, ReferenceSource.Enroll, 0.9f, embedding, crop, now));
}

int Arg(string name, int fallback) => int.TryParse(ArgS(name, ""), out int v) ? v : fallback;
string ArgS(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
