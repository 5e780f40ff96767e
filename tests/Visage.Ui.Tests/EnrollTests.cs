using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Visage.Ui.Tests;

[Collection(DashboardCollection.Name)]
public sealed class EnrollTests(DashboardFixture fx)
{
    [Fact]
    public async Task Dropping_several_photos_enrolls_each_and_rejects_the_one_without_a_face_with_its_reason()
    {
        var collection = await fx.Api.CreateCollectionAsync("enroll-" + Guid.NewGuid().ToString("N")[..6], new { check_liveness = false });
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection, "enroll");

        await ui.ByTestId("enroll-metadata").FillAsync("""{"team": "ui-tests"}""");
        await ui.ChooseFilesAsync("enroll-drop",
            Dashboard.Photo("verify", "George_Clooney", "George_Clooney_0001.jpg"),
            Dashboard.Photo("verify", "Russell_Crowe", "Russell_Crowe_0001.jpg"),
            Dashboard.Photo("verify", "BBT_penny", "penny1.png"),
            Dashboard.Photo("quality", "noface", "skimage_grass.png"));

        var results = ui.ByTestId("enroll-results").GetByTestId("enroll-result");
        await Expect(results).ToHaveCountAsync(4);
        await Expect(ui.ByTestId("enroll-summary")).ToContainTextAsync("3 enrolled · 1 rejected", new() { Timeout = 60_000 });
        await Expect(ui.Page.Locator("[data-testid=enroll-result][data-file='skimage_grass.png']")).ToHaveAttributeAsync("data-state", "rejected");
        await Expect(ui.Page.Locator("[data-testid=enroll-result][data-file='skimage_grass.png']")).ToContainTextAsync("NO_FACE_DETECTED");
        var clooney = ui.Page.Locator("[data-testid=enroll-result][data-file='George_Clooney_0001.jpg']");
        await Expect(clooney).ToHaveAttributeAsync("data-state", "enrolled");
        await Expect(clooney).ToContainTextAsync("external_id George_Clooney");
        await Expect(clooney.GetByTestId("enroll-liveness-score")).ToContainTextAsync("not checked");
        await ui.ScreenshotAsync("03-enroll-results");

        Assert.Equal(3, await fx.Api.FaceCountAsync(collection));
        await ui.ByTestId("tab-faces").ClickAsync();
        var cards = ui.ByTestId("face-card");
        await Expect(cards).ToHaveCountAsync(3);
        await Dashboard.ExpectCropsLoadedAsync(ui.ByTestId("face-grid").Locator("article > img[data-testid=crop]"), 3);
        await Expect(cards.Filter(new() { HasText = "George_Clooney" }).GetByTestId("face-metadata")).ToContainTextAsync("ui-tests");
        await ui.ScreenshotAsync("04-face-grid");
    }

    [Fact]
    public async Task Enrolling_a_blurred_photo_shows_the_quality_reasons_next_to_it()
    {
        var collection = await fx.Api.CreateCollectionAsync("blur-" + Guid.NewGuid().ToString("N")[..6], new { check_liveness = false });
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection, "enroll");

        await ui.DropFilesAsync("enroll-drop", Dashboard.Photo("quality", "blur", "GEN_Jon_Voight_0001_gauss4.jpg"));

        var result = ui.ByTestId("enroll-result");
        await Expect(result).ToHaveAttributeAsync("data-state", "rejected");
        await Expect(result).ToContainTextAsync("FACE_QUALITY_TOO_LOW");
        await Expect(result.GetByTestId("reasons")).ToContainTextAsync("BLUR");
        await ui.ScreenshotAsync("05-enroll-blurred");
    }

    [Fact]
    public async Task With_liveness_checked_a_live_photo_shows_its_score_and_a_screen_replay_is_rejected_with_its_score()
    {
        var collection = await fx.Api.CreateCollectionAsync("liveness-" + Guid.NewGuid().ToString("N")[..6], new { check_liveness = true });
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection, "enroll");

        await ui.ByTestId("enroll-external-id").FillAsync("lestari");
        await ui.ChooseFilesAsync("enroll-drop",
            Dashboard.Photo("liveness", "real", "vidframe_lestari15_real_t002.5s.jpg"),
            Dashboard.Photo("liveness", "spoof", "vidframe_lestari15_fake_t000.0s.jpg"));

        var live = ui.Page.Locator("[data-testid=enroll-result][data-file='vidframe_lestari15_real_t002.5s.jpg']");
        var replay = ui.Page.Locator("[data-testid=enroll-result][data-file='vidframe_lestari15_fake_t000.0s.jpg']");
        await Expect(replay).ToHaveAttributeAsync("data-state", "rejected");
        await Expect(replay).ToContainTextAsync("LIVENESS_CHECK_FAILED");
        await Expect(replay.GetByTestId("enroll-liveness-score")).ToContainTextAsync("needs ≥");
        await Expect(live).ToHaveAttributeAsync("data-state", "enrolled");
        await Expect(live.GetByTestId("enroll-liveness-score")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^liveness 0\.\d\d$"));
        await ui.ScreenshotAsync("05b-enroll-liveness");
    }
}
