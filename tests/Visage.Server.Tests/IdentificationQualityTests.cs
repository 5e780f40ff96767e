using System.Net;
using System.Text;
using Visage.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Visage.Server.Tests;

/// <summary>Identification quality measured through the API on verify/: the first usable photo of each person with
/// several photos is enrolled, every other photo of theirs is a probe (rank-1 at the default threshold), and every
/// single-photo person is a stranger who must not be matched. Floors are what was measured, minus one probe's slack.</summary>
public sealed class IdentificationQualityTests(SqliteVisageServer server, ITestOutputHelper output) : IClassFixture<SqliteVisageServer>
{
    [Fact]
    public async Task Identify_at_the_default_threshold_finds_enrolled_people_at_rank_1_and_rarely_matches_strangers()
    {
        var admin = server.Admin();
        // Liveness off: two LFW news photos score as spoofs, and this measures recognition, not liveness.
        var col = await admin.CreateCollection(new { auto_enroll = false, check_liveness = false }, "quality");
        var people = Directory.GetDirectories(TestData.Path_("verify"));
        Array.Sort(people, StringComparer.Ordinal);
        var probes = new List<(string Person, Upload Photo)>();
        var strangers = new List<Upload>();
        int enrolled = 0, rejectedAtEnroll = 0;
        foreach (var dir in people)
        {
            var person = Path.GetFileName(dir);
            var files = Directory.GetFiles(dir);
            Array.Sort(files, StringComparer.Ordinal);
            if (files.Length == 1) { strangers.Add(new Upload(File.ReadAllBytes(files[0]), Path.GetFileName(files[0]))); continue; }
            int enrolledAt = -1;
            for (int i = 0; i < files.Length && enrolledAt < 0; i++)
            {
                var r = await admin.PostForm($"/api/v1/collections/{col}/faces",
                    ("image", new Upload(File.ReadAllBytes(files[i]), Path.GetFileName(files[i]))), ("external_id", person));
                if (r.Status == HttpStatusCode.Created) enrolledAt = i; else rejectedAtEnroll++;
            }
            if (enrolledAt < 0) continue;
            enrolled++;
            for (int i = enrolledAt + 1; i < files.Length; i++)
                probes.Add((person, new Upload(File.ReadAllBytes(files[i]), Path.GetFileName(files[i]))));
        }

        int rank1 = 0, missed = 0, wrong = 0, noFace = 0;
        var report = new StringBuilder();
        foreach (var (person, photo) in probes)
        {
            var r = await admin.Identify(col, photo);
            if (r.Status != HttpStatusCode.OK) { noFace++; report.AppendLine($"probe {photo.FileName}: {r.ErrorCode}"); continue; }
            var matches = r.Data.GetProperty("matches");
            if (matches.GetArrayLength() == 0) { missed++; report.AppendLine($"probe {photo.FileName}: no match"); }
            else if (matches[0].GetProperty("external_id").GetString() == person) rank1++;
            else { wrong++; report.AppendLine($"probe {photo.FileName}: matched {matches[0].GetProperty("external_id").GetString()}"); }
        }
        int falseMatches = 0;
        foreach (var photo in strangers)
        {
            var r = await admin.Identify(col, photo);
            if (r.Status == HttpStatusCode.OK && r.Data.GetProperty("matches").GetArrayLength() > 0)
            {
                falseMatches++;
                report.AppendLine($"stranger {photo.FileName}: matched {r.Data.GetProperty("matches")[0].GetProperty("external_id").GetString()} " +
                    $"{r.Data.GetProperty("matches")[0].GetProperty("similarity").GetSingle():F3}");
            }
        }
        var threshold = (await admin.Get($"/api/v1/collections/{col}")).Data.GetProperty("effective_thresholds").GetProperty("identify").GetSingle();
        output.WriteLine($"threshold {threshold}; enrolled {enrolled} people ({rejectedAtEnroll} photos refused at enrolment); " +
            $"probes {probes.Count}: rank-1 {rank1} ({100.0 * rank1 / probes.Count:F1}%), no match {missed}, wrong person {wrong}, refused {noFace}; " +
            $"strangers {strangers.Count}: false matches {falseMatches}");
        output.WriteLine(report.ToString());

        Assert.True(enrolled >= 29, $"enrolled {enrolled}");
        Assert.True(rank1 >= probes.Count * 0.93, $"rank-1 {rank1}/{probes.Count}");
        Assert.True(wrong <= 1, $"wrong person at rank 1: {wrong}");
        Assert.True(falseMatches <= 1, $"strangers matched: {falseMatches}/{strangers.Count}");
    }
}
