using System.Numerics.Tensors;
using Visage.Storage;

namespace Visage.Cli.Operations;

/// <summary>What a re-embed did: references recomputed, the ones without a stored crop (left as they were), and how far
/// the new embeddings moved from the old ones (cosine; 1 means unchanged).</summary>
public sealed record ReembedResult(int Faces, int Reembedded, IReadOnlyList<string> WithoutCrop, float MinCosine, double MeanCosine,
    string ModelVersion, bool CollectionUpdated);

/// <summary>Recomputes every reference's embedding of a collection from its stored aligned crop with the current
/// engine, and moves the collection to the engine's model version once every reference has been recomputed.</summary>
public static class Reembedder
{
    public static async Task<ReembedResult> RunAsync(LocalService local, CollectionRecord collection, int workers, Action<int>? onFace,
        CancellationToken ct)
    {
        var modelVersion = local.Engine.Info.ModelVersion;
        var withoutCrop = new List<string>();
        int faces = 0, reembedded = 0;
        float minCosine = 1;
        double sumCosine = 0;
        var gate = new Lock();
        var pending = new List<(FaceRecord Face, ReferenceInfo Reference)>();

        async Task FlushAsync()
        {
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = ct },
                async (p, token) =>
                {
                    var old = await local.Store.GetReferenceAsync(p.Reference.Key, token);
                    if (old?.Crop is null)
                    {
                        lock (gate) withoutCrop.Add($"face {p.Face.Id} ({p.Face.ExternalId}) reference {p.Reference.Id}");
                        return;
                    }
                    var embedding = await local.Pool.EmbedCropAsync(old.Crop, token);
                    // Written even when cancelled meanwhile: an embedding computed is an embedding kept.
                    await local.Store.UpdateEmbeddingAsync(p.Reference.Key, embedding, modelVersion, CancellationToken.None);
                    float cosine = old.Embedding.Length == embedding.Length ? TensorPrimitives.CosineSimilarity(old.Embedding, embedding) : 0;
                    lock (gate)
                    {
                        reembedded++;
                        sumCosine += cosine;
                        minCosine = MathF.Min(minCosine, cosine);
                    }
                });
            pending.Clear();
        }

        await foreach (var (face, refs) in CollectionWalker.FacesAsync(local.Store, collection.Id, ct))
        {
            foreach (var r in refs) pending.Add((face, r));
            faces++;
            if (pending.Count >= 64) { await FlushAsync(); onFace?.Invoke(faces); }
        }
        await FlushAsync();
        onFace?.Invoke(faces);

        bool complete = withoutCrop.Count == 0;
        if (complete && collection.ModelVersion != modelVersion)
            await local.Store.UpdateCollectionAsync(collection with { ModelVersion = modelVersion, UpdatedAt = DateTimeOffset.UtcNow }, ct);
        return new ReembedResult(faces, reembedded, withoutCrop, reembedded == 0 ? float.NaN : minCosine,
            reembedded == 0 ? double.NaN : sumCosine / reembedded, modelVersion, complete);
    }
}
