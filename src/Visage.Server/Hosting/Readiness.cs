namespace Visage.Server.Hosting;

/// <summary>What /readyz reports besides the store ping.</summary>
public sealed class Readiness
{
    readonly TaskCompletionSource _indexesLoaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public volatile bool ModelsLoaded;

    public bool IndexesLoaded => _indexesLoaded.Task.IsCompleted;

    /// <summary>Completes once the indexes are loaded: the change follower waits for it, so it never replays the log
    /// into a half-loaded index (an instance that started while its store was down loads later).</summary>
    public Task WhenIndexesLoaded => _indexesLoaded.Task;

    public void MarkIndexesLoaded() => _indexesLoaded.TrySetResult();

    /// <summary>Why a start that was deferred (store down) failed once the store answered; the host is then stopping,
    /// and `visage serve` exits non-zero with this message.</summary>
    public volatile Exception? StartFailure;
}
