using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Visage.Server.Tests.Hardening;

/// <summary>The service with its SQLite data directory on a 24 MB tmpfs of its own, so a test can really fill the disk
/// or remount it read-only (root ignores chmod; a mount is what a full or read-only volume looks like in production).</summary>
public sealed class TmpfsVisageServer : VisageServer
{
    protected override async Task<string?> CreateStoreAsync()
    {
        await Mount.RunAsync("mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", DataDir);
        return null;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Mount.RunAsync("umount", DataDir);
        Directory.Delete(DataDir);
    }
}

static class Mount
{
    public static async Task RunAsync(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} failed ({p.ExitCode}): {error}. " +
                "These tests need root with mount permission (CAP_SYS_ADMIN), as in the project's test container.");
    }
}

/// <summary>A full disk gives 503 STORE_UNAVAILABLE with the envelope, never a 500; a read-only data directory keeps reads and
/// refuses writes the same way. Neither corrupts anything: once space or write access returns, the database passes integrity_check and earlier faces are intact.</summary>
public sealed class DiskFaultTests(TmpfsVisageServer server) : IClassFixture<TmpfsVisageServer>
{
    [Fact]
    public async Task Full_disk_refuses_enrollment_with_503_STORE_UNAVAILABLE_and_the_database_survives_intact()
    {
        var admin = server.Admin();
        var col = await admin.CreateCollection(new { check_liveness = false, auto_enroll = false });
        var kept = await EnrollBaseline(admin, col);
        var filler = Path.Combine(server.DataDir, "filler.bin");
        var refused = new List<ApiResponse>();
        try
        {
            FillDisk(filler);
            foreach (var person in new[] { "Jon_Voight", "Karen_Allen", "Juanes", "LeAnn_Rimes", "Marc_Grossman" })
            {
                var r = await admin.PostForm($"/api/v1/collections/{col}/faces", ("image", Photos.Verify(person, 1)), ("external_id", "full-" + person));
                Assert.True(r.Status is HttpStatusCode.Created or HttpStatusCode.ServiceUnavailable, r.ToString());
                if (r.Status == HttpStatusCode.ServiceUnavailable) refused.Add(r);
            }
            Assert.NotEmpty(refused);
            Assert.All(refused, r => Assert.Equal("STORE_UNAVAILABLE", r.ErrorCode));
            Assert.All(refused, r => Assert.Contains("full", r.Json.GetProperty("error").GetProperty("message").GetString()));
            // Reads keep working on a full disk.
            await AssertFound(admin, col, kept);
        }
        finally { File.Delete(filler); }

        await AssertRecovered(admin, col, kept, "after-full");
    }

    /// <summary>A tmpfs cannot be remounted read-only while SQLite holds files open for writing, so the service is
    /// stopped (SIGKILL, leaving its WAL behind) before the volume goes read-only, and started on it: SQLite then opens
    /// the database read-only, so searches keep working and every write is refused.</summary>
    [Fact]
    public async Task Read_only_data_directory_serves_reads_refuses_writes_with_503_STORE_UNAVAILABLE_and_recovers_intact()
    {
        var dir = Path.Combine(Path.GetTempPath(), "visage-ro-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        await Mount.RunAsync("mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", dir);
        try
        {
            await using var child = new ChildServer(dir);
            await child.StartAsync();
            var admin = child.Admin();
            var col = await admin.CreateCollection(new { check_liveness = false, auto_enroll = false });
            var kept = await EnrollBaseline(admin, col);
            child.Kill();

            await Mount.RunAsync("mount", "-o", "remount,ro", dir);
            try
            {
                await child.StartAsync();
                admin = child.Admin();
                await AssertFound(admin, col, kept);
                var enroll = await admin.PostForm($"/api/v1/collections/{col}/faces", ("image", Photos.Verify("Jon_Voight", 1)), ("external_id", "ro-jon"));
                var delete = await admin.Delete($"/api/v1/collections/{col}/faces/{kept["martha"]}");
                foreach (var refused in new[] { enroll, delete })
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
                    Assert.Equal("STORE_UNAVAILABLE", refused.ErrorCode);
                    Assert.Contains("read-only", refused.Json.GetProperty("error").GetProperty("message").GetString());
                }
                child.Kill();
            }
            finally { await Mount.RunAsync("mount", "-o", "remount,rw", dir); }

            await child.StartAsync();
            admin = child.Admin();
            await AssertFound(admin, col, kept);
            var r = await admin.PostForm($"/api/v1/collections/{col}/faces", ("image", Photos.Verify("Jon_Voight", 1)), ("external_id", "after-ro"));
            Assert.Equal(HttpStatusCode.Created, r.Status);
            Assert.Equal(3, (await admin.Get($"/api/v1/collections/{col}/faces")).Data.GetProperty("total").GetInt64());
            child.Kill();
            await AssertIntegrityAsync(dir);
        }
        finally
        {
            await Mount.RunAsync("umount", dir);
            Directory.Delete(dir);
        }
    }

    /// <summary>Two faces, and a third enrolled then deleted: the delete checkpoints and truncates the WAL, so the
    /// next write must grow a file on the volume.</summary>
    static async Task<Dictionary<string, string>> EnrollBaseline(ApiClient admin, string col)
    {
        var kept = new Dictionary<string, string>
        {
            ["martha"] = (await admin.Enroll(col, Photos.Verify("Martha_Burk", 1), "martha")).GetProperty("face_id").GetString()!,
            ["tubby"] = (await admin.Enroll(col, Photos.Verify("Tubby_Smith", 1), "tubby")).GetProperty("face_id").GetString()!,
        };
        var doomed = (await admin.Enroll(col, Photos.Verify("Michael_Peat", 1), "doomed")).GetProperty("face_id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await admin.Delete($"/api/v1/collections/{col}/faces/{doomed}")).Status);
        return kept;
    }

    static void FillDisk(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        var chunk = new byte[64 * 1024];
        Random.Shared.NextBytes(chunk);
        // Large chunks first, then single pages, so that not even one more page fits.
        foreach (int size in (ReadOnlySpan<int>)[chunk.Length, 4096])
            try { while (true) file.Write(chunk, 0, size); }
            catch (IOException) { }
    }

    static async Task AssertFound(ApiClient admin, string col, Dictionary<string, string> kept)
    {
        foreach (var (name, person) in new[] { ("martha", "Martha_Burk"), ("tubby", "Tubby_Smith") })
        {
            var r = await admin.Identify(col, Photos.Verify(person, 1), ("top_k", "1"));
            Assert.Equal(HttpStatusCode.OK, r.Status);
            Assert.Equal(kept[name], r.Data.GetProperty("matches")[0].GetProperty("face_id").GetString());
        }
    }

    async Task AssertRecovered(ApiClient admin, string col, Dictionary<string, string> kept, string externalId)
    {
        var r = await admin.PostForm($"/api/v1/collections/{col}/faces", ("image", Photos.Verify("Jon_Voight", 1)), ("external_id", externalId));
        Assert.Equal(HttpStatusCode.Created, r.Status);
        await AssertFound(admin, col, kept);
        var list = await admin.Get($"/api/v1/collections/{col}/faces");
        Assert.Equal(3 + ListCountOfRefusedThatFit(list), list.Data.GetProperty("total").GetInt64());
        await AssertIntegrityAsync(server.DataDir);
    }

    static async Task AssertIntegrityAsync(string dataDir)
    {
        await using var db = new SqliteConnection($"Data Source={Path.Combine(dataDir, "visage.db")};Pooling=False");
        await db.OpenAsync();
        await using var check = db.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", await check.ExecuteScalarAsync());
    }

    /// <summary>Enrollments made while the disk was full but that still fitted (none is expected, some may).</summary>
    static int ListCountOfRefusedThatFit(ApiResponse list)
    {
        int n = 0;
        foreach (var f in list.Data.GetProperty("items").EnumerateArray())
            if (f.GetProperty("external_id").GetString()!.StartsWith("full-", StringComparison.Ordinal)) n++;
        return n;
    }
}
