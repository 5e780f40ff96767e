using System.CommandLine;
using Visage.Cli.Commands;

namespace Visage.Cli;

/// <summary>The `visage` command tree. Tests call <see cref="RunAsync"/> in-process with their own writers and a
/// shared engine, so the models load once per test run instead of once per command.</summary>
public static class VisageCli
{
    public static RootCommand Build(EngineSource engines)
    {
        var root = new RootCommand("visage — self-hosted face enrollment, verification and identification");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(EncryptionCommand.Create());
        root.Subcommands.Add(AnalyzeCommand.Create(engines));
        root.Subcommands.Add(CompareCommand.Create(engines));
        root.Subcommands.Add(EvalCommand.Create(engines));
        root.Subcommands.Add(BenchCommand.Create(engines));
        root.Subcommands.Add(ImportCommand.Create(engines));
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(RestoreCommand.Create(engines));
        root.Subcommands.Add(ReembedCommand.Create(engines));
        return root;
    }

    /// <param name="engines">Where engine commands get their engine; null loads the installed models per command.</param>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, EngineSource? engines = null)
    {
        var config = new InvocationConfiguration { Output = output, Error = error };
        return Build(engines ?? EngineSource.Default).Parse(args).InvokeAsync(config);
    }
}
