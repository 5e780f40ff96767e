using Spectre.Console;
using Spectre.Console.Rendering;

namespace Visage.Cli.Operations;

/// <summary>The one progress bar of the operator commands: bar, percentage, rate and ETA, on stderr.</summary>
public static class ProgressBars
{
    public static Task<T> RunAsync<T>(IAnsiConsole console, string description, string unit, long total, Func<ProgressTask, Task<T>> work) =>
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RateColumn(unit), new RemainingTimeColumn())
            .StartAsync(ctx => work(ctx.AddTask(description, maxValue: Math.Max(1, total))));

    public static Task RunAsync(IAnsiConsole console, string description, string unit, long total, Func<ProgressTask, Task> work) =>
        RunAsync(console, description, unit, total, async task => { await work(task); return true; });

    /// <summary>Items per second, from Spectre's moving speed estimate.</summary>
    sealed class RateColumn(string unit) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(task.Speed is { } s ? $"{s:F1} {unit}/s" : $"– {unit}/s");
    }
}
