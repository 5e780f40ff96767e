using System.Text.Json;
using System.Xml.Linq;
using Visage.Testing;
using Xunit;

namespace Visage.Cli.Tests;

[Collection("engine")]
public class EvalCommandTests(CliFixture cli)
{
    [Fact]
    public async Task Eval_on_the_verify_set_reports_every_metric_with_sane_values_and_draws_the_roc()
    {
        var svg = Path.Combine(Path.GetTempPath(), $"visage-roc-{Guid.NewGuid():N}.svg");
        try
        {
            var r = await cli.Run("eval", TestData.Path_("verify"), "--json", "--roc-out", svg);
            Assert.True(r.ExitCode == 0, r.Error);
            using var doc = JsonDocument.Parse(r.Output);
            var j = doc.RootElement;
            double D(string key) => j.GetProperty(key).GetDouble();

            Assert.Equal(1.0, D("detection_rate"));
            // Measured 1.000 ± 0.000 (10 folds, 356 pairs) and AUC 1.0 with the first engine; the floors leave
            // room for a few borderline pairs, not for a broken alignment or embedding.
            Assert.InRange(D("verification_accuracy"), 0.97, 1.0);
            Assert.InRange(D("verification_accuracy_std"), 0.0, 0.05);
            Assert.InRange(D("roc_auc"), 0.99, 1.0);
            Assert.InRange(D("tar_at_far_1e-2"), 0.95, 1.0);
            Assert.InRange(D("tar_at_far_1e-3"), 0.90, 1.0);
            Assert.InRange(D("rank1"), 0.95, 1.0);
            Assert.InRange(D("hit_rate_at_fpir_1e-2"), 0.85, 1.0);
            Assert.Equal(30, j.GetProperty("gallery_size").GetInt32());
            Assert.Equal(134 - 30 - 21, j.GetProperty("mate_probes").GetInt32());
            Assert.Equal(21, j.GetProperty("non_mate_probes").GetInt32());
            Assert.True(D("images_per_second") > 0);
            Assert.Equal(134, j.GetProperty("images_analyzed").GetInt32());

            var texts = XDocument.Load(svg).Descendants(XName.Get("text", "http://www.w3.org/2000/svg")).Select(t => t.Value);
            Assert.Contains(texts, t => t.StartsWith("engine threshold"));
        }
        finally { File.Delete(svg); }
    }

    [Fact]
    public async Task Eval_on_the_liveness_set_reports_apcer_bpcer_eer_and_counts_uncertain_apart()
    {
        var r = await cli.Run("eval", "--liveness", TestData.Path_("liveness"), "--json", "--workers", "2");
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Output);
        var j = doc.RootElement;
        int I(string key) => j.GetProperty(key).GetInt32();
        Assert.Equal(40, I("liveness_real") + I("liveness_spoof") + I("liveness_uncertain_real")
                         + I("liveness_uncertain_spoof") + I("liveness_no_face"));
        // The 4+4 full video frames are the images with enough context for a verdict.
        Assert.True(I("liveness_real") >= 4 && I("liveness_spoof") >= 4);
        Assert.InRange(j.GetProperty("apcer").GetDouble(), 0.0, 0.5);
        Assert.InRange(j.GetProperty("bpcer").GetDouble(), 0.0, 0.5);
        Assert.InRange(j.GetProperty("eer").GetDouble(), 0.0, 0.25);
        Assert.Equal(JsonValueKind.Null, j.GetProperty("detection_rate").ValueKind); // no face dataset given
    }

    [Fact]
    public async Task Eval_follows_the_folds_of_an_lfw_pairs_file_found_in_the_dataset_folder()
    {
        var root = SmallLfwDataset();
        try
        {
            File.WriteAllText(Path.Combine(root, "pairs.txt"), """
                2	2
                Jon_Voight	1	2
                Juanes	1	3
                Jon_Voight	1	Juanes	2
                LeAnn_Rimes	1	Owen_Wilson	2
                LeAnn_Rimes	1	2
                Owen_Wilson	1	2
                Jon_Voight	3	Owen_Wilson	1
                Juanes	3	LeAnn_Rimes	2
                """);
            var r = await cli.Run("eval", root, "--json", "--workers", "1");
            Assert.True(r.ExitCode == 0, r.Error);
            using var doc = JsonDocument.Parse(r.Output);
            var j = doc.RootElement;
            Assert.StartsWith("2-fold, folds as in the pairs file", j.GetProperty("pairs_protocol").GetString());
            Assert.Equal((4, 4), (j.GetProperty("same_pairs").GetInt32(), j.GetProperty("different_pairs").GetInt32()));
            Assert.InRange(j.GetProperty("verification_accuracy").GetDouble(), 0.75, 1.0);
            Assert.Equal((4, 6, 1), (j.GetProperty("gallery_size").GetInt32(), j.GetProperty("mate_probes").GetInt32(),
                j.GetProperty("non_mate_probes").GetInt32()));
            Assert.Equal(1.0, j.GetProperty("rank1").GetDouble());
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>A small LFW-layout dataset of links to the test photos (nothing is copied): 4 identities with
    /// 2-3 images and one with a single image.</summary>
    static string SmallLfwDataset()
    {
        var root = Directory.CreateTempSubdirectory("visage-lfw-").FullName;
        foreach (var identity in new[] { "Jon_Voight", "Juanes", "LeAnn_Rimes", "Owen_Wilson", "Brad_Smith" })
        {
            Directory.CreateDirectory(Path.Combine(root, identity));
            foreach (var file in Directory.GetFiles(TestData.Path_("verify", identity)))
                File.CreateSymbolicLink(Path.Combine(root, identity, Path.GetFileName(file)), file);
        }
        return root;
    }

    [Theory]
    [InlineData(3, 3, "3-fold over a seeded shuffle")]
    [InlineData(1, 2, null)]
    public async Task Eval_deals_a_short_tsv_into_as_many_folds_as_it_can_fill(int same, int different, string? protocol)
    {
        var root = SmallLfwDataset();
        try
        {
            string[] samePairs = ["Jon_Voight/Jon_Voight_0001.jpg\tJon_Voight/Jon_Voight_0002.jpg\t1",
                "Juanes/Juanes_0001.jpg\tJuanes/Juanes_0002.jpg\t1", "Owen_Wilson/Owen_Wilson_0001.jpg\tOwen_Wilson/Owen_Wilson_0002.jpg\t1"];
            string[] differentPairs = ["Jon_Voight/Jon_Voight_0001.jpg\tJuanes/Juanes_0001.jpg\t0",
                "Brad_Smith/Brad_Smith_0001.jpg\tOwen_Wilson/Owen_Wilson_0001.jpg\t0", "LeAnn_Rimes/LeAnn_Rimes_0001.jpg\tJuanes/Juanes_0003.jpg\t0"];
            var tsv = Path.Combine(root, "short.tsv");
            File.WriteAllLines(tsv, [.. samePairs.Take(same), .. differentPairs.Take(different)]);
            var r = await cli.Run("eval", root, "--pairs", tsv, "--json");
            Assert.True(r.ExitCode == 0, r.Error);
            using var doc = JsonDocument.Parse(r.Output);
            var j = doc.RootElement;
            Assert.Equal(1.0, j.GetProperty("roc_auc").GetDouble());
            if (protocol is null)
                Assert.Equal(JsonValueKind.Null, j.GetProperty("verification_accuracy").ValueKind);
            else
            {
                Assert.StartsWith(protocol, j.GetProperty("pairs_protocol").GetString());
                Assert.InRange(j.GetProperty("verification_accuracy").GetDouble(), 0.5, 1.0);
            }
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public async Task Eval_with_a_pairs_file_naming_missing_images_fails_before_loading_models()
    {
        var pairs = Path.GetTempFileName();
        File.WriteAllText(pairs, "Nobody/x.jpg\tNobody/y.jpg\t1\n");
        try
        {
            var r = await cli.Run("eval", TestData.Path_("verify"), "--pairs", pairs);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("not in", r.Error);
        }
        finally { File.Delete(pairs); }
    }

    [Fact]
    public async Task Eval_without_any_dataset_is_a_usage_error()
    {
        var r = await cli.Run("eval");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("dataset folder", r.Error);
    }

    [Fact]
    public async Task Eval_with_zero_workers_is_a_usage_error()
    {
        var r = await cli.Run("eval", TestData.Path_("verify"), "--workers", "0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--workers", r.Error);
    }
}

[Collection("engine")]
public class BenchCommandTests(CliFixture cli)
{
    [Fact]
    public async Task Bench_reports_stage_percentiles_throughput_and_peak_memory_for_a_640x480_photo()
    {
        var r = await cli.Run("bench", "--seconds", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Output);
        var j = doc.RootElement;
        Assert.Equal((640, 480), (j.GetProperty("width").GetInt32(), j.GetProperty("height").GetInt32()));
        var stages = j.GetProperty("stages_ms");
        foreach (var stage in new[] { "decode", "detect", "landmarks", "align", "embed", "liveness", "quality", "total" })
        {
            var s = stages.GetProperty(stage);
            Assert.True(s.GetProperty("p95").GetDouble() >= s.GetProperty("p50").GetDouble(), stage);
        }
        Assert.True(stages.GetProperty("embed").GetProperty("p50").GetDouble() > 0);
        Assert.True(stages.GetProperty("total").GetProperty("p50").GetDouble()
                    >= stages.GetProperty("embed").GetProperty("p50").GetDouble());
        Assert.True(j.GetProperty("images_per_second_1_worker").GetDouble() > 0);
        Assert.True(j.GetProperty("images_per_second_2_workers").GetDouble() > 0);
        Assert.True(j.GetProperty("peak_rss_mb").GetDouble() > 50);
    }
}
