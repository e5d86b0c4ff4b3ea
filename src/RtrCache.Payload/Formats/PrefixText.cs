using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace RtrCache.Payload.Formats;

/// <summary>
/// Strict, allocation-free parsing and formatting of IP prefixes as UTF-8 text. It exists because the JSON
/// reader must turn ~790,000 prefix strings into numbers in a fraction of a second, which rules out going through
/// <see cref="System.Net.IPAddress"/> (one object per prefix), and because <see cref="System.Net.IPAddress"/>
/// also accepts legacy forms such as <c>10.1</c> or <c>0x0a.0.0.1</c> that no RPKI producer writes and that a
/// cache must not silently reinterpret.
/// </summary>
/// <remarks>
/// Accepted: dotted-quad IPv4 (no leading zeros, each octet 0..255) and RFC 4291 IPv6 text (1–4 hex digits per
/// group, one optional <c>::</c>, optional trailing dotted quad), then <c>/length</c> in decimal without leading
/// zeros. Rejected: zones (<c>%eth0</c>), whitespace, host bits set, length above 32/128.
/// </remarks>
internal static class PrefixText
{
    /// <summary>Longest text we try to parse (a full IPv6 address with embedded IPv4 and a length is 49 bytes).</summary>
    public const int MaxLength = 64;

    public static bool TryParse(string text, out IpPrefix prefix, [NotNullWhen(false)] out string? error)
    {
        if (text.Length > MaxLength)
        {
            prefix = default;
            error = $"'{text}' is not a valid IPv4 or IPv6 prefix";
            return false;
        }
        Span<byte> b = stackalloc byte[MaxLength * 3];
        int n = Encoding.UTF8.GetBytes(text, b);
        return TryParse(b[..n], out prefix, out error);
    }

    /// <summary>Parses <c>address/length</c>; the error message (built only on failure) quotes the text.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParse(ReadOnlySpan<byte> text, out IpPrefix prefix, [NotNullWhen(false)] out string? error)
    {
        prefix = default;
        error = null;
        int slash = text.LastIndexOf((byte)'/');
        if (slash <= 0 || text.Length > MaxLength)
        {
            error = $"'{Show(text)}' is not a valid IPv4 or IPv6 prefix";
            return false;
        }
        var addressText = text[..slash];
        bool v6 = addressText.IndexOf((byte)':') >= 0;
        UInt128 address;
        if (v6)
        {
            if (!TryParseV6(addressText, out address))
            {
                error = $"'{Show(text)}' is not a valid IPv4 or IPv6 prefix";
                return false;
            }
        }
        else
        {
            if (!TryParseV4(addressText, out uint a4))
            {
                error = $"'{Show(text)}' is not a valid IPv4 or IPv6 prefix";
                return false;
            }
            address = a4;
        }
        if (!TryParseSmallDecimal(text[(slash + 1)..], out int length))
        {
            error = $"'{Show(text)}' has an invalid prefix length";
            return false;
        }
        int bits = v6 ? 128 : 32;
        if (length > bits)
        {
            error = $"'{Show(text)}' has prefix length {length} > {bits}";
            return false;
        }
        UInt128 hostMask = length == bits ? UInt128.Zero : (v6 ? UInt128.MaxValue : uint.MaxValue) >> length;
        if ((address & hostMask) != UInt128.Zero)
        {
            error = $"'{Show(text)}' has host bits set";
            return false;
        }
        prefix = new IpPrefix(v6, address, (byte)length);
        return true;
    }

    /// <summary>Decimal 0..999 without sign, leading zeros (except "0" itself) or other characters.</summary>
    private static bool TryParseSmallDecimal(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        if (s.Length is 0 or > 3 || (s[0] == '0' && s.Length > 1)) return false;
        foreach (byte c in s)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool TryParseV4(ReadOnlySpan<byte> s, out uint address)
    {
        address = 0;
        int i = 0;
        for (int part = 0; part < 4; part++)
        {
            if (part > 0)
            {
                if (i >= s.Length || s[i] != '.') return false;
                i++;
            }
            int start = i;
            int v = 0;
            while (i < s.Length && s[i] >= '0' && s[i] <= '9')
            {
                v = v * 10 + (s[i] - '0');
                i++;
                if (i - start > 3) return false;
            }
            int digits = i - start;
            if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0')) return false;
            address = (address << 8) | (uint)v;
        }
        return i == s.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static bool TryParseV6(ReadOnlySpan<byte> s, out UInt128 address)
    {
        address = UInt128.Zero;
        Span<ushort> groups = stackalloc ushort[8];
        int count = 0;
        int doubleColonAt = -1;
        int i = 0;
        if (s.Length >= 2 && s[0] == ':' && s[1] == ':')
        {
            doubleColonAt = 0;
            i = 2;
        }
        else if (s.Length > 0 && s[0] == ':')
        {
            return false;
        }
        while (i < s.Length)
        {
            int start = i;
            int v = 0;
            while (i < s.Length && HexValue(s[i]) is int h and >= 0)
            {
                v = (v << 4) | h;
                i++;
                if (i - start > 4) return false;
            }
            if (i == start) return false;
            if (i < s.Length && s[i] == '.')
            {
                // Embedded IPv4 in the last 32 bits.
                if (count > 6 || !TryParseV4(s[start..], out uint v4)) return false;
                groups[count++] = (ushort)(v4 >> 16);
                groups[count++] = (ushort)v4;
                i = s.Length;
                break;
            }
            if (count == 8) return false;
            groups[count++] = (ushort)v;
            if (i == s.Length) break;
            if (s[i] != ':') return false;
            i++;
            if (i < s.Length && s[i] == ':')
            {
                if (doubleColonAt >= 0) return false;
                doubleColonAt = count;
                i++;
            }
            else if (i == s.Length)
            {
                return false; // trailing single colon
            }
        }
        if (doubleColonAt < 0 ? count != 8 : count > 7) return false;
        int zeros = 8 - count;
        int g = 0;
        for (int k = 0; k < count; k++)
        {
            if (k == doubleColonAt) g += zeros;
            address |= (UInt128)groups[k] << (16 * (7 - g));
            g++;
        }
        return true;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

    private static string Show(ReadOnlySpan<byte> text) => Encoding.UTF8.GetString(text.Length > 100 ? text[..100] : text);

    /// <summary>Formats a prefix (IPv4 dotted quad, IPv6 in RFC 5952 form) into <paramref name="destination"/>
    /// (at least 44 bytes); returns the number of bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Format(Span<byte> destination, bool isV6, UInt128 address, int length)
    {
        int n = isV6 ? FormatV6(destination, address) : FormatV4(destination, (uint)address);
        destination[n++] = (byte)'/';
        return n + WriteDecimal(destination[n..], (uint)length);
    }

    public static string ToString(IpPrefix prefix)
    {
        Span<byte> b = stackalloc byte[48];
        int n = Format(b, prefix.IsIPv6, prefix.AddressBits, prefix.Length);
        return Encoding.ASCII.GetString(b[..n]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FormatV4(Span<byte> d, uint a)
    {
        int n = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            if (shift != 24) d[n++] = (byte)'.';
            n += WriteDecimal(d[n..], (a >> shift) & 0xFF);
        }
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int FormatV6(Span<byte> d, UInt128 a)
    {
        Span<ushort> g = stackalloc ushort[8];
        for (int k = 0; k < 8; k++) g[k] = (ushort)(a >> (16 * (7 - k)));
        // RFC 5952 §4.2: compress the first longest run of two or more zero groups.
        int bestStart = -1, bestLen = 1;
        for (int k = 0; k < 8;)
        {
            if (g[k] != 0) { k++; continue; }
            int start = k;
            while (k < 8 && g[k] == 0) k++;
            if (k - start > bestLen) { bestStart = start; bestLen = k - start; }
        }
        int n = 0;
        for (int k = 0; k < 8; k++)
        {
            if (k == bestStart)
            {
                d[n++] = (byte)':';
                d[n++] = (byte)':';
                k += bestLen - 1;
                continue;
            }
            if (k > 0 && k != bestStart + bestLen) d[n++] = (byte)':';
            n += WriteHex(d[n..], g[k]);
        }
        return n;
    }

    private static int WriteHex(Span<byte> d, ushort v)
    {
        const string digits = "0123456789abcdef";
        int n = 0;
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4)
        {
            int nibble = (v >> shift) & 0xF;
            if (nibble == 0 && !started && shift != 0) continue;
            started = true;
            d[n++] = (byte)digits[nibble];
        }
        return n;
    }

    internal static int WriteDecimal(Span<byte> d, uint v)
    {
        if (v == 0)
        {
            d[0] = (byte)'0';
            return 1;
        }
        Span<byte> tmp = stackalloc byte[10];
        int n = 0;
        while (v > 0)
        {
            tmp[n++] = (byte)('0' + v % 10);
            v /= 10;
        }
        for (int k = 0; k < n; k++) d[k] = tmp[n - 1 - k];
        return n;
    }
}
