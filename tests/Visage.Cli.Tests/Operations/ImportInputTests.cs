using Visage.Cli.Operations;
using Visage.Testing;
using Xunit;

namespace Visage.Cli.Tests.Operations;

public sealed class ImportInputTests(OpsFixture f) : IClassFixture<OpsFixture>
{
    [Fact]
    public void Csv_round_trips_fields_holding_commas_quotes_and_newlines()
    {
        string[] row = ["/photos/a,b.jpg", "O\"Brien", "{\"note\":\"line one\nline two\",\"n\":1}", ""];
        using var writer = new StringWriter();
        Csv.WriteRow(writer, row);
        Csv.WriteRow(writer, "plain", "x", "{}", "");
        var read = Csv.Read(new StringReader(writer.ToString())).ToList();
        Assert.Equal(2, read.Count);
        Assert.Equal(row, read[0].Fields);
        Assert.Equal(["plain", "x", "{}", ""], read[1].Fields);
        Assert.Equal(3, read[1].Line);
    }

    [Fact]
    public void Import_csv_with_a_metadata_column_that_is_not_a_json_object_is_refused_with_its_line()
    {
        var dir = f.NewDir("badcsv");
        var csv = Path.Combine(dir, "in.csv");
        File.WriteAllText(csv, "path,external_id,metadata\nphoto.jpg,alice,{}\nphoto2.jpg,bob,[1]\n");
        var e = Assert.Throws<Visage.Cli.Commands.UsageException>(() => ImportSource.Load(csv));
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public async Task Direct_import_reports_each_unusable_file_with_its_error_code_and_reasons()
    {
        var dir = f.NewDir("unusable");
        var csv = Path.Combine(dir, "in.csv");
        File.WriteAllText(csv, string.Join("\n",
            "path,external_id",
            TestData.Path_("quality", "noface", "skimage_grass.png") + ",grass",
            TestData.Path_("quality", "blur", "GEN_Adel_Al-Jubeir_0001_gauss4.jpg") + ",adel",
            Path.Combine(dir, "missing.jpg") + ",nobody",
            TestData.Path_("verify", "Juanes", Directory.GetFiles(TestData.Path_("verify", "Juanes")).Select(Path.GetFileName).Order().First()!) + ",juanes") + "\n");
        var report = Path.Combine(dir, "report.csv");
        var run = await f.RunAsync("import", csv, "--collection", "c", "--create", "--data", Path.Combine(dir, "data"), "--report", report);
        Assert.True(run.ExitCode == 0, run.ToString());
        var rows = OpsFixture.ReadReport(report).Skip(1).ToDictionary(r => r[1]);
        Assert.Equal(("rejected", "NO_FACE_DETECTED"), (rows["grass"][2], rows["grass"][4]));
        Assert.Equal(("rejected", "FACE_QUALITY_TOO_LOW"), (rows["adel"][2], rows["adel"][4]));
        Assert.Contains("BLUR", rows["adel"][5]);
        Assert.Equal(("rejected", "FILE_UNREADABLE"), (rows["nobody"][2], rows["nobody"][4]));
        Assert.Equal("enrolled", rows["juanes"][2]);
        Assert.Contains("NO_FACE_DETECTED", run.Output);
    }
}
