using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Visage.Bench.Startup;

/// <summary>A real <c>visage serve</c> as a child process: started, polled on /readyz until 200, stopped with SIGTERM.
/// CPU time and memory come from /proc, so they cover the whole process (models, store, index).</summary>
sealed class ServeProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly List<string> _log = [];
    readonly Stopwatch _sinceStart;
    public HttpClient Http { get; }
    public string Url { get; }
    public int Pid => _process.Id;

    ServeProcess(Process process, Stopwatch sinceStart, string url, string adminKey)
    {
        _process = process;
        _sinceStart = sinceStart;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Add("X-API-Key", adminKey);
    }

    /// <param name="storeArgs">["--data", dir] or ["--store", connection string]</param>
    public static ServeProcess Start(string cliDll, string adminKey, IReadOnlyList<string> storeArgs)
    {
        string url = $"http://127.0.0.1:{Visage.Testing.LoopbackPort.Free()}";
        var info = new ProcessStartInfo("dotnet", [cliDll, "serve", "--urls", url, .. storeArgs])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.Environment["VISAGE_ADMIN_KEY"] = adminKey;
        var sinceStart = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start visage serve");
        var serve = new ServeProcess(process, sinceStart, url, adminKey);
        process.OutputDataReceived += (_, e) => serve.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => serve.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return serve;
    }

    void Keep(string? line) { if (line is not null) lock (_log) _log.Add(line); }

    public string? LogLine(string contains)
    {
        lock (_log) return _log.FindLast(l => l.Contains(contains, StringComparison.Ordinal));
    }

    // Each /readyz pings the store: a poll every 50 ms is ~1 ms resolution cost; VISAGE_BENCH_POLL_MS to check its weight.
    static readonly int PollMs = int.TryParse(Environment.GetEnvironmentVariable("VISAGE_BENCH_POLL_MS"), out var ms) ? ms : 50;

    /// <summary>Seconds from process start until /readyz answers 200.</summary>
    public async Task<double> WaitReadyAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        using var probe = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(5) };
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"visage serve exited with {_process.ExitCode}:\n{string.Join('\n', _log.TakeLast(20))}");
            try
            {
                using var r = await probe.GetAsync("/readyz");
                if (r.StatusCode == HttpStatusCode.OK) return _sinceStart.Elapsed.TotalSeconds;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(PollMs);
        }
        throw new TimeoutException($"visage serve not ready after {timeout}:\n{string.Join('\n', _log.TakeLast(20))}");
    }

    /// <summary>User+system CPU seconds of the server so far.</summary>
    public double CpuSeconds()
    {
        var fields = File.ReadAllText($"/proc/{Pid}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // After the ")": state is field 3, so utime (14) and stime (15) are at 11 and 12.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>The busiest threads so far (name: CPU seconds), to see where a start-up's CPU went.</summary>
    public string BusiestThreads(int top)
    {
        var threads = new List<(string Name, double Cpu)>();
        foreach (var dir in Directory.GetDirectories($"/proc/{Pid}/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                double cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
                threads.Add((File.ReadAllText(Path.Combine(dir, "comm")).Trim(), cpu));
            }
            catch (IOException) { }   // the thread ended meanwhile
        }
        threads.Sort((a, b) => b.Cpu.CompareTo(a.Cpu));
        return string.Join(", ", threads.Take(top).Select(t => $"{t.Name} {t.Cpu:F1} s"));
    }

    /// <summary>A /proc/PID/status field in MB (VmRSS, VmHWM, RssAnon, RssFile).</summary>
    public double StatusMb(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }

    public async Task<Dictionary<string, double>> MetricsAsync()
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in (await Http.GetStringAsync("/metrics")).Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            int space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                values[line[..space]] = v;
        }
        return values;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        }
        _process.Dispose();
        Http.Dispose();
    }

}
