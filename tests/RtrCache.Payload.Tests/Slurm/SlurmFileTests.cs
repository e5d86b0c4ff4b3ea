using System.Text;
using RtrCache.Payload.Slurm;

namespace RtrCache.Payload.Tests.Slurm;

[TestFixture]
public class SlurmFileTests
{
    private static readonly byte[] Ski1 = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] Ski2 = Encoding.ASCII.GetBytes("deadbeatdeadbeatdead");

    private static SlurmFile ParseOk(string json, string name = "test.json")
    {
        var r = SlurmFile.Parse(json, name);
        Assert.That(r.Success, Is.True, r.Error);
        return r.File!;
    }

    private static void AssertRfc8416Example(SlurmFile f)
    {
        Assert.That(f.PrefixFilters, Has.Length.EqualTo(3));
        Assert.That(f.PrefixFilters[0].Prefix, Is.EqualTo(IpPrefix.Parse("192.0.2.0/24")));
        Assert.That(f.PrefixFilters[0].Asn, Is.Null);
        Assert.That(f.PrefixFilters[0].Comment, Is.EqualTo("All VRPs encompassed by prefix"));
        Assert.That(f.PrefixFilters[1].Prefix, Is.Null);
        Assert.That(f.PrefixFilters[1].Asn, Is.EqualTo(64496u));
        Assert.That(f.PrefixFilters[2].Prefix, Is.EqualTo(IpPrefix.Parse("198.51.100.0/24")));
        Assert.That(f.PrefixFilters[2].Asn, Is.EqualTo(64497u));

        Assert.That(f.BgpsecFilters, Has.Length.EqualTo(3));
        Assert.That(f.BgpsecFilters[0].Asn, Is.EqualTo(64496u));
        Assert.That(f.BgpsecFilters[0].Ski, Is.Null);
        Assert.That(f.BgpsecFilters[1].Asn, Is.Null);
        Assert.That(f.BgpsecFilters[1].Ski!.Value.ToArray(), Is.EqualTo(Ski1));
        Assert.That(f.BgpsecFilters[2].Asn, Is.EqualTo(64497u));
        Assert.That(f.BgpsecFilters[2].Ski!.Value.ToArray(), Is.EqualTo(Ski2));

        Assert.That(f.PrefixAssertions, Has.Length.EqualTo(2));
        Assert.That(f.PrefixAssertions[0].ToVrp(), Is.EqualTo(Vrp.V4(0xC6336400, 24, 24, 64496)));
        Assert.That(f.PrefixAssertions[0].MaxPrefixLength, Is.Null);
        Assert.That(f.PrefixAssertions[1].Prefix, Is.EqualTo(IpPrefix.Parse("2001:db8::/32")));
        Assert.That(f.PrefixAssertions[1].MaxPrefixLength, Is.EqualTo((byte)48));
        Assert.That(f.PrefixAssertions[1].ToVrp(), Is.EqualTo(Vrp.V6(new UInt128(0x2001_0db8_0000_0000, 0), 32, 48, 64496)));

        Assert.That(f.BgpsecAssertions, Has.Length.EqualTo(1));
        Assert.That(f.BgpsecAssertions[0].Asn, Is.EqualTo(64496u));
        Assert.That(f.BgpsecAssertions[0].Ski.ToArray(), Is.EqualTo(Ski1));
        Assert.That(f.BgpsecAssertions[0].RouterPublicKey.ToArray(), Is.EqualTo(Encoding.ASCII.GetBytes("blubb")));
    }

    [Test]
    public void Parses_rpki_rs_full_json()
    {
        string path = SlurmFixtures.SlurmFixture("full.json");
        var r = SlurmFile.Parse(File.ReadAllBytes(path), path);
        Assert.That(r.Success, Is.True, r.Error);
        var f = r.File!;
        Assert.That(f.Version, Is.EqualTo(1));
        Assert.That(f.SourceName, Is.EqualTo(path));
        AssertRfc8416Example(f);
        Assert.That(f.AspaFilters, Is.Empty);
        Assert.That(f.AspaAssertions, Is.Empty);
    }

    [Test]
    public void Parses_rpki_rs_full_v2_json_with_customerAsid_alias()
    {
        string path = SlurmFixtures.SlurmFixture("full_v2.json");
        var r = SlurmFile.Parse(File.ReadAllBytes(path), "full_v2.json");
        Assert.That(r.Success, Is.True, r.Error);
        var f = r.File!;
        Assert.That(f.Version, Is.EqualTo(2));
        AssertRfc8416Example(f);
        Assert.That(f.AspaFilters, Has.Length.EqualTo(1));
        Assert.That(f.AspaFilters[0].CustomerAsn, Is.EqualTo(64496u));
        Assert.That(f.AspaFilters[0].Comment, Is.EqualTo("ASPAs matching Customer ASID 64496"));
        Assert.That(f.AspaAssertions, Has.Length.EqualTo(1));
        Assert.That(f.AspaAssertions[0].CustomerAsn, Is.EqualTo(64496u));
        Assert.That(f.AspaAssertions[0].ProviderAsns, Is.EqualTo(new uint[] { 64497, 64498 }));
    }

    private const string SpecExample = """
        {
          "slurmVersion": 2,
          "validationOutputFilters": {
            "prefixFilters": [
              { "prefix": "192.0.2.0/24", "comment": "all VRPs inside 192.0.2.0/24" },
              { "asn": 64496, "comment": "all VRPs for AS64496" },
              { "prefix": "198.51.100.0/24", "asn": 64497, "comment": "both must match" }
            ],
            "bgpsecFilters": [
              { "asn": 64496 },
              { "SKI": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA" }
            ],
            "aspaFilters": [
              { "customerAsn": 64496, "comment": "drop RPKI ASPA of AS64496" }
            ]
          },
          "locallyAddedAssertions": {
            "prefixAssertions": [
              { "asn": 64496, "prefix": "198.51.100.0/24" },
              { "asn": 64496, "prefix": "2001:db8::/32", "maxPrefixLength": 48 }
            ],
            "bgpsecAssertions": [],
            "aspaAssertions": [
              { "customerAsn": 64496, "providerAsns": [64497, 64498], "comment": "local view" }
            ]
          }
        }
        """;

    [Test]
    public void Parses_spec_example_with_draft_names()
    {
        var f = ParseOk(SpecExample);
        Assert.That(f.Version, Is.EqualTo(2));
        Assert.That(f.AspaFilters.Single().CustomerAsn, Is.EqualTo(64496u));
        Assert.That(f.BgpsecFilters[1].Ski!.Value.ToArray(), Is.EqualTo(Ski1));
        Assert.That(f.BgpsecAssertions, Is.Empty);
    }

    [TestCase("MTIzNDU2Nzg5MDEyMzQ1Njc4OTA")]   // base64url, no padding (RFC 8416)
    [TestCase("MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=")]  // with padding
    public void Ski_with_or_without_padding(string ski)
    {
        var f = ParseOk(V1(filters: $$"""{ "SKI": "{{ski}}" }""", which: "bgpsec"));
        Assert.That(f.BgpsecFilters[0].Ski!.Value.ToArray(), Is.EqualTo(Ski1));
    }

    [Test]
    public void Router_public_key_in_either_alphabet()
    {
        byte[] key = [0x30, 0x03, 0xFB, 0xFF, 0xBF]; // base64 "MAP7/78=" / base64url "MAP7_78"
        foreach (string text in new[] { "MAP7_78", "MAP7/78=", "MAP7/78", "MAP7_78=" })
        {
            var f = ParseOk(V1(assertions: $$"""{ "asn": 1, "SKI": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA", "routerPublicKey": "{{text}}" }""", which: "bgpsec"));
            Assert.That(f.BgpsecAssertions[0].RouterPublicKey.ToArray(), Is.EqualTo(key), text);
        }
    }

    [Test]
    public void Max_prefix_length_defaults_to_prefix_length()
    {
        var f = ParseOk(V1(assertions: """{ "asn": 1, "prefix": "10.0.0.0/8" }, { "asn": 2, "prefix": "10.0.0.0/8", "maxPrefixLength": 32 }"""));
        Assert.That(f.PrefixAssertions[0].EffectiveMaxLength, Is.EqualTo(8));
        Assert.That(f.PrefixAssertions[0].ToVrp(), Is.EqualTo(Vrp.V4(0x0A000000, 8, 8, 1)));
        Assert.That(f.PrefixAssertions[1].ToVrp(), Is.EqualTo(Vrp.V4(0x0A000000, 8, 32, 2)));
    }

    /// <summary>A v1 file with the given entries in the prefix (or bgpsec) arrays.</summary>
    private static string V1(string filters = "", string assertions = "", string which = "prefix")
    {
        string pf = which == "prefix" ? filters : "", bf = which == "bgpsec" ? filters : "";
        string pa = which == "prefix" ? assertions : "", ba = which == "bgpsec" ? assertions : "";
        return $$"""
            { "slurmVersion": 1,
              "validationOutputFilters": { "prefixFilters": [{{pf}}], "bgpsecFilters": [{{bf}}] },
              "locallyAddedAssertions": { "prefixAssertions": [{{pa}}], "bgpsecAssertions": [{{ba}}] } }
            """;
    }

    private static string V2(string aspaFilters = "", string aspaAssertions = "")
        => $$"""
            { "slurmVersion": 2,
              "validationOutputFilters": { "prefixFilters": [], "bgpsecFilters": [], "aspaFilters": [{{aspaFilters}}] },
              "locallyAddedAssertions": { "prefixAssertions": [], "bgpsecAssertions": [], "aspaAssertions": [{{aspaAssertions}}] } }
            """;

    public static IEnumerable<TestCaseData> InvalidFiles()
    {
        TestCaseData C(string json, string expected, string name) => new TestCaseData(json, expected).SetName("Rejects_" + name);
        const string Empty1 = """
            "validationOutputFilters": { "prefixFilters": [], "bgpsecFilters": [] },
            "locallyAddedAssertions": { "prefixAssertions": [], "bgpsecAssertions": [] }
            """;

        // Top level and version
        yield return C("[]", "t.json: (top level): expected an object, found an array", "top_level_array");
        yield return C("{ \"slurmVersion\": 3, " + Empty1 + " }", "t.json: slurmVersion: unsupported value 3 (expected 1 or 2)", "version_3");
        yield return C("{ \"slurmVersion\": \"1\", " + Empty1 + " }", "slurmVersion: unsupported value \"1\"", "version_string");
        yield return C("{ \"slurmVersion\": 1.0, " + Empty1 + " }", "slurmVersion: unsupported value 1.0", "version_fraction");
        yield return C("{ " + Empty1 + " }", "(top level): missing member \"slurmVersion\"", "missing_version");
        yield return C("{ \"slurmVersion\": 1, \"locallyAddedAssertions\": { \"prefixAssertions\": [], \"bgpsecAssertions\": [] } }",
            "(top level): missing member \"validationOutputFilters\"", "missing_filters");
        yield return C("{ \"slurmVersion\": 1, \"validationOutputFilters\": { \"prefixFilters\": [], \"bgpsecFilters\": [] } }",
            "(top level): missing member \"locallyAddedAssertions\"", "missing_assertions");
        yield return C("{ \"slurmVersion\": 1, \"extra\": 1, " + Empty1 + " }", "(top level): unknown member \"extra\"", "unknown_top_member");
        yield return C("{ \"slurmVersion\": 1, \"slurmVersion\": 1, " + Empty1 + " }", "(top level): duplicate member \"slurmVersion\"", "duplicate_member");
        yield return C("""
            { "slurmVersion": 1,
              "validationOutputFilters": { "prefixFilters": [], "bgpsecFilters": [], "aspaFilters": [] },
              "locallyAddedAssertions": { "prefixAssertions": [], "bgpsecAssertions": [] } }
            """, "validationOutputFilters: member \"aspaFilters\" requires slurmVersion 2", "v1_with_aspa");
        yield return C("""
            { "slurmVersion": 2,
              "validationOutputFilters": { "prefixFilters": [], "bgpsecFilters": [] },
              "locallyAddedAssertions": { "prefixAssertions": [], "bgpsecAssertions": [], "aspaAssertions": [] } }
            """, "validationOutputFilters: missing member \"aspaFilters\"", "v2_without_aspaFilters");
        yield return C("""
            { "slurmVersion": 2,
              "validationOutputFilters": { "prefixFilters": [], "bgpsecFilters": [], "aspaFilters": [] },
              "locallyAddedAssertions": { "prefixAssertions": [], "bgpsecAssertions": [] } }
            """, "locallyAddedAssertions: missing member \"aspaAssertions\"", "v2_without_aspaAssertions");
        yield return C("""
            { "slurmVersion": 1,
              "validationOutputFilters": { "bgpsecFilters": [] },
              "locallyAddedAssertions": { "prefixAssertions": [], "bgpsecAssertions": [] } }
            """, "validationOutputFilters: missing member \"prefixFilters\"", "missing_prefixFilters");
        yield return C("""
            { "slurmVersion": 1,
              "validationOutputFilters": { "prefixFilters": {}, "bgpsecFilters": [] },
              "locallyAddedAssertions": { "prefixAssertions": [], "bgpsecAssertions": [] } }
            """, "validationOutputFilters.prefixFilters: expected an array, found an object", "filters_not_array");

        // Prefix filters
        yield return C(V1(filters: """{ "prefix": "10.0.0.0/8", "maxPrefixLength": 8 }"""),
            "validationOutputFilters.prefixFilters[0]: unknown member \"maxPrefixLength\"", "prefix_filter_unknown_member");
        yield return C(V1(filters: """{ "comment": "nothing" }"""),
            "validationOutputFilters.prefixFilters[0]: a prefix filter needs \"prefix\", \"asn\" or both", "prefix_filter_empty");
        yield return C(V1(filters: """{ "asn": 1 }, { "prefix": "192.0.2.1/24" }"""),
            "validationOutputFilters.prefixFilters[1].prefix: '192.0.2.1/24' has host bits set", "prefix_filter_host_bits");
        yield return C(V1(filters: """{ "prefix": "192.0.2.0/33" }"""),
            "validationOutputFilters.prefixFilters[0].prefix: '192.0.2.0/33' has prefix length 33 > 32", "prefix_filter_too_long");
        yield return C(V1(filters: """{ "prefix": "2001:db8::/129" }"""),
            "'2001:db8::/129' has prefix length 129 > 128", "prefix_filter_too_long_v6");
        yield return C(V1(filters: """{ "prefix": "192.0.2.0" }"""),
            "validationOutputFilters.prefixFilters[0].prefix: '192.0.2.0' is not a valid IPv4 or IPv6 prefix", "prefix_filter_no_length");
        yield return C(V1(filters: """{ "prefix": 24 }"""),
            "validationOutputFilters.prefixFilters[0].prefix: expected a prefix string, found a number", "prefix_filter_number");
        yield return C(V1(filters: """{ "asn": 4294967296 }"""),
            "validationOutputFilters.prefixFilters[0].asn: 4294967296 is not an AS number (integer 0..4294967295)", "asn_too_big");
        yield return C(V1(filters: """{ "asn": -1 }"""), "prefixFilters[0].asn: -1 is not an AS number", "asn_negative");
        yield return C(V1(filters: """{ "asn": 1.5 }"""), "prefixFilters[0].asn: 1.5 is not an AS number", "asn_fraction");
        yield return C(V1(filters: """{ "asn": "AS1" }"""), "prefixFilters[0].asn: \"AS1\" is not an AS number", "asn_string");
        yield return C(V1(filters: """{ "asn": 1, "comment": 5 }"""), "prefixFilters[0].comment: expected a string, found a number", "comment_number");

        // Prefix assertions
        yield return C(V1(assertions: """{ "prefix": "10.0.0.0/8" }"""),
            "locallyAddedAssertions.prefixAssertions[0]: missing member \"asn\"", "assertion_missing_asn");
        yield return C(V1(assertions: """{ "asn": 1 }"""),
            "locallyAddedAssertions.prefixAssertions[0]: missing member \"prefix\"", "assertion_missing_prefix");
        yield return C(V1(assertions: """{ "asn": 1, "prefix": "10.0.0.0/16", "maxPrefixLength": 8 }"""),
            "locallyAddedAssertions.prefixAssertions[0].maxPrefixLength: 8 outside 16..32 for 10.0.0.0/16", "max_length_below");
        yield return C(V1(assertions: """{ "asn": 1, "prefix": "10.0.0.0/16", "maxPrefixLength": 33 }"""),
            "maxPrefixLength: 33 outside 16..32 for 10.0.0.0/16", "max_length_above_32");
        yield return C(V1(assertions: """{ "asn": 1, "prefix": "2001:db8::/32", "maxPrefixLength": 129 }"""),
            "maxPrefixLength: 129 outside 32..128 for 2001:db8::/32", "max_length_above_128");
        yield return C(V1(assertions: """{ "asn": 1, "prefix": "10.0.0.0/16", "maxPrefixLength": "24" }"""),
            "maxPrefixLength: \"24\" is not an integer", "max_length_string");
        yield return C(V1(assertions: """{ "asn": 1, "prefix": "10.0.0.1/16" }"""),
            "prefixAssertions[0].prefix: '10.0.0.1/16' has host bits set", "assertion_host_bits");
        yield return C(V1(assertions: """{ "asn": 1, "prefix": "10.0.0.0/8", "maxLength": 8 }"""),
            "prefixAssertions[0]: unknown member \"maxLength\"", "assertion_maxLength_spelling");

        // BGPsec
        yield return C(V1(filters: """{ "comment": "x" }""", which: "bgpsec"),
            "validationOutputFilters.bgpsecFilters[0]: a BGPsec filter needs \"asn\", \"SKI\" or both", "bgpsec_filter_empty");
        yield return C(V1(filters: """{ "SKI": "not*base64" }""", which: "bgpsec"),
            "bgpsecFilters[0].SKI: 'not*base64' is not valid base64url", "ski_bad_base64");
        yield return C(V1(filters: """{ "SKI": "MTIzNDU2Nzg5MDEyMzQ1Njc4" }""", which: "bgpsec"),
            "bgpsecFilters[0].SKI: 'MTIzNDU2Nzg5MDEyMzQ1Njc4' decodes to 18 octets, a SKI has 20", "ski_wrong_length");
        yield return C(V1(filters: """{ "SKI": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA==" }""", which: "bgpsec"),
            "bgpsecFilters[0].SKI: 'MTIzNDU2Nzg5MDEyMzQ1Njc4OTA==' is not valid base64url", "ski_wrong_padding");
        yield return C(V1(filters: """{ "SKI": "MTIzNDU2Nzg5 MDEyMzQ1Njc4OTA" }""", which: "bgpsec"),
            "is not valid base64url", "ski_whitespace");
        yield return C(V1(filters: """{ "ski": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA" }""", which: "bgpsec"),
            "bgpsecFilters[0]: unknown member \"ski\"", "ski_lower_case_name");
        yield return C(V1(assertions: """{ "asn": 1, "SKI": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA" }""", which: "bgpsec"),
            "locallyAddedAssertions.bgpsecAssertions[0]: missing member \"routerPublicKey\"", "key_missing");
        yield return C(V1(assertions: """{ "asn": 1, "routerPublicKey": "Ymx1YmI" }""", which: "bgpsec"),
            "bgpsecAssertions[0]: missing member \"SKI\"", "ski_missing");
        yield return C(V1(assertions: """{ "SKI": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA", "routerPublicKey": "Ymx1YmI" }""", which: "bgpsec"),
            "bgpsecAssertions[0]: missing member \"asn\"", "bgpsec_asn_missing");
        yield return C(V1(assertions: """{ "asn": 1, "SKI": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA", "routerPublicKey": "Y" }""", which: "bgpsec"),
            "bgpsecAssertions[0].routerPublicKey: 'Y' is not valid base64url", "key_bad_base64");
        yield return C(V1(assertions: """{ "asn": 1, "SKI": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA", "routerPublicKey": "" }""", which: "bgpsec"),
            "bgpsecAssertions[0].routerPublicKey: '' is not valid base64url", "key_empty");

        // ASPA
        yield return C(V2(aspaFilters: """{ "comment": "x" }"""),
            "validationOutputFilters.aspaFilters[0]: missing member \"customerAsn\"", "aspa_filter_missing_customer");
        yield return C(V2(aspaFilters: """{ "customerAsn": 1, "customerAsid": 1 }"""),
            "aspaFilters[0]: both \"customerAsn\" and its alias \"customerAsid\" given", "aspa_filter_both_names");
        yield return C(V2(aspaFilters: """{ "customerAsn": 1, "afi": "ipv4" }"""),
            "aspaFilters[0]: unknown member \"afi\"", "aspa_filter_unknown_member");
        yield return C(V2(aspaAssertions: """{ "customerAsn": 64496, "providerAsns": [64498, 64497] }"""),
            "locallyAddedAssertions.aspaAssertions[0].providerAsns: providers of AS64496 not in ascending order: AS64497 after AS64498", "aspa_unsorted");
        yield return C(V2(aspaAssertions: """{ "customerAsn": 64496, "providerAsns": [64497, 64497] }"""),
            "aspaAssertions[0].providerAsns: ASPA of AS64496 lists provider AS64497 twice", "aspa_duplicate");
        yield return C(V2(aspaAssertions: """{ "customerAsn": 64496, "providerAsns": [] }"""),
            "aspaAssertions[0].providerAsns: ASPA of AS64496 has no providers", "aspa_empty");
        yield return C(V2(aspaAssertions: """{ "customerAsn": 64496, "providerAsns": [0, 64497] }"""),
            "aspaAssertions[0].providerAsns: ASPA of AS64496 has AS0 together with other providers", "aspa_as0_with_others");
        yield return C(V2(aspaAssertions: """{ "customerAsn": 64496, "providerAsns": [64496] }"""),
            "aspaAssertions[0].providerAsns: ASPA of AS64496 lists the customer itself among its providers", "aspa_customer_among_providers");
        yield return C(V2(aspaAssertions: """{ "customerAsn": 64496, "providerAsns": [64497, "AS64498"] }"""),
            "aspaAssertions[0].providerAsns[1]: \"AS64498\" is not an AS number", "aspa_provider_string");
        yield return C(V2(aspaAssertions: """{ "customerAsn": 64496, "providerAsns": 64497 }"""),
            "aspaAssertions[0].providerAsns: expected an array of AS numbers, found a number", "aspa_providers_not_array");
        yield return C(V2(aspaAssertions: """{ "customerAsid": 64496, "providerAsns": [64497] }"""),
            "aspaAssertions[0]: unknown member \"customerAsid\"", "aspa_assertion_old_name");
        yield return C(V2(aspaAssertions: """{ "customerAsn": 64496, "providerSet": [64497] }"""),
            "aspaAssertions[0]: unknown member \"providerSet\"", "aspa_assertion_old_provider_set");
        yield return C(V2(aspaAssertions: """{ "customerAsn": 64496 }"""),
            "aspaAssertions[0]: missing member \"providerAsns\"", "aspa_assertion_missing_providers");
    }

    [TestCaseSource(nameof(InvalidFiles))]
    public void Rejects_invalid_file(string json, string expected)
    {
        var r = SlurmFile.Parse(json, "t.json");
        Assert.That(r.Success, Is.False, "should have been rejected");
        Assert.That(r.File, Is.Null);
        Assert.That(r.Error, Does.StartWith("t.json: "));
        Assert.That(r.Error, Does.Contain(expected));
    }

    [Test]
    public void Syntax_error_names_file_line_and_byte()
    {
        var r = SlurmFile.Parse("{\n  \"slurmVersion\": 1,\n  \"validationOutputFilters\": { \"prefixFilters\": [ } \n}", "local.json");
        Assert.That(r.Success, Is.False);
        Assert.That(r.Error, Does.StartWith("local.json: JSON syntax error at line 3, byte "));
        TestContext.Out.WriteLine(r.Error);
    }

    [Test]
    public void Comments_and_trailing_commas_are_syntax_errors()
    {
        Assert.That(SlurmFile.Parse("{ \"slurmVersion\": 1, /* x */ }", "a").Error, Does.Contain("JSON syntax error"));
        Assert.That(SlurmFile.Parse(V1(filters: """{ "asn": 1 },"""), "a").Error, Does.Contain("JSON syntax error"));
    }

    [Test]
    public void Invalid_utf8_is_reported_with_position()
    {
        byte[] json = [.. Encoding.UTF8.GetBytes(V1(filters: "{ \"asn\": 1, \"comment\": \"caf")), 0xC3, 0x28];
        var r = SlurmFile.Parse(json, "bad.json");
        Assert.That(r.Error, Does.StartWith("bad.json: invalid UTF-8 at line 3, byte "));
    }

    [Test]
    public void Utf8_bom_is_accepted()
    {
        byte[] body = Encoding.UTF8.GetBytes(V1());
        var r = SlurmFile.Parse([0xEF, 0xBB, 0xBF, .. body], "bom.json");
        Assert.That(r.Success, Is.True, r.Error);
    }
}
