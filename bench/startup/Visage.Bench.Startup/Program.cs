// Start-up of a real `visage serve` on a store that already holds N faces in one collection (SQLite and PostgreSQL):
// fill time and size on disk, seconds until /readyz is 200, server CPU time, resident memory after load and how much of
// it the index vectors take, identify p50/p95 over HTTP with real photos at N faces, and an enroll and a delete while
// serving. Prints numbers; asserts nothing except that a deleted face is never returned.
//   bench/startup/run.sh [--sizes 100000,1000000] [--stores sqlite,postgres] [--probes 60]
//   bench/startup/run.sh --profile-load DATA_DIR|CONNSTR|postgres:N   the load alone, in this process, phase by phase
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Visage.Bench.Startup;
using Visage.Testing;
using Visage.Testing.Postgres;

if (Arg("--profile-load", "") is { Length: > 0 } profiled)
{
    if (profiled.StartsWith("postgres:", StringComparison.Ordinal)) await LoadProfile.RunPostgresAsync(int.Parse(profiled[9..], CultureInfo.InvariantCulture));
    else await LoadProfile.RunAsync(profiled);
    return 0;
}
var sizes = Arg("--sizes", "100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var stores = Arg("--stores", "sqlite,postgres").Split(',');
string work = Arg("--work", Path.Combine(Path.GetTempPath(), "visage-bench-startup"));
string cli = Arg("--cli", "");
int probesWanted = int.Parse(Arg("--probes", "60"), CultureInfo.InvariantCulture);
if (!File.Exists(cli)) { Console.Error.WriteLine($"--cli must name the built visage.dll (got '{cli}')"); return 2; }
Directory.CreateDirectory(work);
const string AdminKey = "fr_live_benchStartup00000000000000000000";
var photos = Photos.Load(TestData.Path_("verify"));
Console.WriteLine($"startup bench: sizes {string.Join(", ", sizes)}; stores {string.Join(", ", stores)}; {Environment.ProcessorCount} cores; " +
                  $"{photos.Enrolled.Count} people enrolled from real photos, {photos.Probes.Count} probes; load average {LoadAverage()}");

foreach (var kind in stores)
{
    PostgresServer? pg = null;
    if (kind == "postgres") { pg = new PostgresServer(); await pg.InitializeAsync(); }
    try
    {
        // The same start on an empty store: what models and host cost before any face is loaded.
        var emptyArgs = kind == "sqlite" ? Fresh(Path.Combine(work, "sqlite-empty")) : ["--store", await pg!.CreateDatabaseAsync()];
        await using (var empty = ServeProcess.Start(cli, AdminKey, emptyArgs))
        {
            double ready = await empty.WaitReadyAsync(TimeSpan.FromMinutes(5));
            Console.WriteLine($"{kind} 0 faces: ready in {ready:F1} s, server CPU {empty.CpuSeconds():F1} s, RSS {empty.StatusMb("VmRSS"):F0} MB");
        }
        foreach (int n in sizes) await RunAsync(kind, n, pg);
    }
    finally { if (pg is not null) await pg.DisposeAsync(); }
}
return 0;

async Task RunAsync(string kind, int n, PostgresServer? pg)
{
    // ---- fill (SQLite is cached in the work dir between runs; PostgreSQL lives as long as its throw-away server) ----
    string[] storeArgs;
    string collectionId;
    string marker = Path.Combine(work, $"sqlite-{n}.collection");
    if (kind == "sqlite" && File.Exists(marker))
    {
        storeArgs = ["--data", Path.Combine(work, $"sqlite-{n}")];
        collectionId = File.ReadAllText(marker).Trim();
        Console.WriteLine($"{kind} {n:N0}: reusing the store filled by an earlier run ({storeArgs[1]}, {DirMb(storeArgs[1]):F0} MB)");
    }
    else
    {
        storeArgs = kind == "sqlite" ? Fresh(Path.Combine(work, $"sqlite-{n}")) : ["--store", await pg!.CreateDatabaseAsync() + PgExtra()];
        // The workspace, admin key and collection are made by the service itself, then it stops and the rows go in.
        await using (var first = ServeProcess.Start(cli, AdminKey, storeArgs))
        {
            await first.WaitReadyAsync(TimeSpan.FromMinutes(5));
            var created = await PostJson(first.Http, "/api/v1/collections", new { name = "startup", settings = new { auto_enroll = false, check_liveness = false } });
            collectionId = created.GetProperty("data").GetProperty("collection_id").GetString()!;
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var fill = kind == "sqlite"
            ? await StoreFill.SqliteAsync(Path.Combine(storeArgs[1], "visage.db"), collectionId, n)
            : await StoreFill.PostgresAsync(storeArgs[1], collectionId, n);
        string size = kind == "sqlite" ? $"{DirMb(storeArgs[1]):F0} MB" : $"{await PgSizeMb(storeArgs[1]):F0} MB";
        Console.WriteLine($"{kind} {n:N0}: filled in {fill.TotalSeconds:F0} s ({n / fill.TotalSeconds:F0} faces/s, bench CPU " +
                          $"{(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F0} s), store on disk {size}");
        if (kind == "sqlite") File.WriteAllText(marker, collectionId);
    }

    // ---- start on the filled store ----
    string load = LoadAverage();
    await using var serve = ServeProcess.Start(cli, AdminKey, storeArgs);
    double readySeconds = await serve.WaitReadyAsync(TimeSpan.FromMinutes(20));
    double cpuAtReady = serve.CpuSeconds();
    double rss = serve.StatusMb("VmRSS"), hwm = serve.StatusMb("VmHWM"), anon = serve.StatusMb("RssAnon");
    var metrics = await serve.MetricsAsync();
    double indexMb = Sum(metrics, "visage_index_memory_bytes{") / 1048576.0, vectors = Sum(metrics, "visage_index_vectors{");
    Console.WriteLine($"{kind} {n:N0}: ready in {readySeconds:F1} s (load average before start {load}), server CPU {cpuAtReady:F1} s; " +
                      $"{serve.LogLine("Indexes loaded")?.Trim()}");
    Console.WriteLine($"{kind} {n:N0}: busiest threads at ready: {serve.BusiestThreads(5)}");
    Console.WriteLine($"{kind} {n:N0}: RSS after load {rss:F0} MB (anonymous {anon:F0} MB, peak {hwm:F0} MB); index vectors {indexMb:F0} MB " +
                      $"for {vectors:N0} vectors; the rest {rss - indexMb:F0} MB");

    // ---- enroll real people while serving, identify their other photos ----
    var enrolled = new Dictionary<string, string>(StringComparer.Ordinal);   // person → face id
    var enrollWatch = Stopwatch.StartNew();
    foreach (var (person, file) in photos.Enrolled)
    {
        using var form = Photos.Form(file, person);
        using var r = await serve.Http.PostAsync($"/api/v1/collections/{collectionId}/faces", form);
        var json = await r.Content.ReadFromJsonAsync<JsonElement>();
        if (r.IsSuccessStatusCode) enrolled[person] = json.GetProperty("data").GetProperty("face_id").GetString()!;
    }
    Console.WriteLine($"{kind} {n:N0}: enrolled {enrolled.Count}/{photos.Enrolled.Count} people while serving in {enrollWatch.Elapsed.TotalSeconds:F1} s");

    var probes = photos.Probes.Where(p => enrolled.ContainsKey(p.Person)).Take(probesWanted).ToList();
    for (int i = 0; i < Math.Min(3, probes.Count); i++) await IdentifyAsync(serve, collectionId, probes[i].File);   // warm-up
    var before = await serve.MetricsAsync();
    double cpuBefore = serve.CpuSeconds();
    var latency = new List<double>();
    int right = 0, wrong = 0, none = 0;
    foreach (var (person, file) in probes)
    {
        var watch = Stopwatch.StartNew();
        var matches = await IdentifyAsync(serve, collectionId, file);
        latency.Add(watch.Elapsed.TotalMilliseconds);
        if (matches.Count == 0) none++;
        else if (matches[0].ExternalId == person) right++;
        else wrong++;
    }
    var after = await serve.MetricsAsync();
    const string Search = "visage_pipeline_stage_duration_seconds_{0}{{stage=\"index_search\"}}";
    double searchCount = Delta(before, after, string.Format(CultureInfo.InvariantCulture, Search, "count"));
    double searchMs = searchCount > 0 ? Delta(before, after, string.Format(CultureInfo.InvariantCulture, Search, "sum")) * 1000 / searchCount : double.NaN;
    latency.Sort();
    Console.WriteLine($"{kind} {n:N0}: identify {probes.Count} probes over HTTP, one at a time: p50 {Pct(latency, 50):F0} ms, p95 {Pct(latency, 95):F0} ms " +
                      $"(server CPU {(serve.CpuSeconds() - cpuBefore) * 1000 / Math.Max(1, probes.Count):F0} ms/request; index search mean {searchMs:F1} ms); " +
                      $"rank-1 right {right}, wrong {wrong}, no match {none}; load average {LoadAverage()}");

    // ---- delete while serving: that face must never come back ----
    var victim = probes.Select(p => p.Person).FirstOrDefault(enrolled.ContainsKey);
    if (victim is not null)
    {
        using (var d = await serve.Http.DeleteAsync($"/api/v1/collections/{collectionId}/faces/{enrolled[victim]}")) d.EnsureSuccessStatusCode();
        int returned = 0, asked = 0;
        foreach (var (person, file) in probes.Where(p => p.Person == victim))
        {
            asked++;
            foreach (var m in await IdentifyAsync(serve, collectionId, file)) if (m.FaceId == enrolled[victim]) returned++;
        }
        Console.WriteLine($"{kind} {n:N0}: deleted {victim}'s face while serving; {asked} probes of {victim} afterwards returned it {returned} times" +
                          (returned == 0 ? " (never returned)" : " — FAULT: a deleted face was returned"));
        enrolled.Remove(victim);
    }
    // The cached store goes back to its N synthetic faces.
    foreach (var faceId in enrolled.Values)
        using (var d = await serve.Http.DeleteAsync($"/api/v1/collections/{collectionId}/faces/{faceId}")) d.EnsureSuccessStatusCode();
    Console.WriteLine($"{kind} {n:N0}: RSS after the identify run {serve.StatusMb("VmRSS"):F0} MB (peak {serve.StatusMb("VmHWM"):F0} MB)");
}

static async Task<List<(string FaceId, string ExternalId)>> IdentifyAsync(ServeProcess serve, string collectionId, string file)
{
    using var form = Photos.Form(file, null);
    using var r = await serve.Http.PostAsync($"/api/v1/collections/{collectionId}/identify", form);
    var json = await r.Content.ReadFromJsonAsync<JsonElement>();
    var list = new List<(string, string)>();
    if (!r.IsSuccessStatusCode) return list;   // no face found in the photo: counted as "no match"
    foreach (var m in json.GetProperty("data").GetProperty("matches").EnumerateArray())
        list.Add((m.GetProperty("face_id").GetString()!, m.GetProperty("external_id").GetString()!));
    return list;
}

static async Task<JsonElement> PostJson(HttpClient http, string path, object body)
{
    using var r = await http.PostAsJsonAsync(path, body);
    var json = await r.Content.ReadFromJsonAsync<JsonElement>();
    if (!r.IsSuccessStatusCode) throw new InvalidOperationException($"{path}: {(int)r.StatusCode} {json}");
    return json;
}

static string[] Fresh(string dir)
{
    if (Directory.Exists(dir)) Directory.Delete(dir, true);
    Directory.CreateDirectory(dir);
    return ["--data", dir];
}

static double DirMb(string dir) => new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) / 1048576.0;

static async Task<double> PgSizeMb(string connectionString)
{
    await using var c = new Npgsql.NpgsqlConnection(connectionString);
    await c.OpenAsync();
    await using var cmd = new Npgsql.NpgsqlCommand("SELECT pg_database_size(current_database())", c);
    return (long)(await cmd.ExecuteScalarAsync())! / 1048576.0;
}

static double Sum(Dictionary<string, double> metrics, string prefix)
{
    double total = 0;
    foreach (var (k, v) in metrics) if (k.StartsWith(prefix, StringComparison.Ordinal)) total += v;
    return total;
}

static double Delta(Dictionary<string, double> a, Dictionary<string, double> b, string key) =>
    b.GetValueOrDefault(key) - a.GetValueOrDefault(key);

static double Pct(List<double> sorted, int p) =>
    sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1)];

// Extra connection-string settings for the service's PostgreSQL store (e.g. "Read Buffer Size=65536"), to compare.
static string PgExtra() => Environment.GetEnvironmentVariable("VISAGE_BENCH_PG_EXTRA") is { Length: > 0 } extra ? ";" + extra : "";

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

string Arg(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;

/// <summary>Real photos: the first photo of each person in verify/ is enrolled, the others are identify probes.
/// The multi-megapixel phone photos are left out so a request costs what a typical upload costs.</summary>
sealed record Photos(List<(string Person, string File)> Enrolled, List<(string Person, string File)> Probes)
{
    public static Photos Load(string dir)
    {
        var enrolled = new List<(string, string)>();
        var probes = new List<(string, string)>();
        foreach (var personDir in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
        {
            var files = Directory.GetFiles(personDir).Where(f => (f.EndsWith(".jpg") || f.EndsWith(".png")) && new FileInfo(f).Length < 1_000_000)
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count < 2) continue;
            string person = Path.GetFileName(personDir);
            enrolled.Add((person, files[0]));
            foreach (var f in files.Skip(1)) probes.Add((person, f));
        }
        // Interleave people so a short run still covers many of them.
        probes = [.. probes.Select((p, i) => (p, i)).OrderBy(x => probes.Take(x.i).Count(q => q.Item1 == x.p.Item1)).ThenBy(x => x.i).Select(x => x.p)];
        return new Photos(enrolled, probes);
    }

    public static MultipartFormDataContent Form(string file, string? externalId)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(file)), "image", Path.GetFileName(file) } };
        if (externalId is not null) form.Add(new StringContent(externalId), "external_id");
        return form;
    }
}
