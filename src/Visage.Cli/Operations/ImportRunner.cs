using Spectre.Console;

namespace Visage.Cli.Operations;

/// <summary>One line of the import report.</summary>
public sealed record ImportResult(ImportItem Item, ImportOutcome Outcome);

public sealed record ImportSummary(IReadOnlyList<ImportResult> Results, TimeSpan Elapsed, bool Interrupted)
{
    public int Count(ImportStatus status)
    {
        int n = 0;
        foreach (var r in Results) if (r.Outcome.Status == status) n++;
        return n;
    }
}

/// <summary>Enrols the items on a bounded number of workers, skipping what the journal says is done, recording each
/// finished file in the journal as it finishes. Cancellation stops new files; finished ones stay recorded.</summary>
public sealed class ImportRunner(IImportTarget target, ImportJournal journal, int workers)
{
    /// <summary>Called after each file that was sent (tests use it to interrupt an import part-way).</summary>
    public Action<ImportResult>? OnFinished { get; init; }

    public async Task<ImportSummary> RunAsync(IReadOnlyList<ImportItem> items, IAnsiConsole progressConsole, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var results = new ImportResult?[items.Count];
        var pending = new List<int>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            if (journal.EnrolledFace(target.CollectionId, items[i].Path) is { } faceId)
                results[i] = new ImportResult(items[i], new ImportOutcome(ImportStatus.Skipped, faceId));
            else pending.Add(i);
        }

        bool interrupted = false;
        try
        {
            await ProgressBars.RunAsync(progressConsole, $"import ({items.Count - pending.Count} done before)", "files", pending.Count, task =>
                Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = ct },
                    async (i, token) =>
                    {
                        var result = new ImportResult(items[i], await EnrollOneAsync(items[i], token));
                        results[i] = result;
                        journal.Record(target.CollectionId, items[i], result.Outcome);
                        task.Increment(1);
                        OnFinished?.Invoke(result);
                    }));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            interrupted = true;
        }

        var all = new List<ImportResult>(items.Count);
        foreach (var r in results) if (r is not null) all.Add(r);
        return new ImportSummary(all, System.Diagnostics.Stopwatch.GetElapsedTime(started), interrupted);
    }

    async Task<ImportOutcome> EnrollOneAsync(ImportItem item, CancellationToken ct)
    {
        byte[] image;
        try { image = await File.ReadAllBytesAsync(item.Path, ct); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ImportOutcome.Rejected("FILE_UNREADABLE", e.Message);
        }
        return await target.EnrollAsync(item, image, ImportRequestKey.For(target.CollectionId, item, image), ct);
    }
}

/// <summary>The final report: a table on the console and the CSV (path, external_id, status, face_id, error_code, reasons).</summary>
public static class ImportReport
{
    public static void WriteCsv(string path, ImportSummary summary)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var writer = new StreamWriter(path);
        Csv.WriteRow(writer, "path", "external_id", "status", "face_id", "error_code", "reasons");
        foreach (var r in summary.Results)
            Csv.WriteRow(writer, r.Item.Path, r.Item.ExternalId, r.Outcome.Status.ToString().ToLowerInvariant(), r.Outcome.FaceId,
                r.Outcome.ErrorCode, r.Outcome.Reasons);
    }

    public static void WriteTable(IAnsiConsole console, ImportSummary summary, int total)
    {
        var table = new Table().AddColumn("outcome").AddColumn(new TableColumn("files").RightAligned());
        table.AddRow("enrolled", summary.Count(ImportStatus.Enrolled).ToString());
        table.AddRow("skipped (enrolled by an earlier run)", summary.Count(ImportStatus.Skipped).ToString());
        table.AddRow("rejected", summary.Count(ImportStatus.Rejected).ToString());
        foreach (var (reason, n) in ByReason(summary, ImportStatus.Rejected)) table.AddRow("  " + Markup.Escape(reason), n.ToString());
        table.AddRow("failed (retry by running again)", summary.Count(ImportStatus.Failed).ToString());
        foreach (var (reason, n) in ByReason(summary, ImportStatus.Failed)) table.AddRow("  " + Markup.Escape(reason), n.ToString());
        int notReached = total - summary.Results.Count;
        if (notReached > 0) table.AddRow("not reached (interrupted)", notReached.ToString());
        table.AddRow("total", total.ToString());
        console.Write(table);
        double sent = summary.Count(ImportStatus.Enrolled) + summary.Count(ImportStatus.Rejected) + summary.Count(ImportStatus.Failed);
        console.WriteLine($"{sent:F0} files sent in {summary.Elapsed.TotalSeconds:F1} s ({(sent == 0 ? 0 : sent / summary.Elapsed.TotalSeconds):F2} files/s)");
    }

    static SortedDictionary<string, int> ByReason(ImportSummary summary, ImportStatus status)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in summary.Results)
        {
            if (r.Outcome.Status != status) continue;
            var key = string.IsNullOrEmpty(r.Outcome.Reasons) || r.Outcome.ErrorCode != "FACE_QUALITY_TOO_LOW"
                ? r.Outcome.ErrorCode ?? "?" : $"{r.Outcome.ErrorCode} ({r.Outcome.Reasons})";
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }
}
