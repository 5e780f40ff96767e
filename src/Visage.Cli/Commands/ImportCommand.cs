using System.CommandLine;
using Visage.Cli.Operations;
using Visage.Service;

namespace Visage.Cli.Commands;

/// <summary><c>visage import SOURCE --collection NAME|ID</c>: enrols a folder-per-person tree or a CSV, over HTTP
/// (<c>--url</c>) or directly into the store (<c>--data</c>/<c>--store</c>) when the service is stopped.</summary>
public static class ImportCommand
{
    public static Command Create(EngineSource engines)
    {
        var source = new Argument<string>("SOURCE") { Description = "Folder of <external_id>/ subfolders of photos, or a CSV of path,external_id[,metadata]" };
        var collection = new Option<string>("--collection") { Description = "Collection id or name", Required = true };
        var create = new Option<bool>("--create") { Description = "Create the collection (default settings) if no collection has that name" };
        var url = new Option<string?>("--url") { Description = "A running service (env VISAGE_URL); without it, the store is written directly", DefaultValueFactory = _ => Env("VISAGE_URL") };
        var key = new Option<string?>("--key") { Description = "API key with write scope (env VISAGE_API_KEY)", DefaultValueFactory = _ => Env("VISAGE_API_KEY") };
        var (data, store, workspace) = (StoreOptions.Data(), StoreOptions.Store(), OperationCommand.Workspace());
        var workers = new Option<int>("--workers") { Description = "Files in flight at once", DefaultValueFactory = _ => 2 };
        var report = new Option<string>("--report") { Description = "Report CSV (path, external_id, status, face_id, error_code, reasons)", DefaultValueFactory = _ => "visage-import-report.csv" };
        var journal = new Option<string?>("--journal") { Description = "Resume journal (default: REPORT.journal.jsonl); files enrolled in an earlier run are skipped" };
        var cmd = new Command("import", "Enroll a folder-per-person tree or a CSV, resumably, with a report")
            { source, collection, create, url, key, data, store, workspace, workers, report, journal };
        cmd.SetAction((parse, ct) => OperationCommand.RunAsync(parse, async ctx =>
        {
            if (parse.GetValue(workers) is < 1 or > 64) throw new UsageException("--workers must be between 1 and 64");
            var items = ImportSource.Load(parse.GetValue(source)!);
            var reportPath = Path.GetFullPath(parse.GetValue(report)!);
            await using var target = parse.GetValue(url) is { Length: > 0 } u
                ? await ConnectAsync(u, parse.GetValue(key), parse.GetValue(collection)!, parse.GetValue(create), ct)
                : await OpenDirectAsync(ctx, engines, parse.GetValue(data), parse.GetValue(store), parse.GetValue(workspace),
                    parse.GetValue(collection)!, parse.GetValue(create), parse.GetValue(workers), ct);
            using var log = new ImportJournal(parse.GetValue(journal) ?? reportPath + ".journal.jsonl");
            await ctx.Error.WriteLineAsync($"importing {items.Count} files into {target.Description} with {parse.GetValue(workers)} workers (journal {log.FilePath})");
            var summary = await new ImportRunner(target, log, parse.GetValue(workers)).RunAsync(items, ctx.ErrorConsole, ct);
            ImportReport.WriteCsv(reportPath, summary);
            ImportReport.WriteTable(ctx.OutConsole, summary, items.Count);
            await ctx.Out.WriteLineAsync($"report: {reportPath}");
            if (summary.Interrupted) return OperationCommand.Interrupted;
            return summary.Count(ImportStatus.Failed) > 0 ? ExitCodes.Failure : ExitCodes.Ok;
        }));
        return cmd;
    }

    static async Task<IImportTarget> ConnectAsync(string url, string? key, string collection, bool create, CancellationToken ct)
    {
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
            throw new UsageException($"--url must be an http(s) address: {url}");
        if (string.IsNullOrEmpty(key)) throw new UsageException("--key (or VISAGE_API_KEY) is required with --url");
        return await HttpImportTarget.ConnectAsync(baseAddress, key, collection, create, ct);
    }

    static async Task<IImportTarget> OpenDirectAsync(CommandContext ctx, EngineSource engines, string? data, string? store, string? workspace,
        string collection, bool create, int workers, CancellationToken ct)
    {
        var lease = engines.Acquire();
        LocalService? local = null;
        try
        {
            local = await LocalService.OpenAsync(data, store, workspace, lease.Engine, ctx.Out, workers, loadIndexes: false, ct);
            var record = await local.FindCollectionAsync(collection, ct);
            if (record is null)
            {
                if (!create) throw new UsageException($"collection '{collection}' not found; add --create to create it");
                var view = await local.Collections.CreateAsync(local.Caller, new CreateCollectionRequest(collection, null, null), ct);
                record = await local.RequireCollectionAsync(view.CollectionId, ct);
            }
            return new OwningTarget(new DirectImportTarget(local, record), local, lease);
        }
        catch
        {
            if (local is not null) await local.DisposeAsync();
            lease.Dispose();
            throw;
        }
    }

    static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    /// <summary>A direct target that also closes the store and returns the engine when the import ends.</summary>
    sealed class OwningTarget(IImportTarget inner, LocalService local, EngineSource.Lease lease) : IImportTarget
    {
        public string CollectionId => inner.CollectionId;
        public string Description => inner.Description;
        public Task<ImportOutcome> EnrollAsync(ImportItem item, byte[] image, string requestKey, CancellationToken ct) =>
            inner.EnrollAsync(item, image, requestKey, ct);
        public async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync();
            await local.DisposeAsync();
            lease.Dispose();
        }
    }
}
