namespace Visage.Engine.Pipeline;

/// <summary>A 2-D affine map x' = A·x + B·y + C, y' = D·x + E·y + F. The pipeline expresses every resize,
/// crop, pad and alignment as one of these from output pixel centres to source coordinates, so a single
/// sampler serves all models.</summary>
public readonly record struct Affine(float A, float B, float C, float D, float E, float F)
{
    public PointF Apply(PointF p) => new(A * p.X + B * p.Y + C, D * p.X + E * p.Y + F);

    /// <summary>Output pixel (i, j) of a <paramref name="outWidth"/>×<paramref name="outHeight"/> image samples
    /// the source rectangle (x, y, w, h) with half-pixel centres (OpenCV/ONNX "half_pixel" resize).</summary>
    public static Affine FromRect(float x, float y, float w, float h, int outWidth, int outHeight)
    {
        float sx = w / outWidth, sy = h / outHeight;
        return new(sx, 0, x + 0.5f * sx - 0.5f, 0, sy, y + 0.5f * sy - 0.5f);
    }

    /// <summary>Source units per output pixel (geometric mean of the two axes).</summary>
    public float Scale => MathF.Sqrt(MathF.Abs(A * E - B * D));

    public Affine Invert()
    {
        var det = A * E - B * D;
        if (MathF.Abs(det) < 1e-12f) throw new InvalidOperationException("singular transform");
        float ia = E / det, ib = -B / det, id = -D / det, ie = A / det;
        return new(ia, ib, -(ia * C + ib * F), id, ie, -(id * C + ie * F));
    }

    /// <summary>Least-squares similarity transform (rotation, uniform scale, translation) taking
    /// <paramref name="from"/> onto <paramref name="to"/> (Umeyama without reflection).</summary>
    public static Affine SimilarityLeastSquares(ReadOnlySpan<PointF> from, ReadOnlySpan<PointF> to)
    {
        if (from.Length != to.Length || from.Length < 2) throw new ArgumentException("need matching point sets");
        int n = from.Length;
        float mfx = 0, mfy = 0, mtx = 0, mty = 0;
        for (var i = 0; i < n; i++) { mfx += from[i].X; mfy += from[i].Y; mtx += to[i].X; mty += to[i].Y; }
        mfx /= n; mfy /= n; mtx /= n; mty /= n;
        // With centred points p (from) and q (to), the best a=s·cosθ, b=s·sinθ minimise Σ|R p − q|².
        float sxx = 0, num_a = 0, num_b = 0;
        for (var i = 0; i < n; i++)
        {
            float px = from[i].X - mfx, py = from[i].Y - mfy, qx = to[i].X - mtx, qy = to[i].Y - mty;
            sxx += px * px + py * py;
            num_a += px * qx + py * qy;
            num_b += px * qy - py * qx;
        }
        if (sxx < 1e-6f) throw new ArgumentException("degenerate points");
        float a = num_a / sxx, b = num_b / sxx;
        return new(a, -b, mtx - (a * mfx - b * mfy), b, a, mty - (b * mfx + a * mfy));
    }
}
