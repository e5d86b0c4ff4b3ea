using System.Net;
using System.Net.Sockets;

namespace RtrCache.Interop.Peers;

/// <summary>
/// A VRP as a peer reports it: prefix (host bits zero), max length and origin ASN.
/// Independent of the production payload types so the harness checks them from outside.
/// </summary>
public readonly record struct PeerVrp(IPNetwork Prefix, byte MaxLength, uint Asn) : IComparable<PeerVrp>
{
    /// <summary>Parses e.g. ("192.0.2.0/24", 24, 64496); throws if host bits are set or lengths are out of range.</summary>
    public static PeerVrp Parse(string prefix, int maxLength, uint asn)
    {
        var network = IPNetwork.Parse(prefix);
        int width = network.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (maxLength < network.PrefixLength || maxLength > width)
        {
            throw new FormatException($"max length {maxLength} out of range for {prefix}");
        }

        return new PeerVrp(network, (byte)maxLength, asn);
    }

    public bool IsIPv4 => Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork;

    public int CompareTo(PeerVrp other)
    {
        int c = IsIPv4.CompareTo(other.IsIPv4);
        if (c != 0)
        {
            return -c; // IPv4 first
        }

        c = Prefix.BaseAddress.GetAddressBytes().AsSpan().SequenceCompareTo(other.Prefix.BaseAddress.GetAddressBytes());
        if (c != 0)
        {
            return c;
        }

        c = Prefix.PrefixLength.CompareTo(other.Prefix.PrefixLength);
        if (c != 0)
        {
            return c;
        }

        c = MaxLength.CompareTo(other.MaxLength);
        return c != 0 ? c : Asn.CompareTo(other.Asn);
    }

    public override string ToString() => $"{Prefix}-{MaxLength} AS{Asn}";
}

/// <summary>A BGPsec router key: ASN, SKI (20 bytes) and SubjectPublicKeyInfo, both as lowercase hex.</summary>
public readonly record struct PeerRouterKey(uint Asn, string Ski, string Spki) : IComparable<PeerRouterKey>
{
    public static PeerRouterKey FromBytes(uint asn, ReadOnlySpan<byte> ski, ReadOnlySpan<byte> spki)
        => new(asn, Convert.ToHexStringLower(ski), Convert.ToHexStringLower(spki));

    /// <summary>From hex with optional ':' separators (rtrclient prints "aa:bb:...").</summary>
    public static PeerRouterKey FromHex(uint asn, string ski, string spki)
        => new(asn, ski.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant(),
            spki.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant());

    public int CompareTo(PeerRouterKey other)
    {
        int c = Asn.CompareTo(other.Asn);
        if (c != 0)
        {
            return c;
        }

        c = string.CompareOrdinal(Ski, other.Ski);
        return c != 0 ? c : string.CompareOrdinal(Spki, other.Spki);
    }

    public override string ToString() => $"AS{Asn} SKI {Ski} SPKI {Spki[..Math.Min(16, Spki.Length)]}…";
}

/// <summary>An ASPA: customer ASN and its provider ASNs (ascending, no duplicates).</summary>
public sealed record PeerAspa(uint CustomerAsn, IReadOnlyList<uint> Providers)
{
    public override string ToString() => $"AS{CustomerAsn} => [{string.Join(", ", Providers)}]";
}

/// <summary>Helpers to build and compare payload sets in assertions.</summary>
public static class PeerSets
{
    /// <summary>One item per line, sorted, for messages.</summary>
    public static string Describe<T>(IEnumerable<T> items)
        where T : IComparable<T>
    {
        var sorted = items.Order().Select(i => "  " + i).ToList();
        return sorted.Count == 0 ? "  (empty)" : string.Join('\n', sorted);
    }

    /// <summary>Empty string if equal; otherwise the missing and unexpected items.</summary>
    public static string Diff<T>(IEnumerable<T> expected, IEnumerable<T> actual)
        where T : IComparable<T>
    {
        var e = expected.ToHashSet();
        var a = actual.ToHashSet();
        var missing = e.Except(a).ToList();
        var unexpected = a.Except(e).ToList();
        if (missing.Count == 0 && unexpected.Count == 0)
        {
            return "";
        }

        return $"missing ({missing.Count}):\n{Describe(missing)}\nunexpected ({unexpected.Count}):\n{Describe(unexpected)}";
    }
}

/// <summary>Session identity as reported by a peer after a sync.</summary>
public readonly record struct PeerSyncState(int ProtocolVersion, ushort SessionId, uint Serial);

/// <summary>Helpers for addresses in peer configs.</summary>
internal static class Addresses
{
    public static string Format(IPAddress address)
        => address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
