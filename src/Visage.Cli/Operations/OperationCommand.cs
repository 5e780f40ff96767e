using System.CommandLine;
using Visage.Cli.Commands;
using Visage.Cli.Evaluation;
using Visage.Engine;
using Visage.Service;
using Visage.Storage;

namespace Visage.Cli.Operations;

/// <summary>The async twin of <see cref="CommandRunner"/> for the operator commands (import, export, restore,
/// re-embed): a user's mistake or an unreachable store/service becomes one line on stderr and an exit code.</summary>
public static class OperationCommand
{
    public const int Interrupted = 130;

    public static async Task<int> RunAsync(ParseResult parse, Func<CommandContext, Task<int>> body)
    {
        var ctx = new CommandContext(parse);
        try
        {
            return await body(ctx);
        }
        catch (Exception e) when (ExitCodeFor(e) is { } code)
        {
            await ctx.Error.WriteLineAsync($"visage {parse.CommandResult.Command.Name}: {e.Message}");
            return code;
        }
    }

    static int? ExitCodeFor(Exception e) => e switch
    {
        UsageException or DatasetException or ArchiveFormatException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException => ExitCodes.BadInput,
        EngineSetupException => ExitCodes.EngineSetup,
        VisageApiException or StoreException or HttpRequestException or IOException => ExitCodes.Failure,
        OperationCanceledException => Interrupted,
        _ => null,
    };

    /// <summary>The first lines of a possibly long list (every face of a large collection), then how many more.</summary>
    public static async Task WriteListAsync(TextWriter output, string prefix, IReadOnlyList<string> lines, int shown = 20)
    {
        for (int i = 0; i < Math.Min(shown, lines.Count); i++) await output.WriteLineAsync(prefix + lines[i]);
        if (lines.Count > shown) await output.WriteLineAsync($"{prefix}… and {lines.Count - shown} more");
    }

    /// <summary>--workspace for the commands that work on the store directly.</summary>
    public static Option<string?> Workspace() => new("--workspace") { Description = "Workspace id (default: the first admin key's workspace)" };
}
