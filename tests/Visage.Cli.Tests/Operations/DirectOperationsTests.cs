using System.Diagnostics;
using Spectre.Console;
using Visage.Cli.Operations;
using Visage.Storage.Sqlite;
using Xunit;

namespace Visage.Cli.Tests.Operations;

/// <summary>Import, re-embed and restore working on a SQLite store directly (the service stopped).</summary>
public sealed class DirectOperationsTests(OpsFixture f) : IClassFixture<OpsFixture>
{
    static readonly string[] People = ["George_Clooney", "Russell_Crowe", "Owen_Wilson", "BBT_penny", "LeAnn_Rimes", "Jon_Voight"];

    [Fact]
    public async Task Interrupted_direct_import_resumes_without_enrolling_any_photo_twice()
    {
        var dir = f.NewDir("resume");
        var data = Path.Combine(dir, "data");
        var csv = f.WriteCsv(dir, 2, People);
        var report = Path.Combine(dir, "report.csv");
        // First run, interrupted after 4 files.
        var items = ImportSource.Load(csv);
        await using (var local = await f.OpenLocalAsync(data, loadIndexes: false))
        {
            var view = await local.Collections.CreateAsync(local.Caller, new Visage.Service.CreateCollectionRequest("people", null, null), CancellationToken.None);
            var collection = await local.RequireCollectionAsync(view.CollectionId, CancellationToken.None);
            await using var target = new DirectImportTarget(local, collection);
            using var journal = new ImportJournal(report + ".journal.jsonl");
            using var cts = new CancellationTokenSource();
            int finished = 0;
            var runner = new ImportRunner(target, journal, workers: 2)
            {
                OnFinished = _ => { if (Interlocked.Increment(ref finished) == 4) cts.Cancel(); },
            };
            var interrupted = await runner.RunAsync(items, AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) }), cts.Token);
            Assert.True(interrupted.Interrupted);
            Assert.InRange(interrupted.Results.Count, 4, items.Count - 1);
        }

        // Second run through the command: finishes the rest.
        var run = await f.RunAsync("import", csv, "--collection", "people", "--data", data, "--report", report);
        Assert.True(run.ExitCode == 0, run.ToString());
        var rows = OpsFixture.ReadReport(report).Skip(1).ToList();
        Assert.Equal(items.Count, rows.Count);
        Assert.True(rows.Count(r => r[2] == "skipped") >= 1, run.ToString());
        var enrolledFiles = rows.Count(r => r[2] is "enrolled" or "skipped");
        Assert.Equal(rows.Count(r => r[3].Length > 0), enrolledFiles);
        Assert.Equal(enrolledFiles, rows.Where(r => r[3].Length > 0).Select(r => r[3]).Distinct().Count());

        await using var check = await f.OpenLocalAsync(data, loadIndexes: false);
        var people = await check.RequireCollectionAsync("people", CancellationToken.None);
        Assert.Equal(enrolledFiles, people.FaceCount);
        var face = (await check.Store.ListFacesAsync(people.Id, null, 1, 1, CancellationToken.None)).Items[0];
        Assert.Matches("^\\{\"source\":\"[^\"]+\\.(jpg|png)\"\\}$", face.MetadataJson); // the CSV's quoted JSON column arrived whole
    }

    [Fact]
    public async Task Direct_import_after_losing_its_journal_replays_the_store_request_keys_instead_of_enrolling_twice()
    {
        var dir = f.NewDir("direct-lost-journal");
        var data = Path.Combine(dir, "data");
        var csv = f.WriteCsv(dir, 2, "Juanes", "BBT_raj");
        var first = await f.RunAsync("import", csv, "--collection", "c", "--create", "--data", data, "--report", Path.Combine(dir, "first.csv"));
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = await f.RunAsync("import", csv, "--collection", "c", "--data", data, "--report", Path.Combine(dir, "second.csv"));
        Assert.True(second.ExitCode == 0, second.ToString());

        var before = OpsFixture.ReadReport(Path.Combine(dir, "first.csv")).Skip(1).Where(r => r[2] == "enrolled").ToDictionary(r => r[0], r => r[3]);
        var after = OpsFixture.ReadReport(Path.Combine(dir, "second.csv")).Skip(1).Where(r => r[2] == "enrolled").ToDictionary(r => r[0], r => r[3]);
        Assert.NotEmpty(before);
        Assert.Equal(before, after);
        await using var local = await f.OpenLocalAsync(data, loadIndexes: false);
        Assert.Equal(before.Count, (await local.RequireCollectionAsync("c", CancellationToken.None)).FaceCount);
    }

    [Fact]
    public async Task Reembed_keeps_identify_answers_within_1e4_and_reports_the_model_version()
    {
        var dir = f.NewDir("reembed");
        var data = Path.Combine(dir, "data");
        var import = await f.RunAsync("import", f.WriteCsv(dir, 3, People), "--collection", "people", "--create", "--data", data,
            "--report", Path.Combine(dir, "r.csv"));
        Assert.True(import.ExitCode == 0, import.ToString());
        var probes = OpsFixture.Probes();

        var before = new List<IReadOnlyList<Match>>();
        string collectionId;
        await using (var local = await f.OpenLocalAsync(data))
        {
            collectionId = (await local.RequireCollectionAsync("people", CancellationToken.None)).Id;
            foreach (var (_, photo) in probes) before.Add(await OpsFixture.IdentifyAsync(local, collectionId, photo));
        }

        var run = await f.RunAsync("reembed", "--collection", collectionId, "--data", data);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("re-embedded", run.Output);

        await using var after = await f.OpenLocalAsync(data);
        Assert.Equal(f.Engine.Info.ModelVersion, (await after.RequireCollectionAsync(collectionId, CancellationToken.None)).ModelVersion);
        for (int p = 0; p < probes.Count; p++)
        {
            var now = await OpsFixture.IdentifyAsync(after, collectionId, probes[p].Bytes);
            Assert.True(before[p].Count > 0, probes[p].Name);
            Assert.Equal(before[p].Select(m => m.FaceId), now.Select(m => m.FaceId));
            for (int i = 0; i < now.Count; i++) Assert.InRange(now[i].Similarity - before[p][i].Similarity, -1e-4f, 1e-4f);
        }
    }

    [Fact]
    public async Task Reembed_reports_references_without_a_stored_crop_and_keeps_the_collection_version()
    {
        var dir = f.NewDir("nocrop");
        var data = Path.Combine(dir, "data");
        string collectionId;
        await using (var local = await f.OpenLocalAsync(data, loadIndexes: false))
        {
            var view = await local.Collections.CreateAsync(local.Caller, new Visage.Service.CreateCollectionRequest("nocrop", null,
                System.Text.Json.JsonDocument.Parse("""{"store_face_crops": false}""").RootElement), CancellationToken.None);
            collectionId = view.CollectionId;
        }
        var import = await f.RunAsync("import", f.WriteCsv(dir, 1, People), "--collection", collectionId, "--data", data, "--report", Path.Combine(dir, "r.csv"));
        Assert.True(import.ExitCode == 0, import.ToString());
        var run = await f.RunAsync("reembed", "--collection", collectionId, "--data", data);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no stored crop", run.Output);
        Assert.Contains("re-embedded 0 references", run.Output);
    }

    [Fact]
    public async Task Direct_import_refuses_a_data_dir_that_another_process_holds_open()
    {
        var dir = f.NewDir("guard");
        var data = Path.Combine(dir, "data");
        var csv = f.WriteCsv(dir, 1, "Juanes");
        Assert.Equal(0, (await f.RunAsync("import", csv, "--collection", "c", "--create", "--data", data, "--report", Path.Combine(dir, "r.csv"))).ExitCode);

        using var holder = Process.Start(new ProcessStartInfo("tail", ["-f", Path.Combine(data, SqliteFaceStore.FileName)])
            { RedirectStandardOutput = true, UseShellExecute = false })!;
        try
        {
            // Wait until the holder has the file open.
            for (int i = 0; i < 50 && !Directory.EnumerateFiles($"/proc/{holder.Id}/fd").Any(fd => new FileInfo(fd).LinkTarget?.EndsWith(SqliteFaceStore.FileName) == true); i++)
                await Task.Delay(100);
            var run = await f.RunAsync("import", csv, "--collection", "c", "--data", data, "--report", Path.Combine(dir, "r2.csv"));
            Assert.Equal(2, run.ExitCode);
            Assert.Contains($"is open in process {holder.Id}", run.Error);
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }

    [Fact]
    public async Task Restore_rejects_a_truncated_export_and_names_the_problem()
    {
        var dir = f.NewDir("truncated");
        var data = Path.Combine(dir, "data");
        var import = await f.RunAsync("import", f.WriteCsv(dir, 1, People), "--collection", "people", "--create", "--data", data, "--report", Path.Combine(dir, "r.csv"));
        Assert.True(import.ExitCode == 0, import.ToString());
        var file = Path.Combine(dir, "people.jsonl.gz");
        Assert.Equal(0, (await f.RunAsync("export", "--collection", "people", "--data", data, "--out", file)).ExitCode);

        // Everything but the end line, recompressed: what a copy cut short would hold.
        var lines = new List<string>();
        using (var reader = new StreamReader(new System.IO.Compression.GZipStream(File.OpenRead(file), System.IO.Compression.CompressionMode.Decompress)))
            while (reader.ReadLine() is { } line) lines.Add(line);
        Assert.Contains("\"kind\":\"end\"", lines[^1]);
        var cut = Path.Combine(dir, "cut.jsonl.gz");
        using (var writer = new StreamWriter(new System.IO.Compression.GZipStream(File.Create(cut), System.IO.Compression.CompressionLevel.Fastest)))
            foreach (var line in lines.Take(lines.Count - 1)) writer.Write(line + "\n");

        var run = await f.RunAsync("restore", cut, "--data", Path.Combine(dir, "restored"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("truncated", run.Error);
        var garbage = Path.Combine(dir, "garbage.jsonl.gz");
        await File.WriteAllTextAsync(garbage, "not gzip");
        Assert.Equal(2, (await f.RunAsync("restore", garbage, "--data", Path.Combine(dir, "restored2"))).ExitCode);
    }
}
