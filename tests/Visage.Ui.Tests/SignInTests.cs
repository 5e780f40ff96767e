using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Visage.Ui.Tests;

[Collection(DashboardCollection.Name)]
public sealed class SignInTests(DashboardFixture fx)
{
    [Fact]
    public async Task Sign_in_with_a_wrong_key_shows_the_API_error_and_stays_on_the_sign_in_page()
    {
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsync("fr_live_" + new string('x', 32));

        await Expect(ui.ByTestId("error")).ToContainTextAsync("API_KEY_INVALID");
        await Expect(ui.ByTestId("signin-form")).ToBeVisibleAsync();
        Assert.Null(await ui.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('visage.apiKey')"));
        await ui.ScreenshotAsync("01-signin-wrong-key");
    }

    [Fact]
    public async Task Sign_in_with_the_admin_key_opens_collections_and_keeps_the_key_in_session_storage_only()
    {
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsAdminAsync();

        Assert.Equal(DashboardFixture.AdminKey, await ui.Page.EvaluateAsync<string>("() => sessionStorage.getItem('visage.apiKey')"));
        Assert.Equal(0, await ui.Page.EvaluateAsync<int>("() => localStorage.length"));
        await ui.ByTestId("signout").ClickAsync();
        await Expect(ui.ByTestId("signin-form")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_key_revoked_during_the_session_brings_back_sign_in_with_the_reason()
    {
        var (id, key) = await fx.Api.CreateKeyAsync("revoked-in-session", "read", "write", "search");
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsync(key);
        await Expect(ui.Page.GetByRole(AriaRole.Heading, new() { Name = "Collections" })).ToBeVisibleAsync();

        await fx.Api.RevokeKeyAsync(id);
        await ui.ByTestId("nav-health").ClickAsync();

        await Expect(ui.ByTestId("signin-form")).ToBeVisibleAsync();
        await Expect(ui.ByTestId("signin-form")).ToContainTextAsync("Signed out");
        Assert.Null(await ui.Page.EvaluateAsync<string?>("() => sessionStorage.getItem('visage.apiKey')"));
    }

    [Fact]
    public async Task A_search_only_key_signs_in_but_the_collection_list_explains_the_missing_scope()
    {
        var (_, key) = await fx.Api.CreateKeyAsync("search-only", "search");
        await using var ui = await fx.OpenAsync();
        await ui.SignInAsync(key);

        await Expect(ui.Page.GetByRole(AriaRole.Heading, new() { Name = "Collections" })).ToBeVisibleAsync();
        await Expect(ui.ByTestId("error").First).ToContainTextAsync("FORBIDDEN");
    }
}
