using System.CommandLine;
using Visage.Server.Hosting;
using Visage.Storage;
using Visage.Storage.Sql;

namespace Visage.Cli.Commands;

/// <summary><c>visage encryption rotate --new-key KEY [--key OLD]</c>: re-seals every embedding and crop with the new
/// key (plain blobs get encrypted, so it also turns encryption on for an existing store). Run it with the service
/// stopped, then start the service with the new key: the old one no longer opens anything.</summary>
public static class EncryptionCommand
{
    public static Command Create()
    {
        var oldKey = new Option<string?>("--key") { Description = "The current key, base64 (default: VISAGE_ENCRYPTION__KEY); omit for a plain store" };
        var newKey = new Option<string>("--new-key") { Description = "The new 256-bit key, base64", Required = true };
        var (data, store) = (StoreOptions.Data(), StoreOptions.Store());
        var rotate = new Command("rotate", "Re-encrypt all embeddings and crops with a new key") { oldKey, newKey, data, store };
        rotate.SetAction(async (parse, ct) =>
        {
            try
            {
                var next = AesGcmBlobProtector.ParseKey(parse.GetValue(newKey)!);
                var previous = StoreEncryption.KeyFrom(parse.GetValue(oldKey), null);
                await using var st = await FaceStoreFactory.OpenAndMigrateAsync(parse.GetValue(data), parse.GetValue(store), ct);
                if (st is not SqlFaceStore sql) throw new StoreUnavailableException("this store does not support encryption");
                sql.Protector = previous is null ? new AesGcmBlobProtector(next) : new AesGcmBlobProtector(next, previous);
                long written = await sql.ReprotectAllAsync(ct);
                await parse.InvocationConfiguration.Output.WriteLineAsync(
                    $"re-encrypted {written} blobs with key {AesGcmBlobProtector.IdOf(next):x8}");
                return 0;
            }
            catch (StoreException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("visage encryption: " + e.Message);
                return 1;
            }
        });
        return new Command("encryption", "Encryption at rest of embeddings and crops") { rotate };
    }
}
