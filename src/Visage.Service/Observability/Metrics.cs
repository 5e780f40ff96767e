using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Visage.Service.Observability;

/// <summary>A Prometheus histogram: cumulative buckets in seconds, lock-free updates.</summary>
public sealed class Histogram(double[] bounds)
{
    readonly long[] _counts = new long[bounds.Length + 1];
    long _sumMicros;
    long _count;

    public static readonly double[] LatencyBounds = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12];

    public void Observe(double seconds)
    {
        int i = 0;
        while (i < bounds.Length && seconds > bounds[i]) i++;
        Interlocked.Increment(ref _counts[i]);
        Interlocked.Add(ref _sumMicros, (long)(seconds * 1e6));
        Interlocked.Increment(ref _count);
    }

    public void Write(StringBuilder sb, string name, string labels)
    {
        long cumulative = 0;
        var sep = labels.Length > 0 ? "," : "";
        for (int i = 0; i < bounds.Length; i++)
        {
            cumulative += Volatile.Read(ref _counts[i]);
            sb.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"")
              .Append(bounds[i].ToString(CultureInfo.InvariantCulture)).Append("\"} ").Append(cumulative).Append('\n');
        }
        cumulative += Volatile.Read(ref _counts[^1]);
        sb.Append(name).Append("_bucket{").Append(labels).Append(sep).Append("le=\"+Inf\"} ").Append(cumulative).Append('\n');
        sb.Append(name).Append("_sum{").Append(labels).Append("} ")
          .Append((Volatile.Read(ref _sumMicros) / 1e6).ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append(name).Append("_count{").Append(labels).Append("} ").Append(Volatile.Read(ref _count)).Append('\n');
    }
}

/// <summary>Hand-written Prometheus exposition (no exporter package restores here): HTTP requests by
/// route and status, pipeline stage latencies, and whatever gauges the host registers.</summary>
public sealed class MetricsRegistry
{
    readonly ConcurrentDictionary<(string Route, string Method, int Status), long> _requests = new();
    readonly ConcurrentDictionary<(string Route, string Method), Histogram> _latency = new();
    readonly ConcurrentDictionary<string, Histogram> _stages = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, long> _events = new(StringComparer.Ordinal);
    readonly List<Action<StringBuilder>> _gauges = [];

    public void ObserveRequest(string route, string method, int status, double seconds)
    {
        _requests.AddOrUpdate((route, method, status), 1, static (_, v) => v + 1);
        _latency.GetOrAdd((route, method), static _ => new Histogram(Histogram.LatencyBounds)).Observe(seconds);
    }

    public void ObserveStage(string stage, double milliseconds) =>
        _stages.GetOrAdd(stage, static _ => new Histogram(Histogram.LatencyBounds)).Observe(milliseconds / 1000.0);

    public void Count(string evt) => _events.AddOrUpdate(evt, 1, static (_, v) => v + 1);

    /// <summary>Registers a callback that writes gauge lines at scrape time.</summary>
    public void AddGauges(Action<StringBuilder> write) { lock (_gauges) _gauges.Add(write); }

    public string Render()
    {
        var sb = new StringBuilder(8192);
        sb.Append("# HELP visage_http_requests_total HTTP requests by route template, method and status.\n# TYPE visage_http_requests_total counter\n");
        foreach (var (k, v) in _requests)
            sb.Append("visage_http_requests_total{route=\"").Append(Escape(k.Route)).Append("\",method=\"").Append(k.Method)
              .Append("\",status=\"").Append(k.Status).Append("\"} ").Append(v).Append('\n');
        sb.Append("# HELP visage_http_request_duration_seconds End-to-end request latency by route template.\n# TYPE visage_http_request_duration_seconds histogram\n");
        foreach (var (k, h) in _latency)
            h.Write(sb, "visage_http_request_duration_seconds", $"route=\"{Escape(k.Route)}\",method=\"{k.Method}\"");
        sb.Append("# HELP visage_pipeline_stage_duration_seconds Face pipeline stage latency.\n# TYPE visage_pipeline_stage_duration_seconds histogram\n");
        foreach (var (stage, h) in _stages)
            h.Write(sb, "visage_pipeline_stage_duration_seconds", $"stage=\"{stage}\"");
        sb.Append("# HELP visage_events_total Service events (auto_enroll, overloaded, ...).\n# TYPE visage_events_total counter\n");
        foreach (var (evt, v) in _events)
            sb.Append("visage_events_total{event=\"").Append(evt).Append("\"} ").Append(v).Append('\n');
        lock (_gauges) foreach (var g in _gauges) g(sb);
        return sb.ToString();
    }

    static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
