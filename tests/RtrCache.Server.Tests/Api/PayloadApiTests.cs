using System.Net;
using System.Text.Json;
using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests.Api;

/// <summary>
/// <c>/api/v1/vrps</c>, <c>/aspas</c>, <c>/router-keys</c> and <c>/validity</c> on the real host serving
/// deploy/sample/rpki.json; every expected list is read off the table in <see cref="ApiSample"/>.
/// </summary>
public sealed class PayloadApiTests : ApiTestBase
{
    private static readonly (uint, string, int)[] AllVrpsInOrder =
    [
        (64511, "10.0.0.0/8", 16),
        (0, "100.64.0.0/10", 32),
        (64496, "192.0.2.0/24", 24),
        (64496, "198.51.100.0/22", 24),
        (64497, "198.51.100.0/24", 24),
        (4200000000, "203.0.113.0/24", 24),
        (4200000001, "203.0.113.128/25", 26),
        (64496, "2001:db8::/32", 48),
        (64497, "2001:db8:1000::/36", 48),
        (64498, "2001:db8:2000::/40", 40),
        (4200000000, "2001:db8:ffff::/48", 48),
        (0, "3fff::/20", 128),
    ];

    [Test]
    public async Task Vrps_unfiltered_lists_the_whole_set_in_order_and_pages()
    {
        var server = await StartSampleServerAsync();
        uint serial = await server.WaitReadyAsync();
        var all = await GetJsonAsync(server, "api/v1/vrps");
        Assert.That(ApiAnswer.Vrps(all.GetProperty("vrps")), Is.EqualTo(AllVrpsInOrder));
        Assert.That(all.GetProperty("total").GetInt32(), Is.EqualTo(12));
        Assert.That(all.GetProperty("serial").GetUInt32(), Is.EqualTo(serial));
        Assert.That(all.GetProperty("limit").GetInt32(), Is.EqualTo(1000), "default page size");

        // Entries 11 and 12 (0-based offset 10): the last two IPv6 VRPs.
        var page = await GetJsonAsync(server, "api/v1/vrps?limit=5&offset=10");
        Assert.That(ApiAnswer.Vrps(page.GetProperty("vrps")), Is.EqualTo(AllVrpsInOrder[10..]));
        Assert.That(page.GetProperty("total").GetInt32(), Is.EqualTo(12));
        var beyond = await GetJsonAsync(server, "api/v1/vrps?offset=50");
        Assert.That(beyond.GetProperty("vrps").GetArrayLength(), Is.Zero);
    }

    [TestCase("asn=64496", new[] { 2, 3, 7 })]                                          // AS64496: rows 3, 4, 8
    [TestCase("asn=AS0", new[] { 1, 11 })]                                              // the two AS0 VRPs
    [TestCase("asn=4200000000", new[] { 5, 10 })]
    [TestCase("asn=64499", new int[0])]                                                  // an ASPA AS, no ROA
    [TestCase("prefix=198.51.100.0/24&match=covering", new[] { 3, 4 })]                 // /22 contains it, and itself
    [TestCase("prefix=198.51.100.0/24", new[] { 4 })]                                    // exact is the default
    [TestCase("prefix=198.51.100.0/23&match=exact", new int[0])]
    [TestCase("prefix=198.51.100.0/22&match=covered", new[] { 3, 4 })]                  // itself and the /24 inside
    [TestCase("prefix=203.0.113.0/24&match=covered", new[] { 5, 6 })]                   // /24 and the /25 inside
    [TestCase("prefix=0.0.0.0/0&match=covered", new[] { 0, 1, 2, 3, 4, 5, 6 })]         // every IPv4 VRP
    [TestCase("prefix=2001:db8::/32&match=covered", new[] { 7, 8, 9, 10 })]             // not 3fff::/20
    [TestCase("prefix=2001:db8:ffff:1::/64&match=covering", new[] { 7, 10 })]           // /32 and /48 contain it
    [TestCase("prefix=10.20.30.0/24&match=covering", new[] { 0 })]
    [TestCase("asn=64497&prefix=2001:db8::/32&match=covered", new[] { 8 })]             // both filters hold
    [TestCase("asn=64497&prefix=198.51.100.0/25&match=covering", new[] { 4 })]
    [TestCase("asn=64496&prefix=198.51.100.0/24", new int[0])]                          // AS64496 has only the /22 there
    public async Task Vrps_filters(string query, int[] rows)
    {
        var server = await StartSampleServerAsync();
        var answer = await GetJsonAsync(server, "api/v1/vrps?" + query);
        Assert.That(ApiAnswer.Vrps(answer.GetProperty("vrps")), Is.EqualTo(rows.Select(i => AllVrpsInOrder[i]).ToArray()), query);
        Assert.That(answer.GetProperty("total").GetInt32(), Is.EqualTo(rows.Length));
    }

    [Test]
    public async Task Aspas_and_their_filters()
    {
        var server = await StartSampleServerAsync();
        static (uint, uint[])[] Read(JsonElement e) => e.GetProperty("aspas").EnumerateArray()
            .Select(a => (a.GetProperty("customer_asid").GetUInt32(), a.GetProperty("providers").EnumerateArray().Select(p => p.GetUInt32()).ToArray())).ToArray();

        Assert.That(Read(await GetJsonAsync(server, "api/v1/aspas")), Is.EqualTo(new (uint, uint[])[]
        {
            (64496, [64497, 64498]), (64497, [64499]), (64499, [0]), (4200000000, [64496, 64497, 4200000001]),
        }));
        Assert.That(Read(await GetJsonAsync(server, "api/v1/aspas?asn=AS64497")), Is.EqualTo(new (uint, uint[])[] { (64497, [64499]) }));
        // Customers listing provider 64497: 64496 and 4200000000.
        Assert.That(Read(await GetJsonAsync(server, "api/v1/aspas?provider=64497")).Select(a => a.Item1), Is.EqualTo(new uint[] { 64496, 4200000000 }));
        var none = await GetJsonAsync(server, "api/v1/aspas?asn=64500");
        Assert.That(none.GetProperty("total").GetInt32(), Is.Zero);
        Assert.That(Read(await GetJsonAsync(server, "api/v1/aspas?limit=1&offset=3")).Single().Item1, Is.EqualTo(4200000000));
    }

    [Test]
    public async Task Router_keys_and_their_filters()
    {
        var server = await StartSampleServerAsync();
        var all = await GetJsonAsync(server, "api/v1/router-keys");
        var keys = all.GetProperty("router_keys").EnumerateArray().ToList();
        Assert.That(keys.Select(k => k.GetProperty("asn").GetUInt32()), Is.EqualTo(new uint[] { 64496, 4200000000 }));
        Assert.That(keys.Select(k => k.GetProperty("ski").GetString()), Is.All.EqualTo(ApiSample.Ski));
        Assert.That(keys[0].GetProperty("pubkey").GetString(), Does.StartWith("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"));
        Assert.That((await GetJsonAsync(server, "api/v1/router-keys?asn=4200000000")).GetProperty("total").GetInt32(), Is.EqualTo(1));
        Assert.That((await GetJsonAsync(server, "api/v1/router-keys?ski=" + ApiSample.Ski.ToLowerInvariant())).GetProperty("total").GetInt32(), Is.EqualTo(2));
        Assert.That((await GetJsonAsync(server, "api/v1/router-keys?ski=" + new string('0', 40))).GetProperty("total").GetInt32(), Is.Zero);
    }

    [Test]
    public async Task Validity_valid_with_the_non_matching_covering_VRPs_listed()
    {
        var server = await StartSampleServerAsync();
        // 198.51.100.0/24 from AS64497: covering = 198.51.100.0/22-24 AS64496 (other AS) and 198.51.100.0/24-24
        // AS64497 (same AS, 24 ≤ 24) ⇒ valid.
        var r = await GetJsonAsync(server, "api/v1/validity/64497/198.51.100.0/24");
        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("state").GetString(), Is.EqualTo("valid"));
            Assert.That(r.GetProperty("reason").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(r.GetProperty("route").GetProperty("prefix").GetString(), Is.EqualTo("198.51.100.0/24"));
            Assert.That(r.GetProperty("route").GetProperty("asn").GetUInt32(), Is.EqualTo(64497));
            var vrps = r.GetProperty("vrps");
            Assert.That(ApiAnswer.Vrps(vrps.GetProperty("matched")), Is.EqualTo(new[] { ((uint)64497, "198.51.100.0/24", 24) }));
            Assert.That(ApiAnswer.Vrps(vrps.GetProperty("unmatchedAs")), Is.EqualTo(new[] { ((uint)64496, "198.51.100.0/22", 24) }));
            Assert.That(vrps.GetProperty("unmatchedLength").GetArrayLength(), Is.Zero);
        });
    }

    [Test]
    public async Task Validity_invalid_by_length_and_by_AS_and_not_found()
    {
        var server = await StartSampleServerAsync();
        // 198.51.100.0/25 from AS64496: covered by the /22-24 AS64496 (same AS, 25 > 24 ⇒ length) and the /24-24
        // AS64497 (other AS) ⇒ invalid, reason length.
        var byLength = await GetJsonAsync(server, "api/v1/validity/AS64496/198.51.100.0/25");
        Assert.That(byLength.GetProperty("state").GetString(), Is.EqualTo("invalid"));
        Assert.That(byLength.GetProperty("reason").GetString(), Is.EqualTo("length"));
        Assert.That(ApiAnswer.Vrps(byLength.GetProperty("vrps").GetProperty("unmatchedLength")), Is.EqualTo(new[] { ((uint)64496, "198.51.100.0/22", 24) }));
        Assert.That(ApiAnswer.Vrps(byLength.GetProperty("vrps").GetProperty("unmatchedAs")), Is.EqualTo(new[] { ((uint)64497, "198.51.100.0/24", 24) }));

        // 100.64.1.0/24 from AS64496: only 100.64.0.0/10-32 AS0 covers it; AS0 never matches ⇒ invalid (as).
        var byAs = await GetJsonAsync(server, "api/v1/validity/64496/100.64.1.0/24");
        Assert.That((byAs.GetProperty("state").GetString(), byAs.GetProperty("reason").GetString()), Is.EqualTo(("invalid", "as")));

        // 8.8.8.0/24: nothing covers it ⇒ not-found.
        var notFound = await GetJsonAsync(server, "api/v1/validity/64496/8.8.8.0/24");
        Assert.That(notFound.GetProperty("state").GetString(), Is.EqualTo("not-found"));
        Assert.That(notFound.GetProperty("vrps").GetProperty("unmatchedAs").GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task Validity_IPv6_and_other_spellings_of_the_request()
    {
        var server = await StartSampleServerAsync();
        // 2001:db8:ffff::/48 from AS64496: covered by 2001:db8::/32-48 AS64496 (48 ≤ 48, match) and by
        // 2001:db8:ffff::/48-48 AS4200000000 (other AS) ⇒ valid even though a more specific VRP names another AS.
        var v6 = await GetJsonAsync(server, "api/v1/validity/64496/2001:db8:ffff::/48");
        Assert.That(v6.GetProperty("state").GetString(), Is.EqualTo("valid"));
        Assert.That(ApiAnswer.Vrps(v6.GetProperty("vrps").GetProperty("unmatchedAs")), Is.EqualTo(new[] { (4200000000u, "2001:db8:ffff::/48", 48) }));

        // The slash percent-encoded, and the query-string form, give the same answer as the path form.
        var encoded = await GetJsonAsync(server, "api/v1/validity/64511/10.1.0.0%2F16");
        var query = await GetJsonAsync(server, "api/v1/validity?asn=64511&prefix=10.1.0.0/16");
        // 10.1.0.0/16 from AS64511: 10.0.0.0/8-16 AS64511 covers it, 16 ≤ 16 ⇒ valid.
        Assert.That(encoded.GetProperty("state").GetString(), Is.EqualTo("valid"));
        Assert.That(query.GetRawText(), Is.EqualTo(encoded.GetRawText()));
    }
}
