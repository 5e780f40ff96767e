using System.Diagnostics;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Visage.Testing.Postgres;

/// <summary>A real, throw-away PostgreSQL 15 server for tests: initdb into a temporary folder, listen on
/// 127.0.0.1 at a free port with trust auth, one fresh database per caller, everything removed on dispose.
/// Share one per test run through an xunit collection fixture (declare in the test assembly):
/// <code>[CollectionDefinition(PostgresServer.Collection)] public class PostgresCollection : ICollectionFixture&lt;PostgresServer&gt; {}</code>
/// and mark test classes <c>[Collection(PostgresServer.Collection)]</c>.</summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string Collection = "postgres";
    public const string BinDirectory = "/usr/lib/postgresql/15/bin";
    const string SystemUser = "postgres";   // the server refuses to run as root

    string? dataRoot;
    Process? server;
    readonly System.Text.StringBuilder serverLog = new();
    int databaseCounter;

    public int Port { get; private set; }
    public bool Running => server is { HasExited: false };
    /// <summary>Connection string of the maintenance database (user postgres, trust auth).</summary>
    public string AdminConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (!File.Exists(Path.Combine(BinDirectory, "postgres")))
            throw new InvalidOperationException(
                $"PostgreSQL 15 is not installed ({BinDirectory}/postgres is missing). Run the tests with `./visage test`, " +
                "which installs it (scripts/setup.sh --test).");

        dataRoot = Directory.CreateTempSubdirectory("visage-pg-").FullName;
        string dataDir = Path.Combine(dataRoot, "data");
        bool asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", ["-R", $"{SystemUser}:{SystemUser}", dataRoot]);

        await RunAsync(Path.Combine(BinDirectory, "initdb"),
            ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"], asRoot);

        // The free port can be taken by someone else between probing and binding: retry on a new one.
        for (int attempt = 1; ; attempt++)
        {
            Port = LoopbackPort.Free();
            AdminConnectionString = $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=5;Pooling=false";
            try
            {
                await LaunchAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3 && server!.HasExited)
            {
                server.Dispose();
            }
        }
    }

    /// <summary>Fast shutdown (SIGINT to the postmaster: it disconnects every client, checkpoints and exits), as an
    /// operator's restart or a failover does. The data directory and port are kept for <see cref="StartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (server is null) throw new InvalidOperationException("The server is not running.");
        if (!server.HasExited)
        {
            await RunAsync("kill", ["-INT", server.Id.ToString()]);
            await server.WaitForExitAsync();
        }
        server.Dispose();
        server = null;
    }

    /// <summary>Starts the server again on the same data directory and port, so clients keep their connection strings.</summary>
    public async Task StartAsync()
    {
        if (server is not null) throw new InvalidOperationException("The server is already running.");
        await LaunchAsync();
    }

    async Task LaunchAsync()
    {
        lock (serverLog) serverLog.Clear();
        // Durability is irrelevant for a test server: fsync off makes CREATE DATABASE and commits fast.
        server = Start(Path.Combine(BinDirectory, "postgres"),
        [
            "-D", Path.Combine(dataRoot!, "data"), "-p", Port.ToString(), "-c", "listen_addresses=127.0.0.1", "-c", $"unix_socket_directories={dataRoot}",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200",
        ], Environment.UserName == "root", serverLog);
        await WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        string name = $"visage_test_{Interlocked.Increment(ref databaseCounter)}_{Guid.NewGuid():N}"[..40];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await cmd.ExecuteNonQueryAsync();
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name}";
    }

    async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (server!.HasExited)
                throw new InvalidOperationException($"PostgreSQL exited with code {server.ExitCode} at start: {serverLog}");
            try
            {
                await using var connection = new NpgsqlConnection(AdminConnectionString);
                await connection.OpenAsync();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException && watch.Elapsed < timeout)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (server is { HasExited: false })
        {
            // Immediate shutdown (SIGQUIT via pg_ctl) also stops the backends; killing only the postmaster would orphan them.
            try
            {
                await RunAsync(Path.Combine(BinDirectory, "pg_ctl"), ["stop", "-D", Path.Combine(dataRoot!, "data"), "-m", "immediate", "-w"],
                    Environment.UserName == "root");
            }
            catch (InvalidOperationException) { server.Kill(); }
            await server.WaitForExitAsync();
        }
        server?.Dispose();
        if (dataRoot is not null && Directory.Exists(dataRoot)) Directory.Delete(dataRoot, recursive: true);
    }


    static Process Start(string file, IReadOnlyList<string> args, bool asSystemUser, System.Text.StringBuilder? stderr = null)
    {
        // setpriv execs the program directly (no intermediate parent as with runuser), so the Process is the postmaster.
        var info = asSystemUser
            ? new ProcessStartInfo("setpriv", ["--reuid", SystemUser, "--regid", SystemUser, "--init-groups", "--", file, .. args])
            : new ProcessStartInfo(file, args);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        // Drain both pipes: a server that logs into a full pipe blocks.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null && stderr is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    static async Task RunAsync(string file, IReadOnlyList<string> args, bool asSystemUser = false)
    {
        var stderr = new System.Text.StringBuilder();
        using var process = Start(file, args, asSystemUser, stderr);
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr}");
    }
}
