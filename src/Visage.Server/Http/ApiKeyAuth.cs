using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Visage.Service;

namespace Visage.Server.Http;

public static class CallerContext
{
    const string Key = "visage.caller";
    /// <summary>The authenticated caller of an endpoint marked <see cref="RequireApiKey"/>.</summary>
    public static Caller Caller(this HttpContext http) =>
        http.Items[Key] as Caller ?? throw new ApiKeyRequiredException();
    /// <summary>The authenticated caller, or null on routes that need no key.</summary>
    public static Caller? CallerOrNull(this HttpContext http) => http.Items[Key] as Caller;
    internal static void Set(HttpContext http, Caller caller) => http.Items[Key] = caller;
}

/// <summary>After routing, before the body is read: resolves X-API-Key (every request, so revocation is
/// immediate), checks the endpoint's scope, and applies the endpoint's body limit.</summary>
public sealed class ApiKeyAuthMiddleware(RequestDelegate next, KeyService keys, AuditLog audit)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<BodyLimit>() is { } limit
            && http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limit.Bytes;
        if (endpoint?.Metadata.GetMetadata<RequireApiKey>() is { } auth)
        {
            if (http.Request.Query.ContainsKey("api_key") || http.Request.Query.ContainsKey("x-api-key"))
                throw new ValidationFailedException("API keys are never accepted in URLs; send the X-API-Key header.");
            var presented = http.Request.Headers["X-API-Key"].FirstOrDefault();
            Caller caller;
            try { caller = await keys.AuthenticateAsync(presented, http.RequestAborted) with { RequestId = RequestIds.Get(http) }; }
            catch (ApiKeyInvalidException)
            {
                await audit.RecordAuthFailureAsync(presented, RequestIds.Get(http));
                throw;
            }
            if (auth.Scope is { } scope && !caller.Has(scope))
            {
                await audit.RecordAsync(caller, AuditActions.AuthForbidden, "route", RouteOf(http),
                    details: new Dictionary<string, object?> { ["method"] = http.Request.Method, ["required_scope"] = scope });
                caller.Require(scope);
            }
            CallerContext.Set(http, caller);
        }
        await next(http);
    }

    static string RouteOf(HttpContext http) => (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value ?? "";
}
