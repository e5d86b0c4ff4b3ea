using RtrCache.Payload.Verification;

namespace RtrCache.Payload.Tests.Verification;

/// <summary>Prefix lookups and the per-AS index, against hand-picked cases and a linear-scan oracle.</summary>
public sealed class VrpSearchTests
{
    private static readonly PayloadSet Table = PayloadSet.Create(
    [
        Make.V4("10.0.0.0/8", 16, 64511),
        Make.V4("10.0.0.0/16", 24, 64512),
        Make.V4("10.0.0.0/16", 16, 64513),
        Make.V4("10.1.0.0/16", 16, 64511),
        Make.V4("10.0.0.0/24", 24, 64511),
        Make.V4("11.0.0.0/8", 8, 64511),
        Make.V6("2001:db8::/32", 48, 64496),
        Make.V6("2001:db8::/48", 48, 64497),
    ]);

    [Test]
    public void Covering_finds_every_shorter_prefix_on_the_path_to_the_root()
    {
        // 10.0.0.0/24 is covered by 10.0.0.0/8, both 10.0.0.0/16 VRPs and itself, in natural order (address, then
        // max length, prefix length, ASN): /8-16, /16-16, /16-24, /24-24. Not by 10.1.0.0/16 or 11.0.0.0/8.
        var found = VrpSearch.Covering(Table, IpPrefix.Parse("10.0.0.0/24"));
        Assert.That(found, Is.EqualTo(new[]
        {
            Make.V4("10.0.0.0/8", 16, 64511),
            Make.V4("10.0.0.0/16", 16, 64513),
            Make.V4("10.0.0.0/16", 24, 64512),
            Make.V4("10.0.0.0/24", 24, 64511),
        }));
        // 10.1.2.0/24: covered by 10.0.0.0/8 and 10.1.0.0/16 (found at two different truncated addresses).
        Assert.That(VrpSearch.Covering(Table, IpPrefix.Parse("10.1.2.0/24")), Is.EqualTo(new[]
        {
            Make.V4("10.0.0.0/8", 16, 64511),
            Make.V4("10.1.0.0/16", 16, 64511),
        }));
    }

    [Test]
    public void Covered_finds_the_prefix_itself_and_everything_inside()
    {
        // Inside 10.0.0.0/8: all four 10.x VRPs (including /8 itself), not 11.0.0.0/8.
        Assert.That(VrpSearch.Covered(Table, IpPrefix.Parse("10.0.0.0/8")).Count(), Is.EqualTo(5));
        // Inside 10.0.0.0/16: the two /16s at that address and 10.0.0.0/24; not the /8 (shorter), not 10.1.0.0/16.
        Assert.That(VrpSearch.Covered(Table, IpPrefix.Parse("10.0.0.0/16")), Is.EqualTo(new[]
        {
            Make.V4("10.0.0.0/16", 16, 64513),
            Make.V4("10.0.0.0/16", 24, 64512),
            Make.V4("10.0.0.0/24", 24, 64511),
        }));
        Assert.That(VrpSearch.Covered(Table, IpPrefix.Parse("2001:db8::/47")), Is.EqualTo(new[] { Make.V6("2001:db8::/48", 48, 64497) }));
        Assert.That(VrpSearch.Covered(Table, IpPrefix.Parse("0.0.0.0/0")).Count(), Is.EqualTo(6));
        Assert.That(VrpSearch.Covered(Table, IpPrefix.Parse("::/0")).Count(), Is.EqualTo(2));
    }

    [Test]
    public void Exact_finds_only_that_prefix()
    {
        Assert.That(VrpSearch.Exact(Table, IpPrefix.Parse("10.0.0.0/16")), Has.Count.EqualTo(2));
        Assert.That(VrpSearch.Exact(Table, IpPrefix.Parse("10.0.0.0/15")), Is.Empty);
        Assert.That(VrpSearch.Exact(Table, IpPrefix.Parse("2001:db8::/32")), Is.EqualTo(new[] { Make.V6("2001:db8::/32", 48, 64496) }));
    }

    [Test]
    public void Searches_agree_with_a_linear_scan()
    {
        var rng = new Random(42);
        uint[] asns = [64496, 64497, 64498, uint.MaxValue];
        for (int round = 0; round < 30; round++)
        {
            var vrps = Enumerable.Range(0, 500).Select(_ => rng.Next(3) == 0 ? RouteOriginValidatorTests.RandomV6(rng, asns) : Make.RandomV4(rng, asns)).ToList();
            var set = PayloadSet.Create(vrps);
            var all = set.Vrps.ToList();
            for (int q = 0; q < 100; q++)
            {
                var basis = all[rng.Next(all.Count)];
                int length = Math.Clamp(basis.PrefixLength + rng.Next(-4, 5), 0, basis.FamilyBits);
                var p = basis.Prefix;
                var query = new IpPrefix(p.IsIPv6, length >= p.Length ? p.AddressBits : Truncate(p, length), (byte)length);
                Assert.Multiple(() =>
                {
                    Assert.That(VrpSearch.Covering(set, query), Is.EqualTo(all.Where(v => v.Prefix.Covers(query))), $"covering {query}");
                    Assert.That(VrpSearch.Covered(set, query), Is.EqualTo(all.Where(v => query.Covers(v.Prefix))), $"covered {query}");
                    Assert.That(VrpSearch.Exact(set, query), Is.EqualTo(all.Where(v => v.Prefix == query)), $"exact {query}");
                });
            }

            var index = new VrpAsnIndex(set);
            foreach (uint asn in asns.Append(1u))
            {
                var expected = all.Where(v => v.Asn == asn).ToList();
                Assert.That(index.Find(asn), Is.EqualTo(expected), $"AS{asn}");
                Assert.That(index.Count(asn), Is.EqualTo(expected.Count), $"count AS{asn}");
            }
        }
    }

    [Test]
    public void Asn_index_handles_the_ends_of_the_AS_range_and_an_empty_set()
    {
        var set = PayloadSet.Create([Make.V4("192.0.2.0/24", 24, 0), Make.V4("192.0.2.0/24", 24, uint.MaxValue), Make.V6("2001:db8::/32", 32, uint.MaxValue)]);
        var index = new VrpAsnIndex(set);
        Assert.That(index.Count(0), Is.EqualTo(1));
        Assert.That(index.Count(uint.MaxValue), Is.EqualTo(2));
        Assert.That(index.Find(uint.MaxValue).Select(v => v.IsIPv6), Is.EqualTo(new[] { false, true }), "IPv4 before IPv6");
        Assert.That(index.Count(5), Is.Zero);
        Assert.That(new VrpAsnIndex(PayloadSet.Empty).Find(0), Is.Empty);
    }

    private static UInt128 Truncate(IpPrefix p, int length)
    {
        int bits = p.FamilyBits;
        if (length == 0) return UInt128.Zero;
        UInt128 all = bits == 128 ? UInt128.MaxValue : uint.MaxValue;
        return p.AddressBits & (all << (bits - length)) & all;
    }
}
