// Load test on loopback: many concurrent clients enrolling, identifying, updating and deleting in one collection,
// bounded by time and count; prints requests/s, latency percentiles and statuses per operation, memory over time
// (table + SVG) and a final consistency check. Exit code 1 when a 5xx, a timeout or an inconsistency was seen.
// Usage: bench/load/run.sh [--seconds 180] [--clients 16] [--max-requests N] [--seed 1] [--photos DIR]
//        [--svg FILE] [--url http://127.0.0.1:8080 --key fr_live_…]   (without --url the service runs in-process)
using System.Globalization;
using Visage.Bench.Load;
using Visage.Server;
using Visage.Service;

var opts = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2) opts[args[i].TrimStart('-')] = args[i + 1];
string Opt(string name, string fallback) => opts.TryGetValue(name, out var v) ? v : fallback;

var photosRoot = Opt("photos", FindVerifyPhotos());
var people = Directory.GetDirectories(photosRoot);
Array.Sort(people, StringComparer.Ordinal);
Microsoft.AspNetCore.Builder.WebApplication? app = null;
string? dataDir = null;
Uri url;
string key;
if (opts.TryGetValue("url", out var target))
{
    url = new Uri(target);
    key = Opt("key", Environment.GetEnvironmentVariable("VISAGE_ADMIN_KEY") ?? "");
    if (key.Length == 0) { Console.Error.WriteLine("--key (an admin key) is required with --url"); return 2; }
}
else
{
    dataDir = Path.Combine(Path.GetTempPath(), "visage-load-" + Guid.NewGuid().ToString("N"));
    key = ApiKeyFormat.Generate();
    app = ServerApp.Build(["--Urls=http://127.0.0.1:0", "--Data=" + dataDir, "--AdminKey=" + key, "--Logging:LogLevel:Default=Warning",
        "--Logging:LogLevel:Microsoft.AspNetCore=Error"]);
    await app.StartAsync();
    url = new Uri(app.Urls.First());
}

using var metricsClient = new HttpClient { BaseAddress = url };
var options = new LoadOptions(url, key, people)
{
    Duration = TimeSpan.FromSeconds(double.Parse(Opt("seconds", "180"), CultureInfo.InvariantCulture)),
    Clients = int.Parse(Opt("clients", "16"), CultureInfo.InvariantCulture),
    MaxRequests = long.Parse(Opt("max-requests", long.MaxValue.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture),
    Seed = int.Parse(Opt("seed", "1"), CultureInfo.InvariantCulture),
    SampleMemory = app is null ? MemorySamplers.FromMetrics(metricsClient) : MemorySamplers.InProcess,
};
Console.WriteLine($"visage load: {url} ({(app is null ? "external service" : "in-process service")}), {options.Clients} clients, " +
    $"{options.Duration.TotalSeconds:F0} s, {people.Length} people from {photosRoot}, {Environment.ProcessorCount} cores, " +
    $"load average {File.ReadAllText("/proc/loadavg").Trim()}");
long heapBefore = app is null ? 0 : MemorySamplers.HeapAfterFullCollection();
var report = await new LoadDriver(options).RunAsync();
Console.Write(ReportWriter.Text(report));
if (app is not null)
    Console.WriteLine($"managed heap after a full GC: {heapBefore / 1048576.0:F1} MB before, {MemorySamplers.HeapAfterFullCollection() / 1048576.0:F1} MB after");
Console.WriteLine($"load average at the end {File.ReadAllText("/proc/loadavg").Trim()}");
var svg = Opt("svg", Path.Combine(Path.GetTempPath(), "visage-load-memory.svg"));
File.WriteAllText(svg, ReportWriter.MemorySvg(report.Memory,
    $"Visage load: {options.Clients} clients, {report.Seconds:F0} s, {report.PerSecond:F1} req/s — memory over time"));
Console.WriteLine("memory plot: " + svg);

if (app is not null)
{
    await app.StopAsync();
    await app.DisposeAsync();
    try { Directory.Delete(dataDir!, recursive: true); } catch (IOException) { }
}
return report.ServerErrors == 0 && report.Timeouts == 0 && report.Inconsistencies.Count == 0 ? 0 : 1;

static string FindVerifyPhotos()
{
    if (Environment.GetEnvironmentVariable("VISAGE_TESTDATA") is { Length: > 0 } d) return Path.Combine(d, "verify");
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Visage.slnx")))
            return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "testdata", "faces", "verify"));
    throw new InvalidOperationException("cannot find the repository (Visage.slnx); pass --photos DIR");
}
