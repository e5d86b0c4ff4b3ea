using System.Net;
using System.Text;
using RtrCache.Payload.Slurm;
using RtrCache.Payload.Tests.Formats;

namespace RtrCache.Payload.Tests.Slurm;

[TestFixture]
public class SlurmPolicyTests
{
    private static Vrp V(string prefix, int maxLength, uint asn)
    {
        var p = IpPrefix.Parse(prefix);
        return p.IsIPv6 ? Vrp.V6(p.AddressBits, p.Length, maxLength, asn) : Vrp.V4((uint)p.AddressBits, p.Length, maxLength, asn);
    }

    private static SlurmFile File(string name, string prefixFilters = "", string bgpsecFilters = "", string aspaFilters = "",
        string prefixAssertions = "", string bgpsecAssertions = "", string aspaAssertions = "")
    {
        string json = $$"""
            { "slurmVersion": 2,
              "validationOutputFilters": { "prefixFilters": [{{prefixFilters}}], "bgpsecFilters": [{{bgpsecFilters}}], "aspaFilters": [{{aspaFilters}}] },
              "locallyAddedAssertions": { "prefixAssertions": [{{prefixAssertions}}], "bgpsecAssertions": [{{bgpsecAssertions}}], "aspaAssertions": [{{aspaAssertions}}] } }
            """;
        var r = SlurmFile.Parse(json, name);
        Assert.That(r.Success, Is.True, r.Error);
        return r.File!;
    }

    private static readonly byte[] SkiA = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] SkiB = Encoding.ASCII.GetBytes("deadbeatdeadbeatdead");
    private const string SkiAText = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA";
    private const string SkiBText = "ZGVhZGJlYXRkZWFkYmVhdGRlYWQ";
    private static readonly byte[] Spki = [0x30, 0x03, 0x01, 0x02, 0x03];

    [Test]
    public void Prefix_filter_removes_equal_and_more_specific_only()
    {
        var input = PayloadSet.Create([
            V("192.0.2.0/24", 24, 1),    // equal
            V("192.0.2.128/25", 32, 2),  // more specific
            V("192.0.0.0/22", 24, 3),    // less specific, covers the filter
            V("192.0.3.0/24", 24, 4),    // neighbour
            V("192.0.0.0/16", 24, 5),    // covering, shorter
            V("::ffff:192.0.2.0/120", 128, 6), // other family
        ]);
        var policy = SlurmPolicy.Create(File("f", prefixFilters: """{ "prefix": "192.0.2.0/24" }"""));
        var r = policy.Apply(input);
        Assert.That(r.Set.Vrps.Select(v => v.Asn).Order(), Is.EqualTo(new uint[] { 3, 4, 5, 6 }));
        Assert.That(r.VrpsFiltered, Is.EqualTo(2));
        Assert.That(r.VrpsAdded, Is.Zero);
    }

    [Test]
    public void Asn_filter_and_combined_filter()
    {
        var input = PayloadSet.Create([
            V("10.0.0.0/8", 8, 64496),
            V("2001:db8::/32", 48, 64496),
            V("198.51.100.0/24", 24, 64497),
            V("198.51.100.0/25", 25, 64497),
            V("198.51.100.0/24", 24, 64498),
            V("203.0.113.0/24", 24, 64497),
        ]);
        var policy = SlurmPolicy.Create(File("f", prefixFilters: """
            { "asn": 64496 }, { "prefix": "198.51.100.0/24", "asn": 64497 }
            """));
        var r = policy.Apply(input);
        Assert.That(r.Set.Vrps, Is.EqualTo(new[] { V("198.51.100.0/24", 24, 64498), V("203.0.113.0/24", 24, 64497) }));
        Assert.That(r.VrpsFiltered, Is.EqualTo(4));
    }

    [Test]
    public void Assertions_are_added_after_filtering_and_not_filtered()
    {
        var input = PayloadSet.Create([V("192.0.2.0/24", 24, 64496), V("192.0.2.0/25", 25, 64511)]);
        var policy = SlurmPolicy.Create(File("f",
            prefixFilters: """{ "prefix": "192.0.2.0/24" }, { "asn": 64500 }""",
            prefixAssertions: """
                { "asn": 64500, "prefix": "192.0.2.0/24" },
                { "asn": 64496, "prefix": "2001:db8::/32", "maxPrefixLength": 48 },
                { "asn": 64496, "prefix": "192.0.2.0/24" }
                """));
        var r = policy.Apply(input);
        Assert.That(r.Set.Vrps, Is.EqualTo(new[]
        {
            V("192.0.2.0/24", 24, 64496), // filtered as RPKI data, then asserted again
            V("192.0.2.0/24", 24, 64500), // asserted although its ASN and prefix are filtered
            V("2001:db8::/32", 48, 64496),
        }));
        Assert.That(r.VrpsFiltered, Is.EqualTo(2));
        Assert.That(r.VrpsAdded, Is.EqualTo(3));
    }

    [Test]
    public void Assertion_already_present_is_not_counted_as_added()
    {
        var input = PayloadSet.Create([V("10.0.0.0/8", 8, 1)]);
        var r = SlurmPolicy.Create(File("f", prefixAssertions: """{ "asn": 1, "prefix": "10.0.0.0/8" }""")).Apply(input);
        Assert.That(r.Set, Is.EqualTo(input));
        Assert.That(r.VrpsAdded, Is.Zero);
    }

    [Test]
    public void Router_key_filters_and_assertions()
    {
        var k1 = RouterKey.Create(SkiA, 64496, Spki);
        var k2 = RouterKey.Create(SkiB, 64497, Spki);
        var k3 = RouterKey.Create(SkiB, 64499, Spki);
        var k4 = RouterKey.Create(SkiA, 64498, Spki);
        var input = PayloadSet.Create([], [k1, k2, k3, k4]);
        var policy = SlurmPolicy.Create(File("f",
            bgpsecFilters: $$"""{ "asn": 64496 }, { "asn": 64497, "SKI": "{{SkiBText}}" }, { "SKI": "{{SkiAText}}", "asn": 1 }""",
            bgpsecAssertions: $$"""{ "asn": 64496, "SKI": "{{SkiAText}}", "routerPublicKey": "MAMBAgM" }, { "asn": 65000, "SKI": "{{SkiBText}}", "routerPublicKey": "MAMBAgM" }"""));
        var r = policy.Apply(input);
        Assert.That(r.Set.RouterKeys.ToArray(), Is.EquivalentTo(new[] { k3, k4, k1, RouterKey.Create(SkiB, 65000, Spki) }));
        Assert.That(r.RouterKeysFiltered, Is.EqualTo(2));
        Assert.That(r.RouterKeysAdded, Is.EqualTo(2));

        var bySki = SlurmPolicy.Create(File("g", bgpsecFilters: $$"""{ "SKI": "{{SkiBText}}" }""")).Apply(input);
        Assert.That(bySki.Set.RouterKeys.ToArray(), Is.EquivalentTo(new[] { k1, k4 }));
    }

    [Test]
    public void Aspa_filter_assertion_union_and_as0_rule()
    {
        var input = PayloadSet.Create([], [], [
            Aspa.Create(100, [101, 102]),   // filtered
            Aspa.Create(200, [201]),        // extended by assertion
            Aspa.Create(300, [0]),          // AS0 RPKI record, assertion adds a provider
            Aspa.Create(400, [401]),        // assertion of AS0 only: union drops AS0 -> unchanged
            Aspa.Create(500, [501]),        // untouched
            Aspa.Create(600, [601]),        // filtered and re-asserted: replaced
        ]);
        var policy = SlurmPolicy.Create(File("f",
            aspaFilters: """{ "customerAsn": 100 }, { "customerAsid": 600 }""",
            aspaAssertions: """
                { "customerAsn": 200, "providerAsns": [199, 201, 202] },
                { "customerAsn": 300, "providerAsns": [301] },
                { "customerAsn": 400, "providerAsns": [0] },
                { "customerAsn": 600, "providerAsns": [602] },
                { "customerAsn": 700, "providerAsns": [0] },
                { "customerAsn": 800, "providerAsns": [801] }
                """));
        var r = policy.Apply(input);
        var s = r.Set;
        Assert.That(s.FindAspa(100), Is.Null);
        Assert.That(s.FindAspa(200)!.Providers, Is.EqualTo(new uint[] { 199, 201, 202 }));
        Assert.That(s.FindAspa(300)!.Providers, Is.EqualTo(new uint[] { 301 }));
        Assert.That(s.FindAspa(400)!.Providers, Is.EqualTo(new uint[] { 401 }));
        Assert.That(s.FindAspa(500)!.Providers, Is.EqualTo(new uint[] { 501 }));
        Assert.That(s.FindAspa(600)!.Providers, Is.EqualTo(new uint[] { 602 }));
        Assert.That(s.FindAspa(700)!.Providers, Is.EqualTo(new uint[] { 0 }));
        Assert.That(s.FindAspa(800)!.Providers, Is.EqualTo(new uint[] { 801 }));
        Assert.That(s.Aspas.ToArray().Select(a => a.Customer), Is.Ordered);
        Assert.That(r.AspasFiltered, Is.EqualTo(2));
        Assert.That(r.AspasAdded, Is.EqualTo(3), "600, 700 and 800 have a record only because of assertions");
        Assert.That(r.AspasExtended, Is.EqualTo(2), "200 and 300");
    }

    [Test]
    public void Aspa_assertions_of_several_entries_for_one_customer_are_united()
    {
        var policy = SlurmPolicy.Create(File("f", aspaAssertions: """
            { "customerAsn": 10, "providerAsns": [12] }, { "customerAsn": 10, "providerAsns": [0] }, { "customerAsn": 10, "providerAsns": [11, 12] }
            """));
        var r = policy.Apply(PayloadSet.Empty);
        Assert.That(r.Set.FindAspa(10)!.Providers, Is.EqualTo(new uint[] { 11, 12 }));
    }

    [Test]
    public void Full_v2_fixture_applied()
    {
        var f = SlurmFile.Parse(System.IO.File.ReadAllBytes(SlurmFixtures.SlurmFixture("full_v2.json")), "full_v2.json").File!;
        var input = PayloadSet.Create(
            [V("192.0.2.0/24", 24, 65000), V("198.51.100.0/24", 24, 64497), V("198.51.100.0/24", 24, 65001), V("10.0.0.0/8", 8, 64496)],
            [RouterKey.Create(SkiA, 65000, Spki), RouterKey.Create(SkiB, 64497, Spki), RouterKey.Create(SkiB, 65002, Spki)],
            [Aspa.Create(64496, [65010]), Aspa.Create(65000, [65001])]);
        var r = SlurmPolicy.Create(f).Apply(input);
        Assert.That(r.Set.Vrps, Is.EqualTo(new[]
        {
            V("198.51.100.0/24", 24, 64496),
            V("198.51.100.0/24", 24, 65001),
            V("2001:db8::/32", 48, 64496),
        }));
        Assert.That(r.Set.RouterKeys.ToArray(), Is.EquivalentTo(new[]
        {
            RouterKey.Create(SkiA, 64496, Encoding.ASCII.GetBytes("blubb")),
            RouterKey.Create(SkiB, 65002, Spki),
        }));
        Assert.That(r.Set.FindAspa(64496)!.Providers, Is.EqualTo(new uint[] { 64497, 64498 }), "filter + assertion replace the RPKI set");
        Assert.That(r.Set.FindAspa(65000)!.Providers, Is.EqualTo(new uint[] { 65001 }));
        Assert.That(r, Is.EqualTo(new SlurmApplyResult(r.Set, 3, 2, 2, 1, 1, 1, 0)));
    }

    [Test]
    public void Empty_policy_returns_input_instance()
    {
        var input = TestPayload.Random(3, 100, 100, 2, 2);
        Assert.That(SlurmPolicy.Empty.Apply(input).Set, Is.SameAs(input));
        var emptyFile = File("e");
        Assert.That(SlurmPolicy.Create(emptyFile).Apply(input).Set, Is.SameAs(input));
        var noMatch = SlurmPolicy.Create(File("n", prefixFilters: """{ "prefix": "0.0.0.0/0", "asn": 7 }""")).Apply(PayloadSet.Create([V("10.0.0.0/8", 8, 1)]));
        Assert.That(noMatch.VrpsFiltered, Is.Zero);
    }

    [Test]
    public void Several_files_are_united()
    {
        var a = File("a.json", prefixFilters: """{ "prefix": "10.0.0.0/8" }""", aspaAssertions: """{ "customerAsn": 1, "providerAsns": [2] }""");
        var b = File("b.json", prefixFilters: """{ "prefix": "11.0.0.0/8" }""", prefixAssertions: """{ "asn": 5, "prefix": "12.0.0.0/8" }""");
        Assert.That(SlurmPolicy.TryCreate([a, b], out var policy, out var error), Is.True, error);
        var r = policy!.Apply(PayloadSet.Create([V("10.1.0.0/16", 16, 1), V("11.1.0.0/16", 16, 1), V("13.0.0.0/8", 8, 1)]));
        Assert.That(r.Set.Vrps, Is.EqualTo(new[] { V("12.0.0.0/8", 8, 5), V("13.0.0.0/8", 8, 1) }));
        Assert.That(r.Set.FindAspa(1), Is.Not.Null);
        Assert.That(policy.Files, Has.Length.EqualTo(2));
    }

    public static IEnumerable<TestCaseData> ConflictingFiles()
    {
        TestCaseData C(Func<SlurmFile> a, Func<SlurmFile> b, string expected, string name)
            => new TestCaseData(a, b, expected).SetName("Conflict_" + name);
        yield return C(() => File("a.json", prefixFilters: """{ "asn": 1 }, { "prefix": "10.0.0.0/8" }"""),
            () => File("b.json", prefixAssertions: """{ "asn": 1, "prefix": "10.1.0.0/16" }"""),
            "SLURM files 'a.json' and 'b.json' overlap (RFC 8416 section 4.2): prefix 10.0.0.0/8 at a.json validationOutputFilters.prefixFilters[1] "
            + "conflicts with prefix 10.1.0.0/16 at b.json locallyAddedAssertions.prefixAssertions[0]", "covering_prefix");
        yield return C(() => File("a.json", prefixAssertions: """{ "asn": 1, "prefix": "2001:db8:1::/48" }"""),
            () => File("b.json", prefixFilters: """{ "prefix": "2001:db8::/32" }"""),
            "prefix 2001:db8::/32 at b.json validationOutputFilters.prefixFilters[0] conflicts with prefix 2001:db8:1::/48 at a.json", "covered_prefix_v6");
        yield return C(() => File("a.json", prefixFilters: """{ "prefix": "192.0.2.0/24" }"""),
            () => File("b.json", prefixFilters: """{ "prefix": "192.0.2.0/24", "asn": 5 }"""),
            "prefix 192.0.2.0/24 at a.json validationOutputFilters.prefixFilters[0] conflicts with prefix 192.0.2.0/24 at b.json", "equal_prefix");
        yield return C(() => File("a.json", bgpsecFilters: """{ "asn": 64496 }"""),
            () => File("b.json", bgpsecAssertions: $$"""{ "asn": 64496, "SKI": "{{SkiAText}}", "routerPublicKey": "MAMBAgM" }"""),
            "BGPsec AS64496 at a.json validationOutputFilters.bgpsecFilters[0] conflicts with BGPsec AS64496 at b.json locallyAddedAssertions.bgpsecAssertions[0]", "bgpsec_asn");
        yield return C(() => File("a.json", bgpsecFilters: $$"""{ "SKI": "{{SkiAText}}" }"""),
            () => File("b.json", bgpsecFilters: $$"""{ "SKI": "{{SkiAText}}=" }"""),
            $"SKI {Convert.ToHexString(SkiA)} at a.json", "ski");
        yield return C(() => File("a.json", aspaFilters: """{ "customerAsn": 64496 }"""),
            () => File("b.json", aspaAssertions: """{ "customerAsn": 64496, "providerAsns": [1] }"""),
            "ASPA customer AS64496 at a.json validationOutputFilters.aspaFilters[0] conflicts with ASPA customer AS64496 at b.json locallyAddedAssertions.aspaAssertions[0]", "aspa_customer");
    }

    [TestCaseSource(nameof(ConflictingFiles))]
    public void Overlapping_files_are_rejected(Func<SlurmFile> a, Func<SlurmFile> b, string expected)
    {
        var third = File("c.json", prefixFilters: """{ "prefix": "172.16.0.0/12" }""");
        Assert.That(SlurmPolicy.TryCreate([a(), third, b()], out var policy, out var error), Is.False);
        Assert.That(policy, Is.Null);
        Assert.That(error, Does.Contain(expected));
        Assert.Throws<ArgumentException>(() => SlurmPolicy.Create(a(), b()));
    }

    [Test]
    public void Overlaps_inside_one_file_are_allowed()
    {
        var f = File("a.json",
            prefixFilters: """{ "prefix": "10.0.0.0/8" }, { "prefix": "10.1.0.0/16" }""",
            prefixAssertions: """{ "asn": 1, "prefix": "10.2.0.0/16" }""",
            aspaFilters: """{ "customerAsn": 5 }""",
            aspaAssertions: """{ "customerAsn": 5, "providerAsns": [6] }""");
        Assert.That(SlurmPolicy.TryCreate([f], out _, out var error), Is.True, error);
        var g = File("b.json", prefixFilters: """{ "prefix": "11.0.0.0/8" }, { "asn": 1 }""", bgpsecFilters: """{ "asn": 1 }""");
        Assert.That(SlurmPolicy.TryCreate([f, g], out _, out error), Is.True, error);
    }

    [Test]
    public void Apply_to_global_table_matches_naive_filtering()
    {
        var input = TestPayload.Global();
        var filters = new List<string>();
        var rng = new Random(5);
        for (int i = 0; i < 12; i++) filters.Add($$"""{ "asn": {{TestPayload.RandomAsn(rng)}} }""");
        for (int i = 0; i < 12; i++)
        {
            var v = input.V4[rng.Next(input.V4Count)];
            filters.Add($$"""{ "prefix": "{{v.Prefix}}" }""");
        }
        for (int i = 0; i < 6; i++)
        {
            var v = input.V6[rng.Next(input.V6Count)];
            filters.Add($$"""{ "prefix": "{{v.Prefix}}", "asn": {{v.Asn}} }""");
        }
        filters.Add("""{ "prefix": "0.0.0.0/0", "asn": 64500 }""");
        filters.Add("""{ "prefix": "10.0.0.0/8" }""");
        var policy = SlurmPolicy.Create(File("big",
            prefixFilters: string.Join(",", filters),
            prefixAssertions: """{ "asn": 1, "prefix": "10.0.0.0/8", "maxPrefixLength": 24 }, { "asn": 2, "prefix": "2001:db8::/32" }""",
            aspaFilters: """{ "customerAsn": 64501 }""",
            aspaAssertions: """{ "customerAsn": 64502, "providerAsns": [1, 2] }"""));
        var r = policy.Apply(input);

        // Cross-check with the naive definition.
        var allFilters = policy.Files[0].PrefixFilters;
        var expected = input.Vrps.Where(v => !allFilters.Any(f => f.Matches(v))).Count();
        Assert.That(r.Set.VrpCount, Is.EqualTo(expected + r.VrpsAdded));
        Assert.That(r.VrpsFiltered, Is.EqualTo(input.VrpCount - expected));
        Assert.That(r.VrpsFiltered, Is.GreaterThan(1000));
    }
}
