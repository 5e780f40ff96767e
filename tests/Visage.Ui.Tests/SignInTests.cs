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
}
