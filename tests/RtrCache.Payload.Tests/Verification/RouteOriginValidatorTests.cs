using RtrCache.Payload.Verification;

namespace RtrCache.Payload.Tests.Verification;

/// <summary>
/// Route origin validation, RFC 6811 §2: a VRP "covers" a route when its prefix contains the route's prefix;
/// a covering VRP "matches" when its ASN is the route's origin and the route is no longer than its max length.
/// Valid = some VRP matches; Invalid = VRPs cover but none matches; NotFound = no VRP covers. Expectations are
/// worked out by hand from those definitions in each comment.
/// </summary>
public sealed class RouteOriginValidatorTests
{
    // The table used by most cases (it mirrors deploy/sample/rpki.json's IPv4/IPv6 ROAs):
    //   192.0.2.0/24-24 AS64496, 198.51.100.0/22-24 AS64496, 198.51.100.0/24-24 AS64497,
    //   203.0.113.0/24-24 AS4200000000, 100.64.0.0/10-32 AS0, 10.0.0.0/8-16 AS64511,
    //   2001:db8::/32-48 AS64496, 2001:db8:1000::/36-48 AS64497, 3fff::/20-128 AS0
    private static readonly PayloadSet Table = PayloadSet.Create(
    [
        Make.V4("192.0.2.0/24", 24, 64496),
        Make.V4("198.51.100.0/22", 24, 64496),
        Make.V4("198.51.100.0/24", 24, 64497),
        Make.V4("203.0.113.0/24", 24, 4200000000),
        Make.V4("100.64.0.0/10", 32, 0),
        Make.V4("10.0.0.0/8", 16, 64511),
        Make.V6("2001:db8::/32", 48, 64496),
        Make.V6("2001:db8:1000::/36", 48, 64497),
        Make.V6("3fff::/20", 128, 0),
    ]);

    private static RouteOriginResult Validate(string prefix, uint origin) => RouteOriginValidator.Validate(Table, IpPrefix.Parse(prefix), origin);

    [Test]
    public void Exact_match_is_valid()
    {
        // 192.0.2.0/24 from 64496: covered by 192.0.2.0/24-24 AS64496 only; same AS, 24 ≤ 24 ⇒ matched ⇒ Valid.
        var r = Validate("192.0.2.0/24", 64496);
        Assert.That(r.State, Is.EqualTo(RouteOriginState.Valid));
        Assert.That(r.Matched, Is.EqualTo(new[] { Make.V4("192.0.2.0/24", 24, 64496) }));
        Assert.That(r.UnmatchedAs, Is.Empty);
        Assert.That(r.InvalidReason, Is.Null);
    }

    [Test]
    public void Valid_when_one_of_several_covering_VRPs_matches()
    {
        // 198.51.100.0/24 from 64497: covered by 198.51.100.0/22-24 AS64496 (other AS) and 198.51.100.0/24-24 AS64497
        // (match). One match suffices ⇒ Valid; the /22 is reported as unmatched by AS.
        var r = Validate("198.51.100.0/24", 64497);
        Assert.That(r.State, Is.EqualTo(RouteOriginState.Valid));
        Assert.That(r.Matched, Is.EqualTo(new[] { Make.V4("198.51.100.0/24", 24, 64497) }));
        Assert.That(r.UnmatchedAs, Is.EqualTo(new[] { Make.V4("198.51.100.0/22", 24, 64496) }));
    }

    [Test]
    public void Within_max_length_is_valid()
    {
        // 198.51.101.0/24 from 64496: covered by 198.51.100.0/22-24 (198.51.100.0–198.51.103.255 contains it);
        // same AS and 24 ≤ 24 ⇒ Valid. (198.51.100.0/24 does not cover 198.51.101.0/24.)
        var r = Validate("198.51.101.0/24", 64496);
        Assert.That(r.State, Is.EqualTo(RouteOriginState.Valid));
        Assert.That(r.Matched, Is.EqualTo(new[] { Make.V4("198.51.100.0/22", 24, 64496) }));
    }

    [Test]
    public void Too_specific_for_the_max_length_is_invalid_by_length()
    {
        // 192.0.2.0/25 from 64496: covered by 192.0.2.0/24-24 AS64496; same AS but 25 > 24 ⇒ no match ⇒ Invalid,
        // reason "length".
        var r = Validate("192.0.2.0/25", 64496);
        Assert.That(r.State, Is.EqualTo(RouteOriginState.Invalid));
        Assert.That(r.UnmatchedLength, Is.EqualTo(new[] { Make.V4("192.0.2.0/24", 24, 64496) }));
        Assert.That(r.InvalidReason, Is.EqualTo("length"));
    }

    [Test]
    public void Wrong_origin_is_invalid_by_AS()
    {
        // 192.0.2.0/24 from 64499: covered by 192.0.2.0/24-24 AS64496 only; AS differs ⇒ Invalid, reason "as".
        var r = Validate("192.0.2.0/24", 64499);
        Assert.That(r.State, Is.EqualTo(RouteOriginState.Invalid));
        Assert.That(r.UnmatchedAs, Has.Count.EqualTo(1));
        Assert.That(r.InvalidReason, Is.EqualTo("as"));
        Assert.That(r.Description, Does.Contain("AS64499"));
    }

    [Test]
    public void Uncovered_prefix_is_not_found()
    {
        // 198.51.104.0/24 lies outside 198.51.100.0/22 (which ends at 198.51.103.255); nothing else covers it.
        Assert.That(Validate("198.51.104.0/24", 64496).State, Is.EqualTo(RouteOriginState.NotFound));
        // A less specific than every VRP (192.0.0.0/16) is not covered by the /24 inside it.
        Assert.That(Validate("192.0.0.0/16", 64496).State, Is.EqualTo(RouteOriginState.NotFound));
        // An IPv4-mapped-looking IPv6 prefix is another family: no IPv4 VRP covers it.
        Assert.That(Validate("::ffff:192.0.2.0/120", 64496).State, Is.EqualTo(RouteOriginState.NotFound));
    }

    [Test]
    public void AS0_VRP_makes_everything_under_it_invalid_and_never_matches()
    {
        // 100.64.1.0/24 from 64496: covered by 100.64.0.0/10-32 AS0 only; AS0 never matches ⇒ Invalid (as).
        var r = Validate("100.64.1.0/24", 64496);
        Assert.That(r.State, Is.EqualTo(RouteOriginState.Invalid));
        Assert.That(r.UnmatchedAs, Is.EqualTo(new[] { Make.V4("100.64.0.0/10", 32, 0) }));
        // Origin 0 is no better: the AS0 VRP has the same ASN but still never matches (RFC 6483 §4, RFC 7607).
        Assert.That(Validate("100.64.1.0/24", 0).State, Is.EqualTo(RouteOriginState.Invalid));
        // The IPv6 AS0 VRP 3fff::/20-128 covers 3fff:0:1::/48 ⇒ Invalid.
        Assert.That(Validate("3fff:0:1::/48", 64496).State, Is.EqualTo(RouteOriginState.Invalid));
    }

    [Test]
    public void IPv6_cases()
    {
        // 2001:db8:1000::/40 from 64497: covered by 2001:db8::/32-48 AS64496 (other AS) and 2001:db8:1000::/36-48
        // AS64497 (40 ≤ 48, match) ⇒ Valid.
        var valid = Validate("2001:db8:1000::/40", 64497);
        Assert.That(valid.State, Is.EqualTo(RouteOriginState.Valid));
        Assert.That(valid.UnmatchedAs, Is.EqualTo(new[] { Make.V6("2001:db8::/32", 48, 64496) }));
        // 2001:db8:1000::/56 from 64497: same two cover it; 56 > 48 ⇒ the AS64497 VRP is unmatched by length ⇒ Invalid (length).
        var tooLong = Validate("2001:db8:1000::/56", 64497);
        Assert.That(tooLong.State, Is.EqualTo(RouteOriginState.Invalid));
        Assert.That(tooLong.InvalidReason, Is.EqualTo("length"));
        // 2001:db9::/32 is outside 2001:db8::/32 ⇒ NotFound.
        Assert.That(Validate("2001:db9::/32", 64496).State, Is.EqualTo(RouteOriginState.NotFound));
    }

    [Test]
    public void Host_routes_and_the_default_route()
    {
        // 10.1.2.3/32 from 64511: covered by 10.0.0.0/8-16; 32 > 16 ⇒ Invalid (length).
        Assert.That(Validate("10.1.2.3/32", 64511).InvalidReason, Is.EqualTo("length"));
        // 0.0.0.0/0 is covered by nothing (no /0 VRP) ⇒ NotFound; a /0 VRP covers every route of its family.
        Assert.That(Validate("0.0.0.0/0", 64496).State, Is.EqualTo(RouteOriginState.NotFound));
        var withDefault = PayloadSet.Create([Make.V4("0.0.0.0/0", 32, 64500), Make.V6("::/0", 128, 64500)]);
        Assert.That(RouteOriginValidator.Validate(withDefault, IpPrefix.Parse("203.0.113.7/32"), 64500).State, Is.EqualTo(RouteOriginState.Valid));
        Assert.That(RouteOriginValidator.Validate(withDefault, IpPrefix.Parse("2001:db8::1/128"), 64500).State, Is.EqualTo(RouteOriginState.Valid));
        Assert.That(RouteOriginValidator.Validate(withDefault, IpPrefix.Parse("0.0.0.0/0"), 64501).State, Is.EqualTo(RouteOriginState.Invalid));
    }

    [Test]
    public void Agrees_with_a_linear_scan_on_random_tables()
    {
        // Independent oracle: every VRP of the family tested with IpPrefix.Covers, then the §2 match rule.
        var rng = new Random(6811);
        uint[] asns = [0, 64496, 64497, 64498];
        for (int round = 0; round < 50; round++)
        {
            var vrps = Enumerable.Range(0, 400).Select(_ => rng.Next(3) == 0 ? RandomV6(rng, asns) : Make.RandomV4(rng, asns)).ToList();
            var set = PayloadSet.Create(vrps);
            for (int q = 0; q < 200; q++)
            {
                // Half the queries are derived from a VRP so that covering cases are common.
                var basis = vrps[rng.Next(vrps.Count)];
                int bits = basis.FamilyBits;
                int length = Math.Clamp(basis.PrefixLength + rng.Next(-3, 9), 0, bits);
                UInt128 address = rng.Next(2) == 0 ? basis.AddressBits : RandomBits(rng, bits);
                UInt128 mask = length == 0 ? UInt128.Zero : (bits == 128 ? UInt128.MaxValue : uint.MaxValue) << (bits - length) & (bits == 128 ? UInt128.MaxValue : uint.MaxValue);
                var route = new IpPrefix(basis.IsIPv6, address & mask, (byte)length);
                uint origin = asns[rng.Next(asns.Length)];

                var covering = set.Vrps.Where(v => v.Prefix.Covers(route)).ToList();
                var matched = covering.Where(v => v.Asn == origin && origin != 0 && route.Length <= v.MaxLength).ToList();
                var expected = matched.Count > 0 ? RouteOriginState.Valid : covering.Count > 0 ? RouteOriginState.Invalid : RouteOriginState.NotFound;

                var r = RouteOriginValidator.Validate(set, route, origin);
                Assert.That(r.State, Is.EqualTo(expected), $"{route} AS{origin}");
                Assert.That(r.Matched, Is.EqualTo(matched), $"{route} AS{origin}");
                Assert.That(VrpSearch.Covering(set, route), Is.EqualTo(covering), $"covering {route}");
            }
        }
    }

    internal static Vrp RandomV6(Random rng, uint[] asns)
    {
        int length = rng.Next(16, 65);
        UInt128 address = RandomBits(rng, 128) & (UInt128.MaxValue << (128 - length));
        // Cluster under 2001:db8::/32 half the time so prefixes nest.
        if (rng.Next(2) == 0 && length >= 32) address = (address & (UInt128.MaxValue >> 32)) | ((UInt128)0x20010db8u << 96);
        return Vrp.V6(address, length, rng.Next(length, 129), asns[rng.Next(asns.Length)]);
    }

    internal static UInt128 RandomBits(Random rng, int bits)
    {
        var value = new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64());
        return bits == 128 ? value : value & uint.MaxValue;
    }
}
