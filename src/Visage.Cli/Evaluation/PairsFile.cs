namespace Visage.Cli.Evaluation;

/// <summary>A verification pair; paths are relative to the dataset root. <see cref="Fold"/> is -1 when the file
/// defines no folds (the caller then deals seeded folds).</summary>
public sealed record LabeledPair(string Image1, string Image2, bool Same, int Fold);

/// <summary>Reads the two pair-list formats <c>visage eval</c> accepts:
/// LFW <c>pairs.txt</c> (header "folds n": each fold is n same-person lines <c>name i j</c> then n different-person
/// lines <c>name1 i name2 j</c>, images <c>name/name_%04d.jpg</c>), and a TSV <c>image1 image2 same</c> with an
/// optional header and '#' comments.</summary>
public static class PairsFile
{
    /// <summary>The pairs file used when <c>--pairs</c> is absent, in order of preference.</summary>
    public static readonly string[] DefaultNames = ["pairs.txt", "pairs_dev_generated.tsv"];

    public static string? FindDefault(string datasetRoot) =>
        DefaultNames.Select(n => Path.Combine(datasetRoot, n)).FirstOrDefault(File.Exists);

    public static IReadOnlyList<LabeledPair> Read(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"pairs file not found: {path}");
        var lines = File.ReadAllLines(path)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
        if (lines.Count == 0) throw new DatasetException($"pairs file is empty: {path}");
        return IsLfwHeader(lines[0]) ? ReadLfw(path, lines) : ReadTsv(path, lines);
    }

    static bool IsLfwHeader(string line)
    {
        var parts = Split(line);
        return parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, out _));
    }

    static string[] Split(string line) => line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);

    static IReadOnlyList<LabeledPair> ReadLfw(string path, List<string> lines)
    {
        var header = Split(lines[0]).Select(int.Parse).ToArray();
        // "10 300": ten folds of 300 same + 300 different. A lone count (pairsDevTrain.txt) has no folds.
        var (folds, perHalf) = header.Length == 2 ? (header[0], header[1]) : (1, header[0]);
        if (folds < 1 || perHalf < 1) throw new DatasetException($"{path}: bad header '{lines[0]}'");
        var expected = folds * perHalf * 2;
        if (lines.Count - 1 != expected)
            throw new DatasetException($"{path}: header '{lines[0]}' promises {expected} pairs, the file has {lines.Count - 1}");
        var pairs = new List<LabeledPair>(expected);
        for (var i = 1; i < lines.Count; i++)
        {
            var p = Split(lines[i]);
            var fold = header.Length == 2 ? (i - 1) / (perHalf * 2) : -1;
            pairs.Add(p.Length switch
            {
                3 => new LabeledPair(LfwImage(path, i, p[0], p[1]), LfwImage(path, i, p[0], p[2]), true, fold),
                4 => new LabeledPair(LfwImage(path, i, p[0], p[1]), LfwImage(path, i, p[2], p[3]), false, fold),
                _ => throw new DatasetException($"{path}:{i + 1}: expected 'name n1 n2' or 'name1 n1 name2 n2'"),
            });
        }
        return pairs;
    }

    static string LfwImage(string path, int line, string name, string number) =>
        int.TryParse(number, out var n)
            ? $"{name}/{name}_{n:D4}.jpg"
            : throw new DatasetException($"{path}:{line + 1}: '{number}' is not an image number");

    static IReadOnlyList<LabeledPair> ReadTsv(string path, List<string> lines)
    {
        var pairs = new List<LabeledPair>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var p = lines[i].Split('\t');
            if (p.Length != 3) throw new DatasetException($"{path}: line '{lines[i]}' is not 'image1<TAB>image2<TAB>same'");
            var same = p[2].Trim() switch { "1" or "true" => (bool?)true, "0" or "false" => false, _ => null };
            if (same is null)
            {
                if (i == 0) continue; // a header row
                throw new DatasetException($"{path}: line '{lines[i]}': 'same' must be 1 or 0");
            }
            pairs.Add(new LabeledPair(p[0].Trim(), p[1].Trim(), same.Value, -1));
        }
        if (pairs.Count == 0) throw new DatasetException($"pairs file has no pairs: {path}");
        return pairs;
    }
}
