using Visage.Storage;

namespace Visage.Server.Hosting;

/// <summary>How long the store keeps what would otherwise grow forever (configuration section "Housekeeping").</summary>
public sealed class HousekeepingOptions
{
    /// <summary>A retry with the same Idempotency-Key within this window replays the first answer (24 h, as the big
    /// payment APIs do); later it is a new request.</summary>
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromHours(24);
    /// <summary>Change-log rows are kept this long. An instance cut off from the store for longer can no longer catch
    /// up from the log: it rebuilds its indexes from the store instead (see ChangeFollower).</summary>
    public TimeSpan ChangeRetention { get; set; } = TimeSpan.FromDays(7);
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>Prunes expired idempotency records and old change-log rows. Every instance runs it; the deletes are
/// idempotent, so instances on one store need no coordination.</summary>
public sealed class Housekeeping(IFaceStore store, HousekeepingOptions options, Readiness readiness, TimeProvider time,
    ILogger<Housekeeping> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before the schema is migrated and the indexes are loaded (the store may be down at start).
        try { await readiness.WhenIndexesLoaded.WaitAsync(stoppingToken); }
        catch (OperationCanceledException) { return; }
        using var timer = new PeriodicTimer(options.Interval, time);
        do
        {
            try { await RunOnceAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) { log.LogWarning(e, "Housekeeping failed; trying again in {Interval}", options.Interval); }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    public async Task<(long Idempotency, long Changes)> RunOnceAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        long idempotency = await store.PruneIdempotencyAsync(now - options.IdempotencyWindow, ct);
        long changes = await store.PruneChangesAsync(now - options.ChangeRetention, ct);
        if (idempotency + changes > 0)
            log.LogInformation("Housekeeping: pruned {Idempotency} idempotency records and {Changes} change-log rows", idempotency, changes);
        return (idempotency, changes);
    }
}
