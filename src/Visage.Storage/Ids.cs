using System.Security.Cryptography;

namespace Visage.Storage;

/// <summary>Prefixed, lower-case ULIDs ("face_01j9…"): time-ordered, so ids sort by creation.</summary>
public static class Ids
{
    const string Crockford = "0123456789abcdefghjkmnpqrstvwxyz";

    public static string New(string prefix) => prefix + "_" + NewUlid(DateTimeOffset.UtcNow);

    public static string NewUlid(DateTimeOffset at)
    {
        Span<byte> bytes = stackalloc byte[16];
        long ms = at.ToUnixTimeMilliseconds();
        for (int i = 5; i >= 0; i--) { bytes[i] = (byte)ms; ms >>= 8; }
        RandomNumberGenerator.Fill(bytes[6..]);
        return Encode(bytes);
    }

    /// <summary>The same id for the same seed: lets a retried write find what its first, interrupted attempt stored.</summary>
    public static string Derived(string prefix, string seed)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(seed), hash);
        return prefix + "_" + Encode(hash[..16]);
    }

    static string Encode(ReadOnlySpan<byte> bytes)
    {
        // 128 bits as 26 base-32 characters, most significant first.
        Span<char> chars = stackalloc char[26];
        var value = new System.Numerics.BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        for (int i = 25; i >= 0; i--) { chars[i] = Crockford[(int)(value & 31)]; value >>= 5; }
        return new string(chars);
    }

    public static bool IsValid(string? id, string prefix) =>
        id is not null && id.Length == prefix.Length + 27 && id.StartsWith(prefix + "_", StringComparison.Ordinal)
        && id.AsSpan(prefix.Length + 1).IndexOfAnyExcept(Crockford) < 0;
}
