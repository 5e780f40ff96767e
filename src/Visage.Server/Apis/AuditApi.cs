using Microsoft.AspNetCore.Http.HttpResults;
using Visage.Server.Http;
using Visage.Service;

namespace Visage.Server.Apis;

public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/v1").WithTags("Audit")
            .MapGet("/audit", List).WithName("ListAuditEvents").WithSummary("The workspace's audit log, newest first (paginated; filters: action, since)").RequireScope(Scopes.Admin);
        return app;
    }

    static async Task<Ok<Envelope<PageView<AuditEventView>>>> List(int? page, int? page_size, string? action, string? since, HttpContext http,
        AuditLog audit, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await audit.ListAsync(http.Caller(), action, since, page, page_size, ct)));
}
