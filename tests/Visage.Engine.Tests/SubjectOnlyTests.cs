using Visage.Testing;

namespace Visage.Engine.Tests;

[Collection(EngineCollection.Name)]
public sealed class SubjectOnlyTests(EngineFixture fx)
{
    [Fact]
    public void Subject_only_analysis_gives_the_full_analysis_subject_and_still_counts_every_face()
    {
        var multiFace = 0;
        foreach (var file in Directory.GetDirectories(TestData.Path_("verify")).SelectMany(Directory.GetFiles).Order())
        {
            var bytes = File.ReadAllBytes(file);
            var full = fx.Engine.Analyze(bytes, AnalyzeOptions.Default);
            var subjectOnly = fx.Engine.Analyze(bytes, AnalyzeOptions.Default with { SubjectOnly = true });

            Assert.Equal(full.Faces.Count, subjectOnly.FacesDetected);
            if (full.Subject is null) { Assert.Null(subjectOnly.Subject); continue; }
            Assert.Single(subjectOnly.Faces);
            Assert.Equal(0, subjectOnly.SubjectIndex);
            Assert.Equal(full.Subject.Box, subjectOnly.Subject!.Box);
            Assert.True(EngineFixture.Cosine(full.Subject.Embedding, subjectOnly.Subject.Embedding) > 0.9999f, file);
            Assert.Equal(full.Subject.Quality.Reasons, subjectOnly.Subject.Quality.Reasons);
            Assert.Equal(full.Subject.Liveness!.Score, subjectOnly.Subject.Liveness!.Score, 5);
            if (full.Faces.Count > 1) multiFace++;
        }
        // The saving only shows on crowded photos; the development set has several (news photos with bystanders).
        Assert.True(multiFace >= 3, $"only {multiFace} multi-face photos in verify/");
    }
}
