namespace Visage.Server.Http;

/// <summary>Marks an endpoint that needs X-API-Key; the scope is checked before the body is read.</summary>
public sealed record RequireApiKey(string? Scope);

/// <summary>Marks a POST that creates something: Idempotency-Key is honoured.</summary>
public sealed record Idempotent;

/// <summary>Marks the seed-001 compatibility endpoint: errors use its numeric shape.</summary>
public sealed record CompatErrorShape;

/// <summary>Raises the request-body limit for an endpoint (batch uploads).</summary>
public sealed record BodyLimit(long Bytes);

public static class RouteMetadataExtensions
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequireApiKey(scope));

    public static TBuilder Idempotent<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Idempotent());
}
