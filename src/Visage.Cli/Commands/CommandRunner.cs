using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Visage.Cli.Evaluation;
using Visage.Engine;

namespace Visage.Cli.Commands;

/// <summary>What every engine command shares: its writers, the JSON style, and the one place where a user's
/// mistake becomes a one-line message and an exit code instead of a stack trace.</summary>
public sealed class CommandContext(ParseResult parse)
{
    public ParseResult Parse { get; } = parse;
    public TextWriter Out { get; } = parse.InvocationConfiguration.Output;
    public TextWriter Error { get; } = parse.InvocationConfiguration.Error;

    /// <summary>A Spectre console over stdout for tables (plain text when stdout is not a terminal).</summary>
    public IAnsiConsole OutConsole => CreateConsole(Out, Console.IsOutputRedirected);

    /// <summary>A Spectre console over stderr for progress, so stdout stays clean for JSON.</summary>
    public IAnsiConsole ErrorConsole => CreateConsole(Error, Console.IsErrorRedirected);

    static IAnsiConsole CreateConsole(TextWriter writer, bool redirected)
    {
        var isTerminal = !redirected && (writer == Console.Out || writer == Console.Error);
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));
}

public static class ExitCodes
{
    public const int Ok = 0, Failure = 1, BadInput = 2, EngineSetup = 3;
}

public static class CommandRunner
{
    /// <summary>Runs a command body; input errors exit 2, a missing engine setup exits 3, each with one line on stderr.</summary>
    public static int Run(ParseResult parse, Func<CommandContext, int> body)
    {
        var ctx = new CommandContext(parse);
        try
        {
            return body(ctx);
        }
        catch (Exception e) when (ExitCodeFor(e) is { } code)
        {
            ctx.Error.WriteLine($"visage {parse.CommandResult.Command.Name}: {e.Message}");
            return code;
        }
    }

    static int? ExitCodeFor(Exception e) => e switch
    {
        ImageException or DatasetException or UsageException => ExitCodes.BadInput,
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException => ExitCodes.BadInput,
        EngineSetupException => ExitCodes.EngineSetup,
        _ => null,
    };

    public static byte[] ReadInput(string path) =>
        File.Exists(path) ? File.ReadAllBytes(path) : throw new UsageException($"file not found: {path}");
}

/// <summary>An argument the user gave that the command cannot work with.</summary>
public sealed class UsageException(string message) : Exception(message);
