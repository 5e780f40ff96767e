using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Visage.Engine.Imaging;
using Visage.Server.Http;
using Visage.Service;

namespace Visage.Server.Apis;

public sealed record UpdateFaceRequest(JsonElement? Metadata);
public sealed record ImportRequest(IReadOnlyList<ImportedFaceBody>? Faces);
public sealed record ImportedFaceBody(string ExternalId, float[] Embedding, JsonElement? Metadata);
public sealed record ImportView(int Imported);

public static class FacesApi
{
    public static IEndpointRouteBuilder MapFacesApi(this IEndpointRouteBuilder app, ServerOptions options)
    {
        var api = app.MapGroup("/api/v1/collections/{collectionId}/faces").WithTags("Faces");
        api.MapPost("/", Enroll).WithName("EnrollFace").WithSummary("Enroll the subject face of a photo (several faces: the engine's subject, the largest weighed by centrality)").Accepts<EnrollForm>("multipart/form-data", "application/json").RequireScope(Scopes.Write).Idempotent();
        api.MapPost("/batch", EnrollBatch).WithName("EnrollFacesBatch").WithSummary("Enroll up to 100 photos; items succeed or fail independently").Accepts<BatchEnrollForm>("multipart/form-data", "application/json").RequireScope(Scopes.Write).Idempotent().WithMetadata(new BodyLimit(options.MaxBatchBytes));
        api.MapPost("/import", Import).WithName("ImportEmbeddings").WithSummary("Admin: import precomputed embeddings (benchmarks, migrations)").RequireScope(Scopes.Admin).WithMetadata(new BodyLimit(options.MaxBatchBytes));
        api.MapGet("/", List).WithName("ListFaces").WithSummary("List faces (paginated, stable order, optional external_id filter)").RequireScope(Scopes.Read);
        api.MapGet("/{faceId}", Get).WithName("GetFace").WithSummary("A face with its references").RequireScope(Scopes.Read);
        api.MapPut("/{faceId}", Update).WithName("UpdateFace").WithSummary("Replace a face's metadata").RequireScope(Scopes.Write);
        api.MapDelete("/{faceId}", Delete).WithName("DeleteFace").WithSummary("Delete a face, its embeddings and crops").RequireScope(Scopes.Write);
        api.MapDelete("/{faceId}/references/{referenceId}", DeleteReference).WithName("DeleteReference").WithSummary("Remove one auto-enrolled reference").RequireScope(Scopes.Write);
        api.MapGet("/{faceId}/references/{referenceId}/crop", Crop).WithName("GetReferenceCrop").WithSummary("The stored 112x112 aligned crop as PNG").Produces(200, contentType: "image/png").RequireScope(Scopes.Read);
        return app;
    }

    static async Task<Created<Envelope<FaceView>>> Enroll(string collectionId, HttpContext http, FaceService svc, ServerOptions options, CancellationToken ct)
    {
        var form = await ImageRequest.ReadAsync(http.Request, options);
        var face = await svc.EnrollAsync(http.Caller(), collectionId,
            new EnrollRequest(await form.ImageAsync("image"), form.Field("external_id"), form.Field("metadata"), form.Bool("check_liveness")), ct, IdempotencyKey(http));
        return TypedResults.Created($"/api/v1/collections/{collectionId}/faces/{face.FaceId}", Envelope.Of(face));
    }

    /// <summary>Already validated by the idempotency middleware when present.</summary>
    static string? IdempotencyKey(HttpContext http) => http.Request.Headers["Idempotency-Key"].FirstOrDefault();

    static async Task<Ok<Envelope<BatchView>>> EnrollBatch(string collectionId, HttpContext http, FaceService svc, ServerOptions options, CancellationToken ct)
    {
        var form = await ImageRequest.ReadAsync(http.Request, options);
        var images = await form.ImagesAsync("images");
        var externalIds = form.Fields("external_ids");
        var metadata = form.Fields("metadata");
        if (images.Count != externalIds.Count || (metadata.Count > 0 && metadata.Count != images.Count))
            throw new ValidationFailedException($"images ({images.Count}), external_ids ({externalIds.Count}) and metadata ({metadata.Count}) must have the same length.", "images");
        var liveness = form.Bool("check_liveness");
        var items = new EnrollRequest[images.Count];
        for (int i = 0; i < items.Length; i++)
            items[i] = new EnrollRequest(images[i], externalIds[i], metadata.Count > 0 ? metadata[i] : null, liveness);
        return TypedResults.Ok(Envelope.Of(await svc.EnrollBatchAsync(http.Caller(), collectionId, items, ct, IdempotencyKey(http))));
    }

    static async Task<Ok<Envelope<ImportView>>> Import(string collectionId, ImportRequest body, HttpContext http, FaceService svc, CancellationToken ct)
    {
        if (body.Faces is not { Count: > 0 } faces) throw new ValidationFailedException("faces is required.", "faces");
        var list = new ImportedFace[faces.Count];
        for (int i = 0; i < list.Length; i++)
            list[i] = new ImportedFace(faces[i].ExternalId, faces[i].Embedding, faces[i].Metadata?.GetRawText());
        return TypedResults.Ok(Envelope.Of(new ImportView(await svc.ImportAsync(http.Caller(), collectionId, list, ct))));
    }

    static async Task<Ok<Envelope<PageView<FaceView>>>> List(string collectionId, int? page, int? page_size, string? external_id,
        HttpContext http, FaceService svc, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await svc.ListAsync(http.Caller(), collectionId, external_id, page, page_size, ct)));

    static async Task<Ok<Envelope<FaceView>>> Get(string collectionId, string faceId, HttpContext http, FaceService svc, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await svc.GetAsync(http.Caller(), collectionId, faceId, ct)));

    static async Task<Ok<Envelope<FaceView>>> Update(string collectionId, string faceId, UpdateFaceRequest body, HttpContext http, FaceService svc, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await svc.UpdateMetadataAsync(http.Caller(), collectionId, faceId,
            body.Metadata is { ValueKind: not JsonValueKind.Null } m ? m.GetRawText() : null, ct)));

    static async Task<Ok<Envelope<DeletedView>>> Delete(string collectionId, string faceId, HttpContext http, FaceService svc, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await svc.DeleteAsync(http.Caller(), collectionId, faceId, ct)));

    static async Task<Ok<Envelope<DeletedView>>> DeleteReference(string collectionId, string faceId, string referenceId, HttpContext http, FaceService svc, CancellationToken ct) =>
        TypedResults.Ok(Envelope.Of(await svc.DeleteReferenceAsync(http.Caller(), collectionId, faceId, referenceId, ct)));

    static async Task<Results<FileContentHttpResult, NotFound<ErrorEnvelope>>> Crop(string collectionId, string faceId, string referenceId,
        HttpContext http, FaceService svc, CancellationToken ct)
    {
        var crop = await svc.GetCropAsync(http.Caller(), collectionId, faceId, referenceId, ct);
        if (crop is null)
            return TypedResults.NotFound(new ErrorEnvelope(new ErrorView("CROP_NOT_STORED", "This collection does not keep face crops.", null), RequestIds.Get(http)));
        return TypedResults.File(ImageEncoder.EncodePng(new Visage.Engine.RgbImage(112, 112, crop)), "image/png");
    }
}
