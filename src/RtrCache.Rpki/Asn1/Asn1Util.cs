using System.Globalization;
using System.Runtime.InteropServices;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using RtrCache.Rpki.Objects;

namespace RtrCache.Rpki.Asn1;

/// <summary>Guarded entry into BouncyCastle's ASN.1 parser, and small readers shared by the decoders.</summary>
internal static class Asn1Util
{
    /// <summary>
    /// Scans (<see cref="DerScanner"/>) and then parses with BouncyCastle; rejects with a reason on any problem.
    /// With <paramref name="parsedWithContainer"/>, the bytes are an element of a structure BouncyCastle has
    /// already parsed: they are scanned all the same (same rules, same reasons) and that element is returned
    /// instead of parsing the bytes a second time. A signed object's EE certificate is most of the file, and
    /// parsing it twice was a tenth of a validation run.
    /// </summary>
    public static Asn1Object Parse(ReadOnlyMemory<byte> bytes, bool requireDer, string what, Asn1Object? parsedWithContainer = null)
    {
        var reason = DerScanner.Validate(bytes.Span, requireDer);
        if (reason is not null) throw Decoding.Fail($"{what}: {reason}");
        return parsedWithContainer ?? ParseScanned(bytes, what);
    }

    /// <summary>Parses bytes that <see cref="DerScanner.Validate"/> already accepted.</summary>
    public static Asn1Object ParseScanned(ReadOnlyMemory<byte> bytes, string what)
    {
        MemoryStream stream = MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(bytes.ToArray(), writable: false);
        try
        {
            using var input = new Asn1InputStream(stream, bytes.Length);
            return input.ReadObject() ?? throw Decoding.Fail($"{what}: no ASN.1 element");
        }
        catch (Exception e) when (e is not RpkiDecodeException and not OutOfMemoryException)
        {
            throw Decoding.Fail($"{what}: malformed ASN.1 ({e.Message})");
        }
    }

    /// <summary>A UTCTime or GeneralizedTime in the strict RFC 5280 form (seconds, 'Z', no fractions).</summary>
    public static DateTimeOffset ReadTime(Asn1Encodable? element, string what, bool generalizedOnly = false)
    {
        var obj = element is Time t ? t.ToAsn1Object() : element?.ToAsn1Object();
        string s;
        int year, rest;
        switch (obj)
        {
            case Asn1GeneralizedTime g:
                s = g.TimeString;
                if (s.Length != 15 || s[14] != 'Z' || !AllDigits(s.AsSpan(0, 14)))
                    throw Decoding.Fail($"{what}: GeneralizedTime '{s}' is not in the form YYYYMMDDHHMMSSZ");
                year = int.Parse(s.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture);
                rest = 4;
                break;
            case Asn1UtcTime u when !generalizedOnly:
                s = u.TimeString;
                if (s.Length != 13 || s[12] != 'Z' || !AllDigits(s.AsSpan(0, 12)))
                    throw Decoding.Fail($"{what}: UTCTime '{s}' is not in the form YYMMDDHHMMSSZ");
                year = int.Parse(s.AsSpan(0, 2), NumberStyles.None, CultureInfo.InvariantCulture);
                year += year >= 50 ? 1900 : 2000;
                rest = 2;
                break;
            case Asn1UtcTime:
                throw Decoding.Fail($"{what}: UTCTime where GeneralizedTime is required");
            default:
                throw Decoding.Fail($"{what}: not a time value");
        }
        int Two(int i) => (s[rest + i] - '0') * 10 + (s[rest + i + 1] - '0');
        int month = Two(0), day = Two(2), hour = Two(4), minute = Two(6), second = Two(8);
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            throw Decoding.Fail($"{what}: '{s}' is not a valid date and time");
        return new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
    }

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
            if (c is < '0' or > '9') return false;
        return true;
    }

    public static System.Numerics.BigInteger ToBigInteger(DerInteger value)
        => new(value.Value.ToByteArray(), isUnsigned: false, isBigEndian: true);

    /// <summary>A non-negative INTEGER of at most 20 octets (serial numbers, CRL and manifest numbers).</summary>
    public static System.Numerics.BigInteger ReadSerialLike(Asn1Encodable? element, string what, bool allowZero)
    {
        if (element?.ToAsn1Object() is not DerInteger i) throw Decoding.Fail($"{what}: not an INTEGER");
        var v = ToBigInteger(i);
        if (v.Sign < 0 || (!allowZero && v.IsZero)) throw Decoding.Fail($"{what}: {v} is not positive");
        if (v.GetBitLength() > 159) throw Decoding.Fail($"{what}: longer than 20 octets");
        return v;
    }

    /// <summary>An INTEGER in 0..4294967295 (AS numbers).</summary>
    public static uint ReadUInt32(Asn1Encodable? element, string what)
    {
        if (element?.ToAsn1Object() is not DerInteger i) throw Decoding.Fail($"{what}: not an INTEGER");
        if (!i.TryGetLongValueExact(out long v) || v < 0 || v > uint.MaxValue)
            throw Decoding.Fail($"{what}: {i.Value} outside 0..4294967295");
        return (uint)v;
    }

    public static bool ParametersAbsentOrNull(AlgorithmIdentifier alg)
        => alg.Parameters is null || alg.Parameters.ToAsn1Object() is Asn1Null;

    /// <summary>Checks for sha256WithRSAEncryption with NULL or absent parameters.</summary>
    public static void RequireSha256WithRsa(AlgorithmIdentifier alg, string what)
    {
        if (alg.Algorithm.Id != Oids.Sha256WithRsa)
            throw Decoding.Fail($"{what}: signature algorithm {Oids.Describe(alg.Algorithm.Id)}, expected sha256WithRSAEncryption");
        if (!ParametersAbsentOrNull(alg))
            throw Decoding.Fail($"{what}: sha256WithRSAEncryption with parameters other than NULL");
    }

    public static bool SameEncoding(Asn1Encodable a, Asn1Encodable b)
        => a.GetEncoded(Asn1Encodable.Der).AsSpan().SequenceEqual(b.GetEncoded(Asn1Encodable.Der));

    /// <summary>A context-specific tagged element with the given tag number, or null.</summary>
    public static Asn1TaggedObject? AsContextTag(Asn1Encodable element, int tagNo)
        => element.ToAsn1Object() is Asn1TaggedObject t && t.TagClass == Asn1Tags.ContextSpecific && t.TagNo == tagNo ? t : null;
}
