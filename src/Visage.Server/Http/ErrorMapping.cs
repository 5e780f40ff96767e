using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Visage.Service;

namespace Visage.Server.Http;

/// <summary>The one place where failures become HTTP answers: every typed error to the envelope (or to the
/// compatibility endpoint's numeric shape), transport errors to typed errors, anything else to a 500
/// without a stack trace.</summary>
public static class ErrorMapping
{
    public static VisageApiException? Classify(Exception e, long maxBodyBytes) => e switch
    {
        VisageApiException api => api,
        Visage.Engine.ImageException img => ImageErrors.ToApi(img),
        // Also a full disk or a read-only data directory: 503 rather than 507, since the operator, not the client, must act
        // and the same call succeeds once space or write access is back; the message names the cause.
        Visage.Storage.StoreUnavailableException su => new StoreUnavailableApiException(su.Message),
        Visage.Storage.StoreConflictException sc => new ConflictException(sc.Message),
        Visage.Storage.StoreNotFoundException nf => new DeletedConcurrentlyException(nf.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => new ImageTooLargeException(maxBodyBytes),
        InvalidDataException ide when ide.Message.Contains("length limit", StringComparison.OrdinalIgnoreCase) => new ImageTooLargeException(maxBodyBytes),
        BadHttpRequestException bad => new ValidationFailedException(bad.InnerException is JsonException j ? "Invalid JSON: " + j.Message : bad.Message),
        JsonException j => new ValidationFailedException("Invalid JSON: " + j.Message),
        InvalidDataException ide => new ValidationFailedException("Malformed request body: " + ide.Message),
        _ => null,
    };

    public static async Task WriteAsync(HttpContext http, VisageApiException error)
    {
        var response = http.Response;
        response.Clear();
        var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        if (http.GetEndpoint()?.Metadata.GetMetadata<CompatErrorShape>() is not null)
        {
            var (status, body) = ToCompat(error);
            response.StatusCode = status;
            await response.WriteAsJsonAsync(body, json);
            return;
        }
        response.StatusCode = error.Status;
        if (error is ServiceOverloadedException o) response.Headers.RetryAfter = o.RetryAfterSeconds.ToString();
        if (error is RateLimitedException rl) response.Headers.RetryAfter = rl.RetryAfterSeconds.ToString();
        await response.WriteAsJsonAsync(new ErrorEnvelope(ErrorView.From(error), RequestIds.Get(http)), json);
    }

    public static Task WriteInternalAsync(HttpContext http)
    {
        http.Response.Clear();
        http.Response.StatusCode = StatusCodes.Status500InternalServerError;
        var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return http.Response.WriteAsJsonAsync(new ErrorEnvelope(new ErrorView("INTERNAL_ERROR", "An internal error occurred.", null), RequestIds.Get(http)), json);
    }

    /// <summary>Seed 001's codes: 6010 collectionId required, 6012 cannot add face, 6013 no such collection,
    /// 6014 collection unavailable, 6015 liveness, 6016 image too large, 6017 unsupported format.</summary>
    static (int Status, CompatError Body) ToCompat(VisageApiException e) => e switch
    {
        ApiKeyRequiredException => (403, new CompatError(null, "API Key is required")),
        ApiKeyInvalidException or ForbiddenException => (403, new CompatError(null, "Access Denied: API Key is unavailable")),
        ValidationFailedException { Field: "collectionId" } => (400, new CompatError(6010, "collectionId is required")),
        CollectionNotFoundException => (400, new CompatError(6013, "cannot find collection info")),
        ServiceOverloadedException => (400, new CompatError(6014, "this collection is unavailable")),
        LivenessCheckFailedException => (400, new CompatError(6015, "failed to validate liveness of face")),
        ImageTooLargeException or ImageTooLargeDimensionsException => (400, new CompatError(6016, "image size is too large")),
        UnsupportedImageFormatException => (400, new CompatError(6017, "unsupported image format")),
        _ => (400, new CompatError(6012, "fail to add face: " + e.Message)),
    };
}
