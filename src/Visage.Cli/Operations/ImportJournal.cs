using System.Text.Json;

namespace Visage.Cli.Operations;

public enum ImportStatus { Enrolled, Rejected, Failed, Skipped }

/// <summary>What happened to one file. Rejected: the service refused it for a reason of the photo (no face, quality,
/// liveness…); Failed: a transient trouble (network, overload) worth retrying; Skipped: enrolled by an earlier run.</summary>
public sealed record ImportOutcome(ImportStatus Status, string? FaceId = null, string? ErrorCode = null, string? Reasons = null)
{
    public static ImportOutcome Enrolled(string faceId) => new(ImportStatus.Enrolled, faceId);
    public static ImportOutcome Rejected(string code, string reasons) => new(ImportStatus.Rejected, null, code, reasons);
    public static ImportOutcome Failed(string code, string reasons) => new(ImportStatus.Failed, null, code, reasons);
}

/// <summary>One line per finished file, appended and flushed as each file finishes, so an interrupted import resumes
/// where it stopped. A file is the same file while its path, size and modification time are; it is done for a
/// collection once enrolled there. A line cut short by a crash is ignored.</summary>
public sealed class ImportJournal : IDisposable
{
    sealed record Entry(string Collection, string Path, long Size, long MtimeTicks, ImportStatus Status, string? FaceId,
        string? ExternalId, string? ErrorCode, string? Reasons);

    static readonly JsonSerializerOptions Json = new(CommandLineJson.Compact);

    readonly Dictionary<string, Entry> _done = new(StringComparer.Ordinal);
    readonly StreamWriter _writer;
    readonly Lock _gate = new();

    public ImportJournal(string path)
    {
        FilePath = Path.GetFullPath(path);
        if (File.Exists(FilePath))
            foreach (var line in File.ReadLines(FilePath))
            {
                Entry? e;
                try { e = JsonSerializer.Deserialize<Entry>(line, Json); }
                catch (JsonException) { continue; }
                if (e is not null) _done[Key(e.Collection, e.Path, e.Size, e.MtimeTicks)] = e;
            }
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        _writer = new StreamWriter(new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.Read));
    }

    public string FilePath { get; }

    /// <summary>The face an earlier run enrolled from this very file into this collection, or null.</summary>
    public string? EnrolledFace(string collectionId, string path)
    {
        var (size, mtime) = Stamp(path);
        return _done.TryGetValue(Key(collectionId, path, size, mtime), out var e) && e.Status == ImportStatus.Enrolled ? e.FaceId : null;
    }

    public void Record(string collectionId, ImportItem item, ImportOutcome outcome)
    {
        var (size, mtime) = Stamp(item.Path);
        var entry = new Entry(collectionId, item.Path, size, mtime, outcome.Status, outcome.FaceId, item.ExternalId, outcome.ErrorCode, outcome.Reasons);
        var line = JsonSerializer.Serialize(entry, Json);
        lock (_gate)
        {
            _done[Key(collectionId, item.Path, size, mtime)] = entry;
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    static (long Size, long MtimeTicks) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.Length, info.LastWriteTimeUtc.Ticks) : (-1, 0);
    }

    static string Key(string collection, string path, long size, long mtime) => $"{collection}\n{path}\n{size}\n{mtime}";

    public void Dispose() => _writer.Dispose();
}

static class CommandLineJson
{
    /// <summary>One-line snake_case JSON for journals and archives.</summary>
    public static readonly JsonSerializerOptions Compact = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
