using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Visage.Cli.Commands;
using Visage.Service;
using Visage.Storage;

namespace Visage.Cli.Operations;

/// <summary>Where <c>visage import</c> enrols: a running service over HTTP, or the store directly.</summary>
public interface IImportTarget : IAsyncDisposable
{
    string CollectionId { get; }
    string Description { get; }
    /// <param name="requestKey">Derived from everything the request carries: a retried request is recognised as such.</param>
    Task<ImportOutcome> EnrollAsync(ImportItem item, byte[] image, string requestKey, CancellationToken ct);
}

public static class ImportRequestKey
{
    /// <summary>An Idempotency-Key (≤ 64 of [A-Za-z0-9_-]) from the collection, the person, the metadata and the photo.</summary>
    public static string For(string collectionId, ImportItem item, ReadOnlySpan<byte> image)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in (ReadOnlySpan<string?>)[collectionId, item.ExternalId, item.MetadataJson])
        {
            var bytes = Encoding.UTF8.GetBytes(part ?? "");
            sha.AppendData(BitConverter.GetBytes(bytes.Length));
            sha.AppendData(bytes);
        }
        sha.AppendData(image);
        return "import-" + Convert.ToHexStringLower(sha.GetHashAndReset())[..56];
    }
}

/// <summary>Enrols through the service layer in-process (the service is stopped). The request key is kept in the
/// store's idempotency table, as the HTTP service does, so a file enrolled just before a crash is not enrolled twice.</summary>
public sealed class DirectImportTarget(LocalService local, CollectionRecord collection) : IImportTarget
{
    public string CollectionId => collection.Id;
    public string Description => $"{local.Store.Kind} store, collection {collection.Id} ({collection.Name})";

    public async Task<ImportOutcome> EnrollAsync(ImportItem item, byte[] image, string requestKey, CancellationToken ct)
    {
        var ws = local.Caller.WorkspaceId;
        if (await local.Store.GetIdempotencyAsync(ws, requestKey, ct) is { } earlier && EnrolledFace(earlier) is { } faceId)
            return ImportOutcome.Enrolled(faceId);
        try
        {
            var face = await local.Faces.EnrollAsync(local.Caller, collection.Id, new EnrollRequest(new ImageInput(image), item.ExternalId, item.MetadataJson, null), ct);
            await local.Store.TryPutIdempotencyAsync(new IdempotencyRecord(ws, requestKey, SHA256.HashData(image), 201, face.FaceId,
                DateTimeOffset.UtcNow), CancellationToken.None);
            return ImportOutcome.Enrolled(face.FaceId);
        }
        catch (VisageApiException e) when (e is not ServiceOverloadedException)
        {
            return ImportOutcome.Rejected(e.Code, Reasons(e.Details) ?? e.Message);
        }
    }

    /// <summary>The face of an earlier enrolment under this key: recorded by a direct import (the face id) or by the HTTP
    /// service (its JSON answer). A refusal recorded by the service is not final here: the photo is tried again.</summary>
    static string? EnrolledFace(IdempotencyRecord earlier)
    {
        if (earlier.StatusCode != 201) return null;
        if (!earlier.ResponseBody.StartsWith('{')) return earlier.ResponseBody;
        try
        {
            using var doc = JsonDocument.Parse(earlier.ResponseBody);
            return doc.RootElement.GetProperty("data").GetProperty("face_id").GetString();
        }
        catch (Exception e) when (e is JsonException or System.Collections.Generic.KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    static string? Reasons(IReadOnlyDictionary<string, object?>? details) =>
        details?.GetValueOrDefault("reasons") is IEnumerable<string> reasons ? string.Join(";", reasons) : null;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Enrols through <c>POST /api/v1/collections/{id}/faces</c> with an Idempotency-Key, retrying overload
/// (503, with its Retry-After) and connection failures a few times before calling the file failed.</summary>
public sealed class HttpImportTarget : IImportTarget
{
    const int Attempts = 4;
    readonly HttpClient _http;

    HttpImportTarget(HttpClient http, string collectionId, string name)
    {
        _http = http;
        CollectionId = collectionId;
        Description = $"{http.BaseAddress} collection {collectionId} ({name})";
    }

    public string CollectionId { get; }
    public string Description { get; }

    /// <summary>Connects, checks the key, and finds the collection by id or name (creating it when asked).</summary>
    public static async Task<HttpImportTarget> ConnectAsync(Uri baseAddress, string apiKey, string collection, bool create, CancellationToken ct)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        try
        {
            var (id, name) = await ResolveCollectionAsync(http, collection, create, ct);
            return new HttpImportTarget(http, id, name);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    static async Task<(string Id, string Name)> ResolveCollectionAsync(HttpClient http, string collection, bool create, CancellationToken ct)
    {
        if (Ids.IsValid(collection, "col"))
        {
            var data = await SendAsync(http, () => new HttpRequestMessage(HttpMethod.Get, $"api/v1/collections/{collection}"), ct);
            return (collection, data.GetProperty("name").GetString()!);
        }
        for (int page = 1; ; page++)
        {
            var data = await SendAsync(http, () => new HttpRequestMessage(HttpMethod.Get, $"api/v1/collections?page={page}&page_size=1000"), ct);
            foreach (var c in data.GetProperty("items").EnumerateArray())
                if (c.GetProperty("name").GetString() == collection) return (c.GetProperty("collection_id").GetString()!, collection);
            if (page >= data.GetProperty("total_pages").GetInt32()) break;
        }
        if (!create) throw new UsageException($"no collection named '{collection}' at {http.BaseAddress}; add --create to create it");
        var created = await SendAsync(http, () => new HttpRequestMessage(HttpMethod.Post, "api/v1/collections") { Content = JsonContent.Create(new { name = collection }) }, ct);
        return (created.GetProperty("collection_id").GetString()!, collection);
    }

    /// <summary>A call whose failure ends the whole import (bad key, missing collection): it becomes a usage error.</summary>
    static async Task<JsonElement> SendAsync(HttpClient http, Func<HttpRequestMessage> request, CancellationToken ct)
    {
        using var response = await http.SendAsync(request(), ct);
        using var doc = await ReadJsonAsync(response, ct);
        if (response.IsSuccessStatusCode && doc?.RootElement.TryGetProperty("data", out var data) == true) return data.Clone();
        throw new UsageException($"{http.BaseAddress}: {Describe(response, doc)}");
    }

    public async Task<ImportOutcome> EnrollAsync(ImportItem item, byte[] image, string requestKey, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(image);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, "image", Path.GetFileName(item.Path));
            form.Add(new StringContent(item.ExternalId), "external_id");
            if (item.MetadataJson is not null) form.Add(new StringContent(item.MetadataJson), "metadata");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"api/v1/collections/{CollectionId}/faces") { Content = form };
            request.Headers.Add("Idempotency-Key", requestKey);
            TimeSpan wait;
            try
            {
                using var response = await _http.SendAsync(request, ct);
                using var doc = await ReadJsonAsync(response, ct);
                if (response.IsSuccessStatusCode && doc is not null)
                    return ImportOutcome.Enrolled(doc.RootElement.GetProperty("data").GetProperty("face_id").GetString()!);
                if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
                    throw new UsageException($"{_http.BaseAddress}: {Describe(response, doc)}");
                var (code, reasons) = ErrorOf(response, doc);
                if ((int)response.StatusCode < 500 && response.StatusCode != HttpStatusCode.TooManyRequests) return ImportOutcome.Rejected(code, reasons);
                if (attempt == Attempts) return ImportOutcome.Failed(code, reasons);
                wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(attempt);
            }
            catch (HttpRequestException e)
            {
                if (attempt == Attempts) return ImportOutcome.Failed("CONNECTION_FAILED", e.Message);
                wait = TimeSpan.FromSeconds(attempt);
            }
            catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
            {
                if (attempt == Attempts) return ImportOutcome.Failed("TIMEOUT", e.Message);
                wait = TimeSpan.FromSeconds(attempt);
            }
            await Task.Delay(wait, ct);
        }
    }

    static async Task<JsonDocument?> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try { return JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)); }
        catch (JsonException) { return null; }
    }

    static (string Code, string Reasons) ErrorOf(HttpResponseMessage response, JsonDocument? doc)
    {
        if (doc is null || !doc.RootElement.TryGetProperty("error", out var error)) return ("HTTP_" + (int)response.StatusCode, response.ReasonPhrase ?? "");
        var code = error.GetProperty("code").GetString() ?? "";
        var text = error.GetProperty("message").GetString() ?? "";
        if (error.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Object
            && details.TryGetProperty("reasons", out var reasons) && reasons.ValueKind == JsonValueKind.Array)
        {
            var list = new List<string>();
            foreach (var r in reasons.EnumerateArray()) list.Add(r.GetString() ?? "");
            text = string.Join(";", list);
        }
        return (code, text);
    }

    static string Describe(HttpResponseMessage response, JsonDocument? doc)
    {
        var (code, message) = ErrorOf(response, doc);
        return $"{(int)response.StatusCode} {code}: {message}";
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
