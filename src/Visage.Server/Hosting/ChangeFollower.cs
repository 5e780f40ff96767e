using Visage.Service;
using Visage.Storage;

namespace Visage.Server.Hosting;

/// <summary>Keeps this instance's indexes in step with writes made by other instances on the same store, by
/// replaying the store's change log (woken by the store's notifications, else polling). Replaying this
/// instance's own changes is harmless: adds are skipped when present, removals are idempotent, and the
/// tombstones stop a late add of a deleted face.</summary>
public sealed class ChangeFollower(IFaceStore store, IndexManager indexes, Readiness readiness, ILogger<ChangeFollower> log) : BackgroundService
{
    /// <summary>Polling period for stores without notifications.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>After a normal start, Kestrel listens once the notification listener is connected too, so an instance is
    /// ready (/readyz requires the listener) as soon as it accepts requests, as it was before /readyz required it.</summary>
    public override async Task StartAsync(CancellationToken ct)
    {
        await base.StartAsync(ct);
        if (!readiness.IndexesLoaded || store is not IChangeNotifications notifications) return;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        while (!notifications.IsListening && System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5))
            await Task.Delay(10, ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try { await readiness.WhenIndexesLoaded.WaitAsync(stoppingToken); }
        catch (OperationCanceledException) { return; }
        await RunAsync(PollInterval, stoppingToken);
    }

    long _seq;

    public long Position => Interlocked.Read(ref _seq);

    /// <summary>Call before the index load: changes committed during the load are then replayed, not lost.</summary>
    public async Task MarkStartAsync(CancellationToken ct) => Interlocked.Exchange(ref _seq, await store.GetLatestChangeSeqAsync(ct));

    public async Task RunAsync(TimeSpan pollInterval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await CatchUpAsync(ct);
                if (store is IChangeNotifications notifications)
                    await foreach (var _ in notifications.ListenAsync(ct)) await CatchUpAsync(ct);
                else
                    await Task.Delay(pollInterval, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // An outage is expected operation (/readyz reports it): its reason, not a stack trace.
                if (e is StoreUnavailableException) log.LogWarning("Following the change log paused at seq {Seq}: {Reason}; retrying", Position, e.Message);
                else log.LogWarning(e, "Following the change log failed at seq {Seq}; retrying", Position);
                try { await Task.Delay(pollInterval, ct); } catch (OperationCanceledException) { return; }
            }
        }
    }

    // One catch-up at a time: /readyz may catch up beside the background loop, and the position must only move forward.
    readonly SemaphoreSlim _catchUp = new(1, 1);

    public async Task CatchUpAsync(CancellationToken ct)
    {
        await _catchUp.WaitAsync(ct);
        try
        {
            await ReloadIfLogWasPrunedPastUsAsync(ct);
            while (true)
            {
                var changes = await store.GetChangesSinceAsync(Position, 1000, ct);
                foreach (var change in changes)
                {
                    await ApplyAsync(change, ct);
                    Interlocked.Exchange(ref _seq, change.Seq);
                }
                if (changes.Count < 1000) return;
            }
        }
        finally { _catchUp.Release(); }
    }

    volatile bool _reloading;

    /// <summary>Housekeeping prunes old change rows; an instance cut off from the store for longer than that retention
    /// cannot catch up from the log, so it rebuilds its indexes from the store (not ready meanwhile). A sequence gap
    /// left by a rolled-back write at the very edge can trigger a needless reload: harmless, and rare.</summary>
    async Task ReloadIfLogWasPrunedPastUsAsync(CancellationToken ct)
    {
        long position = Position, oldest = await store.GetOldestChangeSeqAsync(ct);
        if (oldest <= position + 1) return;
        log.LogWarning("The change log no longer holds the changes after seq {Seq} (oldest kept: {Oldest}); reloading the indexes from the store",
            position, oldest);
        _reloading = true;
        try
        {
            await MarkStartAsync(ct);
            await indexes.ReloadAllAsync(store, ct);
        }
        catch
        {
            // The old indexes stay; going back makes the next catch-up try the reload again.
            Interlocked.Exchange(ref _seq, position);
            throw;
        }
        finally { _reloading = false; }
    }

    /// <summary>True when the indexes hold every change the store had committed when asked (catching up first if behind)
    /// and the store's notifications are connected, so the next change on another instance arrives at once too: after an
    /// outage the store answers before the listener has reconnected, and a change made in that gap would wait for it.</summary>
    public async Task<bool> IsCurrentAsync(CancellationToken ct)
    {
        if (store is IChangeNotifications { IsListening: false }) return false;
        if (_reloading) return false;
        var latest = await store.GetLatestChangeSeqAsync(ct);
        if (Position >= latest) return true;
        await CatchUpAsync(ct);
        return Position >= latest;
    }

    async Task ApplyAsync(ChangeRecord change, CancellationToken ct)
    {
        switch (change.Kind)
        {
            case ChangeKind.ReferenceAdded when change.ReferenceKey is { } key && !indexes.Contains(change.CollectionId, key):
                if (await store.GetReferenceAsync(key, ct) is not { } reference || reference.Embedding.Length != indexes.Dimension) return;
                if (await store.GetFaceAsync(change.CollectionId, reference.FaceId, ct) is not { } face) return;
                indexes.Add(change.CollectionId, key, face.Id, face.ExternalId, reference.Embedding);
                break;
            case ChangeKind.ReferenceRemoved when change.ReferenceKey is { } key:
                indexes.RemoveReferences(change.CollectionId, [key]);
                break;
            case ChangeKind.FaceDeleted when change.FaceId is { } faceId:
                indexes.MarkFaceDeleted(change.CollectionId, faceId);
                break;
            case ChangeKind.CollectionDeleted:
                indexes.DropCollection(change.CollectionId);
                break;
        }
    }
}
