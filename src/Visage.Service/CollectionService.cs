using System.Text.Json;
using Visage.Storage;

namespace Visage.Service;

public sealed record CreateCollectionRequest(string? Name, string? Description, JsonElement? Settings);
public sealed record UpdateCollectionRequest(string? Name, string? Description, JsonElement? Settings);

public sealed class CollectionService(IFaceStore store, IndexManager indexes, FacePipeline pipeline, TimeProvider clock, AuditLog? audit = null)
{
    public async Task<CollectionView> CreateAsync(Caller caller, CreateCollectionRequest request, CancellationToken ct)
    {
        caller.Require(Scopes.Write);
        var name = ValidateName(request.Name);
        var description = ValidateDescription(request.Description);
        var settings = new CollectionSettings().Merge(request.Settings);
        var now = clock.GetUtcNow();
        var record = new CollectionRecord(Ids.New("col"), caller.WorkspaceId, name, description, settings.ToJson(),
            pipeline.Info.ModelVersion, now, now);
        await store.CreateCollectionAsync(record, ct);
        indexes.EnsureCollection(record.Id);
        if (audit is not null) await audit.RecordAsync(caller, AuditActions.CollectionCreated, "collection", record.Id, record.Id);
        return Views.Collection(record, pipeline.Thresholds);
    }

    public async Task<PageView<CollectionView>> ListAsync(Caller caller, int? page, int? pageSize, CancellationToken ct)
    {
        caller.Require(Scopes.Read);
        var (p, s) = Paging.Validate(page, pageSize);
        var result = await store.ListCollectionsAsync(caller.WorkspaceId, p, s, ct);
        return Paging.Map(result, r => Views.Collection(r, pipeline.Thresholds));
    }

    public async Task<CollectionView> GetAsync(Caller caller, string collectionId, CancellationToken ct)
    {
        caller.Require(Scopes.Read);
        return Views.Collection(await RequireAsync(caller, collectionId, ct, countFaces: true), pipeline.Thresholds);
    }

    public async Task<CollectionView> UpdateAsync(Caller caller, string collectionId, UpdateCollectionRequest request, CancellationToken ct)
    {
        caller.Require(Scopes.Write);
        var current = await RequireAsync(caller, collectionId, ct, countFaces: true);
        var updated = current with
        {
            Name = request.Name is null ? current.Name : ValidateName(request.Name),
            Description = request.Description is null ? current.Description : ValidateDescription(request.Description),
            SettingsJson = CollectionSettings.FromJson(current.SettingsJson).Merge(request.Settings).ToJson(),
            UpdatedAt = clock.GetUtcNow(),
        };
        if (!await store.UpdateCollectionAsync(updated, ct)) throw new CollectionNotFoundException(collectionId);
        return Views.Collection(updated, pipeline.Thresholds);
    }

    public async Task<DeletedView> DeleteAsync(Caller caller, string collectionId, CancellationToken ct)
    {
        caller.Require(Scopes.Write);
        if (!await store.DeleteCollectionAsync(caller.WorkspaceId, collectionId, ct)) throw new CollectionNotFoundException(collectionId);
        indexes.DropCollection(collectionId);
        if (audit is not null) await audit.RecordAsync(caller, AuditActions.CollectionDeleted, "collection", collectionId, collectionId);
        return new DeletedView(CollectionId: collectionId);
    }

    /// <summary>The caller's collection, or 404 — another workspace's id is indistinguishable from an unknown one.
    /// FaceCount is 0 unless <paramref name="countFaces"/>: counting costs a scan of the collection's faces.</summary>
    public async Task<CollectionRecord> RequireAsync(Caller caller, string collectionId, CancellationToken ct, bool countFaces = false)
    {
        if (!Ids.IsValid(collectionId, "col")) throw new CollectionNotFoundException(collectionId);
        var record = countFaces
            ? await store.GetCollectionAsync(caller.WorkspaceId, collectionId, ct)
            : await store.GetCollectionUncountedAsync(caller.WorkspaceId, collectionId, ct);
        return record ?? throw new CollectionNotFoundException(collectionId);
    }

    static string ValidateName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ValidationFailedException("name is required.", "name");
        if (name.Length > 200) throw new ValidationFailedException("name must be at most 200 characters.", "name");
        return name.Trim();
    }

    static string? ValidateDescription(string? d)
    {
        if (d is { Length: > 2000 }) throw new ValidationFailedException("description must be at most 2000 characters.", "description");
        return d;
    }
}
