using Microsoft.AspNetCore.Http.HttpResults;
using Visage.Server.Http;
using Visage.Service;

namespace Visage.Server.Apis;

public static class SearchApi
{
    public static IEndpointRouteBuilder MapSearchApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Search");
        api.MapPost("/collections/{collectionId}/identify", Identify).WithName("Identify").WithSummary("1:N: who is this? One match per external_id, best first; empty when unknown").Accepts<IdentifyForm>("multipart/form-data", "application/json").RequireScope(Scopes.Search);
        api.MapPost("/collections/{collectionId}/faces/{faceId}/verify", VerifyFace).WithName("VerifyFace").WithSummary("1:1 against one face (best of its references)").Accepts<VerifyForm>("multipart/form-data", "application/json").RequireScope(Scopes.Search);
        api.MapPost("/collections/{collectionId}/verify", VerifyPerson).WithName("VerifyPerson").WithSummary("1:1 against every face of an external_id").Accepts<VerifyPersonForm>("multipart/form-data", "application/json").RequireScope(Scopes.Search);
        api.MapPost("/compare", Compare).WithName("Compare").WithSummary("Compare the subject faces of two photos").Accepts<CompareForm>("multipart/form-data", "application/json").RequireScope(Scopes.Search);
        api.MapPost("/detect", Detect).WithName("Detect").WithSummary("Every face with box, landmarks, quality and liveness").Accepts<DetectForm>("multipart/form-data", "application/json").RequireScope(Scopes.Search);
        return app;
    }

    static async Task<Ok<Envelope<IdentifyView>>> Identify(string collectionId, HttpContext http, SearchService svc, ServerOptions options, CancellationToken ct)
    {
        var form = await ImageRequest.ReadAsync(http.Request, options);
        return TypedResults.Ok(Envelope.Of(await svc.IdentifyAsync(http.Caller(), collectionId,
            new IdentifyRequest(await form.ImageAsync("image"), form.Int("top_k"), form.Float("threshold"), form.Bool("check_liveness"), form.Bool("auto_enroll")), ct)));
    }

    static async Task<Ok<Envelope<VerifyView>>> VerifyFace(string collectionId, string faceId, HttpContext http, SearchService svc, ServerOptions options, CancellationToken ct)
    {
        var form = await ImageRequest.ReadAsync(http.Request, options);
        return TypedResults.Ok(Envelope.Of(await svc.VerifyFaceAsync(http.Caller(), collectionId, faceId,
            new VerifyRequest(await form.ImageAsync("image"), form.Float("threshold"), form.Bool("check_liveness")), ct)));
    }

    static async Task<Ok<Envelope<VerifyView>>> VerifyPerson(string collectionId, HttpContext http, SearchService svc, ServerOptions options, CancellationToken ct)
    {
        var form = await ImageRequest.ReadAsync(http.Request, options);
        return TypedResults.Ok(Envelope.Of(await svc.VerifyPersonAsync(http.Caller(), collectionId, form.Field("external_id"),
            new VerifyRequest(await form.ImageAsync("image"), form.Float("threshold"), form.Bool("check_liveness")), ct)));
    }

    static async Task<Ok<Envelope<CompareView>>> Compare(HttpContext http, SearchService svc, ServerOptions options, CancellationToken ct)
    {
        var form = await ImageRequest.ReadAsync(http.Request, options);
        return TypedResults.Ok(Envelope.Of(await svc.CompareAsync(http.Caller(), await form.ImageAsync("image_a"), await form.ImageAsync("image_b"), form.Float("threshold"), ct)));
    }

    static async Task<Ok<Envelope<DetectView>>> Detect(HttpContext http, SearchService svc, ServerOptions options, CancellationToken ct)
    {
        var form = await ImageRequest.ReadAsync(http.Request, options);
        return TypedResults.Ok(Envelope.Of(await svc.DetectAsync(http.Caller(), await form.ImageAsync("image"), form.Bool("check_liveness"), ct)));
    }
}
