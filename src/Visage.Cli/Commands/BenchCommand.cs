using static System.FormattableString;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using Spectre.Console;
using Visage.Cli.Evaluation;
using Visage.Engine;

namespace Visage.Cli.Commands;

/// <summary>`visage bench`: per-stage latency on one worker, throughput on one and two, and peak memory.</summary>
public static class BenchCommand
{
    // The targets for this 2-core machine class, printed next to the measurements.
    const double TargetP50Ms = 35, TargetImagesPerSecond2 = 55, TargetPeakMb = 300;
    const int WarmupRuns = 10;

    public sealed record Latency(double P50, double P95);

    public sealed record BenchReport(string Image, int Width, int Height, double SecondsPerPhase, int SingleWorkerSamples,
        Dictionary<string, Latency> StagesMs,
        [property: JsonPropertyName("images_per_second_1_worker")] double ImagesPerSecond1Worker,
        [property: JsonPropertyName("images_per_second_2_workers")] double ImagesPerSecond2Workers,
        double PeakRssMb, double TargetP50Ms,
        [property: JsonPropertyName("target_images_per_second_2_workers")] double TargetImagesPerSecond2Workers,
        double TargetPeakRssMb,
        bool MeetsTargets, int ProcessorCount,
        // Process CPU time per image: unlike wall-clock figures it barely moves when other work shares the cores,
        // so (cores × 1000 / this) estimates the throughput of an idle machine.
        [property: JsonPropertyName("cpu_ms_per_image_1_worker")] double CpuMsPerImage1Worker,
        [property: JsonPropertyName("cpu_ms_per_image_2_workers")] double CpuMsPerImage2Workers,
        double? LoadAverageBefore, double? LoadAverageAfter);

    sealed record Phase(double PerSecond, double CpuMsPerImage, List<StageTimings> Timings);

    public static Command Create(EngineSource engines)
    {
        var image = new Option<string?>("--image") { Description = "Photo to analyse (default: a 640x480 JPEG made from a test photo)" };
        var seconds = new Option<double>("--seconds") { Description = "Duration of each timed phase", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var cmd = new Command("bench", "Measure per-stage latency, throughput and peak memory") { image, seconds, json };
        cmd.SetAction(parse => CommandRunner.Run(parse, ctx =>
        {
            var secs = parse.GetValue(seconds);
            if (secs is <= 0 or > 3600) throw new UsageException("--seconds must be in (0, 3600]");
            var (label, bytes) = parse.GetValue(image) is { } path
                ? (path, CommandRunner.ReadInput(path))
                : BenchImage.Default640x480();
            using var lease = engines.Acquire();
            var report = Run(lease.Engine, label, bytes, secs, ctx.ErrorConsole);
            if (parse.GetValue(json)) ctx.WriteJson(report);
            else Print(ctx.OutConsole, report);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    public static BenchReport Run(IFaceEngine engine, string label, byte[] image, double seconds, IAnsiConsole progress)
    {
        var first = engine.Analyze(image, AnalyzeOptions.Default);
        if (first.Subject is null) throw new UsageException($"no face in {label}: the benchmark needs a photo with a face");
        for (var i = 0; i < WarmupRuns; i++) engine.Analyze(image, AnalyzeOptions.Default);

        var loadBefore = LoadAverage();
        Phase one = null!, two = null!;
        void Phases(Action<double>? step1, Action<double>? step2)
        {
            one = Timed(engine, image, 1, seconds, step1);
            two = Timed(engine, image, 2, seconds, step2);
        }
        if (progress.Profile.Capabilities.Interactive)
            progress.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var bar1 = ctx.AddTask("1 worker", maxValue: seconds);
                    var bar2 = ctx.AddTask("2 workers", maxValue: seconds);
                    Phases(s => bar1.Value = s, s => bar2.Value = s);
                });
        else
        {
            progress.WriteLine($"bench: {seconds:0.#} s on 1 worker, then {seconds:0.#} s on 2 workers...");
            Phases(null, null);
        }

        var timings = one.Timings;
        var stages = new Dictionary<string, Latency>
        {
            ["decode"] = Stat(timings, t => t.DecodeMs),
            ["detect"] = Stat(timings, t => t.DetectMs),
            ["landmarks"] = Stat(timings, t => t.LandmarksMs),
            ["align"] = Stat(timings, t => t.AlignMs),
            ["embed"] = Stat(timings, t => t.EmbedMs),
            ["liveness"] = Stat(timings, t => t.LivenessMs),
            ["quality"] = Stat(timings, t => t.QualityMs),
            ["total"] = Stat(timings, t => t.TotalMs),
        };
        var peakMb = Math.Round(PeakRssBytes() / 1048576.0, 1);
        var meets = stages["total"].P50 <= TargetP50Ms && two.PerSecond >= TargetImagesPerSecond2 && peakMb <= TargetPeakMb;
        return new BenchReport(label, first.ImageWidth, first.ImageHeight, seconds, timings.Count, stages,
            Math.Round(one.PerSecond, 1), Math.Round(two.PerSecond, 1), peakMb, TargetP50Ms, TargetImagesPerSecond2, TargetPeakMb,
            meets, Environment.ProcessorCount, Math.Round(one.CpuMsPerImage, 2), Math.Round(two.CpuMsPerImage, 2),
            loadBefore, LoadAverage());
    }

    /// <summary>Runs <paramref name="workers"/> threads analysing the same image for a fixed time.</summary>
    static Phase Timed(IFaceEngine engine, byte[] image, int workers, double seconds, Action<double>? step)
    {
        var perWorker = new List<StageTimings>[workers];
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(seconds);
        var threads = new Thread[workers];
        for (var w = 0; w < workers; w++)
        {
            var list = perWorker[w] = new List<StageTimings>(4096);
            threads[w] = new Thread(() =>
            {
                while (clock.Elapsed < limit) list.Add(engine.Analyze(image, AnalyzeOptions.Default).Timings);
            }) { IsBackground = true, Name = $"bench-{w}" };
            threads[w].Start();
        }
        while (!threads.All(t => t.Join(200))) step?.Invoke(Math.Min(seconds, clock.Elapsed.TotalSeconds));
        step?.Invoke(seconds);
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        var all = perWorker.SelectMany(l => l).ToList();
        return new Phase(all.Count / elapsed, cpu / all.Count, all);
    }

    static Latency Stat(List<StageTimings> timings, Func<StageTimings, double> stage)
    {
        var values = timings.Select(stage).ToArray();
        return new Latency(Math.Round(Percentiles.Of(values, 50), 2), Math.Round(Percentiles.Of(values, 95), 2));
    }

    /// <summary>Peak resident set size of this process (VmHWM), 0 where /proc is not available.</summary>
    public static long PeakRssBytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return 0;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>The 1-minute load average (Linux), so a reader can tell a quiet run from a crowded one.</summary>
    public static double? LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    static void Print(IAnsiConsole console, BenchReport r)
    {
        var table = new Table().AddColumn("stage").AddColumn(new TableColumn("p50 ms").RightAligned())
            .AddColumn(new TableColumn("p95 ms").RightAligned());
        foreach (var (stage, l) in r.StagesMs)
            table.AddRow(stage, l.P50.ToString("0.00", CultureInfo.InvariantCulture), l.P95.ToString("0.00", CultureInfo.InvariantCulture));
        console.MarkupLine(Markup.Escape($"{r.Image} ({r.Width}x{r.Height}), {r.SingleWorkerSamples} runs on 1 worker, {r.ProcessorCount} cores"));
        console.Write(table);
        console.MarkupLine(Markup.Escape(Invariant($"throughput: {r.ImagesPerSecond1Worker:0.0} images/s on 1 worker, {r.ImagesPerSecond2Workers:0.0} on 2 (target >= {r.TargetImagesPerSecond2Workers})")));
        console.MarkupLine(Markup.Escape(Invariant($"CPU time per image: {r.CpuMsPerImage1Worker:0.0} ms on 1 worker, {r.CpuMsPerImage2Workers:0.0} on 2; load average {r.LoadAverageBefore} before, {r.LoadAverageAfter} after")));
        console.MarkupLine(Markup.Escape(Invariant($"peak memory (VmHWM): {r.PeakRssMb:0.0} MB (target <= {r.TargetPeakRssMb})")));
        console.MarkupLine(Markup.Escape(Invariant($"p50 total {r.StagesMs["total"].P50:0.0} ms (target <= {r.TargetP50Ms}) — ")) +
                           (r.MeetsTargets ? "[green]targets met[/]" : "[yellow]targets not met[/]"));
    }

}
