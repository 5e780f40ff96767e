using System.Net;
using Visage.Engine;

namespace Visage.Service;

// One exception type per error code the API names. The server maps VisageApiException to the
// error envelope in one place; nothing else decides a status code.

public abstract class VisageApiException(string code, HttpStatusCode status, string message) : Exception(message)
{
    public string Code { get; } = code;
    public int Status { get; } = (int)status;
    /// <summary>Extra fields for the envelope's <c>details</c>, or null.</summary>
    public virtual IReadOnlyDictionary<string, object?>? Details => null;
}

public sealed class ValidationFailedException(string message, string? field = null)
    : VisageApiException("VALIDATION_FAILED", HttpStatusCode.BadRequest, message)
{
    public string? Field { get; } = field;
    public override IReadOnlyDictionary<string, object?>? Details =>
        Field is null ? null : new Dictionary<string, object?> { ["field"] = Field };
}

public sealed class ApiKeyRequiredException()
    : VisageApiException("API_KEY_REQUIRED", HttpStatusCode.Unauthorized, "An API key is required in the X-API-Key header.");

public sealed class ApiKeyInvalidException()
    : VisageApiException("API_KEY_INVALID", HttpStatusCode.Unauthorized, "The API key is not valid or has been revoked.");

public sealed class ForbiddenException(string scope)
    : VisageApiException("FORBIDDEN", HttpStatusCode.Forbidden, $"This API key lacks the '{scope}' scope.")
{
    public override IReadOnlyDictionary<string, object?>? Details => new Dictionary<string, object?> { ["required_scope"] = scope };
}

public sealed class CollectionNotFoundException(string id)
    : VisageApiException("COLLECTION_NOT_FOUND", HttpStatusCode.NotFound, $"Collection '{id}' was not found.");

public sealed class FaceNotFoundException(string id)
    : VisageApiException("FACE_NOT_FOUND", HttpStatusCode.NotFound, $"Face '{id}' was not found.");

public sealed class ReferenceNotFoundException(string id)
    : VisageApiException("REFERENCE_NOT_FOUND", HttpStatusCode.NotFound, $"Reference '{id}' was not found.");

public sealed class KeyNotFoundException(string id)
    : VisageApiException("KEY_NOT_FOUND", HttpStatusCode.NotFound, $"API key '{id}' was not found.");

public sealed class ExternalIdNotFoundException(string externalId)
    : VisageApiException("EXTERNAL_ID_NOT_FOUND", HttpStatusCode.NotFound, $"No face is enrolled for external_id '{externalId}'.");

/// <summary>The collection or face a write depended on was deleted by a concurrent request.</summary>
public sealed class DeletedConcurrentlyException(string message)
    : VisageApiException("NOT_FOUND", HttpStatusCode.NotFound, "The collection or face was deleted while this request ran: " + message);

public sealed class RouteNotFoundException()
    : VisageApiException("NOT_FOUND", HttpStatusCode.NotFound, "No such endpoint.");

public sealed class PrimaryReferenceProtectedException()
    : VisageApiException("PRIMARY_REFERENCE_PROTECTED", HttpStatusCode.Conflict,
        "The primary reference cannot be removed; delete the face instead.");

public sealed class IdempotencyKeyReusedException()
    : VisageApiException("IDEMPOTENCY_KEY_REUSED", HttpStatusCode.Conflict,
        "This Idempotency-Key was already used with a different request.");

public sealed class ImageTooLargeException(long limitBytes)
    : VisageApiException("IMAGE_TOO_LARGE", HttpStatusCode.RequestEntityTooLarge, $"The image exceeds {limitBytes / (1024 * 1024)} MB.")
{
    public override IReadOnlyDictionary<string, object?>? Details => new Dictionary<string, object?> { ["max_bytes"] = limitBytes };
}

public sealed class PayloadTooLargeException(long limitBytes)
    : VisageApiException("PAYLOAD_TOO_LARGE", HttpStatusCode.RequestEntityTooLarge, $"The request body exceeds {limitBytes} bytes.");

public sealed class UnsupportedImageFormatException(string message)
    : VisageApiException("UNSUPPORTED_IMAGE_FORMAT", HttpStatusCode.UnsupportedMediaType, message);

public sealed class ImageTooSmallException(string message)
    : VisageApiException("IMAGE_TOO_SMALL", HttpStatusCode.UnprocessableEntity, message);

public sealed class ImageTooLargeDimensionsException(string message)
    : VisageApiException("IMAGE_TOO_LARGE_DIMENSIONS", HttpStatusCode.UnprocessableEntity, message);

public sealed class NoFaceDetectedException(string? field = null)
    : VisageApiException("NO_FACE_DETECTED", HttpStatusCode.UnprocessableEntity,
        field is null ? "No face was detected in the image." : $"No face was detected in '{field}'.");

public sealed class FaceQualityTooLowException(float score, IReadOnlyList<string> reasons)
    : VisageApiException("FACE_QUALITY_TOO_LOW", HttpStatusCode.UnprocessableEntity,
        "The face does not meet the quality requirements: " + string.Join(", ", reasons) + ".")
{
    public override IReadOnlyDictionary<string, object?>? Details =>
        new Dictionary<string, object?> { ["quality_score"] = MathF.Round(score, 4), ["reasons"] = reasons };
}

public sealed class LivenessCheckFailedException(float score, float threshold)
    : VisageApiException("LIVENESS_CHECK_FAILED", HttpStatusCode.UnprocessableEntity,
        "The face did not pass the liveness check.")
{
    public override IReadOnlyDictionary<string, object?>? Details =>
        new Dictionary<string, object?> { ["liveness_score"] = MathF.Round(score, 4), ["threshold"] = threshold };
}

public sealed class ServiceOverloadedException(int retryAfterSeconds)
    : VisageApiException("SERVICE_OVERLOADED", HttpStatusCode.ServiceUnavailable,
        "Too many images are being processed; retry shortly.")
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}

public static class ImageErrors
{
    /// <summary>The engine's input errors as the API's typed errors.</summary>
    public static VisageApiException ToApi(ImageException e) => e.Kind switch
    {
        ImageErrorKind.TooSmall => new ImageTooSmallException(e.Message),
        ImageErrorKind.TooLargeDimensions => new ImageTooLargeDimensionsException(e.Message),
        _ => new UnsupportedImageFormatException(e.Message),
    };
}

public sealed class StoreUnavailableApiException(string message)
    : VisageApiException("STORE_UNAVAILABLE", HttpStatusCode.ServiceUnavailable, "The data store is unavailable: " + message);

public sealed class ConflictException(string message)
    : VisageApiException("CONFLICT", HttpStatusCode.Conflict, message);

public sealed class RateLimitedException(int retryAfterSeconds)
    : VisageApiException("RATE_LIMITED", HttpStatusCode.TooManyRequests, "This API key sent too many requests; retry after the delay in Retry-After.")
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
