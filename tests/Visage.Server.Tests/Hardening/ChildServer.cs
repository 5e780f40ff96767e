using System.Diagnostics;
using System.Net;
using System.Text;
using Visage.Service;

namespace Visage.Server.Tests.Hardening;

/// <summary>The real service as a child process (<c>dotnet visage.dll serve</c> from this test's output folder, where
/// the project reference to the CLI puts it), so a test can kill it with SIGKILL and start it again on the same data.</summary>
public sealed class ChildServer : IAsyncDisposable
{
    Process? _process;
    readonly StringBuilder _stderr = new();
    readonly Dictionary<string, string> _environment;

    public string DataDir { get; }
    public string AdminKey { get; } = ApiKeyFormat.Generate();
    public Uri BaseAddress { get; private set; } = null!;
    public int Starts { get; private set; }

    public ChildServer(string dataDir, IReadOnlyDictionary<string, string>? environment = null)
    {
        DataDir = dataDir;
        _environment = new(environment ?? new Dictionary<string, string>());
    }

    public ApiClient Admin() => new(new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) }, AdminKey);

    public string Output { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Starts the process and waits until /readyz answers 200 (models loaded, indexes rebuilt).</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("Already running.");
        BaseAddress = new Uri($"http://127.0.0.1:{Visage.Testing.LoopbackPort.Free()}");
        var cli = Path.Combine(AppContext.BaseDirectory, "visage.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { cli, "serve", "--urls", BaseAddress.ToString().TrimEnd('/'), "--data", DataDir },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.Environment["VISAGE_ADMIN_KEY"] = AdminKey;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (k, v) in _environment) info.Environment[k] = v;
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Starts++;

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                // The parameterless wait also drains the redirected output; without it the last lines may be missing.
                process.WaitForExit();
                throw new ChildServerExitedException(process.ExitCode, Output);
            }
            try
            {
                if ((await http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        Kill();
        throw new TimeoutException("visage serve was not ready in time:\n" + Output);
    }

    /// <summary>SIGKILL: no shutdown hook, no flush, no checkpoint runs.</summary>
    public void Kill()
    {
        if (_process is null) return;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }


    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }
}

public sealed class ChildServerExitedException(int code, string output)
    : Exception($"visage serve exited with {code}:\n{output}")
{
    public int Code => code;
    public string Output => output;
}
