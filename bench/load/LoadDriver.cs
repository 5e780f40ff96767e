using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Visage.Bench.Load;

public enum Op { Enroll, Identify, Update, Delete }

/// <summary>What to run: against <see cref="BaseAddress"/> with an admin key, <see cref="Clients"/> concurrent clients
/// for at most <see cref="Duration"/> and at most <see cref="MaxRequests"/> requests, photos cycled from
/// <see cref="PhotoDirs"/> (one folder per person; the folder's name is the external_id).</summary>
public sealed record LoadOptions(Uri BaseAddress, string ApiKey, IReadOnlyList<string> PhotoDirs)
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(180);
    public int Clients { get; init; } = 16;
    public long MaxRequests { get; init; } = long.MaxValue;
    public int Seed { get; init; } = 1;
    public TimeSpan SampleEvery { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Reads the service's memory (RSS, managed heap) for the plot; null when it cannot be observed.</summary>
    public Func<Task<MemorySample>>? SampleMemory { get; init; }
}

public readonly record struct MemorySample(double Seconds, long RssBytes, long HeapBytes);

public sealed record OpStats(Op Op, long Requests, double PerSecond, double P50Ms, double P95Ms, double P99Ms, double MaxMs,
    IReadOnlyDictionary<int, long> ByStatus);

/// <summary>The outcome: per-operation figures, memory over time, and the final consistency check's findings
/// (empty <see cref="Inconsistencies"/> means consistent).</summary>
public sealed record LoadReport(double Seconds, IReadOnlyList<OpStats> Ops, IReadOnlyList<MemorySample> Memory,
    long ServerErrors, long Timeouts, long EnrollsOk, long DeletesOk, long FaceCount, long ListedTotal,
    long DeletedFacesReturnedByIdentify, IReadOnlyList<string> Inconsistencies)
{
    public long Requests { get { long n = 0; foreach (var o in Ops) n += o.Requests; return n; } }
    public double PerSecond => Requests / Seconds;
}

/// <summary>Many concurrent clients enrolling, identifying, updating metadata and deleting in one collection over real
/// HTTP, then a consistency check of the collection against what the clients saw succeed. Each client only updates and
/// deletes faces it enrolled, so a 404 is a bug and not a race between clients.</summary>
public sealed class LoadDriver(LoadOptions options)
{
    readonly ConcurrentDictionary<string, byte> _deleted = new();
    readonly ConcurrentDictionary<string, byte> _live = new();
    readonly List<double>[] _latencies = [[], [], [], []];
    readonly ConcurrentDictionary<(Op, int), long> _statuses = new();
    long _requests, _enrollsOk, _deletesOk, _staleMatches, _timeouts;

    public string? CollectionId { get; private set; }

    public async Task<LoadReport> RunAsync(CancellationToken ct = default)
    {
        var photos = LoadPhotos(options.PhotoDirs);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        using var http = new HttpClient(handler) { BaseAddress = options.BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        http.DefaultRequestHeaders.Add("X-API-Key", options.ApiKey);
        CollectionId = await CreateCollectionAsync(http, ct);

        var memory = new List<MemorySample>();
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stop.CancelAfter(options.Duration);
        var sampler = SampleAsync(memory, clock, stop.Token);
        var clients = new Task[options.Clients];
        for (int i = 0; i < clients.Length; i++)
        {
            var random = new Random(HashCode.Combine(options.Seed, i)); // each client's own sequence: runs are repeatable in their choices
            clients[i] = Task.Run(() => ClientAsync(http, photos, random, stop.Token), CancellationToken.None);
        }
        await Task.WhenAll(clients);
        var seconds = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await sampler;
        if (options.SampleMemory is { } last) memory.Add((await last()) with { Seconds = clock.Elapsed.TotalSeconds });

        var (faceCount, listedTotal, problems) = await CheckConsistencyAsync(http, photos, ct);
        var ops = new List<OpStats>(4);
        foreach (var op in Enum.GetValues<Op>()) ops.Add(Stats(op, seconds));
        long serverErrors = 0;
        foreach (var ((_, status), n) in _statuses) if (status >= 500) serverErrors += n;
        return new LoadReport(seconds, ops, memory, serverErrors, _timeouts, _enrollsOk, _deletesOk, faceCount, listedTotal,
            _staleMatches, problems);
    }

    sealed record Photo(string Person, byte[] Bytes, string FileName);

    static List<Photo> LoadPhotos(IReadOnlyList<string> dirs)
    {
        var photos = new List<Photo>();
        foreach (var dir in dirs)
        {
            var files = Directory.GetFiles(dir);
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var f in files) photos.Add(new Photo(Path.GetFileName(dir), File.ReadAllBytes(f), Path.GetFileName(f)));
        }
        if (photos.Count == 0) throw new ArgumentException("no photos in the given folders");
        return photos;
    }

    async Task<string> CreateCollectionAsync(HttpClient http, CancellationToken ct)
    {
        // Liveness off: several press photos of verify/ score as replays, which would measure refusals, not the service.
        using var r = await http.PostAsJsonAsync("/api/v1/collections",
            new { name = "load", settings = new { check_liveness = false } }, ct);
        var body = await r.Content.ReadFromJsonAsync<JsonElement>(ct);
        if (r.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"create collection: {(int)r.StatusCode} {body}");
        return body.GetProperty("data").GetProperty("collection_id").GetString()!;
    }

    async Task ClientAsync(HttpClient http, List<Photo> photos, Random random, CancellationToken stop)
    {
        var mine = new List<string>();
        while (!stop.IsCancellationRequested && Interlocked.Increment(ref _requests) <= options.MaxRequests)
        {
            // Enroll and identify dominate (they carry the inference); updates and deletes need a face of this client's.
            int roll = random.Next(100);
            var op = mine.Count == 0 || roll < 35 ? Op.Enroll : roll < 70 ? Op.Identify : roll < 85 ? Op.Update : Op.Delete;
            try
            {
                switch (op)
                {
                    case Op.Enroll: await EnrollAsync(http, photos[random.Next(photos.Count)], mine); break;
                    case Op.Identify: await IdentifyAsync(http, photos[random.Next(photos.Count)]); break;
                    case Op.Update: await UpdateAsync(http, mine[random.Next(mine.Count)], random.Next()); break;
                    case Op.Delete: await DeleteAsync(http, mine, random.Next(mine.Count)); break;
                }
            }
            catch (TaskCanceledException) { Interlocked.Increment(ref _timeouts); Count(op, 0); }
            catch (HttpRequestException) { Count(op, 0); } // a connection refused or reset: counted as status 0, reported
        }
    }

    async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient http, Op op, HttpRequestMessage request)
    {
        var started = Stopwatch.GetTimestamp();
        // No cancellation token: a request in flight when the time is up finishes, so nothing is left half-known.
        using var response = await http.SendAsync(request, CancellationToken.None);
        var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var list = _latencies[(int)op];
        lock (list) list.Add(ms);
        Count(op, (int)response.StatusCode);
        if (bytes.Length == 0 || response.Content.Headers.ContentType?.MediaType?.Contains("json") != true) return (response.StatusCode, default);
        using var document = JsonDocument.Parse(bytes); // disposed: its buffers go back to the pool the service also uses
        return (response.StatusCode, document.RootElement.Clone());
    }

    void Count(Op op, int status) => _statuses.AddOrUpdate((op, status), 1, (_, n) => n + 1);

    static MultipartFormDataContent Form(Photo photo)
    {
        var image = new ByteArrayContent(photo.Bytes);
        image.Headers.ContentType = new MediaTypeHeaderValue(photo.FileName.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg");
        return new MultipartFormDataContent { { image, "image", photo.FileName } };
    }

    async Task EnrollAsync(HttpClient http, Photo photo, List<string> mine)
    {
        var form = Form(photo);
        form.Add(new StringContent(photo.Person), "external_id");
        form.Add(new StringContent("{\"source\":\"load\"}"), "metadata");
        var (status, body) = await SendAsync(http, Op.Enroll, new HttpRequestMessage(HttpMethod.Post, $"/api/v1/collections/{CollectionId}/faces") { Content = form });
        if (status != HttpStatusCode.Created) return;
        var id = body.GetProperty("data").GetProperty("face_id").GetString()!;
        mine.Add(id);
        _live[id] = 0;
        Interlocked.Increment(ref _enrollsOk);
    }

    async Task IdentifyAsync(HttpClient http, Photo photo)
    {
        // Faces whose deletion was acknowledged before this request was sent must never come back.
        var deletedBefore = new HashSet<string>(_deleted.Keys);
        var form = Form(photo);
        form.Add(new StringContent("10"), "top_k");
        var (status, body) = await SendAsync(http, Op.Identify, new HttpRequestMessage(HttpMethod.Post, $"/api/v1/collections/{CollectionId}/identify") { Content = form });
        if (status != HttpStatusCode.OK) return;
        foreach (var match in body.GetProperty("data").GetProperty("matches").EnumerateArray())
            if (deletedBefore.Contains(match.GetProperty("face_id").GetString()!)) Interlocked.Increment(ref _staleMatches);
    }

    async Task UpdateAsync(HttpClient http, string faceId, int value)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/v1/collections/{CollectionId}/faces/{faceId}")
        { Content = JsonContent.Create(new { metadata = new { source = "load", value } }) };
        await SendAsync(http, Op.Update, request);
    }

    async Task DeleteAsync(HttpClient http, List<string> mine, int index)
    {
        var faceId = mine[index];
        var (status, _) = await SendAsync(http, Op.Delete, new HttpRequestMessage(HttpMethod.Delete, $"/api/v1/collections/{CollectionId}/faces/{faceId}"));
        if (status != HttpStatusCode.OK) return;
        mine.RemoveAt(index);
        _live.TryRemove(faceId, out _);
        _deleted[faceId] = 0;
        Interlocked.Increment(ref _deletesOk);
    }

    async Task SampleAsync(List<MemorySample> memory, Stopwatch clock, CancellationToken stop)
    {
        if (options.SampleMemory is not { } sample) return;
        using var timer = new PeriodicTimer(options.SampleEvery);
        do memory.Add((await sample()) with { Seconds = clock.Elapsed.TotalSeconds });
        while (await Wait(timer, stop));

        static async Task<bool> Wait(PeriodicTimer t, CancellationToken ct)
        {
            try { return await t.WaitForNextTickAsync(ct); }
            catch (OperationCanceledException) { return false; }
        }
    }

    /// <summary>After the run, with no request in flight: the count equals enrolls − deletes, the listing holds exactly
    /// the faces the clients kept, and identify returns no deleted face.</summary>
    async Task<(long FaceCount, long ListedTotal, List<string> Problems)> CheckConsistencyAsync(HttpClient http, List<Photo> photos, CancellationToken ct)
    {
        var problems = new List<string>();
        var collection = await http.GetFromJsonAsync<JsonElement>($"/api/v1/collections/{CollectionId}", ct);
        long faceCount = collection.GetProperty("data").GetProperty("face_count").GetInt64();
        if (faceCount != _enrollsOk - _deletesOk)
            problems.Add($"face_count {faceCount} != enrolls {_enrollsOk} - deletes {_deletesOk}");

        var listed = new HashSet<string>();
        long total = -1;
        for (int page = 1; ; page++)
        {
            var data = (await http.GetFromJsonAsync<JsonElement>($"/api/v1/collections/{CollectionId}/faces?page={page}&page_size=1000", ct)).GetProperty("data");
            total = data.GetProperty("total").GetInt64();
            int items = 0;
            foreach (var face in data.GetProperty("items").EnumerateArray()) { listed.Add(face.GetProperty("face_id").GetString()!); items++; }
            if (items == 0 || page >= data.GetProperty("total_pages").GetInt32()) break;
        }
        if (total != faceCount) problems.Add($"list total {total} != face_count {faceCount}");
        if (listed.Count != total) problems.Add($"{listed.Count} distinct faces listed, total says {total}");
        foreach (var id in _live.Keys) if (!listed.Contains(id)) problems.Add($"enrolled face {id} missing from the list");
        foreach (var id in _deleted.Keys) if (listed.Contains(id)) problems.Add($"deleted face {id} still listed");

        // One identify per person: with every client stopped, no deleted face may match.
        var seen = new HashSet<string>();
        foreach (var photo in photos)
        {
            if (!seen.Add(photo.Person)) continue;
            var form = Form(photo);
            form.Add(new StringContent("50"), "top_k");
            using var r = await http.PostAsync($"/api/v1/collections/{CollectionId}/identify", form, ct);
            if (r.StatusCode != HttpStatusCode.OK) continue; // no usable face in this photo: nothing to check
            var body = await r.Content.ReadFromJsonAsync<JsonElement>(ct);
            foreach (var match in body.GetProperty("data").GetProperty("matches").EnumerateArray())
                if (_deleted.ContainsKey(match.GetProperty("face_id").GetString()!))
                    problems.Add($"identify returned deleted face {match.GetProperty("face_id").GetString()}");
        }
        if (_staleMatches > 0) problems.Add($"{_staleMatches} identify answers during the run held a face deleted before they were sent");
        return (faceCount, total, problems);
    }

    OpStats Stats(Op op, double seconds)
    {
        var list = _latencies[(int)op];
        var sorted = list.ToArray();
        Array.Sort(sorted);
        var byStatus = new SortedDictionary<int, long>();
        foreach (var ((o, status), n) in _statuses) if (o == op) byStatus[status] = n;
        long requests = 0;
        foreach (var n in byStatus.Values) requests += n;
        return new OpStats(op, requests, requests / seconds, Percentile(sorted, 0.50), Percentile(sorted, 0.95), Percentile(sorted, 0.99),
            sorted.Length == 0 ? 0 : sorted[^1], byStatus);
    }

    static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
