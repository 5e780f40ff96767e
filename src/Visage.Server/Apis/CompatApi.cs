using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Visage.Server.Http;
using Visage.Service;

namespace Visage.Server.Apis;

public sealed record CompatAddFaceRequest(
    [property: JsonPropertyName("collectionId")] string? CollectionId,
    [property: JsonPropertyName("userName")] string? UserName,
    [property: JsonPropertyName("faceImage")] string? FaceImage);

public sealed record CompatAddFaceResponse(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("faceId")] string FaceId,
    [property: JsonPropertyName("metaFaceId")] string MetaFaceId,
    [property: JsonPropertyName("option")] Dictionary<string, object> Option);

/// <summary>Seed 001's <c>POST /modules/faces</c>: the same enrolment, its own request and error shapes.</summary>
public static class CompatApi
{
    public static IEndpointRouteBuilder MapCompatApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/modules/faces", AddFace).WithTags("Compatibility").WithName("CompatAddFace")
            .WithSummary("Seed-001 compatible enrolment: userName becomes external_id and metadata.name; errors are {errorCode, message}")
            .Accepts<CompatAddFaceRequest>("application/json").RequireScope(Scopes.Write).Idempotent().WithMetadata(new CompatErrorShape());
        return app;
    }

    static async Task<Ok<CompatAddFaceResponse>> AddFace(HttpContext http, FaceService faces, ServerOptions options, CancellationToken ct)
    {
        var form = await ImageRequest.ReadAsync(http.Request, options);
        var collectionId = form.Field("collectionId");
        if (string.IsNullOrWhiteSpace(collectionId)) throw new ValidationFailedException("collectionId is required", "collectionId");
        var userName = form.Field("userName");
        var image = await form.ImageAsync("faceImage");
        var face = await faces.EnrollAsync(http.Caller(), collectionId,
            new EnrollRequest(image, userName, JsonSerializer.Serialize(new Dictionary<string, string?> { ["name"] = userName }), null), ct);
        return TypedResults.Ok(new CompatAddFaceResponse("Face added successfully", face.FaceId, face.ReferenceId ?? "", []));
    }
}
