using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests;

/// <summary>Small payload sets shared by the tests.</summary>
public static class Samples
{
    public static readonly KeyEntry Key1 = KeyEntry.NewP256(64496);
    public static readonly KeyEntry Key2 = KeyEntry.NewP256(64497);

    /// <summary>IPv4 and IPv6 VRPs (one AS0), two ASPA customers, one router key.</summary>
    public static TestPayload Basic { get; } = new(
        [
            new Roa(64496, "192.0.2.0/24", 24),
            new Roa(64497, "198.51.100.0/24", 24),
            new Roa(64496, "198.51.100.0/22", 24),
            new Roa(0, "203.0.113.0/24", 24),
            new Roa(64496, "2001:db8::/32", 48),
            new Roa(64498, "2001:db8:1000::/36", 36),
        ],
        [new AspaEntry(64496, 64497, 64498), new AspaEntry(64500, 64501)],
        [Key1]);
}
