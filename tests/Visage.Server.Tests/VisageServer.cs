using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Visage.Server;
using Visage.Service;
using Visage.Testing.Postgres;
using Xunit;

namespace Visage.Server.Tests;

/// <summary>The real service on Kestrel at 127.0.0.1:0 with a temp data dir, started once per test class.
/// The store is the parameter: subclasses say which one (SQLite here; PostgreSQL when its fixture is used).</summary>
public abstract class VisageServer : IAsyncLifetime
{
    WebApplication? _app;
    string? _store;

    public string AdminKey { get; } = ApiKeyFormat.Generate();
    public string DataDir { get; } = Path.Combine(Path.GetTempPath(), "visage-server-tests-" + Guid.NewGuid().ToString("N"));
    public Uri BaseAddress { get; private set; } = null!;
    public IServiceProvider Services => _app!.Services;

    /// <summary>A connection string for a server store, or null for SQLite in <see cref="DataDir"/>.</summary>
    protected virtual Task<string?> CreateStoreAsync() => Task.FromResult<string?>(null);
    protected virtual IEnumerable<string> ExtraArgs => [];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(DataDir);
        _store = await CreateStoreAsync();
        await StartAsync();
    }

    async Task StartAsync()
    {
        _app = BuildApp();
        await _app.StartAsync();
        BaseAddress = AddressOf(_app);
    }

    /// <summary>A second service instance on the same store (multi-instance behaviour); dispose it when done.</summary>
    public async Task<SecondInstance> StartAnotherInstanceAsync()
    {
        var app = BuildApp();
        await app.StartAsync();
        return new SecondInstance(app, new ApiClient(new HttpClient { BaseAddress = AddressOf(app) }, AdminKey));
    }

    public sealed record SecondInstance(WebApplication App, ApiClient Admin) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() { await App.StopAsync(); await App.DisposeAsync(); }
    }

    static Uri AddressOf(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    WebApplication BuildApp()
    {
        var args = new List<string>
        {
            "--Urls=http://127.0.0.1:0", "--Data=" + DataDir, "--AdminKey=" + AdminKey,
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.AspNetCore=Error",
        };
        if (_store is not null) args.Add("--Store=" + _store);
        args.AddRange(ExtraArgs);
        return ServerApp.Build([.. args]);
    }

    /// <summary>Stops the process's service and starts a new one on the same store (indexes rebuilt from it).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    async Task StopAsync()
    {
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
        _app = null;
    }

    public ApiClient Client(string? key = null) => new(new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) }, key);
    public ApiClient Admin() => Client(AdminKey);

    public virtual async Task DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

public sealed class SqliteVisageServer : VisageServer;

/// <summary>The same service on a real PostgreSQL 15 (a throw-away server of its own).</summary>
public sealed class PostgresVisageServer : VisageServer
{
    readonly PostgresServer _postgres = new();

    protected override async Task<string?> CreateStoreAsync()
    {
        await _postgres.InitializeAsync();
        return await _postgres.CreateDatabaseAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}

/// <summary>One worker and no queue, so a burst must be refused with 503.</summary>
public sealed class TinyPoolVisageServer : VisageServer
{
    protected override IEnumerable<string> ExtraArgs => ["--Inference:Workers=1", "--Inference:QueueCapacity=0"];
}
