namespace Visage.Cli.Evaluation;

/// <summary>One image of a folder-per-identity dataset; <see cref="RelativePath"/> uses '/' and is relative to the root.</summary>
public sealed record DatasetImage(string Identity, string RelativePath, string FullPath);

/// <summary><c>ROOT/&lt;identity&gt;/*.jpg|jpeg|png|webp</c>, identities and images in ordinal order so every run
/// (and the "first image of each identity" gallery) is the same.</summary>
public sealed class IdentityDataset
{
    static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".webp"];

    IdentityDataset(string root, IReadOnlyList<DatasetImage> images, IReadOnlyDictionary<string, IReadOnlyList<DatasetImage>> byIdentity)
    {
        Root = root; Images = images; ByIdentity = byIdentity;
    }

    public string Root { get; }
    public IReadOnlyList<DatasetImage> Images { get; }
    public IReadOnlyDictionary<string, IReadOnlyList<DatasetImage>> ByIdentity { get; }

    public static bool IsImageFile(string path) =>
        Array.IndexOf(ImageExtensions, Path.GetExtension(path).ToLowerInvariant()) >= 0;

    public static IdentityDataset Load(string root)
    {
        if (!Directory.Exists(root)) throw new DatasetException($"dataset folder not found: {root}");
        root = Path.GetFullPath(root);
        var images = new List<DatasetImage>();
        var byIdentity = new SortedDictionary<string, IReadOnlyList<DatasetImage>>(StringComparer.Ordinal);
        var dirs = Directory.GetDirectories(root);
        Array.Sort(dirs, StringComparer.Ordinal);
        foreach (var dir in dirs)
        {
            var files = Directory.GetFiles(dir).Where(IsImageFile).ToArray();
            if (files.Length == 0) continue;
            Array.Sort(files, StringComparer.Ordinal);
            var identity = Path.GetFileName(dir);
            var list = files.Select(f => new DatasetImage(identity, identity + "/" + Path.GetFileName(f), f)).ToList();
            byIdentity[identity] = list;
            images.AddRange(list);
        }
        if (images.Count == 0)
            throw new DatasetException($"no images in {root}: expected {root}/<identity>/*.jpg|png");
        return new IdentityDataset(root, images, byIdentity);
    }
}
