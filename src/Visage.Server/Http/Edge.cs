using System.Diagnostics;
using Microsoft.AspNetCore.Routing;
using Visage.Service;
using Visage.Service.Observability;
using Visage.Storage;

namespace Visage.Server.Http;

public static class RequestIds
{
    const string Key = "visage.request_id";
    public static string Get(HttpContext http) => http.Items[Key] as string ?? "";
    public static void Set(HttpContext http, string id) => http.Items[Key] = id;
}

/// <summary>Outermost middleware: request id, security headers, latency metrics, and the catch-all that
/// turns every failure into a typed answer (see <see cref="ErrorMapping"/>).</summary>
public sealed class EdgeMiddleware(RequestDelegate next, MetricsRegistry metrics, ILogger<EdgeMiddleware> log, ServerOptions options)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var started = Stopwatch.GetTimestamp();
        var requestId = Ids.New("req");
        RequestIds.Set(http, requestId);
        http.Response.OnStarting(static state =>
        {
            var (ctx, id) = ((HttpContext, string))state;
            var h = ctx.Response.Headers;
            h["X-Request-Id"] = id;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            h["Cross-Origin-Resource-Policy"] = "same-origin";
            if (ctx.Request.Path.StartsWithSegments("/ui"))
                h.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";
            else
            {
                h.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
                if (!h.ContainsKey("Cache-Control")) h.CacheControl = "no-store";
            }
            return Task.CompletedTask;
        }, (http, requestId));

        try
        {
            await next(http);
            if (http.Response is { StatusCode: 404, HasStarted: false } && http.GetEndpoint() is null)
                await ErrorMapping.WriteAsync(http, new RouteNotFoundException());
            else if (http.Response is { StatusCode: 405, HasStarted: false })
                await ErrorMapping.WriteAsync(http, new MethodNotAllowedException());
            // Routing refuses a Content-Type the endpoint does not accept (its Accepts metadata) with a bare 415.
            else if (http.Response is { StatusCode: 415, HasStarted: false })
                await ErrorMapping.WriteAsync(http, new ValidationFailedException("This endpoint does not accept that Content-Type: send multipart/form-data or application/json."));
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            http.Response.StatusCode = 499; // the client went away; nobody reads an answer
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            if (ErrorMapping.Classify(e, options.MaxImageBytes) is { } api)
                await ErrorMapping.WriteAsync(http, api);
            else
            {
                log.LogError(e, "Unhandled error on {Method} {Route} ({RequestId})", http.Request.Method, RouteOf(http), requestId);
                await ErrorMapping.WriteInternalAsync(http);
            }
        }
        finally
        {
            metrics.ObserveRequest(RouteOf(http), http.Request.Method, http.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    static string RouteOf(HttpContext http) =>
        (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? (http.Request.Path.StartsWithSegments("/ui") ? "/ui" : "unmatched");
}

public sealed class MethodNotAllowedException()
    : VisageApiException("METHOD_NOT_ALLOWED", System.Net.HttpStatusCode.MethodNotAllowed, "This endpoint does not accept that method.");
