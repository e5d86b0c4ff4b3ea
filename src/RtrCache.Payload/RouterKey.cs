using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace RtrCache.Payload;

/// <summary>
/// A BGPsec router key (RFC 8210 §5.10): the Subject Key Identifier and SubjectPublicKeyInfo of a router
/// certificate, for one of the ASes it names. Identity is the whole tuple {SKI, ASN, SPKI}: two certificates
/// with the same SKI but different keys are different records.
/// </summary>
/// <remarks>Natural order is the §11.2 order: SKI bytes, SPKI length, SPKI bytes, ASN, all ascending.</remarks>
public sealed class RouterKey : IEquatable<RouterKey>, IComparable<RouterKey>
{
    public const int SkiLength = 20;

    /// <summary>Largest SPKI that fits one Router Key PDU (65,535 − 32).</summary>
    public const int MaxSpkiLength = 65535 - 32;

    public ImmutableArray<byte> Ski { get; }
    public uint Asn { get; }
    public ImmutableArray<byte> SubjectPublicKeyInfo { get; }

    private RouterKey(ImmutableArray<byte> ski, uint asn, ImmutableArray<byte> spki)
    {
        Ski = ski;
        Asn = asn;
        SubjectPublicKeyInfo = spki;
    }

    public static RouterKey Create(ReadOnlySpan<byte> ski, uint asn, ReadOnlySpan<byte> spki)
        => TryCreate(ski, asn, spki, out var k, out var e) ? k : throw new ArgumentException(e);

    public static bool TryCreate(ReadOnlySpan<byte> ski, uint asn, ReadOnlySpan<byte> spki, [NotNullWhen(true)] out RouterKey? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (ski.Length != SkiLength)
        {
            error = $"router key SKI is {ski.Length} bytes, expected {SkiLength}";
            return false;
        }
        if (spki.Length == 0 || spki.Length > MaxSpkiLength)
        {
            error = $"router key SubjectPublicKeyInfo length {spki.Length} outside 1..{MaxSpkiLength}";
            return false;
        }
        key = new RouterKey(ski.ToImmutableArray(), asn, spki.ToImmutableArray());
        error = null;
        return true;
    }

    public int CompareTo(RouterKey? other)
    {
        if (other is null) return 1;
        int c = Ski.AsSpan().SequenceCompareTo(other.Ski.AsSpan());
        if (c != 0) return c;
        c = SubjectPublicKeyInfo.Length.CompareTo(other.SubjectPublicKeyInfo.Length);
        if (c != 0) return c;
        c = SubjectPublicKeyInfo.AsSpan().SequenceCompareTo(other.SubjectPublicKeyInfo.AsSpan());
        if (c != 0) return c;
        return Asn.CompareTo(other.Asn);
    }

    public bool Equals(RouterKey? other)
        => other is not null && Asn == other.Asn && Ski.AsSpan().SequenceEqual(other.Ski.AsSpan())
           && SubjectPublicKeyInfo.AsSpan().SequenceEqual(other.SubjectPublicKeyInfo.AsSpan());

    public override bool Equals(object? obj) => Equals(obj as RouterKey);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Asn);
        h.AddBytes(Ski.AsSpan());
        h.AddBytes(SubjectPublicKeyInfo.AsSpan());
        return h.ToHashCode();
    }

    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Convert.ToHexString(Ski.AsSpan())} AS{Asn} ({SubjectPublicKeyInfo.Length}-byte key)");
}
