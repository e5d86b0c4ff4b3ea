using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace RtrCache.Rpki.Objects;

/// <summary>
/// A 20-octet key identifier (RFC 6487 §4.8.2: the SHA-1 hash of the subject public key), as found in the
/// Subject and Authority Key Identifier extensions and the CMS signer identifier. A value type with cheap
/// equality, usable as a dictionary key.
/// </summary>
public readonly struct KeyIdentifier : IEquatable<KeyIdentifier>, IComparable<KeyIdentifier>
{
    public const int Length = 20;
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly uint _c;

    private KeyIdentifier(ulong a, ulong b, uint c)
    {
        _a = a;
        _b = b;
        _c = c;
    }

    /// <summary>Creates a key identifier from exactly 20 bytes.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> bytes, out KeyIdentifier id)
    {
        id = default;
        if (bytes.Length != Length) return false;
        id = new KeyIdentifier(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
        return true;
    }

    public static KeyIdentifier Create(ReadOnlySpan<byte> bytes)
        => TryCreate(bytes, out var id) ? id : throw new ArgumentException($"a key identifier is {Length} bytes, not {bytes.Length}", nameof(bytes));

    /// <summary>Parses 40 hexadecimal digits (either case).</summary>
    public static bool TryParse(string? hex, [NotNullWhen(true)] out KeyIdentifier? id)
    {
        id = null;
        if (hex is null || hex.Length != 2 * Length) return false;
        Span<byte> b = stackalloc byte[Length];
        if (Convert.FromHexString(hex, b, out _, out int written) != System.Buffers.OperationStatus.Done || written != Length) return false;
        id = Create(b);
        return true;
    }

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _c);
    }

    public byte[] ToArray()
    {
        var b = new byte[Length];
        CopyTo(b);
        return b;
    }

    public bool Equals(KeyIdentifier other) => _a == other._a && _b == other._b && _c == other._c;
    public override bool Equals(object? obj) => obj is KeyIdentifier k && Equals(k);
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c);
    public static bool operator ==(KeyIdentifier left, KeyIdentifier right) => left.Equals(right);
    public static bool operator !=(KeyIdentifier left, KeyIdentifier right) => !left.Equals(right);

    public int CompareTo(KeyIdentifier other)
    {
        int c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        return c != 0 ? c : _c.CompareTo(other._c);
    }

    /// <summary>Upper-case hexadecimal, 40 digits.</summary>
    public override string ToString() => Convert.ToHexString(ToArray());
}
