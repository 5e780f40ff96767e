using Microsoft.AspNetCore.Http.HttpResults;
using Visage.Server.Hosting;
using Visage.Service.Observability;
using Visage.Storage;

namespace Visage.Server.Apis;

public sealed record HealthView(string Status);
public sealed record ReadyView(string Status, bool ModelsLoaded, bool StoreReachable, bool IndexesLoaded, string StoreKind);

public static class OpsApi
{
    public static IEndpointRouteBuilder MapOpsApi(this IEndpointRouteBuilder app)
    {
        var ops = app.MapGroup("").WithTags("Operations");
        ops.MapGet("/healthz", () => TypedResults.Ok(new HealthView("ok"))).WithName("Health").WithSummary("The process is up");
        ops.MapGet("/readyz", Ready).WithName("Ready").WithSummary("Models loaded, store reachable, indexes loaded");
        ops.MapGet("/metrics", (MetricsRegistry m) => TypedResults.Text(m.Render(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithName("Metrics").WithSummary("Prometheus text exposition");
        return app;
    }

    static async Task<Results<Ok<ReadyView>, JsonHttpResult<ReadyView>>> Ready(Readiness readiness, IFaceStore store, CancellationToken ct)
    {
        bool storeOk;
        try { storeOk = await store.PingAsync(ct); } catch (Exception) { storeOk = false; }
        var view = new ReadyView(readiness.ModelsLoaded && storeOk && readiness.IndexesLoaded ? "ready" : "not_ready",
            readiness.ModelsLoaded, storeOk, readiness.IndexesLoaded, store.Kind);
        return view.Status == "ready" ? TypedResults.Ok(view) : TypedResults.Json(view, statusCode: 503);
    }
}
