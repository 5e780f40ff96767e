using System.Runtime.CompilerServices;

namespace Visage.Engine.Pipeline;

public enum ChannelOrder { Rgb, Bgr }

/// <summary>value = pixel·Mul + Add per output channel (channels in the tensor's order).</summary>
public readonly record struct Normalization(float Mul0, float Mul1, float Mul2, float Add0, float Add1, float Add2)
{
    public static Normalization Uniform(float mul, float add) => new(mul, mul, mul, add, add, add);
    public static readonly Normalization Raw = Uniform(1, 0);
    /// <summary>(v − 127.5) / 128 style centring used by the detector and the embedder.</summary>
    public static readonly Normalization Centered127 = Uniform(1f / 128, -127f / 128);
}

/// <summary>Bilinear sampling of an RGB image through an <see cref="Affine"/> map (output pixel → source),
/// into planar float tensors, grey tensors or RGB bytes. Points outside the image read as black, which is
/// how the detector's padding is done without copying. When the map shrinks by more than 1.5×, each output
/// pixel averages a k×k grid of bilinear samples (k ≤ 4) so that big photos are not aliased.</summary>
public static class ImageSampler
{
    public static void ToPlanar(RgbImage src, in Affine map, int width, int height, ChannelOrder order,
        in Normalization norm, Span<float> dst)
    {
        var plane = width * height;
        if (dst.Length < plane * 3) throw new ArgumentException("tensor buffer too small", nameof(dst));
        var sink = new PlanarSink(dst, plane, order == ChannelOrder.Bgr, norm);
        Sample(src, map, width, height, ref sink);
    }

    /// <summary>Grey (BT.601 luma) tensor, value = luma·mul + add.</summary>
    public static void ToGrey(RgbImage src, in Affine map, int width, int height, float mul, float add, Span<float> dst)
    {
        if (dst.Length < width * height) throw new ArgumentException("tensor buffer too small", nameof(dst));
        var sink = new GreySink(dst, mul, add);
        Sample(src, map, width, height, ref sink);
    }

    public static void ToRgbBytes(RgbImage src, in Affine map, int width, int height, Span<byte> dst)
    {
        if (dst.Length < width * height * 3) throw new ArgumentException("pixel buffer too small", nameof(dst));
        var sink = new ByteSink(dst);
        Sample(src, map, width, height, ref sink);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Luma(float r, float g, float b) => 0.299f * r + 0.587f * g + 0.114f * b;

    interface IPixelSink
    {
        void Write(int index, float r, float g, float b);
    }

    ref struct PlanarSink(Span<float> dst, int plane, bool bgr, Normalization n) : IPixelSink
    {
        readonly Span<float> dst = dst;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(int i, float r, float g, float b)
        {
            float c0 = bgr ? b : r, c2 = bgr ? r : b;
            dst[i] = c0 * n.Mul0 + n.Add0;
            dst[plane + i] = g * n.Mul1 + n.Add1;
            dst[2 * plane + i] = c2 * n.Mul2 + n.Add2;
        }
    }

    ref struct GreySink(Span<float> dst, float mul, float add) : IPixelSink
    {
        readonly Span<float> dst = dst;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(int i, float r, float g, float b) => dst[i] = Luma(r, g, b) * mul + add;
    }

    ref struct ByteSink(Span<byte> dst) : IPixelSink
    {
        readonly Span<byte> dst = dst;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(int i, float r, float g, float b)
        {
            dst[3 * i] = ToByte(r); dst[3 * i + 1] = ToByte(g); dst[3 * i + 2] = ToByte(b);
        }
        static byte ToByte(float v) => (byte)Math.Clamp((int)(v + 0.5f), 0, 255);
    }

    /// <summary>Sub-samples per axis: plain bilinear up to 2× shrink, then one more per extra factor of the
    /// scale (capped), a cheap box pre-filter against aliasing on large photos.</summary>
    static int SubSamples(in Affine m) => Math.Clamp((int)m.Scale, 1, 4);

    static void Sample<TSink>(RgbImage src, in Affine m, int width, int height, ref TSink sink)
        where TSink : IPixelSink, allows ref struct
    {
        if (m.B == 0 && m.D == 0) SampleAxisAligned(src, m, width, height, ref sink);
        else SampleRotated(src, m, width, height, ref sink);
    }

    /// <summary>One source tap along an axis: the two neighbouring indices (already multiplied by the element
    /// stride) and the weight of the second; Valid is false for a tap outside the image (reads as black).</summary>
    readonly record struct Tap(int I0, int I1, float W, bool Valid);

    static void BuildTaps(Span<Tap> taps, int count, int k, float scale, float offset, int size, int stride)
    {
        for (var o = 0; o < count; o++)
        for (var s = 0; s < k; s++)
        {
            var f = scale * (o + (s + 0.5f) / k - 0.5f) + offset;
            if (f < -0.5f || f > size - 0.5f) { taps[o * k + s] = default; continue; }
            f = Math.Clamp(f, 0, size - 1);
            var i0 = (int)f;
            taps[o * k + s] = new Tap(i0 * stride, Math.Min(i0 + 1, size - 1) * stride, f - i0, true);
        }
    }

    // Resizes and crops (every model input except alignment) are separable: the per-column and per-row taps
    // are computed once, leaving only table lookups and multiply-adds per pixel.
    static void SampleAxisAligned<TSink>(RgbImage src, in Affine m, int width, int height, ref TSink sink)
        where TSink : IPixelSink, allows ref struct
    {
        ReadOnlySpan<byte> px = src.Pixels;
        var k = SubSamples(m);
        var inv = 1f / (k * k);
        var colArray = System.Buffers.ArrayPool<Tap>.Shared.Rent(width * k);
        var rowArray = System.Buffers.ArrayPool<Tap>.Shared.Rent(height * k);
        try
        {
            Span<Tap> cols = colArray.AsSpan(0, width * k), rows = rowArray.AsSpan(0, height * k);
            BuildTaps(cols, width, k, m.A, m.C, src.Width, 3);
            BuildTaps(rows, height, k, m.E, m.F, src.Height, src.Width * 3);
            for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                float r = 0, g = 0, b = 0;
                for (var sy = 0; sy < k; sy++)
                {
                    var row = rows[y * k + sy];
                    if (!row.Valid) continue;
                    for (var sx = 0; sx < k; sx++)
                    {
                        var col = cols[x * k + sx];
                        if (!col.Valid) continue;
                        float w11 = col.W * row.W, w01 = col.W - w11, w10 = row.W - w11, w00 = 1 - col.W - row.W + w11;
                        int p00 = row.I0 + col.I0, p01 = row.I0 + col.I1, p10 = row.I1 + col.I0, p11 = row.I1 + col.I1;
                        r += w00 * px[p00] + w01 * px[p01] + w10 * px[p10] + w11 * px[p11];
                        g += w00 * px[p00 + 1] + w01 * px[p01 + 1] + w10 * px[p10 + 1] + w11 * px[p11 + 1];
                        b += w00 * px[p00 + 2] + w01 * px[p01 + 2] + w10 * px[p10 + 2] + w11 * px[p11 + 2];
                    }
                }
                sink.Write(y * width + x, r * inv, g * inv, b * inv);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<Tap>.Shared.Return(colArray);
            System.Buffers.ArrayPool<Tap>.Shared.Return(rowArray);
        }
    }

    static void SampleRotated<TSink>(RgbImage src, in Affine m, int width, int height, ref TSink sink)
        where TSink : IPixelSink, allows ref struct
    {
        ReadOnlySpan<byte> px = src.Pixels;
        int sw = src.Width, sh = src.Height, stride = sw * 3;
        var k = SubSamples(m);
        var inv = 1f / (k * k);
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            float r = 0, g = 0, b = 0;
            for (var sy = 0; sy < k; sy++)
            for (var sx = 0; sx < k; sx++)
            {
                float ox = x + (sx + 0.5f) / k - 0.5f, oy = y + (sy + 0.5f) / k - 0.5f;
                float fx = m.A * ox + m.B * oy + m.C, fy = m.D * ox + m.E * oy + m.F;
                if (fx < -0.5f || fy < -0.5f || fx > sw - 0.5f || fy > sh - 0.5f) continue; // black border
                fx = Math.Clamp(fx, 0, sw - 1); fy = Math.Clamp(fy, 0, sh - 1);
                int x0 = (int)fx, y0 = (int)fy;
                int x1 = Math.Min(x0 + 1, sw - 1), y1 = Math.Min(y0 + 1, sh - 1);
                float ax = fx - x0, ay = fy - y0;
                float w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
                int p00 = y0 * stride + x0 * 3, p01 = y0 * stride + x1 * 3, p10 = y1 * stride + x0 * 3, p11 = y1 * stride + x1 * 3;
                r += w00 * px[p00] + w01 * px[p01] + w10 * px[p10] + w11 * px[p11];
                g += w00 * px[p00 + 1] + w01 * px[p01 + 1] + w10 * px[p10 + 1] + w11 * px[p11 + 1];
                b += w00 * px[p00 + 2] + w01 * px[p01 + 2] + w10 * px[p10 + 2] + w11 * px[p11 + 2];
            }
            sink.Write(y * width + x, r * inv, g * inv, b * inv);
        }
    }
}
