using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RtrCache.Payload;

/// <summary>
/// A Validated ROA Payload: the tuple {prefix, prefix length, max length, origin AS} that a router uses for
/// route origin validation. Stored as a 24-byte value (two 64-bit halves of the address plus the small
/// fields) so that a global table of ~790,000 VRPs fits in ~19 MB with no per-item object.
/// </summary>
/// <remarks>
/// The natural order (<see cref="CompareTo"/>) is the RTR withdrawal order of draft-ietf-sidrops-8210bis §11.2:
/// IPv4 before IPv6, then address ascending, max length ascending, prefix length ascending, ASN ascending.
/// The announcement order is exactly its reverse within a family.
/// </remarks>
public readonly struct Vrp : IEquatable<Vrp>, IComparable<Vrp>
{
    private readonly ulong _hi;
    private readonly ulong _lo;
    private readonly uint _asn;
    private readonly byte _prefixLength;
    private readonly byte _maxLength;
    private readonly bool _isV6;

    private Vrp(bool isV6, ulong hi, ulong lo, byte prefixLength, byte maxLength, uint asn)
    {
        _isV6 = isV6;
        _hi = hi;
        _lo = lo;
        _prefixLength = prefixLength;
        _maxLength = maxLength;
        _asn = asn;
    }

    public bool IsIPv4 => !_isV6;
    public bool IsIPv6 => _isV6;
    public AddressFamily Family => _isV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
    public byte PrefixLength => _prefixLength;
    public byte MaxLength => _maxLength;
    public uint Asn => _asn;

    /// <summary>The IPv4 network address as a host-order integer (only meaningful for IPv4).</summary>
    public uint V4Address => (uint)_lo;

    /// <summary>The network address as an unsigned integer in network bit order (IPv4 in the low 32 bits).</summary>
    public UInt128 AddressBits => new(_hi, _lo);

    public IPAddress Address
    {
        get
        {
            Span<byte> b = stackalloc byte[16];
            int n = WriteAddress(b);
            return new IPAddress(b[..n]);
        }
    }

    /// <summary>Maximum prefix length for the family (32 or 128).</summary>
    public int FamilyBits => _isV6 ? 128 : 32;

    /// <summary>Writes the address in network byte order; returns 4 or 16.</summary>
    public int WriteAddress(Span<byte> destination)
    {
        if (_isV6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
            return 16;
        }
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_lo);
        return 4;
    }

    /// <summary>Creates an IPv4 VRP; throws <see cref="ArgumentException"/> when the tuple is not valid.</summary>
    public static Vrp V4(uint address, int prefixLength, int maxLength, uint asn)
        => TryCreateV4(address, prefixLength, maxLength, asn, out var vrp, out var error) ? vrp : throw new ArgumentException(error);

    /// <summary>Creates an IPv6 VRP; throws <see cref="ArgumentException"/> when the tuple is not valid.</summary>
    public static Vrp V6(UInt128 address, int prefixLength, int maxLength, uint asn)
        => TryCreateV6(address, prefixLength, maxLength, asn, out var vrp, out var error) ? vrp : throw new ArgumentException(error);

    public static Vrp Create(IPAddress address, int prefixLength, int maxLength, uint asn)
        => TryCreate(address, prefixLength, maxLength, asn, out var vrp, out var error) ? vrp : throw new ArgumentException(error);

    public static bool TryCreateV4(uint address, int prefixLength, int maxLength, uint asn, out Vrp vrp, [NotNullWhen(false)] out string? error)
    {
        vrp = default;
        if (!CheckLengths(prefixLength, maxLength, 32, out error)) return false;
        uint hostMask = prefixLength == 32 ? 0u : uint.MaxValue >> prefixLength;
        if ((address & hostMask) != 0)
        {
            error = $"host bits set in {FormatV4(address)}/{prefixLength}";
            return false;
        }
        vrp = new Vrp(false, 0, address, (byte)prefixLength, (byte)maxLength, asn);
        return true;
    }

    public static bool TryCreateV6(UInt128 address, int prefixLength, int maxLength, uint asn, out Vrp vrp, [NotNullWhen(false)] out string? error)
    {
        vrp = default;
        if (!CheckLengths(prefixLength, maxLength, 128, out error)) return false;
        UInt128 hostMask = prefixLength == 128 ? UInt128.Zero : UInt128.MaxValue >> prefixLength;
        if ((address & hostMask) != UInt128.Zero)
        {
            error = $"host bits set in {FormatV6(address)}/{prefixLength}";
            return false;
        }
        vrp = new Vrp(true, (ulong)(address >> 64), (ulong)address, (byte)prefixLength, (byte)maxLength, asn);
        return true;
    }

    public static bool TryCreate(IPAddress address, int prefixLength, int maxLength, uint asn, out Vrp vrp, [NotNullWhen(false)] out string? error)
    {
        Span<byte> b = stackalloc byte[16];
        if (!address.TryWriteBytes(b, out int written))
        {
            vrp = default;
            error = "unreadable address";
            return false;
        }
        return written == 4
            ? TryCreateV4(BinaryPrimitives.ReadUInt32BigEndian(b), prefixLength, maxLength, asn, out vrp, out error)
            : TryCreateV6(BinaryPrimitives.ReadUInt128BigEndian(b), prefixLength, maxLength, asn, out vrp, out error);
    }

    /// <summary>Parses a prefix such as <c>192.0.2.0/24</c> or <c>2001:db8::/32</c> into a VRP.</summary>
    public static bool TryCreate(string prefix, int maxLength, uint asn, out Vrp vrp, [NotNullWhen(false)] out string? error)
    {
        vrp = default;
        if (!IpPrefix.TryParse(prefix, out var p, out error)) return false;
        return p.IsIPv4
            ? TryCreateV4((uint)p.AddressBits, p.Length, maxLength, asn, out vrp, out error)
            : TryCreateV6(p.AddressBits, p.Length, maxLength, asn, out vrp, out error);
    }

    /// <summary>The prefix part of this VRP.</summary>
    public IpPrefix Prefix => new(_isV6, AddressBits, _prefixLength);

    private static bool CheckLengths(int prefixLength, int maxLength, int bits, [NotNullWhen(false)] out string? error)
    {
        if (prefixLength < 0 || prefixLength > bits)
        {
            error = $"prefix length {prefixLength} outside 0..{bits}";
            return false;
        }
        if (maxLength < prefixLength || maxLength > bits)
        {
            error = $"max length {maxLength} outside {prefixLength}..{bits}";
            return false;
        }
        error = null;
        return true;
    }

    public int CompareTo(Vrp other)
    {
        if (_isV6 != other._isV6) return _isV6 ? 1 : -1;
        int c = _hi.CompareTo(other._hi);
        if (c != 0) return c;
        c = _lo.CompareTo(other._lo);
        if (c != 0) return c;
        c = _maxLength.CompareTo(other._maxLength);
        if (c != 0) return c;
        c = _prefixLength.CompareTo(other._prefixLength);
        if (c != 0) return c;
        return _asn.CompareTo(other._asn);
    }

    public bool Equals(Vrp other)
        => _lo == other._lo && _hi == other._hi && _asn == other._asn && _prefixLength == other._prefixLength
           && _maxLength == other._maxLength && _isV6 == other._isV6;

    public override bool Equals(object? obj) => obj is Vrp v && Equals(v);
    public override int GetHashCode() => HashCode.Combine(_hi, _lo, _asn, _prefixLength, _maxLength, _isV6);

    public static bool operator ==(Vrp a, Vrp b) => a.Equals(b);
    public static bool operator !=(Vrp a, Vrp b) => !a.Equals(b);
    public static bool operator <(Vrp a, Vrp b) => a.CompareTo(b) < 0;
    public static bool operator >(Vrp a, Vrp b) => a.CompareTo(b) > 0;
    public static bool operator <=(Vrp a, Vrp b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Vrp a, Vrp b) => a.CompareTo(b) >= 0;

    /// <summary>Formats as <c>192.0.2.0/24-24 AS64496</c>.</summary>
    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"{Prefix}-{_maxLength} AS{_asn}");

    internal static string FormatV4(uint a)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, a);
        return new IPAddress(b).ToString();
    }

    internal static string FormatV6(UInt128 a)
    {
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b, a);
        return new IPAddress(b).ToString();
    }
}
