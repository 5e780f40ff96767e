using Microsoft.Playwright;
using Visage.Testing;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Visage.Ui.Tests;

/// <summary>The dashboard as a user sees it: one page in its own browser context.</summary>
public sealed class Dashboard(IPage page, IBrowserContext context) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    public ILocator ByTestId(string id) => Page.GetByTestId(id);

    public async Task SignInAsync(string key)
    {
        await Page.GotoAsync("/ui/");
        await ByTestId("api-key").FillAsync(key);
        await ByTestId("signin").ClickAsync();
    }

    public async Task SignInAsAdminAsync()
    {
        await SignInAsync(DashboardFixture.AdminKey);
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Collections" })).ToBeVisibleAsync();
    }

    /// <summary>Goes to a dashboard route (the part after #/) without reloading, so the session stays.</summary>
    public async Task GoAsync(string route)
    {
        await Page.EvaluateAsync("r => { location.hash = r; }", "#/" + route);
    }

    public Task OpenCollectionAsync(string collectionId, string tab = "faces") => GoAsync($"collections/{collectionId}/{tab}");

    /// <summary>Picks files through the drop zone's file input, as the file chooser would.</summary>
    public Task ChooseFilesAsync(string dropZoneTestId, params string[] paths) =>
        ByTestId(dropZoneTestId + "-input").SetInputFilesAsync(paths);

    /// <summary>Drops files onto a drop zone with a real DataTransfer, as a drag from the desktop does.</summary>
    public async Task DropFilesAsync(string dropZoneTestId, params string[] paths)
    {
        var files = paths.Select(p => new
        {
            name = Path.GetFileName(p),
            type = p.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg",
            base64 = Convert.ToBase64String(File.ReadAllBytes(p)),
        }).ToArray();
        var transfer = await Page.EvaluateHandleAsync(@"files => {
            const dt = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.base64), c => c.charCodeAt(0));
                dt.items.add(new File([bytes], f.name, { type: f.type }));
            }
            return dt;
        }", files);
        var zone = ByTestId(dropZoneTestId);
        await zone.DispatchEventAsync("dragover", new Dictionary<string, object> { ["dataTransfer"] = transfer });
        await zone.DispatchEventAsync("drop", new Dictionary<string, object> { ["dataTransfer"] = transfer });
    }

    /// <summary>True when every crop image under the locator has been fetched and decoded.</summary>
    public static async Task ExpectCropsLoadedAsync(ILocator crops, int atLeast)
    {
        await Expect(crops.Nth(atLeast - 1)).ToBeVisibleAsync();
        var widths = await crops.EvaluateAllAsync<int[]>("imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)");
        Assert.All(widths, w => Assert.True(w > 0, "a crop image did not decode"));
    }

    public async Task ScreenshotAsync(string name)
    {
        // Crops arrive by fetch after the page renders: wait until no placeholder is still loading and
        // every image has decoded, so the picture shows what the user sees.
        await Page.WaitForFunctionAsync(
            "() => [...document.images].every(i => i.complete) && ![...document.querySelectorAll('.placeholder')].some(p => p.textContent === '…')");
        await Page.ScreenshotAsync(new() { Path = Path.Combine(DashboardFixture.ScreenshotDir, name + ".png"), FullPage = true });
    }

    /// <summary>The page is no wider than its viewport: nothing to scroll sideways on a phone.</summary>
    public async Task ExpectNoHorizontalScrollAsync()
    {
        var overflow = await Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow}px wider than the viewport");
    }

    public static string Photo(params string[] parts) => TestData.Path_(parts);

    public async ValueTask DisposeAsync() => await context.DisposeAsync();
}
