using RtrCache.Interop.Peers;

namespace RtrCache.Interop.RtrCacheInterop;

/// <summary>
/// Sample-like payload for the tests against our server, and the successive changes of the update tests.
/// Everything is written out by hand (no production code computes the expectations).
/// </summary>
public static class InteropPayload
{
    /// <summary>IPv4 and IPv6, one prefix with two origins, a 32-bit ASN, AS0, max length &gt; prefix length.</summary>
    public static readonly PeerVrp[] Initial =
    [
        PeerVrp.Parse("192.0.2.0/24", 24, 64496),
        PeerVrp.Parse("192.0.2.0/24", 24, 4_200_000_000),
        PeerVrp.Parse("198.51.100.0/22", 24, 64497),
        PeerVrp.Parse("203.0.113.0/24", 32, 0),
        PeerVrp.Parse("2001:db8::/32", 48, 64496),
        PeerVrp.Parse("2001:db8:1::/48", 48, 0),
        PeerVrp.Parse("2001:db8:ff00::/40", 64, 4_294_967_294),
    ];

    /// <summary>Customer → providers; only v2 sessions see them (none of the routers here speaks v2).</summary>
    public static readonly PeerAspa[] InitialAspas =
    [
        new(64496, [64497, 64498]),
        new(64499, [0]),
        new(4_200_000_000, [64496, 4_200_000_001]),
    ];

    /// <summary>
    /// Change 1 from <see cref="Initial"/>: two VRPs added (new prefixes), one origin of the two-origin prefix removed,
    /// 2001:db8::/32 max length 48 → 40; ASPA of AS64496 gets providers {64497, 64499}.
    /// Net: +3/-2 VRPs (the max length change is a withdrawal plus an announcement), 1 ASPA change.
    /// </summary>
    public static readonly PeerVrp[] Change1 =
    [
        PeerVrp.Parse("192.0.2.0/24", 24, 64496),
        PeerVrp.Parse("192.0.2.128/25", 25, 64499),
        PeerVrp.Parse("198.51.100.0/22", 24, 64497),
        PeerVrp.Parse("203.0.113.0/24", 32, 0),
        PeerVrp.Parse("2001:db8::/32", 40, 64496),
        PeerVrp.Parse("2001:db8:1::/48", 48, 0),
        PeerVrp.Parse("2001:db8:ff00::/40", 64, 4_294_967_294),
        PeerVrp.Parse("2001:db8:abcd::/48", 128, 65551),
    ];

    public static readonly PeerAspa[] Change1Aspas =
    [
        new(64496, [64497, 64499]),
        new(64499, [0]),
        new(4_200_000_000, [64496, 4_200_000_001]),
    ];

    /// <summary>
    /// Change 2 from <see cref="Change1"/>: 10.0.0.0/8 added, 198.51.100.0/22 and the AS0 VRP 2001:db8:1::/48 removed,
    /// 192.0.2.128/25 max length 25 → 26; ASPA of AS4200000000 reduced to {64496}. Net: +2/-3 VRPs, 1 ASPA change.
    /// </summary>
    public static readonly PeerVrp[] Change2 =
    [
        PeerVrp.Parse("10.0.0.0/8", 16, 64511),
        PeerVrp.Parse("192.0.2.0/24", 24, 64496),
        PeerVrp.Parse("192.0.2.128/25", 26, 64499),
        PeerVrp.Parse("203.0.113.0/24", 32, 0),
        PeerVrp.Parse("2001:db8::/32", 40, 64496),
        PeerVrp.Parse("2001:db8:ff00::/40", 64, 4_294_967_294),
        PeerVrp.Parse("2001:db8:abcd::/48", 128, 65551),
    ];

    public static readonly PeerAspa[] Change2Aspas =
    [
        new(64496, [64497, 64499]),
        new(64499, [0]),
        new(4_200_000_000, [64496]),
    ];

    /// <summary>Change 3 from <see cref="Change2"/>: only an ASPA provider set changes (AS64496 gains 65551).</summary>
    public static readonly PeerAspa[] Change3Aspas =
    [
        new(64496, [64497, 64499, 65551]),
        new(64499, [0]),
        new(4_200_000_000, [64496]),
    ];

    /// <summary>A real P-256 SubjectPublicKeyInfo (91 bytes, as rtrlib requires) and the SHA-1 of its key as SKI.</summary>
    public static readonly PeerRouterKey RouterKey = PeerRouterKey.FromBytes(
        64496,
        Convert.FromHexString("825CC6E2C2AE470682A8CA6BFE07D21C07F8FAA7"),
        Convert.FromBase64String(
            "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEjt+K3d8roDpcPtVjo9eFDgCRHA5HoRxgAFPfrNcHdGXPncaSZuR73x6tzUsdfUF2PyGbDIJ1j18+nb6enRn51g=="));

    /// <summary>The same key for another ASN (one Router Key PDU per ASN).</summary>
    public static PeerRouterKey RouterKeyFor(uint asn) => RouterKey with { Asn = asn };

    /// <summary>Items in exactly one of the two sets (what an rtrdump Serial Query shows, flags ignored).</summary>
    public static HashSet<PeerVrp> SymmetricDifference(IEnumerable<PeerVrp> a, IEnumerable<PeerVrp> b)
    {
        var set = a.ToHashSet();
        set.SymmetricExceptWith(b);
        return set;
    }
}
