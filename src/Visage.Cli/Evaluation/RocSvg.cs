using static System.FormattableString;
using System.Globalization;
using System.Text;

namespace Visage.Cli.Evaluation;

/// <summary>Draws a ROC curve as a self-contained SVG: log-scale false-accept rate across, true-accept rate up,
/// chance line, labelled axes, and one operating point marked with its threshold.</summary>
public static class RocSvg
{
    const double Width = 720, Height = 540, Left = 80, Right = 30, Top = 56, Bottom = 70;
    const double PlotW = Width - Left - Right, PlotH = Height - Top - Bottom;

    public static string Render(IReadOnlyList<RocPoint> roc, int negatives, OperatingPoint? marked, string markedLabel,
        string title, string subtitle)
    {
        // The smallest non-zero FAR is 1/negatives; start the axis at the decade below it. FAR 0 sits on the left edge.
        var minDecade = Math.Min(-1, (int)Math.Floor(Math.Log10(1.0 / Math.Max(1, negatives))));
        double X(double far) => Left + PlotW * (Math.Log10(Math.Max(far, Math.Pow(10, minDecade))) - minDecade) / -minDecade;
        double Y(double tar) => Top + PlotH * (1 - tar);

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\">{Escape(title)}</text>\n"));
        svg.Append(Invariant($"<text x=\"{Width / 2}\" y=\"44\" text-anchor=\"middle\" font-size=\"12\" fill=\"#444\">{Escape(subtitle)}</text>\n"));

        for (var d = minDecade; d <= 0; d++)
        {
            var x = X(Math.Pow(10, d));
            svg.Append(Invariant($"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{Top + PlotH}\" stroke=\"#ddd\"/>\n"));
            var label = d == 0 ? "1" : $"1e{d}";
            svg.Append(Invariant($"<text x=\"{x:0.#}\" y=\"{Top + PlotH + 18}\" text-anchor=\"middle\" font-size=\"12\">{label}</text>\n"));
            if (d < 0)
                for (var m = 2; m <= 9; m++) // minor ticks of the log scale
                {
                    var xm = X(m * Math.Pow(10, d));
                    svg.Append(Invariant($"<line x1=\"{xm:0.#}\" y1=\"{Top + PlotH}\" x2=\"{xm:0.#}\" y2=\"{Top + PlotH + 4}\" stroke=\"#888\"/>\n"));
                }
        }
        for (var i = 0; i <= 10; i += 2)
        {
            var tar = i / 10.0;
            var y = Y(tar);
            svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Left + PlotW}\" y2=\"{y:0.#}\" stroke=\"#ddd\"/>\n"));
            svg.Append(Invariant($"<text x=\"{Left - 8}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" font-size=\"12\">{tar:0.0}</text>\n"));
        }
        svg.Append(Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{PlotW}\" height=\"{PlotH}\" fill=\"none\" stroke=\"#333\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Left + PlotW / 2}\" y=\"{Height - 28}\" text-anchor=\"middle\" font-size=\"13\">False accept rate (log scale; FAR 0 drawn at the left edge)</text>\n"));
        svg.Append(Invariant($"<text transform=\"translate(22 {Top + PlotH / 2}) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">True accept rate</text>\n"));

        // Chance: TAR = FAR, a curve on a log axis.
        svg.Append("<polyline fill=\"none\" stroke=\"#999\" stroke-dasharray=\"5 4\" points=\"");
        for (var i = 0; i <= 60; i++)
        {
            var far = Math.Pow(10, minDecade + -minDecade * i / 60.0);
            svg.Append(Invariant($"{X(far):0.##},{Y(far):0.##} "));
        }
        svg.Append("\"/>\n");

        // The ROC as a staircase: between two thresholds only one of the rates changes at a time.
        svg.Append("<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2.2\" points=\"");
        for (var i = 0; i < roc.Count; i++)
        {
            if (i > 0) svg.Append(Invariant($"{X(roc[i].FalseAcceptRate):0.##},{Y(roc[i - 1].TrueAcceptRate):0.##} "));
            svg.Append(Invariant($"{X(roc[i].FalseAcceptRate):0.##},{Y(roc[i].TrueAcceptRate):0.##} "));
        }
        svg.Append("\"/>\n");

        if (marked is { } p)
        {
            var (mx, my) = (X(p.FalseAcceptRate), Y(p.TrueAcceptRate));
            svg.Append(Invariant($"<circle cx=\"{mx:0.##}\" cy=\"{my:0.##}\" r=\"6\" fill=\"#d62728\" stroke=\"white\" stroke-width=\"1.5\"/>\n"));
            var anchor = mx > Left + PlotW * 0.6 ? "end" : "start";
            var dx = anchor == "end" ? -10 : 10;
            svg.Append(Invariant($"<text x=\"{mx + dx:0.##}\" y=\"{my + 20:0.##}\" text-anchor=\"{anchor}\" font-size=\"12\" fill=\"#d62728\">{Escape(markedLabel)}</text>\n"));
        }
        // The legend sits bottom-left: the chance curve is still near zero there, and a useful ROC runs along the top.
        double lx = Left + 20, ly = Top + PlotH - 40;
        svg.Append(Invariant($"<g font-size=\"12\"><line x1=\"{lx:0.#}\" y1=\"{ly:0.#}\" x2=\"{lx + 30:0.#}\" y2=\"{ly:0.#}\" stroke=\"#1f5fbf\" stroke-width=\"2.2\"/>"));
        svg.Append(Invariant($"<text x=\"{lx + 38:0.#}\" y=\"{ly + 4:0.#}\">ROC</text>"));
        svg.Append(Invariant($"<line x1=\"{lx:0.#}\" y1=\"{ly + 20:0.#}\" x2=\"{lx + 30:0.#}\" y2=\"{ly + 20:0.#}\" stroke=\"#999\" stroke-dasharray=\"5 4\"/>"));
        svg.Append(Invariant($"<text x=\"{lx + 38:0.#}\" y=\"{ly + 24:0.#}\">chance (TAR = FAR)</text></g>\n"));
        svg.Append("</svg>\n");
        return svg.ToString();
    }


    static string Escape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
