using System.CommandLine;
using Visage.Cli.Operations;
using Visage.Storage;

namespace Visage.Cli.Commands;

/// <summary><c>visage export --collection ID|NAME --out FILE</c>: one gzip JSON-lines file with the collection, its
/// faces, embeddings (with their model version) and crops, read from the store directly (the service may run).</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var collection = new Option<string>("--collection") { Description = "Collection id or name", Required = true };
        var output = new Option<string>("--out") { Description = "The export file (.jsonl.gz)", Required = true };
        var (data, store, workspace) = (StoreOptions.Data(), StoreOptions.Store(), OperationCommand.Workspace());
        var cmd = new Command("export", "Export a collection (faces, metadata, embeddings, crops) as one file") { collection, output, data, store, workspace };
        cmd.SetAction((parse, ct) => OperationCommand.RunAsync(parse, async ctx =>
        {
            await using var st = await FaceStoreFactory.OpenAndMigrateAsync(parse.GetValue(data), parse.GetValue(store), ct);
            var record = await FindAsync(st, parse.GetValue(collection)!, parse.GetValue(workspace), ct);
            var path = Path.GetFullPath(parse.GetValue(output)!);
            var partial = path + ".partial";
            CollectionArchive.ExportCounts counts;
            // Written aside and renamed when complete: an interrupted export never leaves a file that looks whole.
            await using (var file = File.Create(partial))
                counts = await ProgressBars.RunAsync(ctx.ErrorConsole, $"export {record.Id}", "faces", record.FaceCount, task =>
                    CollectionArchive.ExportAsync(st, record, file, n => task.Value = n, ct));
            File.Move(partial, path, overwrite: true);
            await ctx.Out.WriteLineAsync($"exported {record.Id} ({record.Name}): {counts.Faces} faces, {counts.References} references " +
                $"({counts.ReferencesWithoutCrop} without crop), model {record.ModelVersion}, {new FileInfo(path).Length / 1024.0:F0} KiB → {path}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>By id or exact name, in the workspace when given, else across all of them (export is a store operator's act).</summary>
    static async Task<CollectionRecord> FindAsync(IFaceStore store, string idOrName, string? workspace, CancellationToken ct)
    {
        var matches = new List<CollectionRecord>();
        foreach (var c in await store.ListAllCollectionsAsync(ct))
            if ((c.Id == idOrName || c.Name == idOrName) && (workspace is null || c.WorkspaceId == workspace)) matches.Add(c);
        return matches.Count switch
        {
            0 => throw new UsageException($"collection '{idOrName}' not found"),
            1 => await store.GetCollectionAsync(matches[0].WorkspaceId, matches[0].Id, ct) ?? matches[0],
            _ => throw new UsageException($"{matches.Count} collections match '{idOrName}': give its id or --workspace"),
        };
    }
}
