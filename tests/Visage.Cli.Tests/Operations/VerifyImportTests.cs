using System.IO.Compression;
using Visage.Testing;
using Xunit;

namespace Visage.Cli.Tests.Operations;

/// <summary>The whole of verify/ imported once over real HTTP into a running service (SQLite in a temp dir).</summary>
public sealed class VerifyImportFixture : IAsyncLifetime
{
    public OpsFixture Ops { get; } = new();
    public OpsServer Server { get; private set; } = null!;
    public string DataDir { get; private set; } = null!;
    public string ReportPath { get; private set; } = null!;
    public OpsRun Import { get; private set; } = null!;
    public string CollectionId { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        DataDir = Ops.NewDir("served");
        Server = await OpsServer.StartAsync(DataDir);
        ReportPath = Path.Combine(Ops.NewDir("reports"), "verify-report.csv");
        Import = await Ops.RunAsync("import", TestData.Path_("verify"), "--collection", "verify", "--create",
            "--url", Server.BaseAddress.ToString(), "--key", Server.AdminKey, "--report", ReportPath, "--workers", "2");
        CollectionId = await Server.CollectionIdAsync("verify") ?? throw new InvalidOperationException("import made no collection: " + Import);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Ops.Dispose();
    }
}

public sealed class VerifyImportTests(VerifyImportFixture f) : IClassFixture<VerifyImportFixture>
{
    static int VerifyImageCount() =>
        Directory.GetFiles(TestData.Path_("verify"), "*", SearchOption.AllDirectories).Count(Visage.Cli.Evaluation.IdentityDataset.IsImageFile);

    [Fact]
    public async Task Import_over_http_enrolls_or_rejects_with_reasons_every_verify_photo_and_writes_the_report()
    {
        Assert.Equal(0, f.Import.ExitCode);
        var rows = OpsFixture.ReadReport(f.ReportPath);
        Assert.Equal(["path", "external_id", "status", "face_id", "error_code", "reasons"], rows[0]);
        var lines = rows.Skip(1).ToList();
        Assert.Equal(134, VerifyImageCount());
        Assert.Equal(134, lines.Count);
        Assert.Equal(134, lines.Select(l => l[0]).Distinct().Count());
        var enrolled = lines.Where(l => l[2] == "enrolled").ToList();
        var rejected = lines.Where(l => l[2] == "rejected").ToList();
        Assert.Equal(134, enrolled.Count + rejected.Count);
        Assert.True(enrolled.Count >= 100, $"only {enrolled.Count} of 134 enrolled");
        Assert.All(enrolled, l => Assert.StartsWith("face_", l[3]));
        Assert.All(enrolled, l => Assert.Equal(Path.GetFileName(Path.GetDirectoryName(l[0])), l[1]));
        Assert.All(rejected, l => { Assert.NotEmpty(l[4]); Assert.NotEmpty(l[5]); });
        Assert.Equal(enrolled.Count, await f.Server.FaceCountAsync(f.CollectionId));
        Assert.Contains("rejected", f.Import.Output);
        Assert.Contains("report: " + f.ReportPath, f.Import.Output);
    }

    [Fact]
    public async Task Second_import_over_http_skips_the_enrolled_photos_and_adds_no_face()
    {
        var before = await f.Server.FaceCountAsync(f.CollectionId);
        var report = Path.Combine(Path.GetDirectoryName(f.ReportPath)!, "second.csv");
        var run = await f.Ops.RunAsync("import", TestData.Path_("verify"), "--collection", f.CollectionId,
            "--url", f.Server.BaseAddress.ToString(), "--key", f.Server.AdminKey, "--report", report, "--journal", f.ReportPath + ".journal.jsonl");
        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = OpsFixture.ReadReport(report).Skip(1).ToList();
        Assert.Equal(134, lines.Count);
        Assert.Equal(before, lines.Count(l => l[2] == "skipped"));
        Assert.Equal(0, lines.Count(l => l[2] == "enrolled"));
        Assert.Equal(before, await f.Server.FaceCountAsync(f.CollectionId));
    }

    [Fact]
    public async Task Import_over_http_after_losing_its_journal_replays_instead_of_enrolling_twice()
    {
        var dir = f.Ops.NewDir("lost-journal");
        var csv = f.Ops.WriteCsv(dir, 2, "Juanes", "Martha_Burk", "BBT_raj");
        string[] Args(string report) => ["import", csv, "--collection", "lost-journal", "--create", "--url", f.Server.BaseAddress.ToString(),
            "--key", f.Server.AdminKey, "--report", report];
        var first = await f.Ops.RunAsync(Args(Path.Combine(dir, "first.csv")));
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = await f.Ops.RunAsync(Args(Path.Combine(dir, "second.csv")));  // another report: a fresh journal
        Assert.True(second.ExitCode == 0, second.ToString());

        var firstRows = OpsFixture.ReadReport(Path.Combine(dir, "first.csv")).Skip(1).ToList();
        var secondRows = OpsFixture.ReadReport(Path.Combine(dir, "second.csv")).Skip(1).ToList();
        var enrolledFirst = firstRows.Where(r => r[2] == "enrolled").ToDictionary(r => r[0], r => r[3]);
        Assert.NotEmpty(enrolledFirst);
        foreach (var r in secondRows.Where(r => r[2] == "enrolled")) Assert.Equal(enrolledFirst[r[0]], r[3]);
        Assert.Equal(enrolledFirst.Count, secondRows.Count(r => r[2] == "enrolled"));
        var collection = await f.Server.CollectionIdAsync("lost-journal");
        Assert.Equal(enrolledFirst.Count, await f.Server.FaceCountAsync(collection!));
    }

    [Fact]
    public async Task Export_then_restore_into_a_fresh_data_dir_identifies_the_probes_identically()
    {
        var dir = f.Ops.NewDir("restore");
        var file = Path.Combine(dir, "verify.jsonl.gz");
        var export = await f.Ops.RunAsync("export", "--collection", f.CollectionId, "--data", f.DataDir, "--out", file);
        Assert.True(export.ExitCode == 0, export.ToString());
        var fresh = Path.Combine(dir, "fresh-data");
        var restore = await f.Ops.RunAsync("restore", file, "--data", fresh);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("ids preserved", restore.Output);

        await using var restored = await OpsServer.StartAsync(fresh);
        Assert.Equal(await f.Server.FaceCountAsync(f.CollectionId), await restored.FaceCountAsync(f.CollectionId));
        int compared = 0;
        foreach (var (name, photo) in OpsFixture.Probes())
        {
            var original = await f.Server.IdentifyAsync(f.CollectionId, photo);
            var copy = await restored.IdentifyAsync(f.CollectionId, photo);
            Assert.True(original.Count > 0, name);
            Assert.Equal(original, copy);
            compared += original.Count;
        }
        Assert.True(compared >= 8 * 5, $"only {compared} matches compared");
    }

    [Fact]
    public async Task Restore_refuses_an_export_of_another_model_version_unless_reembedding_from_crops()
    {
        var dir = f.Ops.NewDir("other-model");
        var file = Path.Combine(dir, "verify.jsonl.gz");
        Assert.Equal(0, (await f.Ops.RunAsync("export", "--collection", f.CollectionId, "--data", f.DataDir, "--out", file)).ExitCode);
        var other = Path.Combine(dir, "other.jsonl.gz");
        RewriteHeader(file, other, "faceplugin-fr-0.0.1+arcface112", "some-older-model-0.1");

        var refused = await f.Ops.RunAsync("restore", other, "--data", Path.Combine(dir, "a"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--reembed", refused.Error);

        var data = Path.Combine(dir, "b");
        var reembedded = await f.Ops.RunAsync("restore", other, "--data", data, "--reembed");
        Assert.True(reembedded.ExitCode == 0, reembedded.ToString());
        await using var local = await f.Ops.OpenLocalAsync(data);
        var collection = await local.RequireCollectionAsync(f.CollectionId, CancellationToken.None);
        Assert.Equal(local.Engine.Info.ModelVersion, collection.ModelVersion);
        Assert.Equal(await f.Server.FaceCountAsync(f.CollectionId), collection.FaceCount);
        var (name, photo) = OpsFixture.Probes()[0];
        var expected = await f.Server.IdentifyAsync(f.CollectionId, photo);
        var actual = await OpsFixture.IdentifyAsync(local, f.CollectionId, photo);
        Assert.Equal(expected.Select(m => m.FaceId), actual.Select(m => m.FaceId));
        for (int i = 0; i < expected.Count; i++) Assert.InRange(actual[i].Similarity - expected[i].Similarity, -1e-4f, 1e-4f);
    }

    [Fact]
    public async Task Import_over_http_with_a_wrong_key_stops_at_once_with_a_usage_error()
    {
        var run = await f.Ops.RunAsync("import", TestData.Path_("verify"), "--collection", "verify", "--url", f.Server.BaseAddress.ToString(),
            "--key", Visage.Service.ApiKeyFormat.Generate(), "--report", Path.Combine(f.Ops.NewDir("badkey"), "r.csv"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("API_KEY_INVALID", run.Error);
    }

    /// <summary>Copies an export, changing the model version in its header line only.</summary>
    static void RewriteHeader(string from, string to, string oldVersion, string newVersion)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(from), CompressionMode.Decompress));
        using var writer = new StreamWriter(new GZipStream(File.Create(to), CompressionLevel.Fastest));
        var header = reader.ReadLine()!;
        Assert.Contains(oldVersion, header);
        writer.Write(header.Replace(oldVersion, newVersion) + "\n");
        while (reader.ReadLine() is { } line) writer.Write(line + "\n");
    }
}
