using System.Xml.Linq;
using Visage.Cli.Evaluation;
using Visage.Testing;
using Xunit;

namespace Visage.Cli.Tests;

public sealed class DatasetTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("visage-pairs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Lfw_pairs_file_gives_folds_in_file_order_and_lfw_image_names()
    {
        var path = Write("pairs.txt",
            "2\t1\nAbel_Pacheco\t1\t4\nAkhmed_Zakayev\t1\tAdel_Al-Jubeir\t3\nAaron_Peirsol\t2\t3\nJohn_Doe\t12\tJane_Roe\t1\n");
        var pairs = PairsFile.Read(path);
        Assert.Equal(4, pairs.Count);
        Assert.Equal(new LabeledPair("Abel_Pacheco/Abel_Pacheco_0001.jpg", "Abel_Pacheco/Abel_Pacheco_0004.jpg", true, 0), pairs[0]);
        Assert.Equal(new LabeledPair("Akhmed_Zakayev/Akhmed_Zakayev_0001.jpg", "Adel_Al-Jubeir/Adel_Al-Jubeir_0003.jpg", false, 0), pairs[1]);
        Assert.Equal(1, pairs[2].Fold);
        Assert.Equal("John_Doe/John_Doe_0012.jpg", pairs[3].Image1);
        Assert.False(pairs[3].Same);
    }

    [Fact]
    public void Lfw_pairs_file_with_fewer_lines_than_its_header_promises_is_rejected()
    {
        var path = Write("pairs.txt", "10\t300\nAbel_Pacheco\t1\t4\n");
        var e = Assert.Throws<DatasetException>(() => PairsFile.Read(path));
        Assert.Contains("promises 6000 pairs", e.Message);
    }

    [Fact]
    public void Tsv_pairs_skip_comments_and_header_and_have_no_folds()
    {
        var path = Write("p.tsv", "# comment\nimage1\timage2\tsame\na/1.jpg\ta/2.jpg\t1\na/1.jpg\tb/1.jpg\t0\n");
        var pairs = PairsFile.Read(path);
        Assert.Equal([new("a/1.jpg", "a/2.jpg", true, -1), new LabeledPair("a/1.jpg", "b/1.jpg", false, -1)], pairs);
    }

    [Fact]
    public void Tsv_with_a_bad_label_names_the_line()
    {
        var path = Write("p.tsv", "a/1.jpg\ta/2.jpg\t1\na/1.jpg\tb/1.jpg\tmaybe\n");
        var e = Assert.Throws<DatasetException>(() => PairsFile.Read(path));
        Assert.Contains("maybe", e.Message);
    }

    [Fact]
    public void The_developer_set_is_read_as_51_identities_with_its_generated_pairs_as_default()
    {
        var set = IdentityDataset.Load(TestData.Path_("verify"));
        Assert.Equal(51, set.ByIdentity.Count);
        Assert.Equal(134, set.Images.Count);
        Assert.Equal(30, set.ByIdentity.Values.Count(v => v.Count >= 2));
        var pairsPath = PairsFile.FindDefault(set.Root);
        Assert.EndsWith("pairs_dev_generated.tsv", pairsPath);
        var pairs = PairsFile.Read(pairsPath!);
        Assert.Equal(178, pairs.Count(p => p.Same));
        Assert.Equal(178, pairs.Count(p => !p.Same));
        var known = set.Images.Select(i => i.RelativePath).ToHashSet();
        Assert.All(pairs, p => Assert.True(known.Contains(p.Image1) && known.Contains(p.Image2)));
    }

    [Fact]
    public void A_folder_without_identity_subfolders_is_a_dataset_error()
    {
        var e = Assert.Throws<DatasetException>(() => IdentityDataset.Load(_dir));
        Assert.Contains("no images", e.Message);
        Assert.Throws<DatasetException>(() => IdentityDataset.Load(Path.Combine(_dir, "nope")));
    }

    [Fact]
    public void Roc_svg_is_well_formed_with_labelled_log_axis_curve_and_marked_point()
    {
        var scores = new BinaryScores([0.9, 0.7, 0.4, 0.35], [0.8, 0.3, 0.2, 0.1, 0.05]);
        var svg = RocSvg.Render(scores.Roc(), scores.NegativeCount, scores.At(0.4), "threshold 0.40", "ROC <test>", "sub & title");
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = doc.Descendants(ns + "text").Select(t => t.Value).ToList();
        Assert.Contains(texts, t => t.StartsWith("False accept rate (log scale"));
        Assert.Contains("True accept rate", texts);
        Assert.Contains("1e-1", texts); // 5 negatives: the axis starts at 1e-1
        Assert.Contains("ROC <test>", texts);
        Assert.Contains("threshold 0.40", texts);
        Assert.Single(doc.Descendants(ns + "circle"));
        Assert.Equal(2, doc.Descendants(ns + "polyline").Count()); // chance and ROC
    }
}
