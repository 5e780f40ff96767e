using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Visage.Ui.Tests;

[Collection(DashboardCollection.Name)]
public sealed class HealthAndLayoutTests(DashboardFixture fx)
{
    [Fact]
    public async Task Health_page_shows_liveness_and_readiness_probes_and_request_figures_from_metrics()
    {
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.ByTestId("nav-health").ClickAsync();

        await Expect(ui.ByTestId("probe-healthz")).ToHaveAttributeAsync("data-ok", "true");
        await Expect(ui.ByTestId("probe-readyz")).ToHaveAttributeAsync("data-ok", "true");
        await Expect(ui.ByTestId("key-figures")).ToContainTextAsync("requests served");
        var served = await ui.ByTestId("key-figures").Locator(".figure", new() { HasText = "requests served" }).Locator(".big").InnerTextAsync();
        Assert.True(int.Parse(served, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture) > 0);
        await Expect(ui.ByTestId("stage-latency")).ToContainTextAsync("embed");
        await Expect(ui.ByTestId("route-latency")).ToContainTextAsync("GET …/collections/");
        await Expect(ui.ByTestId("model-facts")).ToContainTextAsync("embedding_size");
        await ui.ScreenshotAsync("10-health");
    }

    [Fact]
    public async Task On_a_phone_screen_in_dark_mode_every_page_fits_the_width()
    {
        var collection = await fx.Api.CreateCollectionAsync("phone-" + Guid.NewGuid().ToString("N")[..6], new { check_liveness = false, auto_enroll = false });
        await fx.Api.EnrollAsync(collection, "BBT_penny", "verify", "BBT_penny", "penny1.png");
        await fx.Api.EnrollAsync(collection, "Jon_Voight", "verify", "Jon_Voight", "Jon_Voight_0001.jpg");
        await using var ui = await fx.OpenAsync(new ViewportSize { Width = 390, Height = 844 }, isMobile: true, ColorScheme.Dark);

        await ui.Page.GotoAsync("/ui/");
        await ui.ExpectNoHorizontalScrollAsync();
        await ui.ScreenshotAsync("phone-01-signin");
        await ui.SignInAsAdminAsync();
        await ui.ExpectNoHorizontalScrollAsync();
        await ui.ScreenshotAsync("phone-02-collections");

        await ui.OpenCollectionAsync(collection);
        await Expect(ui.ByTestId("face-card")).ToHaveCountAsync(2);
        await Dashboard.ExpectCropsLoadedAsync(ui.ByTestId("face-grid").Locator("article > img[data-testid=crop]"), 2);
        await ui.ExpectNoHorizontalScrollAsync();
        await ui.ScreenshotAsync("phone-03-faces");

        await ui.ByTestId("tab-enroll").ClickAsync();
        await ui.ChooseFilesAsync("enroll-drop",
            Dashboard.Photo("verify", "Jon_Voight", "Jon_Voight_0002.jpg"),
            Dashboard.Photo("quality", "noface", "faceapi_white.png"));
        await Expect(ui.ByTestId("enroll-summary")).ToContainTextAsync("1 enrolled · 1 rejected");
        await ui.ExpectNoHorizontalScrollAsync();
        await ui.ScreenshotAsync("phone-04-enroll");

        await ui.ByTestId("tab-search").ClickAsync();
        await ui.ChooseFilesAsync("search-drop", Dashboard.Photo("verify", "BBT_penny", "penny2.png"));
        await Expect(ui.ByTestId("match").First).ToHaveAttributeAsync("data-external-id", "BBT_penny");
        await ui.ExpectNoHorizontalScrollAsync();
        await ui.ScreenshotAsync("phone-05-identify");

        await ui.ByTestId("nav-health").ClickAsync();
        await Expect(ui.ByTestId("probe-readyz")).ToBeVisibleAsync();
        await ui.ExpectNoHorizontalScrollAsync();
        await ui.ScreenshotAsync("phone-06-health");
    }
}
