using System.CommandLine;
using Visage.Cli.Operations;

namespace Visage.Cli.Commands;

/// <summary><c>visage restore FILE [--data DIR | --store CONNSTR]</c>: an export back into a new collection.</summary>
public static class RestoreCommand
{
    public static Command Create(EngineSource engines)
    {
        var file = new Argument<string>("FILE") { Description = "An export made by `visage export`" };
        var name = new Option<string?>("--name") { Description = "Name of the restored collection (default: the exported name)" };
        var reembed = new Option<bool>("--reembed") { Description = "Recompute embeddings from the crops with this engine (required when the model version differs)" };
        var newIds = new Option<bool>("--new-ids") { Description = "Give the collection, faces and references new ids even when the originals are free" };
        var workers = new Option<int>("--workers") { Description = "Crops embedded at once with --reembed", DefaultValueFactory = _ => 2 };
        var (data, store, workspace) = (StoreOptions.Data(), StoreOptions.Store(), OperationCommand.Workspace());
        var cmd = new Command("restore", "Restore an exported collection into this store (the service must be stopped)")
            { file, name, reembed, newIds, workers, data, store, workspace };
        cmd.SetAction((parse, ct) => OperationCommand.RunAsync(parse, async ctx =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path)) throw new UsageException($"file not found: {path}");
            await using var archive = await CollectionArchive.Reader.OpenAsync(path, ct);
            using var lease = engines.Acquire();
            await using var local = await LocalService.OpenAsync(parse.GetValue(data), parse.GetValue(store), parse.GetValue(workspace),
                lease.Engine, ctx.Out, parse.GetValue(workers), ct: ct);
            var options = new RestoreOptions(parse.GetValue(name), parse.GetValue(reembed), parse.GetValue(newIds), parse.GetValue(workers));
            var result = await ProgressBars.RunAsync(ctx.ErrorConsole, "restore", "faces", archive.Collection.FaceCount, task =>
                CollectionRestorer.RestoreAsync(local, archive, options, n => task.Value = n, ct));
            await ctx.Out.WriteLineAsync($"restored {result.Faces} faces, {result.References} references into {result.CollectionId} ({result.Name}) " +
                $"in workspace {local.Caller.WorkspaceId}; ids {(result.IdsPreserved ? "preserved" : "remapped")}" +
                (options.Reembed ? $"; {result.Reembedded} references re-embedded with {lease.Engine.Info.ModelVersion}" : ""));
            await OperationCommand.WriteListAsync(ctx.Out, "  not restored: ", result.Dropped);
            return result.Dropped.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        }));
        return cmd;
    }
}
