using Visage.Cli.Commands;
using Visage.Service;
using Visage.Storage;

namespace Visage.Cli.Operations;

public sealed record RestoreOptions(string? Name, bool Reembed, bool NewIds, int Workers);

/// <summary>What a restore did. <see cref="Dropped"/> lists what could not come back (a reference without a crop
/// when re-embedding; a face whose primary reference had none).</summary>
public sealed record RestoreResult(string CollectionId, string Name, bool IdsPreserved, int Faces, int References, int Reembedded,
    IReadOnlyList<string> Dropped);

/// <summary>Restores an export into a new collection of a store. Ids (collection, faces, references) are kept when the
/// collection id is free in that store — a fresh store, or the original deleted — and all remapped otherwise, so a
/// restore never merges into or collides with a live collection. An export of another model version is refused unless
/// re-embedding from its crops.</summary>
public static class CollectionRestorer
{
    const int BatchSize = 200;

    public static async Task<RestoreResult> RestoreAsync(LocalService local, CollectionArchive.Reader archive, RestoreOptions options,
        Action<int>? onFace, CancellationToken ct)
    {
        var engine = local.Engine.Info;
        var header = archive.Header;
        bool sameModel = header.ModelVersion == engine.ModelVersion && (header.EmbeddingSize == 0 || header.EmbeddingSize == engine.EmbeddingSize);
        if (!sameModel && !options.Reembed)
            throw new UsageException($"the export's model is {header.ModelVersion} ({header.EmbeddingSize}-d), this engine's is " +
                $"{engine.ModelVersion} ({engine.EmbeddingSize}-d): add --reembed to recompute the embeddings from the stored crops");
        var modelVersion = options.Reembed ? engine.ModelVersion : header.ModelVersion;

        var now = DateTimeOffset.UtcNow;
        var source = archive.Collection;
        var target = source with
        {
            WorkspaceId = local.Caller.WorkspaceId, Name = options.Name ?? source.Name, ModelVersion = modelVersion, FaceCount = 0, UpdatedAt = now,
        };
        bool preserve = !options.NewIds && Ids.IsValid(source.Id, "col");
        if (preserve)
        {
            try { await local.Store.CreateCollectionAsync(target, ct); }
            catch (StoreConflictException) { preserve = false; }
        }
        if (!preserve)
        {
            target = target with { Id = Ids.New("col"), CreatedAt = now };
            await local.Store.CreateCollectionAsync(target, ct);
        }

        var dropped = new List<string>();
        int faces = 0, references = 0, reembedded = 0;
        var batch = new List<ArchivedFace>(BatchSize);
        async Task FlushAsync()
        {
            if (options.Reembed) reembedded += await ReembedAsync(local, batch, options.Workers, ct);
            var primaries = new List<(FaceRecord, ReferenceRecord)>(batch.Count);
            var autos = new List<ReferenceRecord>();
            foreach (var f in batch)
            {
                var faceId = preserve ? f.Face.Id : Ids.New("face");
                var face = f.Face with { Id = faceId, CollectionId = target.Id, ModelVersion = modelVersion };
                ReferenceRecord? primary = null;
                foreach (var r in f.References)
                {
                    if (r.Embedding.Length != engine.EmbeddingSize)
                    {
                        dropped.Add($"face {f.Face.Id} reference {r.Id}: {(options.Reembed ? "no crop to re-embed from" : $"{r.Embedding.Length}-d embedding")}");
                        continue;
                    }
                    var record = new ReferenceRecord(0, preserve ? r.Id : Ids.New("ref"), faceId, target.Id, r.Source, r.QualityScore, r.Embedding, r.Crop, r.CreatedAt);
                    if (r.Source == ReferenceSource.Enroll && primary is null) primary = record;
                    else autos.Add(record);
                }
                if (primary is null)
                {
                    dropped.Add($"face {f.Face.Id} ({f.Face.ExternalId}): its primary reference could not be restored");
                    autos.RemoveAll(a => a.FaceId == faceId);
                    continue;
                }
                primaries.Add((face, primary));
            }
            if (primaries.Count > 0) await local.Store.InsertFacesAsync(primaries, ct);
            foreach (var a in autos) await local.Store.AddReferenceAsync(a, int.MaxValue, ct);
            faces += primaries.Count;
            references += primaries.Count + autos.Count;
            batch.Clear();
            onFace?.Invoke(faces);
        }

        try
        {
            await foreach (var face in archive.FacesAsync(ct))
            {
                batch.Add(face);
                if (batch.Count == BatchSize) await FlushAsync();
            }
            await FlushAsync();
        }
        catch
        {
            // A damaged file or an interruption must not leave half a collection that looks restored.
            await local.Store.DeleteCollectionAsync(target.WorkspaceId, target.Id, CancellationToken.None);
            throw;
        }
        return new RestoreResult(target.Id, target.Name, preserve, faces, references, reembedded, dropped);
    }

    /// <summary>Replaces each reference's embedding by the current engine's embedding of its crop; a reference without
    /// a crop gets an empty embedding, which the caller drops.</summary>
    static async Task<int> ReembedAsync(LocalService local, List<ArchivedFace> batch, int workers, CancellationToken ct)
    {
        var work = new List<(int Face, int Ref)>();
        var refs = new List<ArchivedReference>[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            refs[i] = [.. batch[i].References];
            for (int j = 0; j < refs[i].Count; j++) work.Add((i, j));
        }
        int done = 0;
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = ct }, async (w, token) =>
        {
            var r = refs[w.Face][w.Ref];
            var embedding = r.Crop is null ? [] : await local.Pool.EmbedCropAsync(r.Crop, token);
            refs[w.Face][w.Ref] = r with { Embedding = embedding, ModelVersion = local.Engine.Info.ModelVersion };
            if (r.Crop is not null) Interlocked.Increment(ref done);
        });
        for (int i = 0; i < batch.Count; i++) batch[i] = batch[i] with { References = refs[i] };
        return done;
    }
}
