namespace Visage.Server;

/// <summary>The service's settings, bound from configuration at the root (keys <c>Data</c>, <c>Store</c>,
/// <c>AdminKey</c>, …; environment <c>VISAGE_DATA</c>, <c>VISAGE_STORE</c>, <c>VISAGE_ADMIN_KEY</c>) and
/// validated at start.</summary>
public sealed class ServerOptions
{
    /// <summary>Data directory of the embedded SQLite store (default ./data).</summary>
    public string Data { get; set; } = "data";
    /// <summary>A PostgreSQL connection string; empty means SQLite in <see cref="Data"/>.</summary>
    public string? Store { get; set; }
    /// <summary>A preset admin key (fr_live_…); without one, the first start generates and prints one.</summary>
    public string? AdminKey { get; set; }
    public long MaxImageBytes { get; set; } = 10 * 1024 * 1024;
    /// <summary>Body limit of single-image endpoints: two images (compare) in base64 JSON plus fields.</summary>
    public long MaxRequestBytes { get; set; } = 32 * 1024 * 1024;
    /// <summary>Body limit of batch enrolment (up to 100 images).</summary>
    public long MaxBatchBytes { get; set; } = 256 * 1024 * 1024;
    /// <summary>Allowed CORS origins; none (CORS off) by default.</summary>
    public string[] CorsOrigins { get; set; } = [];

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Data) && string.IsNullOrWhiteSpace(Store))
            throw new InvalidOperationException("Configure a data directory (Data / VISAGE_DATA) or a store (Store / VISAGE_STORE).");
        if (!string.IsNullOrEmpty(AdminKey) && !Service.ApiKeyFormat.IsWellFormed(AdminKey))
            throw new InvalidOperationException("AdminKey / VISAGE_ADMIN_KEY must be fr_live_ followed by 32 base62 characters.");
        if (MaxImageBytes <= 0 || MaxRequestBytes < MaxImageBytes || MaxBatchBytes < MaxImageBytes)
            throw new InvalidOperationException("Body limits must be positive and at least MaxImageBytes.");
    }
}
