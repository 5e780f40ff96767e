using Visage.Storage;

namespace Visage.Storage.Tests;

/// <summary>Builds records with fresh ids. Embeddings are synthetic unit vectors: the store keeps bytes, it
/// does not interpret them, so real model output adds nothing here.</summary>
static class Samples
{
    public const int Dimension = 512;
    public const int CropBytes = 112 * 112 * 3;
    static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    static long clock;

    /// <summary>Strictly increasing times, so creation order is known without sleeping.</summary>
    public static DateTimeOffset Tick() => Epoch.AddMilliseconds(Interlocked.Increment(ref clock));

    public static WorkspaceRecord Workspace() => new(Ids.New("ws"), "workspace", Tick());

    public static CollectionRecord Collection(string workspaceId, string name = "people") =>
        new(Ids.New("col"), workspaceId, name, "test collection", """{"match_threshold":0.4}""", "fr_feature@1", Tick(), Tick());

    public static FaceRecord Face(string collectionId, string externalId = "person-1", DateTimeOffset? at = null)
    {
        var t = at ?? Tick();
        return new FaceRecord(Ids.New("face"), collectionId, externalId, """{"team":"blue"}""", 0.91f, 0.87f,
            10, 20, 120, 140, 1, "fr_feature@1", t, t);
    }

    public static ReferenceRecord Reference(FaceRecord face, ReferenceSource source = ReferenceSource.Enroll, bool crop = true,
        int seed = 0) =>
        new(0, Ids.New("ref"), face.Id, face.CollectionId, source, 0.8f, Embedding(seed == 0 ? Random.Shared.Next() : seed),
            crop ? Crop(seed) : null, Tick());

    public static float[] Embedding(int seed)
    {
        var random = new Random(seed);
        var v = new float[Dimension];
        double norm = 0;
        for (int i = 0; i < v.Length; i++) { v[i] = (float)(random.NextDouble() * 2 - 1); norm += v[i] * v[i]; }
        float scale = (float)(1 / Math.Sqrt(norm));
        for (int i = 0; i < v.Length; i++) v[i] *= scale;
        return v;
    }

    public static byte[] Crop(int seed)
    {
        var bytes = new byte[CropBytes];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static ApiKeyRecord Key(string workspaceId, params string[] scopes) =>
        new(Ids.New("key"), workspaceId, "ci", "fr_live_AbCd", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32),
            scopes, Tick(), null, null);
}
