using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Visage.Ui.Tests;

[Collection(DashboardCollection.Name)]
public sealed class CollectionsTests(DashboardFixture fx)
{
    [Fact]
    public async Task Creating_a_collection_from_the_form_opens_it_and_lists_it_with_its_face_count()
    {
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        var name = "Created from the dashboard " + Guid.NewGuid().ToString("N")[..6];

        await ui.ByTestId("collection-name").FillAsync(name);
        await ui.ByTestId("create").ClickAsync();

        await Expect(ui.ByTestId("collection-title")).ToHaveTextAsync(name);
        await Expect(ui.ByTestId("collection-face-count")).ToHaveTextAsync("0 faces");
        await ui.ByTestId("nav-collections").ClickAsync();
        var card = ui.ByTestId("collection-card").Filter(new() { HasText = name });
        await Expect(card.GetByTestId("face-count")).ToHaveTextAsync("0 faces");
        await ui.ScreenshotAsync("02-collections");
    }

    [Fact]
    public async Task Saving_settings_changes_the_collection_and_the_identify_threshold_line()
    {
        var collection = await fx.Api.CreateCollectionAsync("settings-" + Guid.NewGuid().ToString("N")[..6]);
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection, "settings");

        var form = ui.ByTestId("settings-form");
        await form.Locator("[name=match_threshold]").FillAsync("0.42");
        await form.Locator("[name=check_liveness]").SelectOptionAsync("false");
        await form.GetByRole(AriaRole.Button, new() { Name = "Save settings" }).ClickAsync();
        await Expect(form).ToContainTextAsync("Saved.");
        await ui.ScreenshotAsync("11-settings");

        var stored = await fx.Api.GetCollectionAsync(collection);
        Assert.Equal(0.42, (double)stored["settings"]!["match_threshold"]!, 3);
        Assert.False((bool)stored["settings"]!["check_liveness"]!);
        await ui.ByTestId("tab-search").ClickAsync();
        await Expect(ui.Page.GetByPlaceholder("default 0.420")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Deleting_a_collection_asks_first_then_returns_to_the_list_without_it()
    {
        var name = "doomed-" + Guid.NewGuid().ToString("N")[..6];
        var collection = await fx.Api.CreateCollectionAsync(name, new { check_liveness = false });
        await fx.Api.EnrollAsync(collection, "Juanes", "verify", "Juanes", "Juanes_0001.jpg");
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();
        await ui.OpenCollectionAsync(collection);

        await ui.ByTestId("delete-collection").ClickAsync();
        await Expect(ui.Page.Locator("dialog[open]")).ToContainTextAsync("1 face");
        await ui.Page.Locator("dialog[open]").GetByTestId("confirm-yes").ClickAsync();

        await Expect(ui.Page.GetByRole(AriaRole.Heading, new() { Name = "Collections" })).ToBeVisibleAsync();
        await Expect(ui.ByTestId("collection-card").Filter(new() { HasText = name })).ToHaveCountAsync(0);
        await Expect(ui.ByTestId("collection-card").First).ToBeVisibleAsync();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, await fx.Api.StatusOfCollectionAsync(collection));
    }
}
