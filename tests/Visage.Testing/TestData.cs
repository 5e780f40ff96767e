namespace Visage.Testing;

/// <summary>Finds ../shared/testdata/faces beside the repository (never copied into it).</summary>
public static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string FacesDir { get; } =
        Environment.GetEnvironmentVariable("VISAGE_TESTDATA") is { Length: > 0 } d
            ? d
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "testdata", "faces"));

    public static string Path_(params string[] parts) => Path.Combine([FacesDir, .. parts]);

    public static byte[] Read(params string[] parts) => File.ReadAllBytes(Path_(parts));

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Visage.slnx"))) return dir.FullName;
        throw new InvalidOperationException("cannot find Visage.slnx above " + AppContext.BaseDirectory);
    }
}
