using System.Numerics.Tensors;

namespace Visage.Search;

/// <summary>The vector given does not fit the index: wrong length, or zero/NaN/infinite values.</summary>
public sealed class InvalidVectorException(string message) : ArgumentException(message);

internal static class VectorChecks
{
    /// <summary>Copies <paramref name="vector"/> into <paramref name="unit"/> scaled to length 1, so
    /// similarity is the cosine even if a caller passes an unnormalised embedding.</summary>
    public static void NormalizeInto(ReadOnlySpan<float> vector, Span<float> unit, int dimension)
    {
        if (vector.Length != dimension)
            throw new InvalidVectorException($"Vector has {vector.Length} values; this index holds {dimension}.");
        float norm = TensorPrimitives.Norm(vector);
        if (!float.IsFinite(norm) || norm == 0f)
            throw new InvalidVectorException("Vector must have finite values and a non-zero length.");
        TensorPrimitives.Divide(vector, norm, unit);
    }
}
