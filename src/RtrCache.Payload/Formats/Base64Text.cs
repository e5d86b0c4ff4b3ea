using System.Diagnostics.CodeAnalysis;

namespace RtrCache.Payload.Formats;

/// <summary>
/// Lenient base64 decoding for key material in operator- and tool-written JSON. SLURM says base64url without
/// padding, rpki-client writes standard base64 with padding, and the ASPA-SLURM draft's own example mixes the
/// two, so both alphabets are accepted with or without <c>=</c> padding. Whitespace and misplaced padding are
/// still rejected (unlike <see cref="Convert.FromBase64String(string)"/>, which skips whitespace).
/// </summary>
internal static class Base64Text
{
    public static bool TryDecode(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        var s = text.AsSpan();
        int pad = 0;
        while (s.Length > 0 && s[^1] == '=' && pad < 2)
        {
            s = s[..^1];
            pad++;
        }
        if (s.Length == 0 || s.Length % 4 == 1) return false;
        if (pad > 0 && (s.Length + pad) % 4 != 0) return false;
        int padded = (s.Length + 3) / 4 * 4;
        char[] buffer = new char[padded];
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            buffer[i] = c switch
            {
                >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '+' or '/' => c,
                '-' => '+',
                '_' => '/',
                _ => '\0',
            };
            if (buffer[i] == '\0') return false;
        }
        for (int i = s.Length; i < padded; i++) buffer[i] = '=';
        byte[] result = new byte[padded / 4 * 3];
        if (!Convert.TryFromBase64Chars(buffer, result, out int written)) return false;
        bytes = written == result.Length ? result : result[..written];
        return true;
    }

    /// <summary>Decodes an even-length string of hex digits (either case, no separators).</summary>
    public static bool TryDecodeHex(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text.Length == 0 || text.Length % 2 != 0) return false;
        foreach (char c in text)
            if (!char.IsAsciiHexDigit(c)) return false;
        bytes = Convert.FromHexString(text);
        return true;
    }

    /// <summary>RFC 4648 §5 URL-safe alphabet without padding, as SLURM files use.</summary>
    public static string EncodeUrl(ReadOnlySpan<byte> bytes)
        => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
