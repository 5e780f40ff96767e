using System.Text.Json;
using Visage.Cli.Commands;
using Visage.Cli.Evaluation;

namespace Visage.Cli.Operations;

/// <summary>One file to enrol: where it is, as whom, with what metadata (a JSON object or null).</summary>
public sealed record ImportItem(string Path, string ExternalId, string? MetadataJson);

/// <summary>What <c>visage import</c> reads: a folder-per-person tree (ROOT/&lt;external_id&gt;/*.jpg|png|webp, plus
/// images directly in ROOT named after their external_id), or a CSV of <c>path,external_id[,metadata]</c> whose
/// relative paths are relative to the CSV's folder.</summary>
public static class ImportSource
{
    public static IReadOnlyList<ImportItem> Load(string source)
    {
        if (Directory.Exists(source)) return FromTree(Path.GetFullPath(source));
        if (File.Exists(source)) return FromCsv(Path.GetFullPath(source));
        throw new UsageException($"not a folder or CSV file: {source}");
    }

    static List<ImportItem> FromTree(string root)
    {
        var items = new List<ImportItem>();
        foreach (var file in Sorted(Directory.GetFiles(root)))
            if (IdentityDataset.IsImageFile(file)) items.Add(new ImportItem(file, Path.GetFileNameWithoutExtension(file), null));
        foreach (var dir in Sorted(Directory.GetDirectories(root)))
        {
            var person = Path.GetFileName(dir);
            if (person.StartsWith('.')) continue;
            foreach (var file in Sorted(Directory.GetFiles(dir)))
                if (IdentityDataset.IsImageFile(file)) items.Add(new ImportItem(file, person, null));
        }
        if (items.Count == 0) throw new UsageException($"no images in {root}: expected {root}/<external_id>/*.jpg|png|webp");
        return items;
    }

    static List<ImportItem> FromCsv(string csvPath)
    {
        var baseDir = Path.GetDirectoryName(csvPath)!;
        var items = new List<ImportItem>();
        using var reader = new StreamReader(csvPath);
        foreach (var (line, fields) in Csv.Read(reader))
        {
            if (items.Count == 0 && line == 1 && fields[0].Trim().Equals("path", StringComparison.OrdinalIgnoreCase)) continue; // header
            if (fields.Count < 2 || fields.Count > 3 || fields[0].Trim().Length == 0)
                throw new UsageException($"{csvPath} line {line}: expected path,external_id[,metadata]");
            var metadata = fields.Count == 3 && fields[2].Trim().Length > 0 ? fields[2].Trim() : null;
            if (metadata is not null && !IsJsonObject(metadata))
                throw new UsageException($"{csvPath} line {line}: metadata must be a JSON object");
            items.Add(new ImportItem(Path.GetFullPath(fields[0].Trim(), baseDir), fields[1].Trim(), metadata));
        }
        if (items.Count == 0) throw new UsageException($"{csvPath} lists no files");
        return items;
    }

    static bool IsJsonObject(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException) { return false; }
    }

    static string[] Sorted(string[] paths)
    {
        Array.Sort(paths, StringComparer.Ordinal);
        return paths;
    }
}
