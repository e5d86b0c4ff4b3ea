using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Numerics;
using RtrCache.Payload;

namespace RtrCache.Rpki.Resources;

/// <summary>
/// An inclusive range of IPv4 or IPv6 addresses. Addresses are unsigned integers in network bit order, IPv4 in the
/// low 32 bits (as in <see cref="IpPrefix.AddressBits"/>).
/// </summary>
public readonly record struct IpRange : IComparable<IpRange>
{
    public IpRange(bool isIPv6, UInt128 min, UInt128 max)
    {
        if (min > max) throw new ArgumentException("IP range has min > max");
        if (!isIPv6 && max > uint.MaxValue) throw new ArgumentException("IPv4 range beyond 255.255.255.255");
        IsIPv6 = isIPv6;
        Min = min;
        Max = max;
    }

    public bool IsIPv6 { get; }
    public bool IsIPv4 => !IsIPv6;
    public UInt128 Min { get; }
    public UInt128 Max { get; }
    public int FamilyBits => IsIPv6 ? 128 : 32;

    public static IpRange FromPrefix(IpPrefix prefix)
    {
        int bits = prefix.FamilyBits;
        return new IpRange(prefix.IsIPv6, prefix.AddressBits, prefix.AddressBits | HostMask(bits - prefix.Length));
    }

    /// <summary>All ones in the low <paramref name="hostBits"/> bits.</summary>
    internal static UInt128 HostMask(int hostBits) => hostBits <= 0 ? UInt128.Zero : UInt128.MaxValue >> (128 - hostBits);

    /// <summary>When the range is exactly one prefix, that prefix.</summary>
    public bool TryGetPrefix(out IpPrefix prefix)
    {
        prefix = default;
        UInt128 span = Max - Min;
        // span + 1 must be a power of two and Min aligned to it.
        if ((span & (span + 1)) != UInt128.Zero) return false;
        if ((Min & span) != UInt128.Zero) return false;
        int hostBits = 128 - (int)UInt128.LeadingZeroCount(span);
        int length = FamilyBits - hostBits;
        if (length < 0) return false;
        prefix = new IpPrefix(IsIPv6, Min, (byte)length);
        return true;
    }

    public bool Contains(IpRange other) => IsIPv6 == other.IsIPv6 && Min <= other.Min && other.Max <= Max;

    public bool Contains(IpPrefix prefix) => Contains(FromPrefix(prefix));

    public int CompareTo(IpRange other)
    {
        if (IsIPv6 != other.IsIPv6) return IsIPv6 ? 1 : -1;
        int c = Min.CompareTo(other.Min);
        return c != 0 ? c : Max.CompareTo(other.Max);
    }

    /// <summary>Prefix notation when the range is a prefix, else <c>min-max</c>.</summary>
    public override string ToString()
        => TryGetPrefix(out var p) ? p.ToString() : $"{FormatAddress(IsIPv6, Min)}-{FormatAddress(IsIPv6, Max)}";

    internal static string FormatAddress(bool v6, UInt128 value)
    {
        Span<byte> b = stackalloc byte[16];
        if (v6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(b, value);
            return new IPAddress(b).ToString();
        }
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)value);
        return new IPAddress(b[..4]).ToString();
    }
}
