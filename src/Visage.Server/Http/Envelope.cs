using System.Text.Json.Serialization;
using Visage.Service;

namespace Visage.Server.Http;

/// <summary>The success envelope: <c>{"success": true, "data": …}</c>.</summary>
public sealed record Envelope<T>(T Data)
{
    [JsonPropertyOrder(-1)] public bool Success => true;
}

public static class Envelope
{
    public static Envelope<T> Of<T>(T data) => new(data);
}

/// <summary>The error envelope: <c>{"success": false, "error": {code, message, details}, "request_id": …}</c>.</summary>
public sealed record ErrorEnvelope(ErrorView Error, string RequestId)
{
    [JsonPropertyOrder(-1)] public bool Success => false;
}

/// <summary>The compatibility endpoint's own error shape (seed 001).</summary>
public sealed record CompatError(
    [property: JsonPropertyName("errorCode"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ErrorCode,
    [property: JsonPropertyName("message")] string Message);
