using Visage.Cli.Operations;
using Visage.Engine;
using Visage.Engine.Imaging;
using Visage.Service;
using Visage.Testing;
using Xunit;

namespace Visage.Cli.Tests.Operations;

public sealed record OpsRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
}

/// <summary>One real engine for the operator commands (models load once) and a temp folder removed at the end.</summary>
public sealed class OpsFixture : IDisposable
{
    public OpsFixture()
    {
        var options = new EngineOptions();
        Engine = new FaceEngine(options, new NativeImageDecoder(options));
        Directory.CreateDirectory(Root);
    }

    public FaceEngine Engine { get; }
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "visage-ops-tests-" + Guid.NewGuid().ToString("N"));

    public string NewDir(string name)
    {
        var dir = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public async Task<OpsRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await VisageCli.RunAsync(args, output, error, EngineSource.Borrow(Engine));
        return new OpsRun(exit, output.ToString(), error.ToString());
    }

    public Task<LocalService> OpenLocalAsync(string dataDir, bool loadIndexes = true) =>
        LocalService.OpenAsync(dataDir, null, null, Engine, TextWriter.Null, workers: 2, loadIndexes: loadIndexes);

    /// <summary>Identify in-process (the service layer over the store), no auto-enrolment, no liveness.</summary>
    public static async Task<IReadOnlyList<Match>> IdentifyAsync(LocalService local, string collectionId, byte[] photo)
    {
        var view = await local.Search.IdentifyAsync(local.Caller, collectionId,
            new IdentifyRequest(new ImageInput(photo), 10, -1f, false, false), CancellationToken.None);
        var matches = new List<Match>();
        foreach (var m in view.Matches) matches.Add(new Match(m.FaceId, m.ExternalId, m.Similarity));
        return matches;
    }

    /// <summary>A CSV (path,external_id) of the first <paramref name="perPerson"/> photos of each listed verify/ identity.</summary>
    public string WriteCsv(string dir, int perPerson, params string[] people)
    {
        var path = Path.Combine(dir, "photos.csv");
        using var writer = new StreamWriter(path);
        writer.Write("path,external_id,metadata\n");
        foreach (var person in people)
        {
            var files = Directory.GetFiles(TestData.Path_("verify", person));
            Array.Sort(files, StringComparer.Ordinal);
            for (int i = 0; i < Math.Min(perPerson, files.Length); i++)
                Csv.WriteRow(writer, files[i], person, $"{{\"source\":\"{Path.GetFileName(files[i])}\"}}");
        }
        return path;
    }

    /// <summary>Probe photos: one photo of each of several people in verify/ and two of people never enrolled.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> Probes()
    {
        var probes = new List<(string, byte[])>();
        foreach (var person in (string[])["George_Clooney", "Russell_Crowe", "Owen_Wilson", "BBT_penny", "LeAnn_Rimes", "Jon_Voight"])
        {
            var files = Directory.GetFiles(TestData.Path_("verify", person));
            Array.Sort(files, StringComparer.Ordinal);
            probes.Add((person, File.ReadAllBytes(files[^1])));
        }
        var real = Directory.GetFiles(TestData.Path_("liveness", "real"));
        Array.Sort(real, StringComparer.Ordinal);
        probes.Add(("liveness/real/0", File.ReadAllBytes(real[0])));
        probes.Add(("liveness/real/last", File.ReadAllBytes(real[^1])));
        return probes;
    }

    public static List<string[]> ReadReport(string path)
    {
        using var reader = new StreamReader(path);
        var rows = new List<string[]>();
        foreach (var (_, fields) in Csv.Read(reader)) rows.Add([.. fields]);
        return rows;
    }

    public void Dispose()
    {
        Engine.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
