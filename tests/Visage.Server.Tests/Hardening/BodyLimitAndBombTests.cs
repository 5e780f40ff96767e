using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Visage.Testing.Images;
using Xunit;

namespace Visage.Server.Tests.Hardening;

/// <summary>One inference worker, no queue, and a 12 MB batch limit: a leaked slot turns every later request into a
/// 503, and a batch just over the limit is easy to send.</summary>
public sealed class LimitedVisageServer : VisageServer
{
    public const long BatchLimit = 12L * 1024 * 1024;
    protected override IEnumerable<string> ExtraArgs =>
        ["--Inference:Workers=1", "--Inference:QueueCapacity=0", "--MaxBatchBytes=" + BatchLimit];
}

public sealed class BodyLimitAndBombTests(LimitedVisageServer server) : IClassFixture<LimitedVisageServer>
{
    readonly byte[] _jpeg = Photos.Verify("Juanes", 1).Bytes;
    readonly byte[] _png = Photos.NoFace.Bytes;

    [Fact]
    public async Task Decompression_bombs_are_refused_from_the_header_before_decoding()
    {
        var admin = server.Admin();
        var col = await admin.CreateCollection();
        var bombs = new (string Name, byte[] Bytes)[]
        {
            ("png 60000x60000", HostileImages.PngDeclaring(_png, 60000, 60000)),
            ("png 200000x1000", HostileImages.PngDeclaring(_png, 200000, 1000)),
            ("jpeg 65000x65000", HostileImages.JpegDeclaring(_jpeg, 65000, 65000)),
            ("webp 16777216x16777216", HostileImages.WebpDeclaring(1 << 24, 1 << 24)),
        };
        foreach (var (name, bytes) in bombs)
            foreach (var path in (string[])[$"/api/v1/collections/{col}/faces", $"/api/v1/collections/{col}/identify", "/api/v1/detect"])
            {
                var started = Stopwatch.GetTimestamp();
                var r = await admin.PostForm(path, ("image", new Upload(bytes, "bomb.png")), ("external_id", "bomb"));
                var elapsed = Stopwatch.GetElapsedTime(started);
                Assert.True(r.Status == (HttpStatusCode)422 && r.ErrorCode == "IMAGE_TOO_LARGE_DIMENSIONS", $"{name} on {path}: {r}");
                // Decoding 3.6 gigapixels would take minutes and gigabytes; the header check takes milliseconds (5 s allows for a loaded CI box).
                Assert.True(elapsed < TimeSpan.FromSeconds(5), $"{name} on {path} took {elapsed}");
            }
        var batch = await admin.PostForm($"/api/v1/collections/{col}/faces/batch",
            ("images", new Upload(HostileImages.PngDeclaring(_png, 60000, 60000), "bomb.png")), ("external_ids", "bomb"));
        Assert.Equal(HttpStatusCode.OK, batch.Status);
        Assert.Equal("IMAGE_TOO_LARGE_DIMENSIONS", batch.Data.GetProperty("results")[0].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, (await admin.Get($"/api/v1/collections/{col}/faces")).Data.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Single_image_over_10_MB_is_413_IMAGE_TOO_LARGE_with_the_envelope()
    {
        var col = await server.Admin().CreateCollection();
        var big = new byte[10 * 1024 * 1024 + 1];
        _jpeg.CopyTo(big, 0);
        foreach (var path in (string[])[$"/api/v1/collections/{col}/faces", "/api/v1/detect"])
        {
            var r = await server.Admin().PostForm(path, ("image", new Upload(big)), ("external_id", "big"));
            Assert.True(r.Status == HttpStatusCode.RequestEntityTooLarge && r.ErrorCode == "IMAGE_TOO_LARGE", r.ToString());
            Assert.StartsWith("req_", r.Json.GetProperty("request_id").GetString());
        }
    }

    [Fact]
    public async Task Batch_over_the_configured_request_limit_is_413_with_the_envelope_and_enrolls_nothing()
    {
        var admin = server.Admin();
        var col = await admin.CreateCollection();
        var part = new byte[7 * 1024 * 1024];
        _jpeg.CopyTo(part, 0);
        var r = await admin.PostForm($"/api/v1/collections/{col}/faces/batch", expectContinue: true,
            ("images", new Upload(part)), ("images", new Upload(part)), ("external_ids", "a"), ("external_ids", "b"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.Status);
        Assert.Contains(r.ErrorCode, (string[])["PAYLOAD_TOO_LARGE", "IMAGE_TOO_LARGE"]);
        Assert.StartsWith("req_", r.Json.GetProperty("request_id").GetString());
        Assert.Equal(0, (await admin.Get($"/api/v1/collections/{col}/faces")).Data.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Aborted_and_cancelled_uploads_free_their_inference_slot()
    {
        var admin = server.Admin();
        // Uploads cut off in the middle of the body.
        for (int i = 0; i < 8; i++)
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            var form = new MultipartFormDataContent();
            var body = new StreamContent(new FailingStream(_jpeg, failAfter: _jpeg.Length / 2));
            body.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(body, "image", "p.jpg");
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/detect") { Content = form };
            request.Headers.Add("X-API-Key", server.AdminKey);
            await Assert.ThrowsAnyAsync<Exception>(() => http.SendAsync(request));
        }
        // Complete uploads whose client gives up while the face is being analysed.
        for (int i = 0; i < 8; i++)
        {
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(20 + 15 * i));
            var form = new MultipartFormDataContent { { new ByteArrayContent(_jpeg), "image", "p.jpg" } };
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/detect") { Content = form };
            request.Headers.Add("X-API-Key", server.AdminKey);
            try { using var _ = await http.SendAsync(request, cts.Token); } catch (OperationCanceledException) { }
        }
        // An abandoned analysis may still be finishing on the only worker; once it has, the slot must be free for good.
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60;
        ApiResponse r;
        do r = await admin.PostForm("/api/v1/detect", ("image", new Upload(_jpeg)));
        while (r.Status == HttpStatusCode.ServiceUnavailable && Stopwatch.GetTimestamp() < deadline && await Delay());
        for (int i = 0; i < 4; i++)
        {
            Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
            r = await admin.PostForm("/api/v1/detect", ("image", new Upload(_jpeg)));
        }
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());

        static async Task<bool> Delay() { await Task.Delay(200); return true; }
    }

    [Fact]
    public async Task A_stalled_upload_is_cut_off_by_the_minimum_data_rate_and_leaves_the_service_usable()
    {
        // A raw socket, so that exactly the bytes written reach the server: headers promising 100 kB, 100 bytes, then silence.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"POST /api/v1/detect HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nX-API-Key: {server.AdminKey}\r\n" +
            "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n" +
            "Content-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(_jpeg.AsMemory(0, 100));
        await stream.FlushAsync();
        var started = Stopwatch.GetTimestamp();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var buffer = new byte[4096];
        int n;
        var answer = new System.Text.StringBuilder();
        try { while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0) answer.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n)); }
        catch (IOException) { }   // reset by the server: also a cut-off
        catch (OperationCanceledException) { }
        var elapsed = Stopwatch.GetElapsedTime(started);
        Assert.False(cts.IsCancellationRequested, "the stalled upload still held its connection after 40 s");
        var text = answer.ToString();
        Assert.True(text.Length == 0 || !text.StartsWith("HTTP/1.1 2", StringComparison.Ordinal), text);
        Assert.DoesNotContain("HTTP/1.1 5", text);
        Assert.Equal(HttpStatusCode.OK, (await server.Admin().PostForm("/api/v1/detect", ("image", new Upload(_jpeg)))).Status);
    }

    /// <summary>Hands out <paramref name="failAfter"/> bytes, then fails as a dropped client would.</summary>
    sealed class FailingStream(byte[] data, int failAfter) : Stream
    {
        int _position;
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (_position >= failAfter) throw new IOException("client went away");
            int n = Math.Min(buffer.Length, failAfter - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => new(Read(buffer.Span));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer, offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

}
