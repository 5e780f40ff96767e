using Visage.Storage;
using Visage.Storage.Sql;

namespace Visage.Server.Hosting;

/// <summary>Optional encryption at rest of embeddings and crops: a 256-bit AES-GCM key, base64, from
/// <c>Encryption:Key</c> (env <c>VISAGE_ENCRYPTION__KEY</c> or <c>Encryption__Key</c>) or from the file named by
/// <c>Encryption:KeyFile</c>. No key: blobs are stored plain, and a store holding encrypted blobs refuses to start.</summary>
public static class StoreEncryption
{
    public static IFaceStore Open(ServerOptions options, IConfiguration config)
    {
        var store = FaceStoreFactory.Open(options.Data, options.Store);
        if (store is SqlFaceStore sql && KeyFrom(config["Encryption:Key"], config["Encryption:KeyFile"]) is { } key)
            sql.Protector = new AesGcmBlobProtector(key);
        return store;
    }

    /// <summary>The key from its value or file (value first, then VISAGE_ENCRYPTION__KEY, then the file), or null.</summary>
    public static byte[]? KeyFrom(string? value, string? file)
    {
        value ??= Environment.GetEnvironmentVariable("VISAGE_ENCRYPTION__KEY");
        if (string.IsNullOrWhiteSpace(value) && !string.IsNullOrWhiteSpace(file))
        {
            try { value = File.ReadAllText(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StoreUnavailableException($"cannot read the encryption key file '{file}': {e.Message}", e);
            }
        }
        return string.IsNullOrWhiteSpace(value) ? null : AesGcmBlobProtector.ParseKey(value);
    }
}
