using System.Net;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Visage.Server.Tests.Hardening;

/// <summary>SIGKILL in the middle of batch enrollments: after each restart every item is whole or absent, the index equals
/// the store, and a retry with the same Idempotency-Key enrolls the missing items without duplicating the others.</summary>
public sealed class CrashRecoveryTests(ITestOutputHelper log)
{
    const int ItemsPerBatch = 8;
    static int Kills => Environment.GetEnvironmentVariable("VISAGE_TEST_LONG") == "long" ? 25 : 3;

    static readonly string[] People = Directory.GetDirectories(Visage.Testing.TestData.Path_("verify"))
        .Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    sealed record Item(string ExternalId, Upload Photo);

    [Fact]
    public async Task Batch_enrollment_killed_at_random_points_leaves_every_item_whole_or_absent_and_retries_create_no_duplicates()
    {
        var random = new Random(20261122);
        var dataDir = Path.Combine(Path.GetTempPath(), "visage-crash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDir);
        await using var server = new ChildServer(dataDir);
        try
        {
            await server.StartAsync();
            var collection = await server.Admin().CreateCollection(new { check_liveness = false, auto_enroll = false, store_face_crops = true });
            var enrolled = new Dictionary<string, (string FaceId, Upload Photo)>();
            int midBatch = 0, checkedItems = 0;

            for (int round = 0; round < Kills; round++)
            {
                var items = new Item[ItemsPerBatch];
                for (int j = 0; j < items.Length; j++)
                {
                    var person = People[(round * ItemsPerBatch + j) % People.Length];
                    items[j] = new Item($"r{round}-{j}-{person}", Photos.Verify(person, 1));
                }
                var key = $"crash-{round}";
                // Kill once a seeded number of items is committed, then after a seeded extra delay: hits every phase of an item.
                int killAfter = random.Next(0, ItemsPerBatch - 1);
                var extraDelay = TimeSpan.FromMilliseconds(random.Next(0, 40));

                var send = SendBatch(server.Admin(), collection, items, key);
                var admin = server.Admin();
                while (!send.IsCompleted && await Total(admin, collection) < enrolled.Count + killAfter) await Task.Delay(10);
                await Task.Delay(extraDelay);
                server.Kill();
                try { await send; } catch (HttpRequestException) { } catch (TaskCanceledException) { }

                await server.StartAsync();
                admin = server.Admin();
                var present = await CheckWholeOrAbsent(admin, collection, items);
                if (present > 0 && present < items.Length) midBatch++;
                log.WriteLine($"round {round}: kill after {killAfter} items + {extraDelay.TotalMilliseconds} ms -> {present}/{items.Length} committed");

                var retry = await SendBatch(admin, collection, items, key);
                Assert.Equal(HttpStatusCode.OK, retry.Status);
                var results = retry.Data.GetProperty("results");
                int succeeded = 0;
                for (int j = 0; j < items.Length; j++)
                {
                    var r = results[j];
                    if (r.GetProperty("success").GetBoolean())
                    {
                        enrolled[items[j].ExternalId] = (r.GetProperty("data").GetProperty("face_id").GetString()!, items[j].Photo);
                        succeeded++;
                        continue;
                    }
                    // Some press photos fail the quality gate (e.g. EXTREME_POSE): a refusal of the photo, never of the store.
                    var code = r.GetProperty("error").GetProperty("code").GetString();
                    Assert.True(code is "FACE_QUALITY_TOO_LOW" or "NO_FACE_DETECTED", $"item {j} of round {round} failed on retry: {r}");
                }
                Assert.True(succeeded >= items.Length / 2, $"only {succeeded} of {items.Length} enrolled on retry");
                Assert.Equal(succeeded, await CheckWholeOrAbsent(admin, collection, items));
                // A second retry (now answered from the stored idempotent response) changes nothing either.
                var again = await SendBatch(admin, collection, items, key);
                Assert.Equal(retry.Data.ToString(), again.Data.ToString());
                Assert.Equal(enrolled.Count, await Total(admin, collection));
                checkedItems += items.Length;
            }

            // Index equals store: every stored face is found by its own photo at similarity ~1, and nothing else is stored.
            var final = server.Admin();
            var listed = await ListAll(final, collection);
            Assert.Equal(enrolled.Count, listed.Count);
            foreach (var (externalId, (faceId, photo)) in enrolled)
            {
                Assert.Equal(externalId, listed[faceId]);
                await AssertIdentifiedByOwnPhoto(final, collection, faceId, photo);
            }
            log.WriteLine($"{Kills} kills, {midBatch} landed mid-batch, {checkedItems} items checked, {server.Starts} starts");
        }
        finally
        {
            server.Kill();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    static Task<ApiResponse> SendBatch(ApiClient client, string collection, Item[] items, string key)
    {
        var parts = new List<(string, object)>();
        foreach (var item in items) { parts.Add(("images", item.Photo)); parts.Add(("external_ids", item.ExternalId)); }
        return client.PostForm($"/api/v1/collections/{collection}/faces/batch", key, [.. parts]);
    }

    static async Task<long> Total(ApiClient admin, string collection)
    {
        try
        {
            var r = await admin.Get($"/api/v1/collections/{collection}/faces?page_size=1");
            return r.Status == HttpStatusCode.OK ? r.Data.GetProperty("total").GetInt64() : -1;
        }
        catch (HttpRequestException) { return long.MaxValue; } // the server is gone: stop waiting
    }

    static async Task<Dictionary<string, string>> ListAll(ApiClient admin, string collection)
    {
        var r = await admin.Get($"/api/v1/collections/{collection}/faces?page_size=1000");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        var faces = new Dictionary<string, string>();
        foreach (var f in r.Data.GetProperty("items").EnumerateArray())
            faces.Add(f.GetProperty("face_id").GetString()!, f.GetProperty("external_id").GetString()!);
        return faces;
    }

    /// <summary>Each item has exactly one face (with its enroll reference, crop and index entry) or none at all.</summary>
    static async Task<int> CheckWholeOrAbsent(ApiClient admin, string collection, Item[] items)
    {
        int present = 0;
        foreach (var item in items)
        {
            var byId = await admin.Get($"/api/v1/collections/{collection}/faces?external_id={Uri.EscapeDataString(item.ExternalId)}");
            Assert.Equal(HttpStatusCode.OK, byId.Status);
            var matches = byId.Data.GetProperty("items");
            Assert.True(matches.GetArrayLength() <= 1, $"{item.ExternalId} is stored {matches.GetArrayLength()} times");
            if (matches.GetArrayLength() == 0)
            {
                var search = await admin.Identify(collection, item.Photo, ("threshold", "-1"), ("top_k", "100"));
                Assert.Equal(HttpStatusCode.OK, search.Status);
                Assert.DoesNotContain(item.ExternalId, search.Data.GetProperty("matches").ToString());
                continue;
            }
            present++;
            var faceId = matches[0].GetProperty("face_id").GetString()!;
            var face = await admin.Get($"/api/v1/collections/{collection}/faces/{faceId}");
            Assert.Equal(HttpStatusCode.OK, face.Status);
            var references = face.Data.GetProperty("references");
            Assert.Equal(1, references.GetArrayLength());
            Assert.Equal("enroll", references[0].GetProperty("source").GetString());
            var crop = await admin.Get($"/api/v1/collections/{collection}/faces/{faceId}/references/{references[0].GetProperty("reference_id").GetString()}/crop");
            Assert.Equal(HttpStatusCode.OK, crop.Status);
            Assert.Equal("image/png", crop.Header("Content-Type"));
            await AssertIdentifiedByOwnPhoto(admin, collection, faceId, item.Photo);
        }
        return present;
    }

    static async Task AssertIdentifiedByOwnPhoto(ApiClient admin, string collection, string faceId, Upload photo)
    {
        var search = await admin.Identify(collection, photo, ("threshold", "0.5"), ("top_k", "100"));
        Assert.Equal(HttpStatusCode.OK, search.Status);
        foreach (var m in search.Data.GetProperty("matches").EnumerateArray())
            if (m.GetProperty("face_id").GetString() == faceId)
            {
                Assert.True(m.GetProperty("similarity").GetSingle() > 0.99f, $"{faceId} found at {m.GetProperty("similarity")}");
                return;
            }
        Assert.Fail($"{faceId} is stored but identify with its own photo does not return it: {search}");
    }
}
