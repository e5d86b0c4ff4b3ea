using Org.BouncyCastle.Asn1;
using RtrCache.Payload;
using RtrCache.Rpki.Objects;
using RtrCache.Rpki.Resources;

namespace RtrCache.Rpki.Tests;

public class ResourceSetTests
{
    private static IpRange V4(string from, string to)
        => new(false, IpPrefix.Parse(from + "/32").AddressBits, IpPrefix.Parse(to + "/32").AddressBits);

    [Test]
    public void AsResourceSet_CreateMergesOverlappingAndAdjacentRanges()
    {
        var set = AsResourceSet.Create([new AsRange(10, 20), new AsRange(21, 30), new AsRange(5, 12), AsRange.Single(40), AsRange.Single(42), AsRange.Single(41)]);
        Assert.That(set.Ranges, Is.EqualTo(new[] { new AsRange(5, 30), new AsRange(40, 42) }));
        Assert.That(set.AsnCount, Is.EqualTo(29));
        Assert.That(AsResourceSet.Create([new AsRange(0, uint.MaxValue), AsRange.Single(7)]).Ranges, Is.EqualTo(new[] { new AsRange(0, uint.MaxValue) }));
    }

    [Test]
    public void AsResourceSet_Containment()
    {
        var set = AsResourceSet.Create([new AsRange(100, 200), new AsRange(300, 400), AsRange.Single(65000)]);
        Assert.Multiple(() =>
        {
            Assert.That(set.ContainsAsn(100), Is.True);
            Assert.That(set.ContainsAsn(200), Is.True);
            Assert.That(set.ContainsAsn(250), Is.False);
            Assert.That(set.ContainsAsn(65000), Is.True);
            Assert.That(set.ContainsAsn(0), Is.False);
            Assert.That(set.ContainsRange(new AsRange(150, 200)), Is.True);
            Assert.That(set.ContainsRange(new AsRange(150, 300)), Is.False);
            Assert.That(set.Contains(AsResourceSet.Create(150, 350, 65000)), Is.True);
            Assert.That(set.Contains(AsResourceSet.Create(150, 250)), Is.False);
            Assert.That(set.Contains(AsResourceSet.Inherit), Is.True);
            Assert.That(set.Contains(AsResourceSet.Empty), Is.True);
            Assert.That(AsResourceSet.Empty.Contains(set), Is.False);
            Assert.Throws<InvalidOperationException>(() => AsResourceSet.Inherit.ContainsAsn(1));
            Assert.That(AsResourceSet.Inherit.ResolveInherit(set), Is.SameAs(set));
            Assert.That(set.ResolveInherit(AsResourceSet.Empty), Is.SameAs(set));
        });
    }

    [Test]
    public void AsResourceSet_ContainmentMatchesBruteForce()
    {
        var random = new Random(17);
        for (int round = 0; round < 500; round++)
        {
            var a = RandomAsSet(random);
            var b = RandomAsSet(random);
            var aAll = a.EnumerateAsns().ToHashSet();
            bool expected = b.EnumerateAsns().All(aAll.Contains);
            Assert.That(a.Contains(b), Is.EqualTo(expected), $"{a} ⊇ {b}");
            for (uint asn = 0; asn < 210; asn += 3)
                Assert.That(a.ContainsAsn(asn), Is.EqualTo(aAll.Contains(asn)));
        }
    }

    private static AsResourceSet RandomAsSet(Random random)
        => AsResourceSet.Create(Enumerable.Range(0, random.Next(0, 6)).Select(_ =>
        {
            uint min = (uint)random.Next(0, 200);
            return new AsRange(min, min + (uint)random.Next(0, 15));
        }));

    [Test]
    public void IpResourceSet_CreateMergesAndSortsPerFamily()
    {
        var set = IpResourceSet.Create("10.0.1.0/24", "10.0.0.0/24", "2001:db8::/33", "2001:db8:8000::/33", "192.0.2.0/25");
        Assert.That(set.IPv4.Select(r => r.ToString()), Is.EqualTo(new[] { "10.0.0.0/23", "192.0.2.0/25" }));
        Assert.That(set.IPv6.Select(r => r.ToString()), Is.EqualTo(new[] { "2001:db8::/32" }));
        Assert.That(set.Count, Is.EqualTo(3));
        Assert.That(V4("10.0.0.1", "10.0.0.2").ToString(), Is.EqualTo("10.0.0.1-10.0.0.2"));
        Assert.That(IpRange.FromPrefix(IpPrefix.Parse("::/0")).TryGetPrefix(out var all) && all.Length == 0, Is.True);
        Assert.That(IpRange.FromPrefix(IpPrefix.Parse("0.0.0.0/0")).ToString(), Is.EqualTo("0.0.0.0/0"));
        Assert.That(IpRange.FromPrefix(IpPrefix.Parse("192.0.2.7/32")).ToString(), Is.EqualTo("192.0.2.7/32"));
    }

    [Test]
    public void IpResourceSet_Containment()
    {
        var set = IpResourceSet.Create([V4("10.0.0.0", "10.0.0.255"), V4("10.0.2.0", "10.0.3.7"), IpRange.FromPrefix(IpPrefix.Parse("2001:db8::/32"))]);
        Assert.Multiple(() =>
        {
            Assert.That(set.ContainsPrefix(IpPrefix.Parse("10.0.0.128/25")), Is.True);
            Assert.That(set.ContainsPrefix(IpPrefix.Parse("10.0.0.0/23")), Is.False);
            Assert.That(set.ContainsPrefix(IpPrefix.Parse("10.0.3.0/29")), Is.True);
            Assert.That(set.ContainsPrefix(IpPrefix.Parse("10.0.3.0/28")), Is.False);
            Assert.That(set.ContainsPrefix(IpPrefix.Parse("2001:db8:1::/48")), Is.True);
            Assert.That(set.ContainsPrefix(IpPrefix.Parse("2001:db9::/48")), Is.False);
            Assert.That(set.Contains(IpResourceSet.Create("10.0.0.0/25", "10.0.2.0/24", "2001:db8:ff00::/40")), Is.True);
            Assert.That(set.Contains(IpResourceSet.Create("10.0.0.0/25", "10.0.1.0/24")), Is.False);
            Assert.That(set.Contains(IpResourceSet.InheritAll), Is.True);
            Assert.That(IpResourceSet.Empty.Contains(set), Is.False);
            Assert.Throws<InvalidOperationException>(() => IpResourceSet.InheritAll.ContainsPrefix(IpPrefix.Parse("10.0.0.0/8")));
        });
    }

    [Test]
    public void IpResourceSet_ResolveInheritPerFamily()
    {
        var issuer = IpResourceSet.Create("10.0.0.0/8", "2001:db8::/32");
        var child = IpResourceSet.Create([IpRange.FromPrefix(IpPrefix.Parse("10.1.0.0/16"))], ipv6Inherit: true);
        var effective = child.ResolveInherit(issuer);
        Assert.Multiple(() =>
        {
            Assert.That(effective.HasInherit, Is.False);
            Assert.That(effective.IPv4.Select(r => r.ToString()), Is.EqualTo(new[] { "10.1.0.0/16" }));
            Assert.That(effective.IPv6.Select(r => r.ToString()), Is.EqualTo(new[] { "2001:db8::/32" }));
            Assert.That(issuer.Contains(child), Is.True, "an inherit family is contained by definition");
            Assert.That(issuer.Contains(effective), Is.True);
            Assert.That(IpResourceSet.InheritAll.ResolveInherit(issuer), Is.EqualTo(issuer));
        });
    }

    [Test]
    public void IpResourceSet_ContainmentMatchesBruteForce()
    {
        var random = new Random(23);
        for (int round = 0; round < 500; round++)
        {
            var a = RandomIpSet(random);
            var b = RandomIpSet(random);
            var aAll = Addresses(a);
            Assert.That(a.Contains(b), Is.EqualTo(Addresses(b).All(aAll.Contains)), $"{a} ⊇ {b}");
            for (int len = 24; len <= 32; len++)
            {
                var p = new IpPrefix(false, (uint)(0x0A000000 + (random.Next(0, 256) & ~((1 << (32 - len)) - 1))), (byte)len);
                bool expected = Addresses(IpResourceSet.Create(p)).All(aAll.Contains);
                Assert.That(a.ContainsPrefix(p), Is.EqualTo(expected), $"{a} ⊇ {p}");
            }
        }
    }

    private static IpResourceSet RandomIpSet(Random random)
        => IpResourceSet.Create(Enumerable.Range(0, random.Next(0, 6)).Select(_ =>
        {
            uint min = 0x0A000000u + (uint)random.Next(0, 240);
            return new IpRange(false, min, min + (uint)random.Next(0, 16));
        }));

    private static HashSet<UInt128> Addresses(IpResourceSet set)
    {
        var all = new HashSet<UInt128>();
        foreach (var r in set.IPv4)
            for (var a = r.Min; a <= r.Max; a++) all.Add(a);
        return all;
    }

    // --- RFC 3779 canonical encoding (rpki-objects.md §3.1) ---

    private static DerSequence Family(byte afi, params Asn1Encodable[] entries) => new(new DerOctetString([0, afi]), new DerSequence(entries));
    private static DerBitString Bits(byte[] bytes, int pad) => new(bytes, pad);
    private static DerSequence Range(DerBitString min, DerBitString max) => new(min, max);

    private static string? IpError(Asn1Object value)
    {
        try
        {
            Rfc3779.DecodeIpAddrBlocks(value, "test");
            return null;
        }
        catch (Exception e) when (e.GetType().Name == "RpkiDecodeException")
        {
            return e.Message;
        }
    }

    private static string? AsError(Asn1Object value)
    {
        try
        {
            Rfc3779.DecodeAsIdentifiers(value, "test");
            return null;
        }
        catch (Exception e) when (e.GetType().Name == "RpkiDecodeException")
        {
            return e.Message;
        }
    }

    [Test]
    public void Rfc3779_CanonicalIpEncodingIsAccepted()
    {
        // 10.0.0.0/8, the range 12.0.0.0-12.2.255.255 (not a prefix), IPv6 inherit.
        var value = new DerSequence(
            Family(1, Bits([10], 0), Range(Bits([12], 0), Bits([12, 2], 0))),
            new DerSequence(new DerOctetString([0, 2]), DerNull.Instance));
        var set = Rfc3779.DecodeIpAddrBlocks(value, "test");
        Assert.That(set.IPv4.Select(r => r.ToString()), Is.EqualTo(new[] { "10.0.0.0/8", "12.0.0.0-12.2.255.255" }));
        Assert.That(set.IPv6Inherit, Is.True);
    }

    [Test]
    public void Rfc3779_RangeMaxTrailingOnesAreImplied()
    {
        // max 10.0.0.127 encoded with its trailing ones dropped: 0x0A 0x00 0x00 0x00 / 1 unused bit → 10.0.0.0/31 bits.
        var value = new DerSequence(Family(1, Range(Bits([10, 0, 0, 1], 0), Bits([10, 0, 0, 0x7E], 1))));
        var set = Rfc3779.DecodeIpAddrBlocks(value, "test");
        Assert.That(set.IPv4.Single().ToString(), Is.EqualTo("10.0.0.1-10.0.0.127"));
    }

    [Test]
    public void Rfc3779_NonCanonicalIpEncodingsAreRejected()
    {
        Assert.Multiple(() =>
        {
            Assert.That(IpError(new DerSequence(Family(1, Bits([10], 0), Bits([11], 0)))), Does.Contain("adjacent"));
            Assert.That(IpError(new DerSequence(Family(1, Bits([11], 0), Bits([10], 0)))), Does.Contain("not sorted"));
            Assert.That(IpError(new DerSequence(Family(1, Bits([10], 0), Bits([10, 1], 0)))), Does.Contain("overlaps"));
            Assert.That(IpError(new DerSequence(Family(1, Range(Bits([10], 0), Bits([11], 0))))), Does.Contain("must be encoded as the prefix 10.0.0.0/7"));
            Assert.That(IpError(new DerSequence(Family(2, Bits([0x20], 0)), Family(1, Bits([10], 0)))), Does.Contain("IPv6 listed before IPv4"));
            Assert.That(IpError(new DerSequence(Family(1, Bits([10], 0)), Family(1, Bits([12], 0)))), Does.Contain("listed twice"));
            Assert.That(IpError(new DerSequence(new DerSequence(new DerOctetString([0, 1, 1]), DerNull.Instance))), Does.Contain("SAFI"));
            Assert.That(IpError(new DerSequence(new DerSequence(new DerOctetString([0, 3]), DerNull.Instance))), Does.Contain("unknown address family"));
            Assert.That(IpError(new DerSequence(Family(1))), Does.Contain("empty"));
            Assert.That(IpError(new DerSequence()), Does.Contain("empty"));
            Assert.That(IpError(new DerSequence(Family(1, Bits([10, 0, 0, 0, 0], 0)))), Does.Contain("40 bits, longer than 32"));
            Assert.That(IpError(new DerSequence(Family(1, Range(Bits([11], 0), Bits([10], 0))))), Does.Contain("min above max"));
        });
    }

    [Test]
    public void Rfc3779_AsIdentifiers()
    {
        DerSequence AsIds(params Asn1Encodable[] entries) => new(new DerTaggedObject(true, 0, new DerSequence(entries)));
        DerSequence AsRangeOf(long a, long b) => new(DerInteger.ValueOf(a), DerInteger.ValueOf(b));
        var ok = Rfc3779.DecodeAsIdentifiers(AsIds(DerInteger.ValueOf(1), AsRangeOf(3, 9), DerInteger.ValueOf(4294967295)), "test");
        Assert.That(ok.Ranges, Is.EqualTo(new[] { AsRange.Single(1), new AsRange(3, 9), AsRange.Single(uint.MaxValue) }));
        Assert.That(Rfc3779.DecodeAsIdentifiers(new DerSequence(new DerTaggedObject(true, 0, DerNull.Instance)), "test").IsInherit, Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(AsError(AsIds(AsRangeOf(5, 5))), Does.Contain("single id"));
            Assert.That(AsError(AsIds(DerInteger.ValueOf(1), DerInteger.ValueOf(2))), Does.Contain("adjacent"));
            Assert.That(AsError(AsIds(DerInteger.ValueOf(5), DerInteger.ValueOf(2))), Does.Contain("not sorted"));
            Assert.That(AsError(AsIds(AsRangeOf(9, 3))), Does.Contain("min above max"));
            Assert.That(AsError(AsIds(DerInteger.ValueOf(4294967296))), Does.Contain("outside 0..4294967295"));
            Assert.That(AsError(AsIds(DerInteger.ValueOf(-1))), Does.Contain("outside 0..4294967295"));
            Assert.That(AsError(AsIds()), Does.Contain("empty"));
            Assert.That(AsError(new DerSequence(new DerTaggedObject(true, 0, new DerSequence(DerInteger.ValueOf(1))), new DerTaggedObject(true, 1, DerNull.Instance))), Does.Contain("rdi"));
            Assert.That(AsError(new DerSequence()), Does.Contain("without asnum"));
        });
    }
}
