using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Visage.Storage;

namespace Visage.Cli.Operations;

/// <summary>A file that is not a readable Visage collection export (or not one this version understands).</summary>
public sealed class ArchiveFormatException(string message) : Exception(message);

/// <summary>Every face of a collection with its references, page by page, never the whole collection at once.</summary>
public static class CollectionWalker
{
    const int PageSize = 200;

    public static async IAsyncEnumerable<(FaceRecord Face, IReadOnlyList<ReferenceInfo> References)> FacesAsync(IFaceStore store,
        string collectionId, [EnumeratorCancellation] CancellationToken ct)
    {
        for (int page = 1; ; page++)
        {
            var faces = await store.ListFacesAsync(collectionId, null, page, PageSize, ct);
            foreach (var face in faces.Items) yield return (face, await store.GetReferencesAsync(face.Id, ct));
            if (page >= faces.TotalPages) yield break;
        }
    }
}

public sealed record ArchiveHeader(int FormatVersion, DateTimeOffset ExportedAt, string SourceStore, string ModelVersion, int EmbeddingSize);

/// <summary>A reference as exported: its own model version, its embedding and its aligned crop (when kept).</summary>
public sealed record ArchivedReference(string Id, ReferenceSource Source, float QualityScore, string ModelVersion, DateTimeOffset CreatedAt,
    float[] Embedding, byte[]? Crop);

public sealed record ArchivedFace(FaceRecord Face, IReadOnlyList<ArchivedReference> References);

/// <summary>
/// The export file: gzip-compressed JSON lines. Line 1 is the header (<c>kind: visage-collection-export</c>,
/// <c>format_version</c>, model version, embedding size); line 2 the collection with its settings; then one line per
/// face holding its references (embedding as base64 float32 little-endian, crop as base64 112×112 RGB); the last line
/// (<c>kind: end</c>) carries the counts, so a truncated file is recognised as such. Written and read as a stream.
/// </summary>
public static class CollectionArchive
{
    public const string Kind = "visage-collection-export";
    public const int FormatVersion = 1;

    public sealed record ExportCounts(int Faces, int References, int ReferencesWithoutCrop);

    public static async Task<ExportCounts> ExportAsync(IFaceStore store, CollectionRecord collection, Stream output,
        Action<int>? onFace, CancellationToken ct)
    {
        await using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        using var json = new Utf8JsonWriter(gzip, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        int embeddingSize = 0;
        await foreach (var v in store.StreamVectorsAsync(collection.Id, ct)) { embeddingSize = v.Embedding.Length; break; }

        WriteLine(json, gzip, w =>
        {
            w.WriteString("kind", Kind);
            w.WriteNumber("format_version", FormatVersion);
            w.WriteString("exported_at", DateTimeOffset.UtcNow);
            w.WriteString("source_store", store.Kind);
            w.WriteString("model_version", collection.ModelVersion);
            w.WriteNumber("embedding_size", embeddingSize);
        });
        WriteLine(json, gzip, w =>
        {
            w.WriteString("kind", "collection");
            w.WriteString("collection_id", collection.Id);
            w.WriteString("workspace_id", collection.WorkspaceId);
            w.WriteString("name", collection.Name);
            if (collection.Description is null) w.WriteNull("description"); else w.WriteString("description", collection.Description);
            w.WritePropertyName("settings"); w.WriteRawValue(collection.SettingsJson);
            w.WriteString("model_version", collection.ModelVersion);
            w.WriteString("created_at", collection.CreatedAt);
            w.WriteString("updated_at", collection.UpdatedAt);
        });
        int faces = 0, references = 0, withoutCrop = 0;
        await foreach (var (face, refs) in CollectionWalker.FacesAsync(store, collection.Id, ct))
        {
            var full = new List<ReferenceRecord>(refs.Count);
            foreach (var info in refs)
                if (await store.GetReferenceAsync(info.Key, ct) is { } r) full.Add(r);
            WriteLine(json, gzip, w =>
            {
                w.WriteString("kind", "face");
                w.WriteString("face_id", face.Id);
                w.WriteString("external_id", face.ExternalId);
                w.WritePropertyName("metadata"); w.WriteRawValue(face.MetadataJson);
                w.WriteNumber("quality_score", face.QualityScore);
                if (face.LivenessScore is { } l) w.WriteNumber("liveness_score", l); else w.WriteNull("liveness_score");
                w.WriteStartArray("box");
                w.WriteNumberValue(face.BoxX); w.WriteNumberValue(face.BoxY); w.WriteNumberValue(face.BoxWidth); w.WriteNumberValue(face.BoxHeight);
                w.WriteEndArray();
                w.WriteNumber("faces_detected", face.FacesDetected);
                w.WriteString("model_version", face.ModelVersion);
                w.WriteString("created_at", face.CreatedAt);
                w.WriteString("updated_at", face.UpdatedAt);
                w.WriteStartArray("references");
                foreach (var r in full)
                {
                    w.WriteStartObject();
                    w.WriteString("reference_id", r.Id);
                    w.WriteString("source", r.Source == ReferenceSource.Enroll ? "enroll" : "auto");
                    w.WriteNumber("quality_score", r.QualityScore);
                    // The store keeps a model version per reference but does not read it back; a re-embed moves the
                    // whole collection, so the collection's version is every reference's.
                    w.WriteString("model_version", collection.ModelVersion);
                    w.WriteString("created_at", r.CreatedAt);
                    w.WriteBase64String("embedding", FloatsToBytes(r.Embedding));
                    if (r.Crop is null) w.WriteNull("crop"); else w.WriteBase64String("crop", r.Crop);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
            faces++;
            references += full.Count;
            foreach (var r in full) if (r.Crop is null) withoutCrop++;
            onFace?.Invoke(faces);
        }
        WriteLine(json, gzip, w =>
        {
            w.WriteString("kind", "end");
            w.WriteNumber("faces", faces);
            w.WriteNumber("references", references);
        });
        return new ExportCounts(faces, references, withoutCrop);
    }

    static void WriteLine(Utf8JsonWriter json, Stream stream, Action<Utf8JsonWriter> body)
    {
        json.Reset(stream);
        json.WriteStartObject();
        body(json);
        json.WriteEndObject();
        json.Flush();
        stream.WriteByte((byte)'\n');
    }

    /// <summary>Reads an export as a stream: the header and collection first, then the faces one by one.</summary>
    public sealed class Reader : IAsyncDisposable
    {
        readonly StreamReader _lines;
        int _line;

        Reader(StreamReader lines, ArchiveHeader header, CollectionRecord collection)
        {
            _lines = lines; Header = header; Collection = collection; _line = 2;
        }

        public ArchiveHeader Header { get; }
        /// <summary>The collection as exported (its FaceCount is the exporter's, not checked).</summary>
        public CollectionRecord Collection { get; }

        public static async Task<Reader> OpenAsync(string path, CancellationToken ct)
        {
            var lines = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress), Encoding.UTF8);
            try
            {
                using var head = await ParseAsync(lines, 1, ct) ?? throw new ArchiveFormatException($"{path} is empty");
                var h = head.RootElement;
                if (Str(h, "kind", 1) != Kind) throw new ArchiveFormatException($"{path} is not a Visage collection export");
                int version = h.GetProperty("format_version").GetInt32();
                if (version != FormatVersion) throw new ArchiveFormatException($"{path} has format version {version}; this visage reads {FormatVersion}");
                var header = new ArchiveHeader(version, h.GetProperty("exported_at").GetDateTimeOffset(), Str(h, "source_store", 1),
                    Str(h, "model_version", 1), h.GetProperty("embedding_size").GetInt32());
                using var col = await ParseAsync(lines, 2, ct) ?? throw new ArchiveFormatException($"{path} ends after its header");
                var c = col.RootElement;
                var collection = new CollectionRecord(Str(c, "collection_id", 2), Str(c, "workspace_id", 2), Str(c, "name", 2),
                    c.GetProperty("description").GetString(), c.GetProperty("settings").GetRawText(), Str(c, "model_version", 2),
                    c.GetProperty("created_at").GetDateTimeOffset(), c.GetProperty("updated_at").GetDateTimeOffset());
                return new Reader(lines, header, collection);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or InvalidDataException)
            {
                lines.Dispose();
                throw new ArchiveFormatException($"{path}: {e.Message}");
            }
            catch
            {
                lines.Dispose();
                throw;
            }
        }

        /// <summary>The faces in export order; throws <see cref="ArchiveFormatException"/> on a damaged or truncated file.</summary>
        public async IAsyncEnumerable<ArchivedFace> FacesAsync([EnumeratorCancellation] CancellationToken ct)
        {
            int faces = 0;
            while (true)
            {
                _line++;
                ArchivedFace? face;
                try
                {
                    using var doc = await ParseAsync(_lines, _line, ct) ?? throw new ArchiveFormatException($"the file is truncated after {faces} faces (no end line)");
                    var e = doc.RootElement;
                    if (Str(e, "kind", _line) == "end")
                    {
                        if (e.GetProperty("faces").GetInt32() != faces)
                            throw new ArchiveFormatException($"the end line counts {e.GetProperty("faces").GetInt32()} faces, the file holds {faces}");
                        yield break;
                    }
                    face = ReadFace(e, Collection.Id);
                }
                catch (Exception x) when (x is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or InvalidDataException)
                {
                    throw new ArchiveFormatException($"line {_line}: {x.Message}");
                }
                faces++;
                yield return face;
            }
        }

        static ArchivedFace ReadFace(JsonElement e, string collectionId)
        {
            var box = e.GetProperty("box");
            var face = new FaceRecord(Str(e, "face_id", 0), collectionId, Str(e, "external_id", 0), e.GetProperty("metadata").GetRawText(),
                e.GetProperty("quality_score").GetSingle(),
                e.GetProperty("liveness_score").ValueKind == JsonValueKind.Null ? null : e.GetProperty("liveness_score").GetSingle(),
                box[0].GetInt32(), box[1].GetInt32(), box[2].GetInt32(), box[3].GetInt32(), e.GetProperty("faces_detected").GetInt32(),
                Str(e, "model_version", 0), e.GetProperty("created_at").GetDateTimeOffset(), e.GetProperty("updated_at").GetDateTimeOffset());
            var refs = new List<ArchivedReference>();
            foreach (var r in e.GetProperty("references").EnumerateArray())
                refs.Add(new ArchivedReference(Str(r, "reference_id", 0), Str(r, "source", 0) == "enroll" ? ReferenceSource.Enroll : ReferenceSource.Auto,
                    r.GetProperty("quality_score").GetSingle(), Str(r, "model_version", 0), r.GetProperty("created_at").GetDateTimeOffset(),
                    BytesToFloats(r.GetProperty("embedding").GetBytesFromBase64()),
                    r.GetProperty("crop").ValueKind == JsonValueKind.Null ? null : r.GetProperty("crop").GetBytesFromBase64()));
            return new ArchivedFace(face, refs);
        }

        static async Task<JsonDocument?> ParseAsync(StreamReader lines, int line, CancellationToken ct)
        {
            var text = await lines.ReadLineAsync(ct);
            return string.IsNullOrWhiteSpace(text) ? null : JsonDocument.Parse(text);
        }

        static string Str(JsonElement e, string name, int line) =>
            e.GetProperty(name).GetString() ?? throw new ArchiveFormatException($"line {line}: {name} is null");

        public ValueTask DisposeAsync()
        {
            _lines.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    public static byte[] FloatsToBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    public static float[] BytesToFloats(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 4 != 0) throw new FormatException("an embedding's byte length is not a multiple of 4");
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4));
        return values;
    }
}
