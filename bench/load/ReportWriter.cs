using System.Globalization;
using System.Text;

namespace Visage.Bench.Load;

/// <summary>The load report as text (a table per operation and of memory) and memory over time as an SVG plot.</summary>
public static class ReportWriter
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    const double MB = 1024 * 1024;

    public static string Text(LoadReport r)
    {
        var s = new StringBuilder();
        s.AppendLine(Inv, $"duration {r.Seconds:F1} s, {r.Requests} requests, {r.PerSecond:F2} req/s overall");
        s.AppendLine("op         requests   req/s    p50 ms    p95 ms    p99 ms    max ms  statuses");
        foreach (var o in r.Ops)
        {
            var statuses = new StringBuilder();
            foreach (var (status, n) in o.ByStatus) statuses.Append(Inv, $"{(status == 0 ? "no-answer" : status.ToString(Inv))}×{n} ");
            s.AppendLine(Inv, $"{o.Op,-10} {o.Requests,8} {o.PerSecond,7:F2} {o.P50Ms,9:F0} {o.P95Ms,9:F0} {o.P99Ms,9:F0} {o.MaxMs,9:F0}  {statuses}");
        }
        s.AppendLine(Inv, $"5xx: {r.ServerErrors}   timeouts: {r.Timeouts}");
        s.AppendLine(Inv, $"enrolled {r.EnrollsOk}, deleted {r.DeletesOk}, face_count {r.FaceCount}, list total {r.ListedTotal}, " +
            $"deleted faces returned by identify {r.DeletedFacesReturnedByIdentify}");
        s.AppendLine(r.Inconsistencies.Count == 0 ? "consistency: OK" : "consistency: FAILED\n  " + string.Join("\n  ", r.Inconsistencies));
        if (r.Memory.Count > 0)
        {
            s.AppendLine("   t s    RSS MB   heap MB");
            foreach (var m in r.Memory) s.AppendLine(Inv, $"{m.Seconds,6:F0} {m.RssBytes / MB,9:F1} {m.HeapBytes / MB,9:F1}");
        }
        return s.ToString();
    }

    /// <summary>RSS and managed heap (MB) against time (s), both lines on one axis starting at zero so growth is not exaggerated.</summary>
    public static string MemorySvg(IReadOnlyList<MemorySample> samples, string title)
    {
        const int W = 720, H = 360, L = 60, R = 20, T = 40, B = 50;
        double maxT = 1, maxMb = 1;
        foreach (var m in samples) { maxT = Math.Max(maxT, m.Seconds); maxMb = Math.Max(maxMb, Math.Max(m.RssBytes, m.HeapBytes) / MB); }
        maxMb = Math.Ceiling(maxMb / 100) * 100;
        double X(double t) => L + t / maxT * (W - L - R);
        double Y(double mb) => H - B - mb / maxMb * (H - T - B);
        var s = new StringBuilder();
        s.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">");
        s.AppendLine(Inv, $"<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/><text x=\"{L}\" y=\"22\" font-size=\"14\">{Escape(title)}</text>");
        for (int i = 0; i <= 5; i++)
        {
            double mb = maxMb * i / 5, y = Y(mb);
            s.AppendLine(Inv, $"<line x1=\"{L}\" y1=\"{y:F1}\" x2=\"{W - R}\" y2=\"{y:F1}\" stroke=\"#ddd\"/><text x=\"{L - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{mb:F0}</text>");
            double t = maxT * i / 5, x = X(t);
            s.AppendLine(Inv, $"<text x=\"{x:F1}\" y=\"{H - B + 16}\" text-anchor=\"middle\">{t:F0}</text>");
        }
        s.AppendLine(Inv, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 12}\" text-anchor=\"middle\">seconds</text><text x=\"14\" y=\"{(T + H - B) / 2}\" transform=\"rotate(-90 14 {(T + H - B) / 2})\" text-anchor=\"middle\">MB</text>");
        Line(s, samples, m => m.RssBytes / MB, "#c0392b", X, Y);
        Line(s, samples, m => m.HeapBytes / MB, "#2471a3", X, Y);
        s.AppendLine(Inv, $"<text x=\"{W - R - 150}\" y=\"{T + 4}\" fill=\"#c0392b\">process RSS</text><text x=\"{W - R - 150}\" y=\"{T + 20}\" fill=\"#2471a3\">managed heap</text>");
        s.AppendLine("</svg>");
        return s.ToString();
    }

    static void Line(StringBuilder s, IReadOnlyList<MemorySample> samples, Func<MemorySample, double> value, string color,
        Func<double, double> x, Func<double, double> y)
    {
        s.Append(Inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"");
        foreach (var m in samples) s.Append(Inv, $"{x(m.Seconds):F1},{y(value(m)):F1} ");
        s.AppendLine("\"/>");
    }

    static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;");
}
