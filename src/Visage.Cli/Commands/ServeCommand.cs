using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Visage.Engine;
using Visage.Server;
using Visage.Storage;

namespace Visage.Cli.Commands;

/// <summary><c>visage serve [--urls URL] [--data DIR] [--store CONNSTR]</c>: the HTTP service.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => ServerApp.DefaultUrls };
        var data = StoreOptions.Data();
        var store = StoreOptions.Store();
        var cmd = new Command("serve", "Start the Visage service (SQLite in --data unless --store names a PostgreSQL database)") { urls, data, store };
        cmd.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var args = new List<string> { "--Urls=" + parse.GetValue(urls) };
            if (parse.GetValue(data) is { Length: > 0 } d) args.Add("--Data=" + Path.GetFullPath(d));
            if (parse.GetValue(store) is { Length: > 0 } s) args.Add("--Store=" + s);
            WebApplication app;
            try
            {
                app = ServerApp.Build([.. args]);
                await app.StartAsync(ct);
            }
            catch (Exception e) when (e is EngineSetupException or StoreException or InvalidOperationException or IOException)
            {
                await error.WriteLineAsync("visage serve: " + e.Message);
                return 1;
            }
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            await output.WriteLineAsync($"Visage listening on {string.Join(", ", addresses)} (dashboard at /ui, API at /api/v1, OpenAPI at /openapi/v1.json). Ctrl+C stops.");
            try { await app.WaitForShutdownAsync(ct); }
            catch (OperationCanceledException) { }
            await app.StopAsync(CancellationToken.None);
            var failure = app.Services.GetRequiredService<Visage.Server.Hosting.Readiness>().StartFailure;
            await app.DisposeAsync();
            if (failure is null) return 0;
            await error.WriteLineAsync("visage serve: " + failure.Message);
            return 1;
        });
        return cmd;
    }
}

/// <summary>The store options shared by serve and keys (environment VISAGE_DATA / VISAGE_STORE as defaults).</summary>
static class StoreOptions
{
    public static Option<string> Data() => new("--data")
    {
        Description = "Data directory of the embedded SQLite store",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("VISAGE_DATA") is { Length: > 0 } d ? d : FaceStoreFactory.DefaultDataDirectory,
    };

    public static Option<string?> Store() => new("--store")
    {
        Description = "PostgreSQL connection string (Host=…;Database=…); empty: SQLite in --data",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("VISAGE_STORE"),
    };
}
