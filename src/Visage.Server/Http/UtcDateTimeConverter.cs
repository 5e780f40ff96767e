using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Visage.Server.Http;

/// <summary>Times on the wire are UTC ISO-8601 with a Z (<c>2024-01-15T10:05:00.123Z</c>), whatever offset the store returned.</summary>
public sealed class UtcDateTimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
}
