using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Visage.Server;
using Visage.Service;
using Xunit;

namespace Visage.Cli.Tests.Operations;

/// <summary>One identify answer reduced to what must survive an export/restore: who, which face, how similar.</summary>
public sealed record Match(string FaceId, string ExternalId, float Similarity);

/// <summary>The real service on Kestrel at 127.0.0.1:0 over a data directory, with a preset admin key.</summary>
public sealed class OpsServer : IAsyncDisposable
{
    readonly WebApplication _app;

    OpsServer(WebApplication app, Uri baseAddress, string key)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Add("X-API-Key", key);
        AdminKey = key;
    }

    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public string AdminKey { get; }

    public static async Task<OpsServer> StartAsync(string dataDir, string? adminKey = null)
    {
        var key = adminKey ?? ApiKeyFormat.Generate();
        var app = ServerApp.Build([
            "--Urls=http://127.0.0.1:0", "--Data=" + dataDir, "--AdminKey=" + key,
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.AspNetCore=Error",
        ]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OpsServer(app, new Uri(address + "/"), key);
    }

    public async Task<JsonElement> GetDataAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("data").Clone();
    }

    /// <summary>The collection's id by name, or null.</summary>
    public async Task<string?> CollectionIdAsync(string name)
    {
        foreach (var c in (await GetDataAsync("api/v1/collections?page_size=1000")).GetProperty("items").EnumerateArray())
            if (c.GetProperty("name").GetString() == name) return c.GetProperty("collection_id").GetString();
        return null;
    }

    public async Task<long> FaceCountAsync(string collectionId) =>
        (await GetDataAsync($"api/v1/collections/{collectionId}/faces?page_size=1")).GetProperty("total").GetInt64();

    /// <summary>Identify without auto-enrolment (it would change the gallery) and without liveness (probes are photos).</summary>
    public async Task<IReadOnlyList<Match>> IdentifyAsync(string collectionId, byte[] photo)
    {
        using var form = new MultipartFormDataContent();
        var image = new ByteArrayContent(photo);
        image.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(image, "image", "probe.jpg");
        form.Add(new StringContent("10"), "top_k");
        form.Add(new StringContent("-1"), "threshold");
        form.Add(new StringContent("false"), "check_liveness");
        form.Add(new StringContent("false"), "auto_enroll");
        using var response = await Http.PostAsync($"api/v1/collections/{collectionId}/identify", form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"identify: {(int)response.StatusCode} {body}");
        var matches = new List<Match>();
        foreach (var m in JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("matches").EnumerateArray())
            matches.Add(new Match(m.GetProperty("face_id").GetString()!, m.GetProperty("external_id").GetString()!, m.GetProperty("similarity").GetSingle()));
        return matches;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
