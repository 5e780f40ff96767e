using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using Visage.Testing;
using Xunit;

namespace Visage.Ui.Tests;

/// <summary>
/// One real service (in-process, Kestrel on a free loopback port, a fresh SQLite data dir, the real
/// models) and one headless Debian Chromium, shared by every dashboard test: starting either per test
/// would cost more than the tests themselves on a 2-core machine.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string AdminKey = "fr_live_UiTestsAdminKey00000000000000000";
    static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    readonly string _dataDir = Directory.CreateTempSubdirectory("visage-ui-tests-").FullName;
    WebApplication? _app;
    IPlaywright? _playwright;

    public Uri BaseUrl { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public ApiClient Api { get; private set; } = null!;
    public static string ScreenshotDir { get; } = Path.Combine(TestData.RepoRoot, "artifacts", "ui-screenshots");

    public async Task InitializeAsync()
    {
        var index = Path.Combine(TestData.RepoRoot, "src", "Visage.Server", "wwwroot", "ui", "index.html");
        if (!File.Exists(index))
            throw new InvalidOperationException($"The dashboard is not built ({index} is missing): run scripts/build-ui.sh first.");
        Directory.CreateDirectory(ScreenshotDir);

        _app = ServerHost.Build(_dataDir, AdminKey);
        await _app.StartAsync();
        BaseUrl = new Uri(_app.Urls.First());
        Api = new ApiClient(BaseUrl, AdminKey);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("VISAGE_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
        });
        // Generous: the full suite runs other test projects beside this one on the same 2 cores.
        Assertions.SetDefaultExpectTimeout(30_000);
    }

    /// <summary>A fresh browser context (own sessionStorage, so signed out) with one page.</summary>
    public async Task<Dashboard> OpenAsync(ViewportSize? viewport = null, bool isMobile = false, ColorScheme colorScheme = ColorScheme.Light)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = BaseUrl.ToString(),
            ViewportSize = viewport ?? new ViewportSize { Width = 1366, Height = 850 },
            IsMobile = isMobile,
            HasTouch = isMobile,
            DeviceScaleFactor = isMobile ? 2 : 1,
            ColorScheme = colorScheme,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        return new Dashboard(page, context);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        Api?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { /* SQLite may still hold a file on a slow stop */ }
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard";
}
