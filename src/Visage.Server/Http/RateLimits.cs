using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Visage.Service;

namespace Visage.Server.Http;

/// <summary>Per-key request rate, bound from <c>RateLimits</c> (<c>RateLimits:PerKeyPerSecond</c>, <c>RateLimits:Burst</c>).
/// Off by default (<c>PerKeyPerSecond = 0</c>): the bounded inference queue already protects the process, and a
/// self-hosted operator should opt in to refusing their own clients.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Sustained requests per second allowed to one API key; 0 turns per-key limits off. May be below 1.</summary>
    public double PerKeyPerSecond { get; set; }
    /// <summary>Requests one key may send at once after being idle; 0 means one second's worth (at least 1).</summary>
    public int Burst { get; set; }

    public bool Enabled => PerKeyPerSecond > 0;

    public void Validate()
    {
        if (PerKeyPerSecond < 0 || double.IsNaN(PerKeyPerSecond) || double.IsInfinity(PerKeyPerSecond))
            throw new InvalidOperationException("RateLimits:PerKeyPerSecond must be 0 (off) or a positive number.");
        if (Burst < 0) throw new InvalidOperationException("RateLimits:Burst must be 0 (default) or positive.");
    }

    /// <summary>A token bucket refilled in whole tokens: rates below one per second become one token per longer period.</summary>
    internal TokenBucketRateLimiterOptions Bucket()
    {
        int tokensPerPeriod = Math.Max(1, (int)Math.Round(PerKeyPerSecond));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = Burst > 0 ? Burst : tokensPerPeriod,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokensPerPeriod / PerKeyPerSecond),
            QueueLimit = 0, // refuse at once: a queued request would only hold a connection and time out later
            AutoReplenishment = true,
        };
    }
}

public static class RateLimits
{
    /// <summary>Registers the per-key limiter when configured; partitions by the authenticated key id, so it must run
    /// after <see cref="ApiKeyAuthMiddleware"/>. Unauthenticated routes (health, metrics, OpenAPI) are not limited.</summary>
    public static IServiceCollection AddVisageRateLimits(this IServiceCollection services, IConfiguration config)
    {
        var options = config.GetSection("RateLimits").Get<RateLimitOptions>() ?? new RateLimitOptions();
        options.Validate();
        services.AddSingleton(options);
        if (!options.Enabled) return services;
        var bucket = options.Bucket();
        return services.AddRateLimiter(r =>
        {
            r.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.CallerOrNull() is { } caller
                    ? RateLimitPartition.GetTokenBucketLimiter(caller.KeyId, _ => bucket)
                    : RateLimitPartition.GetNoLimiter(""));
            r.OnRejected = (context, _) =>
            {
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : bucket.ReplenishmentPeriod;
                return new ValueTask(ErrorMapping.WriteAsync(context.HttpContext, new RateLimitedException((int)Math.Max(1, Math.Ceiling(wait.TotalSeconds)))));
            };
        });
    }

    public static IApplicationBuilder UseVisageRateLimits(this IApplicationBuilder app) =>
        app.ApplicationServices.GetRequiredService<RateLimitOptions>().Enabled ? app.UseRateLimiter() : app;
}
