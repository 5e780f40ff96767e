using System.Numerics.Tensors;

namespace Visage.Search.Synthetic;

/// <summary>Seeded synthetic unit vectors shaped like face embeddings: identities spread around a shared
/// mean direction (different people are not orthogonal in real embedding spaces, typical cosine 0.1–0.3),
/// several photos per identity (cosine ~0.7 to each other), and queries that are noisy copies of stored
/// vectors (another photo of an enrolled face). Also plain uniform vectors on the sphere, the hard case
/// for quantisation because neighbours are barely closer than strangers. Shared by the tests and the bench.</summary>
public static class SyntheticVectors
{
    /// <summary>N clustered vectors, row-major N x dimension, photosPerIdentity rows per identity.</summary>
    public static float[] Clustered(int count, int dimension, int seed, int photosPerIdentity = 10)
    {
        var data = new float[(long)count * dimension <= int.MaxValue ? count * dimension : throw new ArgumentOutOfRangeException(nameof(count))];
        float[] mean = new float[dimension];
        FillGaussian(new Random(seed), mean, 1f);
        Normalize(mean);
        int identities = (count + photosPerIdentity - 1) / photosPerIdentity;
        // Each identity fills its own rows from its own seed, so generation parallelises and stays reproducible.
        Parallel.For(0, identities, identity =>
        {
            var random = new Random(Seed(seed, identity));
            Span<float> center = stackalloc float[dimension];
            FillGaussian(random, center, 1f);
            Normalize(center);
            // 0.45 * mean + center gives ~0.17 cosine between two identities.
            TensorPrimitives.MultiplyAdd(mean, 0.45f, center, center);
            Normalize(center);
            int first = identity * photosPerIdentity, last = Math.Min(count, first + photosPerIdentity);
            for (int row = first; row < last; row++)
            {
                var v = data.AsSpan(row * dimension, dimension);
                // Per-dimension noise 0.029 → |noise|² ≈ 0.43, i.e. cosine ~0.7 between two photos.
                FillGaussian(random, v, 0.029f);
                TensorPrimitives.Add(v, center, v);
                Normalize(v);
            }
        });
        return data;
    }

    /// <summary>N vectors uniform on the unit sphere.</summary>
    public static float[] Uniform(int count, int dimension, int seed)
    {
        var data = new float[count * dimension];
        const int Block = 4096;
        Parallel.For(0, (count + Block - 1) / Block, block =>
        {
            var random = new Random(Seed(seed, block, 7));
            int last = Math.Min(count, (block + 1) * Block);
            for (int row = block * Block; row < last; row++)
            {
                var v = data.AsSpan(row * dimension, dimension);
                FillGaussian(random, v, 1f);
                Normalize(v);
            }
        });
        return data;
    }

    /// <summary>Queries that are noisy copies of random stored rows (cosine ≈ 1/sqrt(1 + d·noise²) to the
    /// original), returned with the row each was made from.</summary>
    public static (float[] Queries, int[] SourceRows) NoisyCopies(ReadOnlySpan<float> data, int dimension, int queryCount, int seed, float noise = 0.03f)
    {
        var random = new Random(seed);
        int rows = data.Length / dimension;
        var queries = new float[queryCount * dimension];
        var sources = new int[queryCount];
        for (int i = 0; i < queryCount; i++)
        {
            int row = random.Next(rows);
            sources[i] = row;
            var q = queries.AsSpan(i * dimension, dimension);
            FillGaussian(random, q, noise);
            TensorPrimitives.Add(q, data.Slice(row * dimension, dimension), q);
            Normalize(q);
        }
        return (queries, sources);
    }

    public static void FillGaussian(Random random, Span<float> values, float sigma)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            // Box–Muller: two independent normals per pair of uniforms.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1)) * sigma;
            values[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length) values[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
    }

    /// <summary>A seed made of several numbers that is the same in every process. (HashCode.Combine is
    /// randomised per process: with it every run wrote different vectors, so FAISS indexes cached under the
    /// hash of a data file were never found again.) SplitMix64 finaliser over the packed inputs.</summary>
    public static int Seed(int a, int b, int c = 0)
    {
        ulong x = (uint)a * 0x9E3779B97F4A7C15UL ^ (uint)b * 0xC2B2AE3D27D4EB4FUL ^ (uint)c * 0x165667B19E3779F9UL;
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (int)(x & int.MaxValue);
    }

    public static void Normalize(Span<float> v) => TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
}
