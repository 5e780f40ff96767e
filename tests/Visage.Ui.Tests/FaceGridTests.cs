using System.Net;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Visage.Ui.Tests;

[Collection(DashboardCollection.Name)]
public sealed class FaceGridTests(DashboardFixture fx)
{
    [Fact]
    public async Task Deleting_a_face_asks_for_confirmation_and_cancel_keeps_it()
    {
        var collection = await fx.Api.CreateCollectionAsync("delete-" + Guid.NewGuid().ToString("N")[..6], new { check_liveness = false });
        var clooney = await fx.Api.EnrollAsync(collection, "George_Clooney", "verify", "George_Clooney", "George_Clooney_0001.jpg");
        var crowe = await fx.Api.EnrollAsync(collection, "Russell_Crowe", "verify", "Russell_Crowe", "Russell_Crowe_0001.jpg");
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection);
        var card = ui.Page.Locator($"[data-testid=face-card][data-face-id='{clooney}']");
        var dialog = card.GetByTestId("confirm-dialog");

        await card.GetByTestId("delete-face").ClickAsync();
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog).ToContainTextAsync("George_Clooney");
        await ui.ScreenshotAsync("08-delete-confirm");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        Assert.Equal(HttpStatusCode.OK, await fx.Api.StatusOfFaceAsync(collection, clooney));

        await card.GetByTestId("delete-face").ClickAsync();
        await dialog.GetByTestId("confirm-yes").ClickAsync();

        await Expect(card).ToHaveCountAsync(0);
        await Expect(ui.ByTestId("face-card")).ToHaveCountAsync(1);
        await Expect(ui.ByTestId("collection-face-count")).ToHaveTextAsync("1 face");
        Assert.Equal(HttpStatusCode.NotFound, await fx.Api.StatusOfFaceAsync(collection, clooney));
        Assert.Equal(HttpStatusCode.OK, await fx.Api.StatusOfFaceAsync(collection, crowe));
    }

    [Fact]
    public async Task Filter_by_external_id_and_paging_show_the_right_faces()
    {
        var collection = await fx.Api.CreateCollectionAsync("paging-" + Guid.NewGuid().ToString("N")[..6], new { check_liveness = false });
        foreach (var person in new[] { "raj", "penny" })
            for (var n = 1; n <= 5; n++)
                await fx.Api.EnrollAsync(collection, "BBT_" + person, "verify", "BBT_" + person, $"{person}{n}.png");
        foreach (var person in new[] { "Russell_Crowe", "Owen_Wilson", "Juanes" })
            await fx.Api.EnrollAsync(collection, person, "verify", person, person + "_0001.jpg");
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection);
        await ui.ByTestId("page-size").SelectOptionAsync("12");
        await Expect(ui.ByTestId("face-card")).ToHaveCountAsync(12);
        await Expect(ui.ByTestId("pager")).ToContainTextAsync("page 1 of 2 · 13 total");

        await ui.ByTestId("pager").GetByRole(AriaRole.Button, new() { Name = "Next" }).ClickAsync();
        await Expect(ui.ByTestId("face-card")).ToHaveCountAsync(1);
        await Expect(ui.ByTestId("pager")).ToContainTextAsync("page 2 of 2");

        await ui.ByTestId("face-filter").FillAsync("BBT_penny");
        await ui.ByTestId("face-filter").PressAsync("Enter");
        await Expect(ui.ByTestId("face-card")).ToHaveCountAsync(5);
        await Expect(ui.ByTestId("face-external-id")).ToHaveTextAsync(Enumerable.Repeat("BBT_penny", 5).ToArray());
        await Expect(ui.ByTestId("pager")).ToContainTextAsync("page 1 of 1 · 5 total");
    }

    [Fact]
    public async Task An_auto_enrolled_reference_shows_beside_the_primary_and_can_be_removed()
    {
        var collection = await fx.Api.CreateCollectionAsync("auto-" + Guid.NewGuid().ToString("N")[..6], new { check_liveness = false, auto_enroll = true });
        var face = await fx.Api.EnrollAsync(collection, "Owen_Wilson", "verify", "Owen_Wilson", "Owen_Wilson_0001.jpg");
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection, "search");
        // Another photo of the person, close enough to clear the auto-enroll threshold (the same photo
        // again would add nothing, and the service rightly skips it).
        await ui.ChooseFilesAsync("search-drop", Dashboard.Photo("verify", "Owen_Wilson", "Owen_Wilson_0002.jpg"));
        await Expect(ui.ByTestId("auto-enrolled")).ToBeVisibleAsync();

        await ui.ByTestId("tab-faces").ClickAsync();
        var refs = ui.Page.Locator($"[data-testid=face-card][data-face-id='{face}'] [data-testid=references] .ref");
        await Expect(refs).ToHaveCountAsync(2);
        await Expect(refs.Nth(0)).ToContainTextAsync("primary");
        await Expect(refs.Filter(new() { HasText = "auto" })).ToHaveCountAsync(1);
        await Dashboard.ExpectCropsLoadedAsync(refs.Locator("img[data-testid=crop]"), 2);
        await ui.ScreenshotAsync("09-references");

        await refs.GetByTestId("remove-reference").ClickAsync();
        await ui.Page.Locator("dialog[open]").GetByTestId("confirm-yes").ClickAsync();
        await Expect(refs).ToHaveCountAsync(1);
        var stored = await fx.Api.GetFaceAsync(collection, face);
        Assert.Single(stored["references"]!.AsArray());
    }
}
