using System.Buffers;

namespace Visage.Engine.Pipeline;

internal static class TensorMath
{
    public static void Softmax(Span<float> logits)
    {
        var max = float.NegativeInfinity;
        foreach (var v in logits) max = MathF.Max(max, v);
        float sum = 0;
        for (var i = 0; i < logits.Length; i++) { logits[i] = MathF.Exp(logits[i] - max); sum += logits[i]; }
        for (var i = 0; i < logits.Length; i++) logits[i] /= sum;
    }

    public static void L2Normalize(Span<float> v)
    {
        double sum = 0;
        foreach (var x in v) sum += (double)x * x;
        var inv = sum > 0 ? (float)(1 / Math.Sqrt(sum)) : 0f;
        for (var i = 0; i < v.Length; i++) v[i] *= inv;
    }
}

/// <summary>A float buffer rented from the shared pool for the length of one model call.</summary>
internal readonly struct PooledFloats(int length) : IDisposable
{
    readonly float[] array = ArrayPool<float>.Shared.Rent(length);
    public Span<float> Span => array.AsSpan(0, length);
    public void Dispose() => ArrayPool<float>.Shared.Return(array);
}
