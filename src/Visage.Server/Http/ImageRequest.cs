using System.Text.Json;
using Microsoft.Extensions.Primitives;
using Visage.Service;

namespace Visage.Server.Http;

/// <summary>The fields of an image request, whether it came as multipart/form-data (file parts) or as JSON
/// (base64 strings, with or without a <c>data:image/…;base64,</c> prefix). Every image is size-checked here.</summary>
public sealed class ImageRequest
{
    readonly IFormCollection? _form;
    readonly JsonElement _json;
    readonly long _maxImageBytes;

    ImageRequest(IFormCollection? form, JsonElement json, long maxImageBytes) { _form = form; _json = json; _maxImageBytes = maxImageBytes; }

    public static async Task<ImageRequest> ReadAsync(HttpRequest request, ServerOptions options)
    {
        if (request.HasFormContentType)
        {
            try { return new ImageRequest(await request.ReadFormAsync(request.HttpContext.RequestAborted), default, options.MaxImageBytes); }
            // A multipart body that ends before its closing boundary is the client's mistake, not ours (found by the fuzz tests).
            catch (IOException e) when (e is not BadHttpRequestException && !request.HttpContext.RequestAborted.IsCancellationRequested)
            { throw new ValidationFailedException("Malformed multipart body: " + e.Message); }
        }
        if (request.HasJsonContentType())
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ValidationFailedException("The JSON body must be an object.");
            return new ImageRequest(null, doc.RootElement.Clone(), options.MaxImageBytes);
        }
        throw new ValidationFailedException("Send multipart/form-data with file parts, or application/json with base64 images.");
    }

    public string? Field(string name)
    {
        if (_form is not null) return _form.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;
        if (!_json.TryGetProperty(name, out var p)) return null;
        return p.ValueKind switch
        {
            JsonValueKind.String => p.GetString(),
            JsonValueKind.Null => null,
            // JSON clients send metadata as an object and numbers as numbers.
            _ => p.GetRawText(),
        };
    }

    public IReadOnlyList<string?> Fields(string name)
    {
        var result = new List<string?>();
        if (_form is not null)
        {
            foreach (var key in Aliases(name))
                if (_form.TryGetValue(key, out var values)) foreach (var v in values) result.Add(v);
            return result;
        }
        if (_json.TryGetProperty(name, out var arr) && arr.ValueKind == JsonValueKind.Array)
            foreach (var e in arr.EnumerateArray())
                result.Add(e.ValueKind == JsonValueKind.String ? e.GetString() : e.ValueKind == JsonValueKind.Null ? null : e.GetRawText());
        return result;
    }

    public int? Int(string name) => Field(name) is { } s
        ? int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : throw new ValidationFailedException($"{name} must be an integer.", name)
        : null;

    public float? Float(string name) => Field(name) is { } s
        ? float.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v
            : throw new ValidationFailedException($"{name} must be a number.", name)
        : null;

    public bool? Bool(string name) => Field(name) is { } s
        ? bool.TryParse(s, out var v) ? v : s == "1" ? true : s == "0" ? false : throw new ValidationFailedException($"{name} must be true or false.", name)
        : null;

    /// <summary>The one image called <paramref name="name"/> (JSON also accepts <c>{name}_base64</c>).</summary>
    public async Task<ImageInput> ImageAsync(string name)
    {
        var images = await ImagesAsync(name);
        if (images.Count == 0) throw new ValidationFailedException($"{name} is required.", name);
        return images[0];
    }

    public async Task<IReadOnlyList<ImageInput>> ImagesAsync(string name)
    {
        var result = new List<ImageInput>();
        if (_form is not null)
        {
            foreach (var file in _form.Files)
            {
                if (!Aliases(name).Contains(file.Name)) continue;
                if (file.Length > _maxImageBytes) throw new ImageTooLargeException(_maxImageBytes);
                var bytes = new byte[file.Length];
                await using var s = file.OpenReadStream();
                await s.ReadExactlyAsync(bytes);
                result.Add(new ImageInput(bytes));
            }
            // Some clients post base64 in a plain form field.
            if (result.Count == 0)
                foreach (var key in Aliases(name))
                    if (_form.TryGetValue(key, out StringValues values))
                        foreach (var v in values) if (!string.IsNullOrEmpty(v)) result.Add(FromBase64(v, name));
            return result;
        }
        foreach (var key in (string[])[name, name + "_base64", name.TrimEnd('s') + "_base64"])
        {
            if (!_json.TryGetProperty(key, out var p)) continue;
            if (p.ValueKind == JsonValueKind.String) result.Add(FromBase64(p.GetString()!, key));
            else if (p.ValueKind == JsonValueKind.Array)
                foreach (var e in p.EnumerateArray())
                    result.Add(e.ValueKind == JsonValueKind.String ? FromBase64(e.GetString()!, key)
                        : throw new ValidationFailedException($"{key} must hold base64 strings.", key));
            if (result.Count > 0) break;
        }
        return result;
    }

    ImageInput FromBase64(string text, string field)
    {
        var span = text.AsSpan().Trim();
        if (span.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            int comma = span.IndexOf(',');
            if (comma < 0 || !span[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
                throw new ValidationFailedException($"{field} must be a base64 data URL.", field);
            span = span[(comma + 1)..];
        }
        if ((long)span.Length * 3 / 4 > _maxImageBytes + 3) throw new ImageTooLargeException(_maxImageBytes);
        var bytes = new byte[span.Length * 3 / 4 + 3];
        if (!Convert.TryFromBase64Chars(span, bytes, out int written))
            throw new ValidationFailedException($"{field} is not valid base64.", field);
        if (written > _maxImageBytes) throw new ImageTooLargeException(_maxImageBytes);
        return new ImageInput(bytes.AsMemory(0, written));
    }

    static string[] Aliases(string name) => [name, name + "[]"];
}
