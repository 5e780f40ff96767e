using Microsoft.AspNetCore.Http.HttpResults;
using Visage.Server.Http;
using Visage.Service;

namespace Visage.Server.Apis;

public static class CollectionsApi
{
    public static IEndpointRouteBuilder MapCollectionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/collections").WithTags("Collections");
        api.MapPost("/", Create).WithName("CreateCollection").WithSummary("Create a collection").RequireScope(Scopes.Write).Idempotent();
        api.MapGet("/", List).WithName("ListCollections").WithSummary("List collections (paginated)").RequireScope(Scopes.Read);
        api.MapGet("/{collectionId}", Get).WithName("GetCollection").WithSummary("A collection with face_count, model_version and settings").RequireScope(Scopes.Read);
        api.MapPatch("/{collectionId}", Update).WithName("UpdateCollection").WithSummary("Change name, description or settings").RequireScope(Scopes.Write);
        api.MapDelete("/{collectionId}", Delete).WithName("DeleteCollection").WithSummary("Delete a collection and every face in it").RequireScope(Scopes.Write);
        return app;
    }

    static async Task<Created<Envelope<CollectionView>>> Create(CreateCollectionRequest body, HttpContext http, CollectionService svc, CancellationToken ct)
    {
        var c = await svc.CreateAsync(http.Caller(), body, ct);
        return TypedResults.Created($"/api/v1/collections/{c.CollectionId}", Envelope.Of(c));
    }

    static async Task<Ok<Envelope<PageView<CollectionView>>>> List(int? page, int? page_size, HttpContext http, CollectionService svc, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await svc.ListAsync(http.Caller(), page, page_size, ct)));

    static async Task<Ok<Envelope<CollectionView>>> Get(string collectionId, HttpContext http, CollectionService svc, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await svc.GetAsync(http.Caller(), collectionId, ct)));

    static async Task<Ok<Envelope<CollectionView>>> Update(string collectionId, UpdateCollectionRequest body, HttpContext http, CollectionService svc, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await svc.UpdateAsync(http.Caller(), collectionId, body, ct)));

    static async Task<Ok<Envelope<DeletedView>>> Delete(string collectionId, HttpContext http, CollectionService svc, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await svc.DeleteAsync(http.Caller(), collectionId, ct)));
}
