using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Visage.Engine;
using Visage.Engine.Imaging;
using Visage.Search.Synthetic;

namespace Visage.Bench.Search;

/// <summary>Real model outputs for the search bench: every usable photo of the developer face set embedded by
/// the real engine (subject face), plus seeded augmentations of each photo (mirror, rotation/scale/shift,
/// contrast/brightness, JPEG re-encode) run through the whole pipeline again (detect → landmarks → align →
/// embed), so each augmentation is a genuine model output of a slightly different photo. Identity labels come
/// from the file layout. Cached by the hash of the models and of the photo list, because embedding a few
/// thousand images costs minutes on two cores.</summary>
internal sealed class RealEmbeddings
{
    /// <summary>Rows per photo: the photo itself (augmentation 0) and this many minus one variations.</summary>
    public const int AugmentationsPerPhoto = 24;
    // Bump when the augmentation recipe changes so old caches are not reused.
    private const string Recipe = "augment-v2";

    public required float[] Vectors { get; init; }
    public required int[] Identity { get; init; }
    public required int[] Photo { get; init; }
    public required int[] Augmentation { get; init; }
    public required string[] IdentityNames { get; init; }
    public required string[] PhotoNames { get; init; }
    public int Count => Identity.Length;

    private sealed record PhotoFile(string RelativePath, string Identity);

    public static RealEmbeddings LoadOrCompute(string facesDir, string cacheDir)
    {
        var photos = ListPhotos(facesDir);
        var engineOptions = new EngineOptions();
        string key = CacheKey(engineOptions.ResolveModelsDirectory(), facesDir, photos);
        string path = Path.Combine(cacheDir, "real-embeddings", key + ".bin");
        if (File.Exists(path))
        {
            var cached = Read(path);
            Console.WriteLine($"real embeddings: {cached.Count} rows from {cached.Photo.Distinct().Count()} photos of {cached.Identity.Distinct().Count()} people, reused from {path}");
            return cached;
        }
        var computed = Compute(facesDir, photos, engineOptions);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Write(path + ".tmp", computed);
        File.Move(path + ".tmp", path, overwrite: true);
        Console.WriteLine($"real embeddings cached in {path}");
        return computed;
    }

    /// <summary>verify/&lt;identity&gt;/*, the liveness photos (each source is one person, live and replayed),
    /// and the masked and strong-pose photos of quality/ (one unknown person each). The generated blur/tiny
    /// files are copies of verify photos and the no-face images have no identity, so they are left out.</summary>
    private static List<PhotoFile> ListPhotos(string facesDir)
    {
        var photos = new List<PhotoFile>();
        foreach (string dir in Directory.GetDirectories(Path.Combine(facesDir, "verify")).Order(StringComparer.Ordinal))
            foreach (string file in ImagesIn(dir))
                photos.Add(new PhotoFile(Path.GetRelativePath(facesDir, file), Path.GetFileName(dir)));
        string labels = Path.Combine(facesDir, "liveness", "labels.csv");
        foreach (string line in File.ReadLines(labels).Skip(1))
        {
            string[] cells = line.Split(',');
            if (cells.Length > 4) photos.Add(new PhotoFile(Path.Combine("liveness", cells[0]), "liveness:" + cells[4]));
        }
        foreach (string kind in new[] { "occluded", "pose" })
            foreach (string file in ImagesIn(Path.Combine(facesDir, "quality", kind)))
                photos.Add(new PhotoFile(Path.GetRelativePath(facesDir, file), "quality:" + Path.GetFileName(file)));
        return photos;
    }

    private static IEnumerable<string> ImagesIn(string dir) =>
        Directory.GetFiles(dir).Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)
            || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);

    private static string CacheKey(string modelsDir, string facesDir, List<PhotoFile> photos)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string model in new[] { "fr_detect", "fr_landmark", "fr_feature" })
            hash.AppendData(File.ReadAllBytes(Path.Combine(modelsDir, model + ".onnx")));
        hash.AppendData(Encoding.UTF8.GetBytes($"{Recipe}/{AugmentationsPerPhoto}"));
        foreach (var photo in photos)
            hash.AppendData(Encoding.UTF8.GetBytes($"{photo.RelativePath}|{photo.Identity}|{new FileInfo(Path.Combine(facesDir, photo.RelativePath)).Length}\n"));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static RealEmbeddings Compute(string facesDir, List<PhotoFile> photos, EngineOptions engineOptions)
    {
        using var engine = new FaceEngine(engineOptions);
        var decoder = new NativeImageDecoder(engineOptions);
        var analyze = new AnalyzeOptions(Liveness: false, Quality: false, SubjectOnly: true);
        int d = engine.Info.EmbeddingSize;
        var rows = new float[photos.Count][][];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int done = 0;
        Parallel.For(0, photos.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, p =>
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(facesDir, photos[p].RelativePath));
            // The phone photos are up to 20 MP; augmenting at ~1000 px keeps the face far above the models' input.
            RgbImage original;
            try { original = decoder.Decode(bytes, 1000); }
            catch (ImageException) { return; }
            var embedded = new float[AugmentationsPerPhoto][];
            for (int a = 0; a < AugmentationsPerPhoto; a++)
            {
                var random = new Random(SyntheticVectors.Seed(17, p, a));
                try
                {
                    var analysis = a == 0 ? engine.Analyze(original, analyze) : AnalyzeAugmented(engine, original, random, analyze);
                    if (analysis.Subject is { } face) embedded[a] = face.Embedding;
                }
                catch (ImageException) { } // an augmentation can make a small crop too small: skip that row
            }
            rows[p] = embedded;
            int finished = Interlocked.Increment(ref done);
            if (finished % 20 == 0) Console.WriteLine($"  embedded {finished}/{photos.Count} photos ({clock.Elapsed.TotalSeconds:F0} s)");
        });

        var identityNames = photos.Select(p => p.Identity).Distinct().ToArray();
        var identityIndex = identityNames.Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i);
        var vectors = new List<float>();
        List<int> identity = [], photo = [], augmentation = [];
        int skippedPhotos = 0;
        for (int p = 0; p < photos.Count; p++)
        {
            // A photo whose original yields no face is left out whole: its augmentations would be unanchored.
            if (rows[p] is not { } embedded || embedded[0] is null) { skippedPhotos++; continue; }
            for (int a = 0; a < AugmentationsPerPhoto; a++)
            {
                if (embedded[a] is null) continue;
                vectors.AddRange(embedded[a]);
                identity.Add(identityIndex[photos[p].Identity]);
                photo.Add(p);
                augmentation.Add(a);
            }
        }
        Console.WriteLine($"real embeddings: {identity.Count} rows of {d} from {photos.Count - skippedPhotos} photos " +
                          $"({skippedPhotos} without a face left out), {clock.Elapsed.TotalSeconds:F0} s");
        return new RealEmbeddings
        {
            Vectors = vectors.ToArray(), Identity = identity.ToArray(), Photo = photo.ToArray(), Augmentation = augmentation.ToArray(),
            IdentityNames = identityNames, PhotoNames = photos.Select(p => p.RelativePath).ToArray(),
        };
    }

    /// <summary>One seeded variation: mirrored half the time; rotated ±10°, scaled 0.9–1.1 and shifted ±6%
    /// (bilinear, edges replicated); contrast 0.75–1.25 and brightness ±25 levels; JPEG re-encoded at quality
    /// 30–90 half the time.</summary>
    private static FaceAnalysis AnalyzeAugmented(FaceEngine engine, RgbImage source, Random random, AnalyzeOptions analyze)
    {
        bool mirror = random.Next(2) == 1;
        double angle = (random.NextDouble() * 2 - 1) * 10 * Math.PI / 180;
        double scale = 0.9 + 0.2 * random.NextDouble();
        double shiftX = (random.NextDouble() * 2 - 1) * 0.06 * source.Width, shiftY = (random.NextDouble() * 2 - 1) * 0.06 * source.Height;
        double contrast = 0.75 + 0.5 * random.NextDouble(), brightness = (random.NextDouble() * 2 - 1) * 25;
        int jpegQuality = random.Next(2) == 1 ? 30 + random.Next(61) : 0;

        var image = Warp(source, mirror, angle, scale, shiftX, shiftY, contrast, brightness);
        return jpegQuality > 0 ? engine.Analyze(ImageEncoder.EncodeJpeg(image, jpegQuality), analyze) : engine.Analyze(image, analyze);
    }

    private static RgbImage Warp(RgbImage src, bool mirror, double angle, double scale, double shiftX, double shiftY, double contrast, double brightness)
    {
        int w = src.Width, h = src.Height;
        var pixels = new byte[w * h * 3];
        byte[] s = src.Pixels;
        double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
        double cos = Math.Cos(angle) / scale, sin = Math.Sin(angle) / scale;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // Inverse map: output pixel → source position (rotate back, unscale, unshift, then mirror).
                double u = x - cx - shiftX, v = y - cy - shiftY;
                double sx = cos * u + sin * v + cx, sy = -sin * u + cos * v + cy;
                if (mirror) sx = w - 1 - sx;
                sx = Math.Clamp(sx, 0, w - 1);
                sy = Math.Clamp(sy, 0, h - 1);
                int x0 = (int)sx, y0 = (int)sy, x1 = Math.Min(x0 + 1, w - 1), y1 = Math.Min(y0 + 1, h - 1);
                double fx = sx - x0, fy = sy - y0;
                for (int c = 0; c < 3; c++)
                {
                    double top = s[(y0 * w + x0) * 3 + c] * (1 - fx) + s[(y0 * w + x1) * 3 + c] * fx;
                    double bottom = s[(y1 * w + x0) * 3 + c] * (1 - fx) + s[(y1 * w + x1) * 3 + c] * fx;
                    double value = (top * (1 - fy) + bottom * fy - 128) * contrast + 128 + brightness;
                    pixels[(y * w + x) * 3 + c] = (byte)Math.Clamp(Math.Round(value), 0, 255);
                }
            }
        }
        return new RgbImage(w, h, pixels);
    }

    private static void Write(string path, RealEmbeddings e)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(e.Count);
        writer.Write(e.Vectors.Length / Math.Max(1, e.Count));
        writer.Write(e.IdentityNames.Length);
        foreach (string name in e.IdentityNames) writer.Write(name);
        writer.Write(e.PhotoNames.Length);
        foreach (string name in e.PhotoNames) writer.Write(name);
        for (int i = 0; i < e.Count; i++)
        {
            writer.Write(e.Identity[i]);
            writer.Write(e.Photo[i]);
            writer.Write(e.Augmentation[i]);
        }
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Vectors.AsSpan()));
    }

    private static RealEmbeddings Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int count = reader.ReadInt32(), d = reader.ReadInt32();
        var identityNames = new string[reader.ReadInt32()];
        for (int i = 0; i < identityNames.Length; i++) identityNames[i] = reader.ReadString();
        var photoNames = new string[reader.ReadInt32()];
        for (int i = 0; i < photoNames.Length; i++) photoNames[i] = reader.ReadString();
        int[] identity = new int[count], photo = new int[count], augmentation = new int[count];
        for (int i = 0; i < count; i++)
        {
            identity[i] = reader.ReadInt32();
            photo[i] = reader.ReadInt32();
            augmentation[i] = reader.ReadInt32();
        }
        var vectors = new float[count * d];
        reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors.AsSpan()));
        return new RealEmbeddings
        {
            Vectors = vectors, Identity = identity, Photo = photo, Augmentation = augmentation,
            IdentityNames = identityNames, PhotoNames = photoNames,
        };
    }
}

/// <summary>The real cases built from <see cref="RealEmbeddings"/>: which rows are enrolled and which are
/// asked, and the fitted Gaussian that supplies distractors for the large real-shaped collections.</summary>
internal sealed class RealSplit
{
    /// <summary>Augmentations below this index of an enrolled photo are in the database; the others are queries.
    /// Few, as a person is enrolled with a few photos: with many near-duplicates per photo, every query's
    /// top-10 would be its own person's rows and nothing else would be tested.</summary>
    public const int EnrolledAugmentations = 4;

    public required float[] Database { get; init; }
    public required int[] DatabaseIdentity { get; init; }
    public required float[] Queries { get; init; }
    public required int[] QueryIdentity { get; init; }
    /// <summary>True for a query from a photo that is not in the database (another photo of an enrolled person);
    /// false for an unseen augmentation of an enrolled photo.</summary>
    public required bool[] QueryFromOtherPhoto { get; init; }
    public int Dimension { get; init; }

    /// <summary>For every identity with two or more usable photos the last photo is held out whole (its
    /// augmentations are "other photo" queries); the other photos are enrolled with augmentations
    /// 0..EnrolledAugmentations-1, and their remaining augmentations are "other augmentation" queries.
    /// Database rows are shuffled (seeded) so that a quantiser trained on the first rows sees every identity.
    /// At most maxQueries queries, sampled with a seed.</summary>
    public static RealSplit From(RealEmbeddings e, int maxQueries, int seed = 5)
    {
        int d = e.Vectors.Length / e.Count;
        var photosOf = new Dictionary<int, SortedSet<int>>();
        for (int i = 0; i < e.Count; i++)
        {
            if (!photosOf.TryGetValue(e.Identity[i], out var set)) photosOf[e.Identity[i]] = set = [];
            set.Add(e.Photo[i]);
        }
        var heldOut = new HashSet<int>();
        foreach (var set in photosOf.Values)
            if (set.Count >= 2) heldOut.Add(set.Max);

        List<int> database = [], queries = [];
        for (int i = 0; i < e.Count; i++)
        {
            if (!heldOut.Contains(e.Photo[i]) && e.Augmentation[i] < EnrolledAugmentations) database.Add(i);
            else queries.Add(i);
        }
        var random = new Random(seed);
        var databaseRows = database.ToArray();
        random.Shuffle(databaseRows);
        var queryRows = queries.ToArray();
        random.Shuffle(queryRows);
        if (queryRows.Length > maxQueries) queryRows = queryRows[..maxQueries];

        return new RealSplit
        {
            Dimension = d,
            Database = Gather(e.Vectors, d, databaseRows),
            DatabaseIdentity = databaseRows.Select(i => e.Identity[i]).ToArray(),
            Queries = Gather(e.Vectors, d, queryRows),
            QueryIdentity = queryRows.Select(i => e.Identity[i]).ToArray(),
            QueryFromOtherPhoto = queryRows.Select(i => heldOut.Contains(e.Photo[i])).ToArray(),
        };
    }

    private static float[] Gather(float[] vectors, int d, int[] rows)
    {
        var result = new float[rows.Length * d];
        for (int r = 0; r < rows.Length; r++) vectors.AsSpan(rows[r] * d, d).CopyTo(result.AsSpan(r * d, d));
        return result;
    }

    /// <summary>n rows: the database's real embeddings at seeded random rows, every other row a distractor
    /// drawn from a Gaussian fitted to the database (see <see cref="FittedGaussian"/>), normalised. Returns the
    /// rows and each row's identity (-1 for a distractor).</summary>
    public (float[] Data, int[] RowIdentity) PlantAmongDistractors(int n, int seed)
    {
        int d = Dimension, real = DatabaseIdentity.Length;
        if (n < real) throw new ArgumentOutOfRangeException(nameof(n), $"needs at least the {real} real rows");
        var gaussian = FittedGaussian.Fit(Database, d, components: 64);
        var data = gaussian.Sample(n, seed);
        var rowIdentity = new int[n];
        Array.Fill(rowIdentity, -1);
        var positions = Enumerable.Range(0, n).ToArray();
        new Random(seed + 1).Shuffle(positions);
        for (int r = 0; r < real; r++)
        {
            Database.AsSpan(r * d, d).CopyTo(data.AsSpan(positions[r] * d, d));
            rowIdentity[positions[r]] = DatabaseIdentity[r];
        }
        Console.WriteLine($"fitted Gaussian: mean norm {gaussian.MeanNorm:F3}, top-{gaussian.Components} principal variance " +
                          $"{gaussian.PrincipalVariance:F3} of {gaussian.TotalVariance:F3} total, residual σ {gaussian.ResidualSigma:F4} per dimension");
        return (data, rowIdentity);
    }
}

/// <summary>A Gaussian fitted to real embeddings: the mean, the covariance inside the top principal subspace
/// (found by subspace iteration, sampled through its Cholesky factor), and an isotropic residual carrying the
/// variance left outside it. The residual is added in every direction, which inflates each principal variance
/// by σ² (≈ 1e-3 of the largest ones here): simpler than projecting it out, and immaterial for distractors.</summary>
internal sealed class FittedGaussian
{
    private readonly int _d, _r;
    private readonly float[] _mean, _basis, _cholesky; // basis: r rows of d (orthonormal); cholesky: r x r lower
    public float ResidualSigma { get; }
    public int Components => _r;
    public double MeanNorm => TensorPrimitives.Norm(_mean);
    public double PrincipalVariance { get; }
    public double TotalVariance { get; }

    private FittedGaussian(int d, int r, float[] mean, float[] basis, float[] cholesky, float residualSigma, double principal, double total)
    {
        (_d, _r, _mean, _basis, _cholesky, ResidualSigma, PrincipalVariance, TotalVariance) = (d, r, mean, basis, cholesky, residualSigma, principal, total);
    }

    public static FittedGaussian Fit(float[] rows, int d, int components)
    {
        int n = rows.Length / d, r = Math.Min(components, d - 1);
        var mean = new double[d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) mean[j] += rows[i * d + j];
        for (int j = 0; j < d; j++) mean[j] /= n;
        // Covariance, d x d, in double (n is a few thousand, so this is ~1 GFLOP).
        var cov = new double[d * d];
        var centred = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++) centred[j] = rows[i * d + j] - mean[j];
            for (int a = 0; a < d; a++)
            {
                double ca = centred[a];
                var row = cov.AsSpan(a * d, d);
                for (int b = 0; b < d; b++) row[b] += ca * centred[b];
            }
        }
        for (int k = 0; k < cov.Length; k++) cov[k] /= n - 1;
        double total = 0;
        for (int j = 0; j < d; j++) total += cov[j * d + j];

        // Subspace iteration: Q ← orth(C·Q), 40 rounds from a seeded random start.
        var q = new double[r * d];
        var random = new Random(3);
        for (int k = 0; k < q.Length; k++) q[k] = random.NextDouble() - 0.5;
        Orthonormalise(q, r, d);
        var next = new double[r * d];
        for (int round = 0; round < 40; round++)
        {
            MultiplyRows(cov, q, next, r, d);
            (q, next) = (next, q);
            Orthonormalise(q, r, d);
        }
        // B = Qᵀ C Q (r x r), then its Cholesky factor.
        MultiplyRows(cov, q, next, r, d);
        var b2 = new double[r * r];
        for (int a = 0; a < r; a++)
            for (int c = 0; c < r; c++)
            {
                double s = 0;
                for (int j = 0; j < d; j++) s += q[a * d + j] * next[c * d + j];
                b2[a * r + c] = s;
            }
        double principal = 0;
        for (int a = 0; a < r; a++) principal += b2[a * r + a];
        var l = Cholesky(b2, r);
        double residual = Math.Max(0, (total - principal) / (d - r));
        return new FittedGaussian(d, r, mean.Select(x => (float)x).ToArray(), q.Select(x => (float)x).ToArray(),
            l.Select(x => (float)x).ToArray(), (float)Math.Sqrt(residual), principal, total);
    }

    /// <summary>out[k] = C · q[k] for each of the r rows of q (C symmetric).</summary>
    private static void MultiplyRows(double[] c, double[] q, double[] result, int r, int d)
    {
        Parallel.For(0, r, k =>
        {
            var qk = q.AsSpan(k * d, d);
            for (int a = 0; a < d; a++) result[k * d + a] = TensorPrimitives.Dot<double>(c.AsSpan(a * d, d), qk);
        });
    }

    private static void Orthonormalise(double[] q, int r, int d)
    {
        for (int k = 0; k < r; k++)
        {
            var row = q.AsSpan(k * d, d);
            for (int p = 0; p < k; p++)
            {
                var previous = q.AsSpan(p * d, d);
                double dot = TensorPrimitives.Dot<double>(row, previous);
                TensorPrimitives.MultiplyAdd(previous, -dot, row, row);
            }
            double norm = TensorPrimitives.Norm<double>(row);
            TensorPrimitives.Divide(row, norm, row);
        }
    }

    private static double[] Cholesky(double[] a, int r)
    {
        var l = new double[r * r];
        for (int i = 0; i < r; i++)
            for (int j = 0; j <= i; j++)
            {
                double s = a[i * r + j];
                for (int k = 0; k < j; k++) s -= l[i * r + k] * l[j * r + k];
                l[i * r + j] = i == j ? Math.Sqrt(Math.Max(s, 1e-12)) : s / l[j * r + j];
            }
        return l;
    }

    /// <summary>n normalised rows: mean + Qᵀ·(L·z) + σ·w, z and w standard normal, each block of rows from its own seed.</summary>
    public float[] Sample(int n, int seed)
    {
        int d = _d, r = _r;
        var data = new float[(long)n * d <= int.MaxValue ? n * d : throw new ArgumentOutOfRangeException(nameof(n))];
        const int Block = 4096;
        Parallel.For(0, (n + Block - 1) / Block, block =>
        {
            var random = new Random(SyntheticVectors.Seed(seed, block, 11));
            var z = new float[r];
            var coefficients = new float[r];
            int last = Math.Min(n, (block + 1) * Block);
            for (int row = block * Block; row < last; row++)
            {
                var v = data.AsSpan(row * d, d);
                SyntheticVectors.FillGaussian(random, z, 1f);
                for (int i = 0; i < r; i++) coefficients[i] = TensorPrimitives.Dot(_cholesky.AsSpan(i * r, i + 1), z.AsSpan(0, i + 1));
                SyntheticVectors.FillGaussian(random, v, ResidualSigma);
                TensorPrimitives.Add(v, _mean, v);
                for (int i = 0; i < r; i++) TensorPrimitives.MultiplyAdd(_basis.AsSpan(i * d, d), coefficients[i], v, v);
                SyntheticVectors.Normalize(v);
            }
        });
        return data;
    }
}
