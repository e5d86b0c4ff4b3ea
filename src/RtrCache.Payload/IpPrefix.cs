using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace RtrCache.Payload;

/// <summary>
/// An IP prefix (address and length, host bits zero). Used where a prefix appears without a max length or
/// origin: SLURM filters, API queries, and the covering/covered tests of route origin validation.
/// </summary>
public readonly record struct IpPrefix(bool IsIPv6, UInt128 AddressBits, byte Length)
{
    public bool IsIPv4 => !IsIPv6;
    public int FamilyBits => IsIPv6 ? 128 : 32;

    /// <summary>True when <paramref name="other"/> lies inside this prefix (same family, equal or longer).</summary>
    public bool Covers(IpPrefix other)
    {
        if (IsIPv6 != other.IsIPv6 || other.Length < Length) return false;
        if (Length == 0) return true;
        int shift = FamilyBits - Length;
        return (AddressBits >> shift) == (other.AddressBits >> shift);
    }

    public static bool TryParse(string text, [NotNullWhen(true)] out IpPrefix prefix, [NotNullWhen(false)] out string? error)
        => TryParse(text.AsSpan(), out prefix, out error);

    public static bool TryParse(ReadOnlySpan<char> text, out IpPrefix prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = default;
        text = text.Trim();
        int slash = text.IndexOf('/');
        if (slash < 0)
        {
            error = $"'{text}' is not a prefix (missing '/length')";
            return false;
        }
        var addressText = text[..slash];
        if (!addressText.Contains(':') && !IsDottedQuad(addressText))
        {
            error = $"'{text}' has an invalid IPv4 address (expected four decimal numbers 0-255 without leading zeros)";
            return false;
        }
        if (!IPAddress.TryParse(addressText, out var address)
            || (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork && address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            || text[..slash].Contains('%'))
        {
            error = $"'{text}' has an invalid address";
            return false;
        }
        var lenText = text[(slash + 1)..];
        if (lenText.Length is 0 or > 3 || (lenText.Length > 1 && lenText[0] == '0') || !int.TryParse(lenText, NumberStyles.None, CultureInfo.InvariantCulture, out int length))
        {
            error = $"'{text}' has an invalid prefix length";
            return false;
        }
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int n);
        bool v6 = n == 16;
        int bits = v6 ? 128 : 32;
        if (length > bits)
        {
            error = $"'{text}' has prefix length {length} > {bits}";
            return false;
        }
        UInt128 value = v6 ? BinaryPrimitives.ReadUInt128BigEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
        UInt128 hostMask = length == bits ? UInt128.Zero : (v6 ? UInt128.MaxValue : uint.MaxValue) >> length;
        if ((value & hostMask) != UInt128.Zero)
        {
            error = $"'{text}' has host bits set";
            return false;
        }
        prefix = new IpPrefix(v6, value, (byte)length);
        error = null;
        return true;
    }

    /// <summary>
    /// Strict IPv4 text: IPAddress.TryParse also takes octal ("010.0.0.0" = 8.0.0.0), hex and single-number
    /// forms, which would silently turn an operator's typo into a different network.
    /// </summary>
    private static bool IsDottedQuad(ReadOnlySpan<char> s)
    {
        int parts = 0;
        foreach (var range in s.Split('.'))
        {
            var part = s[range];
            if (++parts > 4 || part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0')) return false;
            int value = 0;
            foreach (char c in part)
            {
                if (c is < '0' or > '9') return false;
                value = value * 10 + (c - '0');
            }
            if (value > 255) return false;
        }
        return parts == 4;
    }

    public static IpPrefix Parse(string text) => TryParse(text, out var p, out var e) ? p : throw new FormatException(e);

    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{(IsIPv6 ? Vrp.FormatV6(AddressBits) : Vrp.FormatV4((uint)AddressBits))}/{Length}");
}
