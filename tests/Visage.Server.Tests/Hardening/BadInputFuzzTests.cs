using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Visage.Testing.Images;
using Xunit;
using Xunit.Abstractions;

namespace Visage.Server.Tests.Hardening;

public enum Hostile
{
    BitFlip, Truncate, WrongMagic, HugeDeclared, RandomBytes, NestedMetadata, HugeMetadata, BadMetadata,
    OddExternalId, WrongContentType, MissingPart, DuplicateFields, JsonGarbage, BadNumbers,
}

/// <summary>One generated hostile request: what is wrong with it, the seed of its bytes, and the image route it targets.</summary>
public sealed record HostileCase(Hostile Kind, int Seed, int Route);

/// <summary>Thousands (long) or hundreds (short) of FsCheck-generated broken requests through real HTTP: every answer
/// is a documented 4xx with the envelope (or a 2xx when the mutation still holds a valid face, then deleted), no 5xx,
/// the server stays up, managed memory stays bounded, and the store holds exactly what it held before.</summary>
// Alone in the process: the heap bound is about this server, and other classes running beside it would move the heap.
[Collection(nameof(AloneInProcess))]
public sealed class BadInputFuzzTests(SqliteVisageServer server, ITestOutputHelper output) : IClassFixture<SqliteVisageServer>
{
    static readonly int Cases = Environment.GetEnvironmentVariable("VISAGE_TEST_LONG") == "long" ? 3000 : 600;

    // Every error code a hostile request may legitimately earn, with its status (API.md).
    static readonly Dictionary<string, int> Documented = new()
    {
        ["VALIDATION_FAILED"] = 400, ["UNSUPPORTED_IMAGE_FORMAT"] = 415, ["IMAGE_TOO_LARGE"] = 413, ["PAYLOAD_TOO_LARGE"] = 413,
        ["IMAGE_TOO_SMALL"] = 422, ["IMAGE_TOO_LARGE_DIMENSIONS"] = 422, ["NO_FACE_DETECTED"] = 422,
        ["FACE_QUALITY_TOO_LOW"] = 422, ["LIVENESS_CHECK_FAILED"] = 422,
    };

    static readonly string[] OddExternalIds =
    [
        "'; DROP TABLE faces; --", "\" OR 1=1 --", "Robert'); DELETE FROM collections;--", "\u202Egnp.exe", "😀👍🏽 family",
        "nul\u0000byte", "line\r\nbreak", "ｆｕｌｌｗｉｄｔｈ", "", "   ", new string('x', 300), "%00%27", "../../etc/passwd",
        "<script>alert(1)</script>", "e\u0301\u0301\u0301\u0301", "\uFEFFbom", "Ω≈ç√∫", "\t", "null", "{}", "x;y=z",
    ];

    static readonly string[] BadMetadata =
        ["[1,2]", "null", "not json", "{", "\"text\"", "{\"a\":1,\"a\":2}", "{\"\\u0000\":1}", "{\"a\":NaN}", "1e999", "{\"a\":\"\uD800\"}", "{} {}"];

    readonly byte[] _jpeg = Photos.Verify("Juanes", 1).Bytes;
    readonly byte[] _png = Photos.NoFace.Bytes;

    [Fact]
    public async Task Generated_hostile_requests_get_documented_4xx_envelopes_without_5xx_leaks_or_store_changes()
    {
        var admin = server.Admin();
        var col = await admin.CreateCollection(new { check_liveness = false, auto_enroll = false });
        var faceId = (await admin.Enroll(col, Photos.Verify("Juanes", 1), "anchor")).GetProperty("face_id").GetString()!;
        var facesBefore = await Total(admin, $"/api/v1/collections/{col}/faces");
        var collectionsBefore = await Total(admin, "/api/v1/collections");

        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<string>();
        long memoryBefore = 0;
        int ran = 0;

        var gen =
            from kind in Gen.Elements(Enum.GetValues<Hostile>())
            from seed in Gen.Choose(0, int.MaxValue - 1)
            from route in Gen.Choose(0, 5)
            select new HostileCase(kind, seed, route);
        var property = Prop.ForAll(Arb.From(gen), c =>
        {
            var r = Send(admin, col, faceId, c).GetAwaiter().GetResult();
            var outcome = $"{(int)r.Status} {r.ErrorCode ?? "ok"}";
            lock (outcomes) outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            var problem = Problem(r);
            if (problem is null && (int)r.Status is >= 200 and < 300) CleanUp(admin, col, faceId, r.Json).GetAwaiter().GetResult();
            if (++ran == 20) memoryBefore = ManagedMemory();
            if (problem is not null) failures.Add($"{c}: {problem}");
            return problem is null;
        });
        var config = Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(20261122UL, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None)));
        var thrown = await Record.ExceptionAsync(() => Task.Run(() => Check.One(config, property)));

        long memoryAfter = ManagedMemory();
        output.WriteLine($"cases run: {ran}; managed memory after warm-up {memoryBefore / 1048576.0:F1} MB, after the run {memoryAfter / 1048576.0:F1} MB");
        foreach (var (k, n) in outcomes) output.WriteLine($"  {k}: {n}");
        Assert.True(thrown is null, string.Join("\n", failures) + "\n" + thrown);

        Assert.Equal(HttpStatusCode.OK, (await server.Client().Get("/healthz")).Status);
        var left = await admin.Get($"/api/v1/collections/{col}/faces?page_size=100");
        Assert.True(facesBefore == left.Data.GetProperty("total").GetInt32(), "faces left after the run: " + left);
        Assert.Equal(collectionsBefore, await Total(admin, "/api/v1/collections"));
        var anchor = await admin.Get($"/api/v1/collections/{col}/faces/{faceId}");
        Assert.Equal("anchor", anchor.Data.GetProperty("external_id").GetString());
        // The run decodes and embeds hundreds of photos: what it retains must not grow with it.
        Assert.True(memoryAfter - memoryBefore < 96L * 1024 * 1024, $"managed memory grew from {memoryBefore} to {memoryAfter} bytes");
    }

    static long ManagedMemory()
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    static async Task<int> Total(ApiClient admin, string path)
    {
        var r = await admin.Get(path + "?page=1&page_size=1");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        return r.Data.GetProperty("total").GetInt32();
    }

    /// <summary>Why an answer breaks the contract, or null when it keeps it.</summary>
    static string? Problem(ApiResponse r)
    {
        int status = (int)r.Status;
        var text = Encoding.UTF8.GetString(r.Bytes);
        if (text.Contains("Exception", StringComparison.Ordinal) || text.Contains("   at ", StringComparison.Ordinal)) return "internals in the answer: " + r;
        if (status is >= 200 and < 300) return null;
        if (status >= 500) return "server error: " + r;
        if (r.Json.ValueKind != JsonValueKind.Object) return "no JSON envelope: " + r;
        if (!r.Json.TryGetProperty("success", out var s) || s.ValueKind != JsonValueKind.False) return "success is not false: " + r;
        if (r.ErrorCode is not { } code || !Documented.TryGetValue(code, out var expected)) return "undocumented code: " + r;
        if (expected != status) return $"{code} with status {status}, documented {expected}";
        var id = r.Json.TryGetProperty("request_id", out var rid) ? rid.GetString() : null;
        if (id is null || !id.StartsWith("req_", StringComparison.Ordinal) || id != r.Header("X-Request-Id")) return "request id missing or not the header's: " + r;
        return null;
    }

    /// <summary>Deletes every face a mutation that still decoded managed to enroll.</summary>
    static async Task CleanUp(ApiClient admin, string col, string anchor, JsonElement json)
    {
        var ids = new List<string> { anchor };   // verify answers name the anchor face: it stays
        Collect(json, ids);
        ids.RemoveAt(0);
        foreach (var id in ids)
            Assert.Equal(HttpStatusCode.OK, (await admin.Delete($"/api/v1/collections/{col}/faces/{id}")).Status);

        static void Collect(JsonElement e, List<string> ids)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                    if (p.Name == "face_id" && p.Value.ValueKind == JsonValueKind.String) { if (!ids.Contains(p.Value.GetString()!)) ids.Add(p.Value.GetString()!); }
                    else if (p.Name != "matches") Collect(p.Value, ids); // identify's matches are existing faces, not new ones
            }
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var item in e.EnumerateArray()) Collect(item, ids);
        }
    }

    Task<ApiResponse> Send(ApiClient admin, string col, string faceId, HostileCase c)
    {
        var rng = new Random(c.Seed);
        var path = c.Route switch
        {
            0 => $"/api/v1/collections/{col}/faces",
            1 => $"/api/v1/collections/{col}/faces/batch",
            2 => $"/api/v1/collections/{col}/identify",
            3 => "/api/v1/detect",
            4 => $"/api/v1/collections/{col}/faces/{faceId}/verify",
            _ => "/api/v1/compare",
        };
        // Metadata and external_id only mean something to enrolment.
        if (c.Kind is Hostile.NestedMetadata or Hostile.HugeMetadata or Hostile.BadMetadata or Hostile.OddExternalId)
            path = rng.Next(2) == 0 ? $"/api/v1/collections/{col}/faces" : $"/api/v1/collections/{col}/faces/batch";
        bool batch = path.EndsWith("/batch", StringComparison.Ordinal);
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        string externalId = "fuzz", metadata = "{}";
        byte[] image = _jpeg;

        switch (c.Kind)
        {
            case Hostile.BitFlip: image = HostileImages.BitFlipped(Pick(rng), rng, rng.Next(1, 65)); break;
            case Hostile.Truncate: var src = Pick(rng); image = HostileImages.Truncated(src, rng.Next(0, src.Length)); break;
            case Hostile.WrongMagic:
                image = (byte[])Pick(rng).Clone();
                var magic = rng.Next(5) switch { 0 => "GIF89a"u8.ToArray(), 1 => "%PDF-1.7"u8.ToArray(), 2 => "PK\x03\x04"u8.ToArray(), 3 => "BM"u8.ToArray(), _ => RandomBytes(rng, 8) };
                magic.CopyTo(image, 0);
                break;
            case Hostile.HugeDeclared:
                int w = rng.Next(8000, 65536), h = rng.Next(8000, 65536);
                image = rng.Next(3) switch
                {
                    0 => HostileImages.JpegDeclaring(_jpeg, w, h),
                    1 => HostileImages.PngDeclaring(_png, (uint)w, (uint)h),
                    _ => HostileImages.WebpDeclaring(rng.Next(8000, 1 << 24), rng.Next(8000, 1 << 24), rng.Next(2) == 0),
                };
                break;
            case Hostile.RandomBytes: image = RandomBytes(rng, rng.Next(0, 200_000)); break;
            case Hostile.NestedMetadata:
                int depth = rng.Next(1, 5000);
                metadata = string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                break;
            case Hostile.HugeMetadata: metadata = "{\"k\":\"" + new string('m', rng.Next(10_000, 3_000_000)) + "\"}"; break;
            case Hostile.BadMetadata: metadata = BadMetadata[rng.Next(BadMetadata.Length)]; break;
            case Hostile.OddExternalId: externalId = OddExternalIds[rng.Next(OddExternalIds.Length)]; break;
            case Hostile.WrongContentType: request.Content = WrongContentType(rng); return admin.Send(request);
            case Hostile.JsonGarbage: request.Content = JsonGarbage(rng); return admin.Send(request);
            case Hostile.MissingPart:
            case Hostile.DuplicateFields:
            case Hostile.BadNumbers:
                break;
        }

        var form = new MultipartFormDataContent();
        string imageField = batch ? "images" : c.Route == 5 ? "image_a" : "image";
        bool omitImage = c.Kind == Hostile.MissingPart && rng.Next(3) == 0;
        bool emptyImage = c.Kind == Hostile.MissingPart && !omitImage && rng.Next(2) == 0;
        if (!omitImage) AddFile(form, imageField, emptyImage ? [] : image);
        if (c.Kind == Hostile.DuplicateFields) AddFile(form, imageField, rng.Next(2) == 0 ? _png : _jpeg);
        if (c.Route == 5 && !(c.Kind == Hostile.MissingPart && rng.Next(2) == 0)) AddFile(form, "image_b", _jpeg);
        if (!(c.Kind == Hostile.MissingPart && rng.Next(2) == 0))
            form.Add(new StringContent(externalId), batch ? "external_ids" : "external_id");
        if (c.Kind == Hostile.DuplicateFields) form.Add(new StringContent("second-" + rng.Next(100)), batch ? "external_ids" : "external_id");
        if (c.Kind is Hostile.NestedMetadata or Hostile.HugeMetadata or Hostile.BadMetadata) form.Add(new StringContent(metadata), "metadata");
        if (c.Kind == Hostile.BadNumbers)
        {
            string[] numbers = ["abc", "-1", "99999999999", "NaN", "1e309", "-5", "0x10", "", "١٢", "Infinity"];
            string[] names = ["top_k", "threshold", "check_liveness", "auto_enroll"];
            for (int i = rng.Next(1, 4); i > 0; i--) form.Add(new StringContent(numbers[rng.Next(numbers.Length)]), names[rng.Next(names.Length)]);
        }
        request.Content = form;
        return admin.Send(request);
    }

    byte[] Pick(Random rng) => rng.Next(3) == 0 ? _png : _jpeg;

    static byte[] RandomBytes(Random rng, int n) { var b = new byte[n]; rng.NextBytes(b); return b; }

    static void AddFile(MultipartFormDataContent form, string name, byte[] bytes)
    {
        var part = new ByteArrayContent(bytes);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(part, name, "photo.jpg");
    }

    HttpContent WrongContentType(Random rng)
    {
        switch (rng.Next(7))
        {
            case 0: { var c = new ByteArrayContent(_jpeg); c.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg"); return c; }
            case 1: return new StringContent("image=abc&external_id=x", Encoding.UTF8, "text/plain");
            case 2: return new StringContent("<face><image>AAAA</image></face>", Encoding.UTF8, "application/xml");
            case 3: { var c = new ByteArrayContent(RandomBytes(rng, 512)); c.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data"); return c; }
            case 4: { var c = new ByteArrayContent(RandomBytes(rng, 4096)); c.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=xyz"); return c; }
            case 5: return new FormUrlEncodedContent([new("image", "abc"), new("external_id", "x")]);
            default: { var c = new ByteArrayContent(RandomBytes(rng, 256)); c.Headers.ContentType = null; return c; }
        }
    }

    HttpContent JsonGarbage(Random rng)
    {
        string b64 = Convert.ToBase64String(HostileImages.Truncated(_jpeg, rng.Next(1, _jpeg.Length)));
        string body = rng.Next(11) switch
        {
            0 => "{\"image_base64\":\"!!!not base64\",\"external_id\":\"x\"}",
            1 => "{\"image_base64\":123,\"external_id\":\"x\"}",
            2 => "{\"image\":{\"nested\":true},\"external_id\":[1]}",
            3 => "[]",
            4 => "null",
            5 => "\"just a string\"",
            6 => "{\"image_base64\":\"data:image/png;base64,AAAA\",\"external_id\":\"x\"}",
            7 => "{\"image_base64\":\"",
            8 => new string('[', 10_000) + new string(']', 10_000),
            9 => "{\"image_base64\":\"" + b64 + "\",\"external_id\":\"x\",\"metadata\":{\"a\":[1,2,{\"b\":null}]}}",
            _ => "{\"image_base64\":\"data:;base64," + Convert.ToBase64String(RandomBytes(rng, 3000)) + "\",\"external_id\":\"x\",\"top_k\":\"many\"}",
        };
        return new StringContent(body, Encoding.UTF8, "application/json");
    }
}
