using Microsoft.AspNetCore.Builder;

namespace Visage.Ui.Tests;

/// <summary>Starts the real service the way `visage serve` does, on a free loopback port.</summary>
static class ServerHost
{
    public static WebApplication Build(string dataDir, string adminKey) =>
        Visage.Server.ServerApp.Build([
            "--urls", "http://127.0.0.1:0",
            "--Data", dataDir,
            "--AdminKey", adminKey,
        ]);
}
