namespace Visage.Testing.Images;

/// <summary>The CRC-32 of PNG chunks (ISO 3309, reflected 0xEDB88320); System.IO.Hashing is not on the NuGet
/// mirror here and fixtures need only a few hundred bytes of it.</summary>
public static class PngCrc
{
    static readonly uint[] Table = BuildTable();

    public static uint Of(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc ^ 0xFFFFFFFF;
    }

    static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
