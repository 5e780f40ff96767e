using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Visage.Ui.Tests;

/// <summary>Sets up and checks state through the real HTTP API, so a browser test only drives what it is about.</summary>
public sealed class ApiClient(Uri baseUrl, string key) : IDisposable
{
    readonly HttpClient _http = new() { BaseAddress = new Uri(baseUrl, "/api/v1/"), DefaultRequestHeaders = { { "X-API-Key", key } } };

    public async Task<string> CreateCollectionAsync(string name, object? settings = null)
    {
        var data = await SendAsync(HttpMethod.Post, "collections", JsonContent.Create(new { name, settings }));
        return (string)data["collection_id"]!;
    }

    /// <summary>Enrolls one photo of the shared test set; returns the face id.</summary>
    public async Task<string> EnrollAsync(string collectionId, string externalId, params string[] photo)
    {
        using var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(Visage.Testing.TestData.Read(photo));
        image.Headers.ContentType = new MediaTypeHeaderValue(photo[^1].EndsWith(".png") ? "image/png" : "image/jpeg");
        form.Add(image, "image", photo[^1]);
        form.Add(new StringContent(externalId), "external_id");
        form.Add(new StringContent("false"), "check_liveness");
        var data = await SendAsync(HttpMethod.Post, $"collections/{collectionId}/faces", form);
        return (string)data["face_id"]!;
    }

    /// <summary>Creates a key in the admin's workspace; returns its id and the secret (shown once).</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(string name, params string[] scopes)
    {
        var data = await SendAsync(HttpMethod.Post, "keys", JsonContent.Create(new { name, scopes }));
        return ((string)data["key_id"]!, (string)data["key"]!);
    }

    public Task RevokeKeyAsync(string keyId) => SendAsync(HttpMethod.Delete, $"keys/{keyId}");

    public async Task<JsonNode> GetFaceAsync(string collectionId, string faceId) =>
        await SendAsync(HttpMethod.Get, $"collections/{collectionId}/faces/{faceId}");

    public async Task<HttpStatusCode> StatusOfFaceAsync(string collectionId, string faceId)
    {
        using var res = await _http.GetAsync($"collections/{collectionId}/faces/{faceId}");
        return res.StatusCode;
    }

    public async Task<JsonNode> GetCollectionAsync(string collectionId) =>
        await SendAsync(HttpMethod.Get, $"collections/{collectionId}");

    public async Task<HttpStatusCode> StatusOfCollectionAsync(string collectionId)
    {
        using var res = await _http.GetAsync($"collections/{collectionId}");
        return res.StatusCode;
    }

    public async Task<long> FaceCountAsync(string collectionId) =>
        (long)(await SendAsync(HttpMethod.Get, $"collections/{collectionId}"))["face_count"]!;

    async Task<JsonNode> SendAsync(HttpMethod method, string path, HttpContent? body = null)
    {
        using var req = new HttpRequestMessage(method, path) { Content = body };
        using var res = await _http.SendAsync(req);
        var text = await res.Content.ReadAsStringAsync();
        if (!res.IsSuccessStatusCode) throw new HttpRequestException($"{method} {path}: {(int)res.StatusCode} {text}");
        return JsonNode.Parse(text)!["data"]!;
    }

    public void Dispose() => _http.Dispose();
}
