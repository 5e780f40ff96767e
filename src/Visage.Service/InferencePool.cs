using Visage.Engine;

namespace Visage.Service;

public sealed class InferenceOptions
{
    /// <summary>Images analysed at once; default one per core (the engine runs one intra-op thread per session).</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;
    /// <summary>Requests allowed to wait for a worker before new ones get 503 SERVICE_OVERLOADED.</summary>
    public int QueueCapacity { get; set; } = 64;
    public int RetryAfterSeconds { get; set; } = 1;
}

/// <summary>Runs model inference on a bounded number of workers with a bounded wait queue, so a burst of
/// uploads queues (and then is refused) instead of running dozens of analyses at once and exhausting memory.</summary>
public sealed class InferencePool : IDisposable
{
    readonly IFaceEngine _engine;
    readonly SemaphoreSlim _workers;
    readonly InferenceOptions _options;
    int _waiting;

    public InferencePool(IFaceEngine engine, InferenceOptions options)
    {
        _engine = engine;
        _options = options;
        _workers = new SemaphoreSlim(Math.Max(1, options.Workers));
    }

    public EngineInfo Info => _engine.Info;
    public int Waiting => Volatile.Read(ref _waiting);
    public int Busy => Math.Max(1, _options.Workers) - _workers.CurrentCount;

    public Task<FaceAnalysis> AnalyzeAsync(ReadOnlyMemory<byte> image, AnalyzeOptions options, CancellationToken ct) =>
        RunAsync(() =>
        {
            try { return _engine.Analyze(image.Span, options); }
            catch (ImageException e) { throw ImageErrors.ToApi(e); }
        }, ct);

    public Task<float[]> EmbedCropAsync(ReadOnlyMemory<byte> crop, CancellationToken ct) =>
        RunAsync(() => _engine.EmbedAlignedCrop(crop.Span), ct);

    async Task<T> RunAsync<T>(Func<T> work, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _waiting) > _options.QueueCapacity + Math.Max(1, _options.Workers))
        {
            Interlocked.Decrement(ref _waiting);
            throw new ServiceOverloadedException(_options.RetryAfterSeconds);
        }
        try { await _workers.WaitAsync(ct); }
        finally { Interlocked.Decrement(ref _waiting); }
        try
        {
            ct.ThrowIfCancellationRequested();
            // Inference is synchronous CPU work; running it here keeps one thread per worker slot.
            return work();
        }
        finally { _workers.Release(); }
    }

    public void Dispose() => _workers.Dispose();
}
