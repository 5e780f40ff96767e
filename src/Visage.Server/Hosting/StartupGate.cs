using Visage.Service;

namespace Visage.Server.Hosting;

/// <summary>Until the indexes are loaded (only possible when the instance started while its store was unreachable),
/// the API answers a typed 503: an identify would search empty indexes, and a write racing the load could be indexed
/// twice. The probes, metrics, OpenAPI document and dashboard stay up.</summary>
public sealed class StartupGate(RequestDelegate next, Readiness readiness)
{
    public Task InvokeAsync(HttpContext http)
    {
        if (readiness.IndexesLoaded || IsAlwaysOpen(http.Request.Path)) return next(http);
        throw new StoreUnavailableApiException("this instance is starting and its indexes are not loaded yet; retry shortly.");
    }

    static bool IsAlwaysOpen(PathString path) =>
        path == "/healthz" || path == "/readyz" || path == "/metrics" || path.StartsWithSegments("/ui") || path.StartsWithSegments("/openapi");
}
