using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Visage.Testing;

namespace Visage.Server.Tests;

public sealed record ApiResponse(HttpStatusCode Status, JsonElement Json, HttpResponseMessage Message, byte[] Bytes)
{
    public JsonElement Data => Json.GetProperty("data");
    public string? ErrorCode => Json.ValueKind == JsonValueKind.Object && Json.TryGetProperty("error", out var e) ? e.GetProperty("code").GetString() : null;
    public string Header(string name) =>
        Message.Headers.TryGetValues(name, out var v) ? string.Join(",", v)
        : Message.Content.Headers.TryGetValues(name, out var c) ? string.Join(",", c) : "";
    public override string ToString() => $"{(int)Status} {System.Text.Encoding.UTF8.GetString(Bytes)}";
}

/// <summary>An uploaded file part.</summary>
public sealed record Upload(byte[] Bytes, string FileName = "photo.jpg");

public static class Photos
{
    public static Upload Verify(string person, int n)
    {
        var dir = TestData.Path_("verify", person);
        var files = Directory.GetFiles(dir);
        Array.Sort(files, StringComparer.Ordinal);
        return new Upload(File.ReadAllBytes(files[n - 1]), Path.GetFileName(files[n - 1]));
    }
    public static Upload File_(params string[] parts) => new(TestData.Read(parts), parts[^1]);
    public static Upload NoFace => File_("quality", "noface", "skimage_grass.png");
    public static Upload Blurred => File_("quality", "blur", "GEN_Adel_Al-Jubeir_0001_gauss4.jpg");
    public static Upload Tiny => File_("quality", "tiny", "GEN_Adel_Al-Jubeir_0001_48px.jpg");
    public static Upload Spoof => File_("liveness", "spoof", "vidframe_lestari15_fake_t000.0s.jpg");
}

/// <summary>Real HTTP to the running service.</summary>
public sealed class ApiClient(HttpClient http, string? key)
{
    public HttpClient Http => http;

    public Task<ApiResponse> Get(string path) => Send(new HttpRequestMessage(HttpMethod.Get, path));
    public Task<ApiResponse> Delete(string path) => Send(new HttpRequestMessage(HttpMethod.Delete, path));
    public Task<ApiResponse> PostJson(string path, object body, string? idempotencyKey = null) => Json(HttpMethod.Post, path, body, idempotencyKey);
    public Task<ApiResponse> PutJson(string path, object body) => Json(HttpMethod.Put, path, body);
    public Task<ApiResponse> PatchJson(string path, object body) => Json(HttpMethod.Patch, path, body);

    Task<ApiResponse> Json(HttpMethod method, string path, object body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return Send(request);
    }

    /// <summary>multipart/form-data: values are strings or <see cref="Upload"/>s.</summary>
    public Task<ApiResponse> PostForm(string path, params (string Name, object Value)[] parts) => PostForm(path, null, parts);

    public Task<ApiResponse> PostForm(string path, bool expectContinue, params (string Name, object Value)[] parts) =>
        PostForm(path, null, parts, expectContinue);

    public Task<ApiResponse> PostForm(string path, string? idempotencyKey, params (string Name, object Value)[] parts) =>
        PostForm(path, idempotencyKey, parts, false);

    Task<ApiResponse> PostForm(string path, string? idempotencyKey, (string Name, object Value)[] parts, bool expectContinue)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in parts)
            if (value is Upload u)
            {
                var content = new ByteArrayContent(u.Bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue(u.FileName.EndsWith(".png") ? "image/png" : "image/jpeg");
                form.Add(content, name, u.FileName);
            }
            else form.Add(new StringContent(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!), name);
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = form };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (expectContinue) request.Headers.ExpectContinue = true;
        return Send(request);
    }

    public async Task<ApiResponse> Send(HttpRequestMessage request)
    {
        if (key is not null) request.Headers.Add("X-API-Key", key);
        using var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        JsonElement json = default;
        if (response.Content.Headers.ContentType?.MediaType?.Contains("json") == true && bytes.Length > 0)
            json = JsonDocument.Parse(bytes).RootElement.Clone();
        return new ApiResponse(response.StatusCode, json, response, bytes);
    }

    // Shortcuts used by many tests.
    /// <summary>A collection; without settings, liveness is off so that tests of search do not hang on the
    /// liveness model's view of press photos (tests of liveness turn it on).</summary>
    public async Task<string> CreateCollection(object? settings = null, string name = "test")
    {
        var r = await PostJson("/api/v1/collections", new { name, settings = settings ?? new { check_liveness = false } });
        if (r.Status != HttpStatusCode.Created) throw new InvalidOperationException("create collection: " + r);
        return r.Data.GetProperty("collection_id").GetString()!;
    }

    public async Task<JsonElement> Enroll(string collectionId, Upload photo, string externalId, string? metadata = null)
    {
        var parts = new List<(string, object)> { ("image", photo), ("external_id", externalId) };
        if (metadata is not null) parts.Add(("metadata", metadata));
        var r = await PostForm($"/api/v1/collections/{collectionId}/faces", [.. parts]);
        if (r.Status != HttpStatusCode.Created) throw new InvalidOperationException("enroll: " + r);
        return r.Data;
    }

    public Task<ApiResponse> Identify(string collectionId, Upload photo, params (string, object)[] extra) =>
        PostForm($"/api/v1/collections/{collectionId}/identify", [("image", photo), .. extra]);
}
