using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace RtrCache.Payload.Verification;

/// <summary>One segment of an AS_PATH: an AS_SEQUENCE (ordered ASNs) or an AS_SET (unordered, RFC 4271 §4.3).</summary>
public sealed class AsPathSegment
{
    public AsPathSegment(bool isSet, ImmutableArray<uint> asns)
    {
        if (asns.IsDefaultOrEmpty) throw new ArgumentException("an AS_PATH segment holds at least one AS", nameof(asns));
        IsSet = isSet;
        Asns = asns;
    }

    /// <summary>True for an AS_SET (written <c>{64502,64503}</c>); false for an AS_SEQUENCE.</summary>
    public bool IsSet { get; }

    /// <summary>The ASNs in the order given (wire order for a sequence).</summary>
    public ImmutableArray<uint> Asns { get; }

    public override string ToString()
        => IsSet
            ? "{" + string.Join(",", Asns.Select(a => a.ToString(CultureInfo.InvariantCulture))) + "}"
            : string.Join(" ", Asns.Select(a => a.ToString(CultureInfo.InvariantCulture)));
}

/// <summary>
/// An AS_PATH as a BGP speaker receives it, in <b>wire order</b>: the first AS is the neighbor, i.e. the AS that
/// prepended itself most recently; the last AS is the origin. This is the order BGP implementations display
/// (<c>show ip bgp</c>, BIRD's <c>bgp_path</c>, OpenBGPD's <c>bgpctl show rib</c>) and the order
/// draft-ietf-sidrops-aspa-verification calls the "wire" order; <see cref="AspaVerifier"/> reverses it itself.
/// </summary>
/// <remarks>
/// Text form (<see cref="TryParse"/>): ASNs separated by white space, each a decimal 0..4294967295 with an
/// optional <c>AS</c> prefix; an AS_SET is written in braces with its members separated by commas and/or white
/// space, e.g. <c>64500 64501 {64502,64503}</c>. Prepending is kept as given (repeated ASNs are collapsed by the
/// verifier, not the parser). An empty text is the empty path.
/// </remarks>
public sealed class AsPath
{
    /// <summary>The most segments/ASNs accepted: far above any real path (BGP caps a segment at 255 ASNs), small enough to bound the work of one query.</summary>
    public const int MaxAsns = 4096;

    public AsPath(IEnumerable<AsPathSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        Segments = [.. segments];
        AsnCount = Segments.Sum(s => s.Asns.Length);
    }

    public static AsPath Empty { get; } = new([]);

    /// <summary>A path of one AS_SEQUENCE, wire order (neighbor first, origin last).</summary>
    public static AsPath Sequence(params uint[] asns) => asns.Length == 0 ? Empty : new([new AsPathSegment(false, [.. asns])]);

    /// <summary>The segments in wire order; consecutive plain ASNs form one AS_SEQUENCE segment.</summary>
    public ImmutableArray<AsPathSegment> Segments { get; }

    /// <summary>Number of ASNs in all segments (prepends counted).</summary>
    public int AsnCount { get; }

    public bool IsEmpty => AsnCount == 0;

    public bool HasAsSet => Segments.Any(s => s.IsSet);

    /// <summary>Parses the text form described on the type; the error names the offending character position (1-based).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out AsPath? path, [NotNullWhen(false)] out string? error)
    {
        path = null;
        text ??= "";
        var segments = new List<AsPathSegment>();
        var sequence = new List<uint>();
        int count = 0;
        int i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length) break;
            if (text[i] == '{')
            {
                int open = i++;
                var set = new List<uint>();
                bool closed = false;
                while (i < text.Length)
                {
                    while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] == ',')) i++;
                    if (i < text.Length && text[i] == '}')
                    {
                        i++;
                        closed = true;
                        break;
                    }
                    if (i >= text.Length) break;
                    if (!TryReadAsn(text, ref i, out uint asn, out error)) return false;
                    set.Add(asn);
                    if (++count > MaxAsns) return TooLong(out error);
                }
                if (!closed)
                {
                    error = $"AS_SET opened at position {open + 1} is not closed with '}}'";
                    return false;
                }
                if (set.Count == 0)
                {
                    error = $"empty AS_SET at position {open + 1}";
                    return false;
                }
                if (sequence.Count > 0)
                {
                    segments.Add(new AsPathSegment(false, [.. sequence]));
                    sequence.Clear();
                }
                segments.Add(new AsPathSegment(true, [.. set]));
            }
            else
            {
                if (!TryReadAsn(text, ref i, out uint asn, out error)) return false;
                sequence.Add(asn);
                if (++count > MaxAsns) return TooLong(out error);
            }
            if (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] != '{')
            {
                error = $"unexpected '{text[i]}' at position {i + 1}; separate ASNs with spaces and write an AS_SET as {{64502,64503}}";
                return false;
            }
        }
        if (sequence.Count > 0) segments.Add(new AsPathSegment(false, [.. sequence]));
        path = new AsPath(segments);
        error = null;
        return true;
    }

    /// <summary>Parses a whole string as one AS number: decimal 0..4294967295 with an optional <c>AS</c> prefix
    /// (<c>64500</c>, <c>AS64500</c>), the forms every endpoint and option of ours accepts.</summary>
    public static bool TryParseAsn(string? text, out uint asn)
    {
        asn = 0;
        if (string.IsNullOrEmpty(text)) return false;
        int i = 0;
        return TryReadAsn(text, ref i, out asn, out _) && i == text.Length;
    }

    private static bool TryReadAsn(string text, ref int i, out uint asn, [NotNullWhen(false)] out string? error)
    {
        asn = 0;
        int start = i;
        if (i + 1 < text.Length && (text[i] is 'A' or 'a') && (text[i + 1] is 'S' or 's')) i += 2;
        int digitsStart = i;
        ulong value = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            value = value * 10 + (ulong)(text[i] - '0');
            if (value > uint.MaxValue)
            {
                error = $"AS number at position {start + 1} is larger than 4294967295";
                return false;
            }
            i++;
        }
        if (i == digitsStart)
        {
            error = i < text.Length
                ? $"expected an AS number at position {i + 1}, found '{text[i]}'"
                : $"expected an AS number at position {i + 1}, found the end of the path";
            return false;
        }
        if (i < text.Length && text[i] == '.')
        {
            error = $"AS number at position {start + 1} is in asdot notation; write it as one decimal number (asplain, RFC 5396)";
            return false;
        }
        asn = (uint)value;
        error = null;
        return true;
    }

    private static bool TooLong([NotNullWhen(false)] out string? error)
    {
        error = $"the path has more than {MaxAsns} AS numbers";
        return false;
    }

    /// <summary>The text form, e.g. <c>64500 64501 {64502,64503}</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var s in Segments)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(s);
        }
        return sb.ToString();
    }
}
