using System.CommandLine;
using Visage.Cli.Operations;

namespace Visage.Cli.Commands;

/// <summary><c>visage reembed --collection ID|NAME</c>: recomputes every embedding from the stored crops with the
/// current engine (a new model version), on the store directly while the service is stopped.</summary>
public static class ReembedCommand
{
    public static Command Create(EngineSource engines)
    {
        var collection = new Option<string>("--collection") { Description = "Collection id or name", Required = true };
        var workers = new Option<int>("--workers") { Description = "Crops embedded at once", DefaultValueFactory = _ => 2 };
        var (data, store, workspace) = (StoreOptions.Data(), StoreOptions.Store(), OperationCommand.Workspace());
        var cmd = new Command("reembed", "Recompute a collection's embeddings from its stored crops with the current model")
            { collection, workers, data, store, workspace };
        cmd.SetAction((parse, ct) => OperationCommand.RunAsync(parse, async ctx =>
        {
            using var lease = engines.Acquire();
            await using var local = await LocalService.OpenAsync(parse.GetValue(data), parse.GetValue(store), parse.GetValue(workspace),
                lease.Engine, ctx.Out, parse.GetValue(workers), ct: ct);
            var record = await local.RequireCollectionAsync(parse.GetValue(collection)!, ct);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = await ProgressBars.RunAsync(ctx.ErrorConsole, $"reembed {record.Id}", "faces", record.FaceCount, task =>
                Reembedder.RunAsync(local, record, parse.GetValue(workers), n => task.Value = n, ct));
            var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
            await ctx.Out.WriteLineAsync($"re-embedded {result.Reembedded} references of {result.Faces} faces in {record.Id} with {result.ModelVersion} " +
                $"in {seconds:F1} s; cosine(old, new) min {result.MinCosine:F6}, mean {result.MeanCosine:F6}");
            await OperationCommand.WriteListAsync(ctx.Out, "  no stored crop, left as it was: ", result.WithoutCrop);
            if (!result.CollectionUpdated)
                await ctx.Out.WriteLineAsync($"  the collection stays on {record.ModelVersion}: delete or re-enroll the faces listed above, then run again");
            return result.WithoutCrop.Count == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        }));
        return cmd;
    }
}
