using Microsoft.AspNetCore.Http.HttpResults;
using Visage.Server.Http;
using Visage.Service;

namespace Visage.Server.Apis;

public sealed record CreateKeyRequest(string? Name, IReadOnlyList<string>? Scopes);
public sealed record CreateWorkspaceRequest(string? Name);

public static class KeysApi
{
    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Keys");
        api.MapPost("/keys", Create).WithName("CreateKey").WithSummary("Create an API key in the caller's workspace; the key is shown once").RequireScope(Scopes.Admin).Idempotent();
        api.MapGet("/keys", List).WithName("ListKeys").WithSummary("The workspace's keys (prefixes only)").RequireScope(Scopes.Admin);
        api.MapDelete("/keys/{keyId}", Revoke).WithName("RevokeKey").WithSummary("Revoke a key; effective immediately").RequireScope(Scopes.Admin);
        api.MapPost("/workspaces", CreateWorkspace).WithName("CreateWorkspace").WithSummary("Create a workspace with its own admin key (operator use)").RequireScope(Scopes.Admin).Idempotent();
        return app;
    }

    static async Task<Created<Envelope<KeyView>>> Create(CreateKeyRequest body, HttpContext http, KeyService keys, CancellationToken ct)
    {
        var caller = http.Caller();
        var created = await keys.CreateAsync(caller.WorkspaceId, body.Name ?? "", Scopes.Parse(body.Scopes ?? []), null, ct, caller);
        return TypedResults.Created($"/api/v1/keys/{created.Record.Id}", Envelope.Of(KeyView.From(created.Record, created.Key)));
    }

    static async Task<Ok<Envelope<IReadOnlyList<KeyView>>>> List(HttpContext http, KeyService keys, CancellationToken ct)
    {
        var records = await keys.ListAsync(http.Caller().WorkspaceId, ct);
        var views = new List<KeyView>(records.Count);
        foreach (var r in records) views.Add(KeyView.From(r));
        return TypedResults.Ok(Envelope.Of<IReadOnlyList<KeyView>>(views));
    }

    static async Task<Ok<Envelope<KeyView>>> Revoke(string keyId, HttpContext http, KeyService keys, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(KeyView.From(await keys.RevokeAsync(http.Caller().WorkspaceId, keyId, ct, http.Caller()))));

    static async Task<Created<Envelope<WorkspaceView>>> CreateWorkspace(CreateWorkspaceRequest body, HttpContext http, KeyService keys, CancellationToken ct)
    {
        var ws = await keys.CreateWorkspaceAsync(body.Name ?? "", ct);
        var admin = await keys.CreateAsync(ws.Id, "admin", Scopes.All, null, ct);
        return TypedResults.Created($"/api/v1/workspaces/{ws.Id}", Envelope.Of(new WorkspaceView(ws.Id, ws.Name, ws.CreatedAt, KeyView.From(admin.Record, admin.Key))));
    }
}
