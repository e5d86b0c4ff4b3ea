using System.Globalization;

namespace RtrCache.Rpki.Asn1;

/// <summary>
/// A structural pass over BER/DER bytes that runs before BouncyCastle sees them: it checks that the input is
/// exactly one complete element (no truncation, no trailing bytes), that every length fits inside its parent,
/// that nesting stays shallow and the element count bounded (so no input can exhaust the stack or the heap), and
/// optionally that the length and string encodings are DER. It also locates original byte ranges (the signed
/// TBSCertificate, the signed attributes) that a parsed object model cannot give back.
/// </summary>
/// <remarks>This is only the tag/length layer; the structures themselves are read with BouncyCastle.</remarks>
internal static class DerScanner
{
    /// <summary>Deepest nesting accepted. RPKI objects nest at most about 12 levels.</summary>
    public const int MaxDepth = 32;

    /// <summary>Most elements accepted in one encoding (a 100,000-entry manifest has about 300,000).</summary>
    public const int MaxElements = 1_000_000;

    /// <summary>Checks <paramref name="data"/>; returns null when it is one well-formed element, else the reason.</summary>
    public static string? Validate(ReadOnlySpan<byte> data, bool requireDer)
    {
        if (data.IsEmpty) return "empty input";
        Span<int> ends = stackalloc int[MaxDepth + 1];
        Span<int> limits = stackalloc int[MaxDepth + 1];
        int depth = 0, count = 1;

        var error = ReadHeader(data, 0, data.Length, requireDer, out byte tag, out int headerLength, out int length);
        if (error is not null) return error;
        if (tag == 0) return "end-of-contents octets at the top level";
        int pos;
        if ((tag & 0x20) != 0)
        {
            ends[0] = length < 0 ? -1 : headerLength + length;
            limits[0] = length < 0 ? data.Length : headerLength + length;
            depth = 1;
            pos = headerLength;
        }
        else
        {
            pos = headerLength + length;
        }

        while (depth > 0)
        {
            int frameEnd = ends[depth - 1];
            int limit = limits[depth - 1];
            if (frameEnd >= 0)
            {
                if (pos == frameEnd)
                {
                    depth--;
                    continue;
                }
            }
            else
            {
                if (pos + 1 < limit && data[pos] == 0 && data[pos + 1] == 0)
                {
                    pos += 2;
                    depth--;
                    continue;
                }
                if (pos >= limit) return $"truncated: indefinite-length element has no end-of-contents octets (at offset {Fmt(pos)})";
            }

            error = ReadHeader(data, pos, limit, requireDer, out tag, out headerLength, out length);
            if (error is not null) return error;
            if (tag == 0) return $"unexpected end-of-contents octets at offset {Fmt(pos)}";
            if (++count > MaxElements) return $"more than {Fmt(MaxElements)} ASN.1 elements";
            if ((tag & 0x20) != 0)
            {
                if (depth >= MaxDepth) return $"nested deeper than {MaxDepth} levels (at offset {Fmt(pos)})";
                int contentStart = pos + headerLength;
                ends[depth] = length < 0 ? -1 : contentStart + length;
                limits[depth] = length < 0 ? limit : contentStart + length;
                depth++;
                pos = contentStart;
            }
            else
            {
                pos += headerLength + length;
            }
        }

        if (pos != data.Length) return $"{Fmt(data.Length - pos)} trailing bytes after the encoding";
        return null;
    }

    /// <summary>
    /// Reads one identifier and length. <paramref name="length"/> is -1 for the indefinite form. Returns the reason
    /// when the header is malformed, truncated, claims more content than <paramref name="limit"/> allows, or (with
    /// <paramref name="requireDer"/>) is not in DER form.
    /// </summary>
    private static string? ReadHeader(ReadOnlySpan<byte> d, int pos, int limit, bool requireDer, out byte tag, out int headerLength, out int length)
    {
        tag = 0;
        headerLength = 0;
        length = 0;
        if (pos >= limit) return $"truncated: expected an element at offset {Fmt(pos)}";
        tag = d[pos];
        int p = pos + 1;
        int tagNumber = tag & 0x1F;
        if (tagNumber == 0x1F)
        {
            tagNumber = 0;
            int n = 0;
            byte b;
            do
            {
                if (p >= limit) return $"truncated inside a tag at offset {Fmt(pos)}";
                b = d[p++];
                if (n == 0 && b == 0x80) return $"non-minimal tag number at offset {Fmt(pos)}";
                tagNumber = (tagNumber << 7) | (b & 0x7F);
                if (++n > 3) return $"tag number too large at offset {Fmt(pos)}";
            }
            while ((b & 0x80) != 0);
            if (tagNumber < 0x1F && requireDer) return $"not DER: high-tag-number form for tag {tagNumber} at offset {Fmt(pos)}";
        }
        bool constructed = (tag & 0x20) != 0;
        if (p >= limit) return $"truncated: missing length at offset {Fmt(pos)}";
        byte first = d[p++];
        if (first < 0x80)
        {
            length = first;
        }
        else if (first == 0x80)
        {
            if (!constructed) return $"indefinite length on a primitive element at offset {Fmt(pos)}";
            if (requireDer) return $"not DER: indefinite length at offset {Fmt(pos)}";
            length = -1;
        }
        else
        {
            int n = first & 0x7F;
            if (n == 0x7F) return $"reserved length octet 0xFF at offset {Fmt(pos)}";
            if (n > 4) return $"absurd length: {n} length octets at offset {Fmt(pos)}";
            if (p + n > limit) return $"truncated inside a length at offset {Fmt(pos)}";
            long value = 0;
            for (int i = 0; i < n; i++) value = (value << 8) | d[p + i];
            if (requireDer && (d[p] == 0 || value < 0x80)) return $"not DER: non-minimal length encoding at offset {Fmt(pos)}";
            p += n;
            if (value > int.MaxValue) return $"absurd length {value} at offset {Fmt(pos)}";
            length = (int)value;
        }
        headerLength = p - pos;
        if (length >= 0 && (long)p + length > limit)
            return $"length {Fmt(length)} at offset {Fmt(pos)} exceeds the {Fmt(limit - p)} bytes available";
        if ((tag & 0xC0) == 0)
        {
            // Universal class: shape rules that hold in BER and DER alike, and DER's primitive-only strings.
            if (tagNumber is 16 or 17 && !constructed) return $"primitive SEQUENCE/SET at offset {Fmt(pos)}";
            if (tagNumber == 0 && (constructed || length != 0)) return $"malformed end-of-contents at offset {Fmt(pos)}";
            if (tagNumber is 1 or 2 or 5 or 6 && constructed) return $"constructed BOOLEAN/INTEGER/NULL/OID at offset {Fmt(pos)}";
            if (tagNumber == 1 && length != 1) return $"BOOLEAN of length {length} at offset {Fmt(pos)}";
            if (tagNumber == 5 && length != 0) return $"NULL with content at offset {Fmt(pos)}";
            if (tagNumber is 2 or 6 && length == 0) return $"empty INTEGER/OID at offset {Fmt(pos)}";
            if (requireDer)
            {
                if (constructed && tagNumber is 3 or 4 or 12 or (>= 18 and <= 30))
                    return $"not DER: constructed string encoding at offset {Fmt(pos)}";
                if (tagNumber == 1 && d[p] is not (0x00 or 0xFF)) return $"not DER: BOOLEAN value 0x{d[p]:X2} at offset {Fmt(pos)}";
            }
        }
        return null;
    }

    /// <summary>Reads the element at <paramref name="offset"/> of a buffer that <see cref="Validate"/> accepted.</summary>
    public static Tlv Read(ReadOnlySpan<byte> d, int offset)
    {
        byte tag = d[offset];
        int p = offset + 1;
        if ((tag & 0x1F) == 0x1F)
        {
            while ((d[p] & 0x80) != 0) p++;
            p++;
        }
        byte first = d[p++];
        int length;
        bool indefinite = false;
        if (first < 0x80)
        {
            length = first;
        }
        else if (first == 0x80)
        {
            indefinite = true;
            int q = p;
            while (!(d[q] == 0 && d[q + 1] == 0)) q = Read(d, q).End;
            length = q - p;
        }
        else
        {
            int n = first & 0x7F;
            length = 0;
            for (int i = 0; i < n; i++) length = (length << 8) | d[p + i];
            p += n;
        }
        return new Tlv(offset, p - offset, length, indefinite, tag);
    }

    /// <summary>The <paramref name="index"/>-th child of a constructed element, if it has that many.</summary>
    public static bool TryGetChild(ReadOnlySpan<byte> d, Tlv parent, int index, out Tlv child)
    {
        child = default;
        if (!parent.IsConstructed) return false;
        int pos = parent.ContentStart;
        int i = 0;
        while (pos < parent.ContentEnd)
        {
            var c = Read(d, pos);
            if (i == index)
            {
                child = c;
                return true;
            }
            i++;
            pos = c.End;
        }
        return false;
    }

    /// <summary>All children of a constructed element.</summary>
    public static List<Tlv> Children(ReadOnlySpan<byte> d, Tlv parent)
    {
        var list = new List<Tlv>();
        if (!parent.IsConstructed) return list;
        int pos = parent.ContentStart;
        while (pos < parent.ContentEnd)
        {
            var c = Read(d, pos);
            list.Add(c);
            pos = c.End;
        }
        return list;
    }

    private static string Fmt(long value) => value.ToString(CultureInfo.InvariantCulture);
}
