// Drives a running Visage service over HTTP and prints numbers (not a pass/fail test):
//   1. imports N synthetic faces (random unit vectors) through the admin-only POST …/faces/import,
//   2. enrolls real photos concurrently (images/s),
//   3. identifies real photos one at a time against the N+enrolled collection (p50/p95 end to end),
//   4. reads peak RSS from /metrics.
// Usage: dotnet run --project bench/http -- --url http://127.0.0.1:8080 --key fr_live_… [--faces 10000]
//        [--enrolls 200] [--identifies 200] [--concurrency 4] [--liveness true] [--photos DIR]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

var opts = Args.Parse(args);
string url = opts.Get("url", "http://127.0.0.1:8080"), key = opts.Get("key", Environment.GetEnvironmentVariable("VISAGE_ADMIN_KEY") ?? "");
int faces = opts.Int("faces", 10_000), enrolls = opts.Int("enrolls", 200), identifies = opts.Int("identifies", 200), concurrency = opts.Int("concurrency", 4);
bool liveness = opts.Get("liveness", "true") == "true";
var photoDir = opts.Get("photos", FindPhotos());
if (key.Length == 0) { Console.Error.WriteLine("--key (an admin key) is required"); return 2; }

using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
http.DefaultRequestHeaders.Add("X-API-Key", key);
var photos = LoadPhotos(photoDir);
Console.WriteLine($"visage http bench: {url}, {photos.Count} photos from {photoDir}, liveness {liveness}, {Environment.ProcessorCount} client cores (shared with the server)");

var col = await PostJson("/api/v1/collections", new { name = "bench", settings = new { auto_enroll = false, check_liveness = liveness } });
var collectionId = col.GetProperty("data").GetProperty("collection_id").GetString()!;

// 1. synthetic gallery
var model = (await http.GetFromJsonAsync<JsonElement>("/api/v1/models")).GetProperty("data")[0];
int dim = model.GetProperty("embedding_size").GetInt32();
var rng = new Random(42);
var sw = Stopwatch.StartNew();
for (int done = 0; done < faces;)
{
    int n = Math.Min(2000, faces - done);
    var batch = new object[n];
    for (int i = 0; i < n; i++) batch[i] = new { external_id = $"synthetic_{done + i}", embedding = RandomUnit(rng, dim) };
    await PostJson($"/api/v1/collections/{collectionId}/faces/import", new { faces = batch });
    done += n;
}
Console.WriteLine($"import: {faces} synthetic faces in {sw.Elapsed.TotalSeconds:F1} s ({faces / sw.Elapsed.TotalSeconds:F0}/s)");

// 2. enroll throughput (concurrent clients)
int next = -1, failed = 0;
var enrollLatency = new List<double>();
sw.Restart();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < enrolls)
    {
        var (name, bytes) = photos[i % photos.Count];
        var t = Stopwatch.StartNew();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "image", name }, { new StringContent($"person_{i}"), "external_id" } };
        using var r = await http.PostAsync($"/api/v1/collections/{collectionId}/faces", form);
        lock (enrollLatency) enrollLatency.Add(t.Elapsed.TotalMilliseconds);
        if (!r.IsSuccessStatusCode) Interlocked.Increment(ref failed);
    }
}));
Console.WriteLine($"enroll: {enrolls} requests, {concurrency} concurrent, {enrolls / sw.Elapsed.TotalSeconds:F1} images/s " +
    $"(p50 {Pct(enrollLatency, 50):F0} ms, p95 {Pct(enrollLatency, 95):F0} ms; {failed} refused by the quality/liveness gates)");

// 3. identify latency (one at a time, end to end)
var latency = new List<double>();
for (int i = 0; i < identifies; i++)
{
    var (name, bytes) = photos[(i * 7 + 3) % photos.Count];
    var t = Stopwatch.StartNew();
    using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "image", name } };
    using var r = await http.PostAsync($"/api/v1/collections/{collectionId}/identify", form);
    await r.Content.ReadAsByteArrayAsync();
    latency.Add(t.Elapsed.TotalMilliseconds);
}
var info = (await http.GetFromJsonAsync<JsonElement>($"/api/v1/collections/{collectionId}")).GetProperty("data");
Console.WriteLine($"identify: {identifies} sequential requests against {info.GetProperty("face_count").GetInt64()} faces: " +
    $"p50 {Pct(latency, 50):F1} ms, p95 {Pct(latency, 95):F1} ms, max {latency.Max():F1} ms");

// 4. memory
var metrics = await http.GetStringAsync("/metrics");
foreach (var line in metrics.Split('\n'))
    if (line.StartsWith("process_peak_resident_memory_bytes ") || line.StartsWith("process_resident_memory_bytes ") ||
        line.StartsWith("visage_pipeline_stage_duration_seconds_sum{stage=") || line.StartsWith("visage_pipeline_stage_duration_seconds_count{stage="))
        Console.WriteLine("metrics: " + line);
if (opts.Get("keep", "false") != "true") await http.DeleteAsync($"/api/v1/collections/{collectionId}");
return 0;

async Task<JsonElement> PostJson(string path, object body)
{
    using var r = await http.PostAsJsonAsync(path, body);
    var json = await r.Content.ReadFromJsonAsync<JsonElement>();
    if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)r.StatusCode} {json}");
    return json;
}

static float[] RandomUnit(Random rng, int dim)
{
    var v = new float[dim];
    double norm = 0;
    for (int i = 0; i < dim; i++)
    {
        // Box-Muller: isotropic directions, like unrelated faces (cosine near 0).
        double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        v[i] = (float)g; norm += g * g;
    }
    for (int i = 0; i < dim; i++) v[i] = (float)(v[i] / Math.Sqrt(norm));
    return v;
}

static double Pct(List<double> values, int p)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1)];
}

static List<(string, byte[])> LoadPhotos(string dir)
{
    // LFW and BBT sized photos; the 12-20 MP phone photos are left out so the figure is per typical upload.
    var list = new List<(string, byte[])>();
    foreach (var f in Directory.GetFiles(dir, "*.*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        if ((f.EndsWith(".jpg") || f.EndsWith(".png")) && new FileInfo(f).Length < 1_000_000) list.Add((Path.GetFileName(f), File.ReadAllBytes(f)));
    return list;
}

static string FindPhotos()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "Visage.slnx"))) return Path.GetFullPath(Path.Combine(d.FullName, "..", "shared", "testdata", "faces", "verify"));
    return "verify";
}

sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var d = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2) d[args[i].TrimStart('-')] = args[i + 1];
        return new Args(d);
    }
    public string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;
    public int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
}
