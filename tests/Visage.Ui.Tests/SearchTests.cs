using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Visage.Ui.Tests;

[Collection(DashboardCollection.Name)]
public sealed class SearchTests(DashboardFixture fx)
{
    async Task<string> GalleryAsync(string prefix)
    {
        var collection = await fx.Api.CreateCollectionAsync(prefix + "-" + Guid.NewGuid().ToString("N")[..6], new { check_liveness = false, auto_enroll = false });
        await fx.Api.EnrollAsync(collection, "George_Clooney", "verify", "George_Clooney", "George_Clooney_0001.jpg");
        await fx.Api.EnrollAsync(collection, "Russell_Crowe", "verify", "Russell_Crowe", "Russell_Crowe_0001.jpg");
        await fx.Api.EnrollAsync(collection, "Owen_Wilson", "verify", "Owen_Wilson", "Owen_Wilson_0001.jpg");
        return collection;
    }

    [Fact]
    public async Task Identify_by_dropping_another_photo_shows_the_person_first_with_a_bar_past_the_threshold_line()
    {
        var collection = await GalleryAsync("identify");
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection, "search");

        await ui.DropFilesAsync("search-drop", Dashboard.Photo("verify", "Russell_Crowe", "Russell_Crowe_0002.jpg"));

        var first = ui.ByTestId("matches").GetByTestId("match").First;
        await Expect(first).ToHaveAttributeAsync("data-external-id", "Russell_Crowe");
        var bar = first.GetByTestId("simbar");
        var similarity = double.Parse((await bar.GetAttributeAsync("data-similarity"))!, System.Globalization.CultureInfo.InvariantCulture);
        var threshold = double.Parse((await bar.GetAttributeAsync("data-threshold"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(similarity >= threshold, $"similarity {similarity} below threshold {threshold}");
        // What the user sees: the filled bar ends to the right of the red threshold line.
        var fill = (await bar.GetByTestId("simbar-fill").BoundingBoxAsync())!;
        var line = (await bar.GetByTestId("simbar-threshold").BoundingBoxAsync())!;
        Assert.True(fill.X + fill.Width > line.X + line.Width / 2, "the bar does not reach the threshold line");
        await Dashboard.ExpectCropsLoadedAsync(first.Locator("img[data-testid=crop]"), 1);
        await Expect(ui.ByTestId("matches").GetByTestId("match").Filter(new() { HasText = "George_Clooney" })).ToHaveCountAsync(0);
        await ui.ScreenshotAsync("06-identify");
    }

    [Fact]
    public async Task Identify_with_an_unknown_person_says_no_match()
    {
        var collection = await GalleryAsync("unknown");
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection, "search");

        await ui.ChooseFilesAsync("search-drop", Dashboard.Photo("verify", "Molly_Sims", "Molly_Sims_0001.jpg"));

        await Expect(ui.ByTestId("no-match")).ToBeVisibleAsync();
        await Expect(ui.ByTestId("match")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Verify_against_an_external_id_shows_the_verdict_and_the_threshold_line()
    {
        var collection = await GalleryAsync("verify");
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection, "search");

        await ui.ByTestId("mode-verify").ClickAsync();
        await ui.ByTestId("verify-target").FillAsync("Russell_Crowe");
        await ui.DropFilesAsync("search-drop", Dashboard.Photo("verify", "George_Clooney", "George_Clooney_0003.jpg"));

        await Expect(ui.ByTestId("verify-verdict")).ToHaveTextAsync("✗ Not the same person");
        await Expect(ui.ByTestId("simbar-threshold")).ToBeVisibleAsync();

        await ui.ByTestId("verify-target").FillAsync("George_Clooney");
        await ui.DropFilesAsync("search-drop", Dashboard.Photo("verify", "George_Clooney", "George_Clooney_0003.jpg"));
        await Expect(ui.ByTestId("verify-verdict")).ToHaveTextAsync("✓ Same person");
        await ui.ScreenshotAsync("07-verify");
    }
}
