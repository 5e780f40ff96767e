using Microsoft.AspNetCore.Http.HttpResults;
using Visage.Server.Hosting;
using Visage.Service.Observability;
using Visage.Storage;

namespace Visage.Server.Apis;

public sealed record HealthView(string Status);
public sealed record ReadyView(string Status, bool ModelsLoaded, bool StoreReachable, bool IndexesLoaded, string StoreKind,
    bool IndexesCurrent = false, long ChangeSeq = 0, string? Reason = null);

public static class OpsApi
{
    public static IEndpointRouteBuilder MapOpsApi(this IEndpointRouteBuilder app)
    {
        var ops = app.MapGroup("").WithTags("Operations");
        ops.MapGet("/healthz", () => TypedResults.Ok(new HealthView("ok"))).WithName("Health").WithSummary("The process is up");
        ops.MapGet("/readyz", Ready).WithName("Ready").WithSummary("Models loaded, store reachable, indexes loaded and current with the store's change log");
        ops.MapGet("/metrics", (MetricsRegistry m) => TypedResults.Text(m.Render(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithName("Metrics").WithSummary("Prometheus text exposition");
        return app;
    }

    static async Task<Results<Ok<ReadyView>, JsonHttpResult<ReadyView>>> Ready(Readiness readiness, IFaceStore store,
        ChangeFollower follower, CancellationToken ct)
    {
        bool storeOk, current = false;
        try { storeOk = await store.PingAsync(ct); } catch (Exception) { storeOk = false; }
        // Current = every change other instances committed is in this instance's indexes (catching up here if behind),
        // so a load balancer sends traffic only to an instance that answers like the others.
        if (storeOk && readiness.IndexesLoaded)
            try { current = await follower.IsCurrentAsync(ct); } catch (Exception) when (!ct.IsCancellationRequested) { current = false; }
        var ready = readiness.ModelsLoaded && storeOk && readiness.IndexesLoaded && current;
        // The first failing condition, for the operator: the flags above give the whole state.
        string? reason = !readiness.ModelsLoaded ? "models_not_loaded" : !storeOk ? "store_unreachable"
            : !readiness.IndexesLoaded ? "indexes_loading" : !current ? "indexes_behind" : null;
        var view = new ReadyView(ready ? "ready" : "not_ready",
            readiness.ModelsLoaded, storeOk, readiness.IndexesLoaded, store.Kind, current, follower.Position, reason);
        return ready ? TypedResults.Ok(view) : TypedResults.Json(view, statusCode: 503);
    }
}
