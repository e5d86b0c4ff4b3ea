using System.Text;
using System.Text.Json;
using RtrCache.Payload.Formats;

namespace RtrCache.Payload.Tests.Formats;

[TestFixture]
public class RpkiClientJsonTests
{
    private const long NowUnix = 1795600800; // 2026-11-25T10:00:00Z
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(NowUnix);
    private const long Later = NowUnix + 86400;  // now + 1 day
    private const long Earlier = NowUnix - 3600; // now - 1 hour

    private const string SkiHex = "510F485D29A29DB7B515F9C478F8ED3CB7AA7D23";
    private const string P256Spki = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAET10FMBxP6P3r6aG/ICpfsktp7X6ylJIY8Kye6zkQhNOt0y+cRzYngH8MGzY3cXNvZ64z4CpZ22gf4teybGq8ow==";

    private static RpkiClientJsonResult Parse(string json) => RpkiClientJson.Parse(Encoding.UTF8.GetBytes(json), Now);

    private static string Roas(params string[] entries) => "{ \"roas\": [" + string.Join(",", entries) + "] }";

    private static string Roa(string asn = "64496", string prefix = "\"192.0.2.0/24\"", string maxLength = "24", string extra = "")
        => $"{{ \"asn\": {asn}, \"prefix\": {prefix}, \"maxLength\": {maxLength}, \"ta\": \"ripe\", \"expires\": {Later}{extra} }}";

    [Test]
    public void Parses_rpki_client_output()
    {
        // The shape rpki-client 9.x writes (output-json.c 1.57), including members we do not use.
        string json = $$"""
            {
              "metadata": {
                "buildmachine": "rpki.example.net",
                "buildtime": "2026-11-25T09:58:12Z",
                "elapsedtime": 301,
                "ccr_vrps_hash": "abc",
                "roas": 5, "failedroas": 0, "aspas": 2, "bgpsec_pubkeys": 1,
                "talfiles": ["/etc/rpki/ripe.tal"],
                "vrps": 5, "uniquevrps": 5
              },
              "roas": [
                { "asn": 64496, "prefix": "192.0.2.0/24", "maxLength": 24, "ta": "ripe", "expires": {{Later}} },
                { "asn": "AS64497", "prefix": "198.51.100.0/22", "maxLength": 24, "ta": "arin", "expires": {{Later}} },
                { "asn": "as4200000000", "prefix": "2001:DB8::/32", "maxLength": 48, "ta": "apnic", "expires": {{Later}} },
                { "asn": 0, "prefix": "203.0.113.0/24", "maxLength": 32, "ta": "ripe" },
                { "asn": "64498", "prefix": "2001:db8:1::/48", "maxLength": 48, "ta": "ripe", "expires": {{Later}}, "future": [1, {"x": 2}] }
              ],
              "bgpsec_keys": [
                { "asn": 64496, "ski": "{{SkiHex}}", "pubkey": "{{P256Spki}}", "ta": "ripe", "expires": {{Later}} }
              ],
              "nonfunc_cas": [ { "location": "rsync://x/y.cer", "ta": "ripe", "caRepository": "rsync://x/", "rpkiManifest": "rsync://x/m.mft", "ski": "00" } ],
              "aspas": [
                { "customer_asid": 64496, "expires": {{Later}}, "providers": [64497, 64498] },
                { "customer_asid": 64499, "expires": {{Later}}, "providers": [0] }
              ]
            }
            """;
        var r = Parse(json);
        Assert.That(r.Success, Is.True, r.Error);
        var set = r.Set!;
        Assert.That(set.V4.ToArray(), Is.EqualTo(new[]
        {
            Vrp.Create(System.Net.IPAddress.Parse("192.0.2.0"), 24, 24, 64496),
            Vrp.Create(System.Net.IPAddress.Parse("198.51.100.0"), 22, 24, 64497),
            Vrp.Create(System.Net.IPAddress.Parse("203.0.113.0"), 24, 32, 0),
        }.Order().ToArray()));
        Assert.That(set.V6.ToArray(), Is.EqualTo(new[]
        {
            Vrp.Create(System.Net.IPAddress.Parse("2001:db8::"), 32, 48, 4200000000),
            Vrp.Create(System.Net.IPAddress.Parse("2001:db8:1::"), 48, 48, 64498),
        }.Order().ToArray()));
        Assert.That(set.RouterKeyCount, Is.EqualTo(1));
        Assert.That(Convert.ToHexString(set.RouterKeys[0].Ski.AsSpan()), Is.EqualTo(SkiHex));
        Assert.That(set.RouterKeys[0].SubjectPublicKeyInfo.ToArray(), Is.EqualTo(Convert.FromBase64String(P256Spki)));
        Assert.That(set.RouterKeys[0].Asn, Is.EqualTo(64496u));
        Assert.That(set.FindAspa(64496)!.Providers, Is.EqualTo(new uint[] { 64497, 64498 }));
        Assert.That(set.FindAspa(64499)!.Providers, Is.EqualTo(new uint[] { 0 }));
        Assert.That(r.RoasRead, Is.EqualTo(5));
        Assert.That(r.AspasRead, Is.EqualTo(2));
        Assert.That(r.RouterKeysRead, Is.EqualTo(1));
        Assert.That(r.ExpiredDropped, Is.Zero);
        Assert.That(r.NextExpiry, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(Later)));
        Assert.That(r.Metadata.BuildMachine, Is.EqualTo("rpki.example.net"));
        Assert.That(r.Metadata.BuildTime, Is.EqualTo(new DateTimeOffset(2026, 11, 25, 9, 58, 12, TimeSpan.Zero)));
        Assert.That(r.Metadata.Generated, Is.Null);
    }

    [Test]
    public void Reads_generated_and_tolerates_odd_metadata_types()
    {
        // Old rpki-client wrote "elapsedtime" as a string; unknown and odd members are ignored.
        var r = Parse("""{ "metadata": { "generated": 1795600800, "elapsedtime": "12", "buildtime": 5 }, "roas": [] }""");
        Assert.That(r.Success, Is.True, r.Error);
        Assert.That(r.Metadata.Generated, Is.EqualTo(Now));
        Assert.That(r.Metadata.BuildTime, Is.Null);
        Assert.That(r.Set!.VrpCount, Is.Zero);
    }

    [Test]
    public void Routinator_style_string_asns_without_expiry()
    {
        var r = Parse("""{ "roas": [ { "asn": "AS13335", "prefix": "1.0.0.0/24", "maxLength": 24, "ta": "apnic" } ] }""");
        Assert.That(r.Success, Is.True, r.Error);
        Assert.That(r.Set!.V4[0], Is.EqualTo(Vrp.V4(0x01000000, 24, 24, 13335)));
    }

    [Test]
    public void Escaped_strings_are_unescaped()
    {
        var r = Parse("""{ "roas": [ { "asn": "\u0041S1", "prefix": "10.0.0.0\/8", "maxLength": 8 } ] }""");
        Assert.That(r.Success, Is.True, r.Error);
        Assert.That(r.Set!.V4[0], Is.EqualTo(Vrp.V4(0x0A000000, 8, 8, 1)));
    }

    [Test]
    public void Expired_entries_are_dropped_and_counted()
    {
        string json = $$"""
            { "roas": [
                { "asn": 1, "prefix": "10.0.0.0/8", "maxLength": 8, "expires": {{Earlier}} },
                { "asn": 2, "prefix": "10.0.0.0/8", "maxLength": 8, "expires": {{Now.ToUnixTimeSeconds()}} },
                { "asn": 3, "prefix": "10.0.0.0/8", "maxLength": 8, "expires": {{Later}} },
                { "asn": 4, "prefix": "10.0.0.0/8", "maxLength": 8 },
                { "asn": 5, "prefix": "10.0.0.0/8", "maxLength": 8, "expires": null }
              ],
              "aspas": [
                { "customer_asid": 10, "expires": {{Earlier}}, "providers": [11] },
                { "customer_asid": 20, "expires": {{Later}}, "providers": [21] }
              ],
              "bgpsec_keys": [
                { "asn": 1, "ski": "{{SkiHex}}", "pubkey": "{{P256Spki}}", "expires": {{Earlier}} }
              ] }
            """;
        var r = Parse(json);
        Assert.That(r.Success, Is.True, r.Error);
        Assert.That(r.Set!.V4.ToArray().Select(v => v.Asn), Is.EqualTo(new uint[] { 2, 3, 4, 5 }), "expires == now is still valid");
        Assert.That(r.RoasRead, Is.EqualTo(5));
        Assert.That(r.RoasExpired, Is.EqualTo(1));
        Assert.That(r.AspasExpired, Is.EqualTo(1));
        Assert.That(r.RouterKeysExpired, Is.EqualTo(1));
        Assert.That(r.ExpiredDropped, Is.EqualTo(3));
        Assert.That(r.Set.FindAspa(10), Is.Null);
        Assert.That(r.Set.FindAspa(20), Is.Not.Null);
        Assert.That(r.Set.RouterKeyCount, Is.Zero);
        Assert.That(r.NextExpiry, Is.EqualTo(Now), "earliest expiry among the kept entries");

        // The same file read a day later keeps only the entries without expiry.
        var later = RpkiClientJson.Parse(Encoding.UTF8.GetBytes(json), Now.AddDays(2));
        Assert.That(later.Set!.V4.ToArray().Select(v => v.Asn), Is.EqualTo(new uint[] { 4, 5 }));
        Assert.That(later.NextExpiry, Is.Null, "nothing kept expires");
    }

    [Test]
    public void Several_aspas_for_one_customer_are_merged()
    {
        var r = Parse($$"""
            { "roas": [], "aspas": [
                { "customer_asid": 64496, "providers": [64500, 64510] },
                { "customer_asid": 64496, "providers": [64499, 64500] },
                { "customer_asid": 64496, "providers": [0] }
            ] }
            """);
        Assert.That(r.Success, Is.True, r.Error);
        Assert.That(r.Set!.AspaCount, Is.EqualTo(1));
        Assert.That(r.Set.FindAspa(64496)!.Providers, Is.EqualTo(new uint[] { 64499, 64500, 64510 }), "union; AS0 dropped beside others");
        Assert.That(r.AspasRead, Is.EqualTo(3));
    }

    [TestCase("\"ZQ9IXSmiNre1FfnEePjtPLeqfSM\"")]   // base64url, no padding
    [TestCase("\"UQ9IXSmiNre1FfnEePjtPLeqfSM=\"")]  // standard, padded
    [TestCase("\"510f485d29a29db7b515f9c478f8ed3cb7aa7d23\"")] // lower-case hex
    public void Ski_in_hex_or_base64(string ski)
    {
        var r = Parse($$"""{ "roas": [], "bgpsec_keys": [ { "asn": 1, "ski": {{ski}}, "pubkey": "{{P256Spki}}" } ] }""");
        Assert.That(r.Success, Is.True, r.Error);
        Assert.That(r.Set!.RouterKeys[0].Ski.Length, Is.EqualTo(20));
    }

    public static IEnumerable<TestCaseData> InvalidFiles()
    {
        TestCaseData C(string json, string expected, string name) => new TestCaseData(json, expected).SetName("Rejects_" + name);

        string ok = Roa();
        // ROAs
        yield return C(Roas(ok, Roa(maxLength: "20")), "roas[1]: max length 20 outside 24..32 for 192.0.2.0/24", "maxlength_below_prefix_length");
        yield return C(Roas(Roa(maxLength: "33")), "roas[0]: max length 33 outside 24..32 for 192.0.2.0/24", "maxlength_above_32");
        yield return C(Roas(Roa(prefix: "\"2001:db8::/32\"", maxLength: "129")), "roas[0]: max length 129 outside 32..128 for 2001:db8::/32", "maxlength_above_128");
        yield return C(Roas(Roa(maxLength: "24.5")), "roas[0]: maxLength 24.5 is not an integer", "maxlength_fraction");
        yield return C(Roas(Roa(maxLength: "\"24\"")), "roas[0]: maxLength \"24\" is not an integer", "maxlength_string");
        yield return C(Roas(Roa(prefix: "\"192.0.2.1/24\"")), "roas[0]: prefix '192.0.2.1/24' has host bits set", "host_bits_v4");
        yield return C(Roas(Roa(prefix: "\"2001:db8::1/32\"", maxLength: "32")), "roas[0]: prefix '2001:db8::1/32' has host bits set", "host_bits_v6");
        yield return C(Roas(Roa(prefix: "\"192.0.2/24\"")), "roas[0]: prefix '192.0.2/24' is not a valid IPv4 or IPv6 prefix", "three_octets");
        yield return C(Roas(Roa(prefix: "\"10.1/16\"", maxLength: "16")), "roas[0]: prefix '10.1/16' is not a valid", "inet_aton_short_form");
        yield return C(Roas(Roa(prefix: "\"192.0.2.0\"")), "roas[0]: prefix '192.0.2.0' is not a valid", "missing_length");
        yield return C(Roas(Roa(prefix: "\"300.0.0.0/8\"", maxLength: "8")), "roas[0]: prefix '300.0.0.0/8' is not a valid", "octet_out_of_range");
        yield return C(Roas(Roa(prefix: "\"010.0.0.0/8\"", maxLength: "8")), "roas[0]: prefix '010.0.0.0/8' is not a valid", "leading_zero");
        yield return C(Roas(Roa(prefix: "\"192.0.2.0/33\"")), "roas[0]: prefix '192.0.2.0/33' has prefix length 33 > 32", "length_above_32");
        yield return C(Roas(Roa(prefix: "\"192.0.2.0/024\"")), "roas[0]: prefix '192.0.2.0/024' has an invalid prefix length", "length_leading_zero");
        yield return C(Roas(Roa(prefix: "\"fe80::%eth0/64\"", maxLength: "64")), "roas[0]: prefix 'fe80::%eth0/64' is not a valid", "zone");
        yield return C(Roas(Roa(prefix: "\"2001:db8:::/32\"")), "roas[0]: prefix '2001:db8:::/32' is not a valid", "triple_colon");
        yield return C(Roas(Roa(prefix: "\"1:2:3:4:5:6:7:8:9/128\"", maxLength: "128")), "is not a valid", "nine_groups");
        yield return C(Roas(Roa(prefix: "\" 192.0.2.0/24\"")), "roas[0]: prefix ' 192.0.2.0/24' is not a valid", "whitespace");
        yield return C(Roas(Roa(prefix: "24")), "roas[0]: prefix must be a string, found a number", "prefix_number");
        yield return C(Roas(Roa(asn: "4294967296")), "roas[0]: asn 4294967296 is not an AS number (integer 0..4294967295)", "asn_too_big");
        yield return C(Roas(Roa(asn: "-1")), "roas[0]: asn -1 is not an AS number", "asn_negative");
        yield return C(Roas(Roa(asn: "64496.5")), "roas[0]: asn 64496.5 is not an AS number", "asn_fraction");
        yield return C(Roas(Roa(asn: "6.4496e4")), "roas[0]: asn 6.4496e4 is not an AS number", "asn_exponent");
        yield return C(Roas(Roa(asn: "\"AS4294967296\"")), "roas[0]: asn \"AS4294967296\" is not an AS number", "asn_string_too_big");
        yield return C(Roas(Roa(asn: "\"ASx\"")), "roas[0]: asn \"ASx\" is not an AS number", "asn_string_garbage");
        yield return C(Roas(Roa(asn: "\"AS-1\"")), "roas[0]: asn \"AS-1\" is not an AS number", "asn_string_negative");
        yield return C(Roas(Roa(asn: "true")), "roas[0]: asn must be a number or an \"AS<number>\" string, found a boolean", "asn_bool");
        yield return C(Roas(Roa(extra: ", \"asn\": 5")), "roas[0]: duplicate member \"asn\"", "duplicate_member");
        yield return C(Roas("{ \"prefix\": \"10.0.0.0/8\", \"maxLength\": 8 }"), "roas[0]: missing \"asn\"", "missing_asn");
        yield return C(Roas("{ \"asn\": 1, \"maxLength\": 8 }"), "roas[0]: missing \"prefix\"", "missing_prefix");
        yield return C(Roas("{ \"asn\": 1, \"prefix\": \"10.0.0.0/8\", \"maxlen\": 8 }"), "roas[0]: missing \"maxLength\"", "maxlen_is_not_maxLength");
        yield return C(Roas(Roa(extra: ", \"expires\": \"soon\"")), "roas[0]: duplicate member \"expires\"", "duplicate_expires");
        yield return C(Roas("{ \"asn\": 1, \"prefix\": \"10.0.0.0/8\", \"maxLength\": 8, \"expires\": \"soon\" }"), "roas[0]: expires \"soon\" is not an integer (Unix seconds)", "expires_string");
        yield return C(Roas(ok, "[1]"), "roas[1]: expected an object, found an array", "roa_not_object");
        yield return C($"{{ \"roas\": [ {{ \"asn\": 1, \"prefix\": \"10.0.0.1/8\", \"maxLength\": 8, \"expires\": {Earlier} }} ] }}",
            "roas[0]: prefix '10.0.0.1/8' has host bits set", "invalid_even_when_expired");
        // File structure
        yield return C("{ \"roas\": {} }", "roas: expected an array, found an object", "roas_object");
        yield return C("{ \"aspas\": [] }", "missing \"roas\" array", "missing_roas");
        yield return C("[]", "top level: expected a JSON object, found an array", "top_level_array");
        yield return C("{ \"roas\": [], \"roas\": [] }", "duplicate top-level member \"roas\"", "duplicate_roas");
        yield return C("{ \"metadata\": [], \"roas\": [] }", "metadata: expected an object, found an array", "metadata_array");
        yield return C("{ \"roas\": [], \"provider_authorizations\": { \"ipv4\": [], \"ipv6\": [] } }", "provider_authorizations: this per-address-family ASPA layout", "old_aspa_layout");
        // ASPA
        static string Aspas(string entry) => "{ \"roas\": [], \"aspas\": [ { \"customer_asid\": 1, \"providers\": [2] }, " + entry + " ] }";
        yield return C(Aspas("{ \"customer_asid\": 64496, \"providers\": [64498, 64497] }"), "aspas[1]: providers of AS64496 not in ascending order: AS64497 after AS64498", "aspa_unsorted");
        yield return C(Aspas("{ \"customer_asid\": 64496, \"providers\": [64497, 64497] }"), "aspas[1]: ASPA of AS64496 lists provider AS64497 twice", "aspa_duplicate");
        yield return C(Aspas("{ \"customer_asid\": 64496, \"providers\": [] }"), "aspas[1]: ASPA of AS64496 has no providers", "aspa_empty");
        yield return C(Aspas("{ \"customer_asid\": 64496, \"providers\": [0, 64497] }"), "aspas[1]: ASPA of AS64496 has AS0 together with other providers", "aspa_as0_with_others");
        yield return C(Aspas("{ \"customer_asid\": 64496, \"providers\": [64496, 64497] }"), "aspas[1]: ASPA of AS64496 lists the customer itself among its providers", "aspa_customer_is_provider");
        yield return C(Aspas("{ \"customer_asid\": 64496, \"providers\": [ { \"provider_asid\": 64497, \"afi_limit\": \"ipv4\" } ] }"),
            "aspas[1]: providers[0] is an object; only plain AS numbers are supported", "aspa_provider_objects");
        yield return C(Aspas("{ \"customer_asid\": 64496, \"providers\": [4294967296] }"), "aspas[1]: providers[0] 4294967296 is not an AS number", "aspa_provider_out_of_range");
        yield return C(Aspas("{ \"customer_asid\": -5, \"providers\": [1] }"), "aspas[1]: customer_asid -5 is not an AS number", "aspa_customer_negative");
        yield return C(Aspas("{ \"providers\": [1] }"), "aspas[1]: missing \"customer_asid\"", "aspa_missing_customer");
        yield return C(Aspas("{ \"customer_asid\": 5 }"), "aspas[1]: missing \"providers\"", "aspa_missing_providers");
        yield return C(Aspas("{ \"customer_asid\": 5, \"providers\": 7 }"), "aspas[1]: providers: expected an array, found a number", "aspa_providers_not_array");
        // Router keys
        static string Key(string ski, string pubkey) => "{ \"roas\": [], \"bgpsec_keys\": [ { \"asn\": 64496, \"ski\": " + ski + ", \"pubkey\": " + pubkey + " } ] }";
        yield return C(Key("\"510F485D29A29DB7B515F9C478F8ED3CB7AA7D2\"", $"\"{P256Spki}\""), "bgpsec_keys[0]: ski '510F485D29A29DB7B515F9C478F8ED3CB7AA7D2' is neither 40 hex digits nor base64 of 20 octets", "ski_39_hex");
        yield return C(Key("\"510F485D29A29DB7B515F9C478F8ED3CB7AA7DZZ\"", $"\"{P256Spki}\""), "bgpsec_keys[0]: ski '510F485D29A29DB7B515F9C478F8ED3CB7AA7DZZ' is neither", "ski_not_hex");
        yield return C(Key("\"MTIzNDU2Nzg5MDEyMzQ1Njc4\"", $"\"{P256Spki}\""), "bgpsec_keys[0]: ski 'MTIzNDU2Nzg5MDEyMzQ1Njc4' is neither", "ski_base64_18_octets");
        yield return C(Key("20", $"\"{P256Spki}\""), "bgpsec_keys[0]: ski must be a string, found a number", "ski_number");
        yield return C(Key($"\"{SkiHex}\"", "\"not base64!\""), "bgpsec_keys[0]: pubkey 'not base64!' is not valid base64", "pubkey_not_base64");
        yield return C(Key($"\"{SkiHex}\"", "\"Ymx1YmI=\""), "bgpsec_keys[0]: pubkey 'Ymx1YmI=' is not a DER SEQUENCE (SubjectPublicKeyInfo)", "pubkey_not_der");
        yield return C(Key($"\"{SkiHex}\"", "\"\""), "bgpsec_keys[0]: pubkey '' is not valid base64", "pubkey_empty");
        yield return C("{ \"roas\": [], \"bgpsec_keys\": [ { \"asn\": 1, \"ski\": \"" + SkiHex + "\" } ] }", "bgpsec_keys[0]: missing \"pubkey\"", "key_missing_pubkey");
        yield return C("{ \"roas\": [], \"bgpsec_keys\": [ { \"asn\": \"AS1x\", \"ski\": \"" + SkiHex + "\", \"pubkey\": \"" + P256Spki + "\" } ] }", "bgpsec_keys[0]: asn \"AS1x\" is not an AS number", "key_bad_asn");
    }

    [TestCaseSource(nameof(InvalidFiles))]
    public void Rejects_invalid_entry(string json, string expected)
    {
        var r = Parse(json);
        Assert.That(r.Success, Is.False, "should have been rejected");
        Assert.That(r.Set, Is.Null);
        Assert.That(r.Error, Does.Contain(expected));
    }

    [Test]
    public void Syntax_error_names_line_and_byte()
    {
        string json = "{\n  \"roas\": [\n    { \"asn\": 1, \"prefix\": \"10.0.0.0/8\", \"maxLength\": 8, }\n  ]\n}\n";
        var r = Parse(json);
        Assert.That(r.Success, Is.False);
        Assert.That(r.Error, Does.StartWith("JSON syntax error at line 3, byte "));
        TestContext.Out.WriteLine(r.Error);
    }

    [TestCase("", "JSON syntax error")]
    [TestCase("{ \"roas\": [ ", "JSON syntax error at line 1")]
    [TestCase("{ \"roas\": [] } x", "JSON syntax error at line 1, byte 16")]
    [TestCase("{ \"roas\": [] /* c */ }", "JSON syntax error")]
    public void Truncated_or_trailing_garbage(string json, string expected)
    {
        var r = Parse(json);
        Assert.That(r.Success, Is.False);
        Assert.That(r.Error, Does.StartWith(expected));
    }

    [Test]
    public void Invalid_utf8_is_reported_with_position()
    {
        byte[] json = [.. Encoding.ASCII.GetBytes("{ \"metadata\": { \"buildmachine\": \"a"), 0xFF, .. Encoding.ASCII.GetBytes("b\" },\n \"roas\": [] }")];
        var r = RpkiClientJson.Parse(json, Now);
        Assert.That(r.Success, Is.False);
        Assert.That(r.Error, Is.EqualTo("invalid UTF-8 at line 1, byte 35"));
    }

    [Test]
    public void Utf8_bom_is_skipped()
    {
        byte[] json = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Roas(Roa()))];
        Assert.That(RpkiClientJson.Parse(json, Now).Set!.VrpCount, Is.EqualTo(1));
    }

    [Test]
    public void Round_trip_random_set()
    {
        var set = TestPayload.Random(42, 5_000, 3_000, 40, 200);
        var meta = new RpkiClientJsonMetadata
        {
            BuildMachine = "cache-1",
            BuildTime = Now,
            TrustAnchor = "local",
            Expires = Now.AddHours(8),
        };
        foreach (bool indented in new[] { false, true })
        {
            byte[] json = RpkiClientJson.WriteToArray(set, meta, indented);
            var r = RpkiClientJson.Parse(json, Now);
            Assert.That(r.Success, Is.True, r.Error);
            Assert.That(r.Set, Is.EqualTo(set));
            Assert.That(r.RoasRead, Is.EqualTo(set.VrpCount));
            Assert.That(r.AspasRead, Is.EqualTo(set.AspaCount));
            Assert.That(r.RouterKeysRead, Is.EqualTo(set.RouterKeyCount));
            Assert.That(r.Metadata.BuildMachine, Is.EqualTo("cache-1"));
            Assert.That(r.Metadata.BuildTime, Is.EqualTo(Now));
            Assert.That(r.Metadata.Generated, Is.EqualTo(Now));
        }

        // Expired as a whole when read after the written expiry.
        var stale = RpkiClientJson.Parse(RpkiClientJson.WriteToArray(set, meta), Now.AddHours(9));
        Assert.That(stale.Set!.VrpCount + stale.Set.AspaCount + stale.Set.RouterKeyCount, Is.Zero);
        Assert.That(stale.ExpiredDropped, Is.EqualTo(set.VrpCount + set.AspaCount + set.RouterKeyCount));
    }

    [Test]
    public async Task Round_trip_through_streams()
    {
        var set = TestPayload.Random(7, 20_000, 5_000, 10, 50);
        using var ms = new MemoryStream();
        RpkiClientJson.Write(ms, set, new RpkiClientJsonMetadata { BuildTime = Now });
        ms.Position = 0;
        var r = RpkiClientJson.Parse(ms, Now);
        Assert.That(r.Set, Is.EqualTo(set), r.Error);

        ms.Position = 0;
        var r2 = await RpkiClientJson.ParseAsync(new NonSeekableStream(ms), Now);
        Assert.That(r2.Set, Is.EqualTo(set), r2.Error);
    }

    [Test]
    public void Writer_uses_rpki_client_field_names_and_encodings()
    {
        var key = RouterKey.Create(Convert.FromHexString(SkiHex), 64496, Convert.FromBase64String(P256Spki));
        var set = PayloadSet.Create(
            [Vrp.V4(0xC0000200, 24, 24, 64496), Vrp.V6(new UInt128(0x2001_0db8_0000_0000, 0), 32, 48, 4200000000)],
            [key],
            [Aspa.Create(64496, [64497, 64498])]);
        var meta = new RpkiClientJsonMetadata { BuildMachine = "h", BuildTime = Now, Expires = DateTimeOffset.FromUnixTimeSeconds(Later) };
        byte[] json = RpkiClientJson.WriteToArray(set, meta);
        string text = Encoding.UTF8.GetString(json);
        TestContext.Out.WriteLine(text);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.That(root.GetProperty("metadata").GetProperty("buildtime").GetString(), Is.EqualTo("2026-11-25T10:00:00Z"));
        Assert.That(root.GetProperty("metadata").GetProperty("generated").GetInt64(), Is.EqualTo(NowUnix));
        Assert.That(root.GetProperty("metadata").GetProperty("vrps").GetInt32(), Is.EqualTo(2));
        var roa = root.GetProperty("roas")[0];
        Assert.That(roa.GetProperty("asn").ValueKind, Is.EqualTo(JsonValueKind.Number));
        Assert.That(roa.GetProperty("asn").GetUInt32(), Is.EqualTo(64496u));
        Assert.That(roa.GetProperty("prefix").GetString(), Is.EqualTo("192.0.2.0/24"));
        Assert.That(roa.GetProperty("maxLength").GetInt32(), Is.EqualTo(24));
        Assert.That(roa.GetProperty("ta").GetString(), Is.EqualTo(""));
        Assert.That(roa.GetProperty("expires").GetInt64(), Is.EqualTo(Later));
        Assert.That(root.GetProperty("roas")[1].GetProperty("prefix").GetString(), Is.EqualTo("2001:db8::/32"));
        Assert.That(root.GetProperty("roas")[1].GetProperty("asn").GetUInt32(), Is.EqualTo(4200000000u));
        var k = root.GetProperty("bgpsec_keys")[0];
        Assert.That(k.GetProperty("ski").GetString(), Is.EqualTo(SkiHex), "upper-case hex like rpki-client");
        Assert.That(k.GetProperty("pubkey").GetString(), Is.EqualTo(P256Spki), "standard base64 with padding (Go []byte)");
        Assert.That(text, Does.Not.Contain("\\u002B"), "'+' must not be escaped");
        var a = root.GetProperty("aspas")[0];
        Assert.That(a.GetProperty("customer_asid").GetUInt32(), Is.EqualTo(64496u));
        Assert.That(a.GetProperty("providers").EnumerateArray().Select(p => p.GetUInt32()), Is.EqualTo(new uint[] { 64497, 64498 }));
        Assert.That(a.GetProperty("expires").GetInt64(), Is.EqualTo(Later));
    }

    [TestCase("::", 0, "::/0")]
    [TestCase("2001:db8::", 32, "2001:db8::/32")]
    [TestCase("2001:db8:0:1::", 64, "2001:db8:0:1::/64")]
    [TestCase("2001:0:0:1::", 64, "2001:0:0:1::/64")]
    [TestCase("2001:db8:0:0:1::", 80, "2001:db8:0:0:1::/80")]
    [TestCase("::ffff:0:0", 96, "::ffff:0:0/96")]
    [TestCase("::ffff:192.0.2.0", 120, "::ffff:c000:200/120")]
    [TestCase("1:2:3:4:5:6:7:8", 128, "1:2:3:4:5:6:7:8/128")]
    [TestCase("fe80:0:0:0:1::", 80, "fe80::1:0:0:0/80")]
    public void Writes_ipv6_in_rfc5952_form(string address, int length, string expected)
    {
        var vrp = Vrp.Create(System.Net.IPAddress.Parse(address), length, length, 1);
        byte[] json = RpkiClientJson.WriteToArray(PayloadSet.Create([vrp]), new RpkiClientJsonMetadata());
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("roas")[0].GetProperty("prefix").GetString(), Is.EqualTo(expected));
        Assert.That(RpkiClientJson.Parse(json, Now).Set!.V6[0], Is.EqualTo(vrp));
    }

    [Test]
    public void Global_table_round_trips()
    {
        var set = TestPayload.Global();
        var meta = new RpkiClientJsonMetadata { BuildTime = Now, TrustAnchor = "ripe", Expires = Now.AddDays(1) };
        byte[] json = RpkiClientJson.WriteToArray(set, meta);
        var r = RpkiClientJson.Parse(json, Now);
        Assert.That(r.Set, Is.EqualTo(set), r.Error);
        Assert.That(r.RoasRead, Is.EqualTo(set.VrpCount));
    }

    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 1000));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
