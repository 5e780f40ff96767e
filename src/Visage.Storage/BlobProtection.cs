using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Visage.Storage;

/// <summary>Which biometric column a blob belongs to; part of the associated data, so a crop cannot be passed off as an
/// embedding.</summary>
public enum BlobKind : byte { Embedding = 1, Crop = 2 }

/// <summary>Encrypts biometric blobs (embeddings, crops) at the storage boundary. <paramref name="referenceKey"/> is bound
/// into each blob, so a blob copied onto another reference's row does not decrypt.</summary>
public interface IBlobProtector
{
    byte[] Protect(ReadOnlySpan<byte> plain, long referenceKey, BlobKind kind);
    byte[] Unprotect(ReadOnlySpan<byte> stored, long referenceKey, BlobKind kind);
}

/// <summary>AES-256-GCM with a fresh random nonce per blob. Layout: 0xE1, key id (4), nonce (12), tag (16), ciphertext.
/// The 33-byte header makes a sealed blob's length 1 modulo 4, which no plain embedding or crop has: a store can hold
/// both while encryption is being turned on or keys rotated. The key id (first 4 bytes of SHA-256 of the key) lets
/// rotation and start-up tell which key sealed a blob without trying them all.</summary>
public sealed class AesGcmBlobProtector : IBlobProtector
{
    const byte Marker = 0xE1;
    const int HeaderSize = 1 + 4 + NonceSize + TagSize, NonceSize = 12, TagSize = 16;
    readonly byte[] _key;
    readonly Dictionary<uint, byte[]> _readKeys = new();

    public uint KeyId { get; }

    /// <param name="key">32 bytes: seals new blobs and opens its own.</param>
    /// <param name="previousKeys">Keys that only open blobs (during a rotation).</param>
    public AesGcmBlobProtector(byte[] key, params byte[][] previousKeys)
    {
        _key = Check(key);
        KeyId = IdOf(key);
        _readKeys[KeyId] = key;
        foreach (var k in previousKeys) _readKeys[IdOf(Check(k))] = k;
    }

    /// <summary>Parses a base64 key as given in configuration, with a message that says what is wrong.</summary>
    public static byte[] ParseKey(string base64)
    {
        byte[] key;
        try { key = Convert.FromBase64String(base64.Trim()); }
        catch (FormatException) { throw new StoreUnavailableException("the encryption key is not valid base64"); }
        return Check(key);
    }

    static byte[] Check(byte[] key) => key.Length == 32 ? key
        : throw new StoreUnavailableException($"the encryption key must be 32 bytes (256 bits), not {key.Length}");

    public static uint IdOf(ReadOnlySpan<byte> key)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(key, hash);
        return BinaryPrimitives.ReadUInt32BigEndian(hash);
    }

    public static bool IsSealed(ReadOnlySpan<byte> blob) => blob.Length >= HeaderSize && blob.Length % 4 == 1 && blob[0] == Marker;

    /// <summary>The id of the key that sealed a blob, or null for a plain blob.</summary>
    public static uint? SealedWith(ReadOnlySpan<byte> blob) => IsSealed(blob) ? BinaryPrimitives.ReadUInt32BigEndian(blob[1..]) : null;

    public bool CanOpen(uint keyId) => _readKeys.ContainsKey(keyId);

    public byte[] Protect(ReadOnlySpan<byte> plain, long referenceKey, BlobKind kind)
    {
        var sealedBlob = new byte[HeaderSize + plain.Length];
        sealedBlob[0] = Marker;
        BinaryPrimitives.WriteUInt32BigEndian(sealedBlob.AsSpan(1), KeyId);
        var nonce = sealedBlob.AsSpan(5, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> associated = stackalloc byte[9];
        Associated(associated, referenceKey, kind);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, sealedBlob.AsSpan(HeaderSize), sealedBlob.AsSpan(5 + NonceSize, TagSize), associated);
        return sealedBlob;
    }

    public byte[] Unprotect(ReadOnlySpan<byte> stored, long referenceKey, BlobKind kind)
    {
        if (SealedWith(stored) is not { } id) return stored.ToArray();
        if (!_readKeys.TryGetValue(id, out var key))
            throw new StoreUnavailableException($"a stored {kind.ToString().ToLowerInvariant()} is encrypted with key {id:x8}, which is not configured (configured: {KeyId:x8})");
        var plain = new byte[stored.Length - HeaderSize];
        Span<byte> associated = stackalloc byte[9];
        Associated(associated, referenceKey, kind);
        using var aes = new AesGcm(key, TagSize);
        try { aes.Decrypt(stored.Slice(5, NonceSize), stored[HeaderSize..], stored.Slice(5 + NonceSize, TagSize), plain, associated); }
        catch (AuthenticationTagMismatchException e)
        {
            throw new StoreUnavailableException($"the {kind.ToString().ToLowerInvariant()} of reference {referenceKey} fails authentication: it was altered or moved", e);
        }
        return plain;
    }

    static void Associated(Span<byte> into, long referenceKey, BlobKind kind)
    {
        BinaryPrimitives.WriteInt64LittleEndian(into, referenceKey);
        into[8] = (byte)kind;
    }
}
