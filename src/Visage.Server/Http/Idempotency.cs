using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Visage.Service;
using Visage.Storage;

namespace Visage.Server.Http;

/// <summary>Idempotency-Key on creating POSTs: the first answer (below 500) is kept per workspace and key;
/// a repeat with the same request gets it back, a repeat with a different request gets 409.
/// Multipart requests are compared by their parts, not their bytes, because every client picks a new
/// boundary for each send.</summary>
public sealed partial class IdempotencyMiddleware(RequestDelegate next, IFaceStore store, TimeProvider clock)
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")] private static partial Regex KeyShape();

    public async Task InvokeAsync(HttpContext http)
    {
        var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        if (key is null || !HttpMethods.IsPost(http.Request.Method) || http.GetEndpoint()?.Metadata.GetMetadata<Idempotent>() is null)
        {
            await next(http);
            return;
        }
        if (!KeyShape().IsMatch(key))
            throw new ValidationFailedException("Idempotency-Key must be 1-64 characters of A-Z a-z 0-9 _ -.", "Idempotency-Key");
        var caller = http.Caller();
        var hash = await HashRequestAsync(http.Request);

        if (await store.GetIdempotencyAsync(caller.WorkspaceId, key, http.RequestAborted) is { } earlier)
        {
            if (!CryptographicOperations.FixedTimeEquals(earlier.RequestHash, hash)) throw new IdempotencyKeyReusedException();
            http.Response.StatusCode = earlier.StatusCode;
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.Headers["Idempotent-Replayed"] = "true";
            await http.Response.WriteAsync(earlier.ResponseBody, http.RequestAborted);
            return;
        }

        var original = http.Response.Body;
        using var buffer = new MemoryStream();
        http.Response.Body = buffer;
        try { await next(http); }
        finally { http.Response.Body = original; }
        // An exception leaves the buffer unused: the edge middleware writes the error to the real body.
        buffer.Position = 0;
        if (http.Response.StatusCode < 500)
            await store.TryPutIdempotencyAsync(new IdempotencyRecord(caller.WorkspaceId, key, hash, http.Response.StatusCode,
                Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), clock.GetUtcNow()), CancellationToken.None);
        await buffer.CopyToAsync(original, http.RequestAborted);
    }

    static async Task<byte[]> HashRequestAsync(HttpRequest request)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string s) { var b = Encoding.UTF8.GetBytes(s); sha.AppendData(BitConverter.GetBytes(b.Length)); sha.AppendData(b); }
        Add(request.Method); Add(request.Path.Value ?? ""); Add(request.QueryString.Value ?? "");
        if (request.HasFormContentType)
        {
            // The form is cached on the request, so the endpoint reads it again for free.
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            var names = new List<string>(form.Keys);
            names.Sort(StringComparer.Ordinal);
            foreach (var name in names) { Add("f:" + name); foreach (var v in form[name]) Add(v ?? ""); }
            foreach (var file in form.Files)
            {
                Add("file:" + file.Name);
                await using var s = file.OpenReadStream();
                var content = new byte[32 * 1024];
                int n;
                while ((n = await s.ReadAsync(content, request.HttpContext.RequestAborted)) > 0) sha.AppendData(content, 0, n);
            }
        }
        else
        {
            request.EnableBuffering();
            await using var copy = new MemoryStream();
            await request.Body.CopyToAsync(copy, request.HttpContext.RequestAborted);
            request.Body.Position = 0;
            sha.AppendData(copy.GetBuffer(), 0, (int)copy.Length);
        }
        return sha.GetHashAndReset();
    }
}
