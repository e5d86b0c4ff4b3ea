using System.Net;
using System.Text.Json;

namespace RtrCache.Server.Tests.Api;

/// <summary>
/// <c>GET/POST /api/v1/aspa/verify</c> against the sample ASPAs (64496 → {64497, 64498}; 64497 → {64499};
/// 64499 → {0}; 4200000000 → {64496, 64497, 4200000001}; no ASPA for 64500 or 64501). Paths are in BGP order,
/// neighbor first; A = compressed path from the origin. Each verdict is worked out in the comment.
/// </summary>
public sealed class AspaVerifyApiTests : ApiTestBase
{
    private static string Get(string path, string? direction = null, string? neighbor = null)
        => "api/v1/aspa/verify?path=" + Uri.EscapeDataString(path)
           + (direction is null ? "" : "&direction=" + direction)
           + (neighbor is null ? "" : "&neighbor=" + neighbor);

    [Test]
    public async Task Upstream_valid_path()
    {
        var server = await StartSampleServerAsync();
        // 64499 64497 64496: A = (64496, 64497, 64499). Hop 1 authorized(64496, 64497) = P+ (64497 ∈ {64497, 64498});
        // hop 2 authorized(64497, 64499) = P+ ⇒ max_up = min_up = 3 = N ⇒ valid.
        var r = await GetJsonAsync(server, Get("64499 64497 64496", "upstream", "AS64499"));
        Assert.Multiple(() =>
        {
            Assert.That(r.GetProperty("state").GetString(), Is.EqualTo("valid"));
            Assert.That(r.GetProperty("reason").GetString(), Is.EqualTo("attested"));
            Assert.That(r.GetProperty("direction").GetString(), Is.EqualTo("upstream"));
            Assert.That(r.GetProperty("neighbor").GetUInt32(), Is.EqualTo(64499));
            Assert.That(r.GetProperty("compressedPath").EnumerateArray().Select(e => e.GetUInt32()), Is.EqualTo(new uint[] { 64496, 64497, 64499 }));
            Assert.That(r.GetProperty("ramps").GetProperty("n").GetInt32(), Is.EqualTo(3));
            Assert.That(r.GetProperty("upHops").GetArrayLength(), Is.EqualTo(2));
            Assert.That(r.GetProperty("decidingHops").GetArrayLength(), Is.Zero);
            Assert.That(r.GetProperty("serial").GetUInt32(), Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task Upstream_leak_past_an_AS0_ASPA_is_invalid_at_that_hop()
    {
        var server = await StartSampleServerAsync();
        // 64500 64499 64497 64496: A = (64496, 64497, 64499, 64500), N = 4. Hops 1, 2 P+ (as above); hop 3
        // authorized(64499, 64500): 64499's ASPA is {0} ⇒ Not Provider+ ⇒ max_up = 3 < 4 ⇒ invalid, decided by hop 3.
        var r = await GetJsonAsync(server, Get("64500 64499 64497 64496"));
        Assert.That(r.GetProperty("state").GetString(), Is.EqualTo("invalid"));
        Assert.That(r.GetProperty("reason").GetString(), Is.EqualTo("not-provider+"));
        var hop = r.GetProperty("decidingHops").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(hop.GetProperty("index").GetInt32(), Is.EqualTo(3));
            Assert.That(hop.GetProperty("customer").GetUInt32(), Is.EqualTo(64499));
            Assert.That(hop.GetProperty("provider").GetUInt32(), Is.EqualTo(64500));
            Assert.That(hop.GetProperty("check").GetString(), Is.EqualTo("not-provider+"));
            Assert.That(hop.GetProperty("ramp").GetString(), Is.EqualTo("up"));
            Assert.That(r.GetProperty("ramps").GetProperty("maxUp").GetInt32(), Is.EqualTo(3));
        });
    }

    [Test]
    public async Task The_same_path_downstream_is_valid()
    {
        var server = await StartSampleServerAsync();
        // Downstream 64500 64499 64497 64496: up as before, max_up = min_up = 3. Down: j = 4 authorized(64500, 64499) =
        // No Attestation (64500 has no ASPA) ⇒ min_down = 4 − 4 + 1 = 1; j = 3 authorized(64499, 64497): {0} ⇒ Not
        // Provider+ ⇒ max_down = 4 − 3 + 1 = 2. Max 3 + 2 = 5 ≥ 4, min 3 + 1 = 4 ≥ 4 ⇒ valid.
        var r = await GetJsonAsync(server, Get("64500 64499 64497 64496", "downstream"));
        Assert.That(r.GetProperty("state").GetString(), Is.EqualTo("valid"));
        var ramps = r.GetProperty("ramps");
        Assert.That((ramps.GetProperty("maxUp").GetInt32(), ramps.GetProperty("minUp").GetInt32(), ramps.GetProperty("maxDown").GetInt32(), ramps.GetProperty("minDown").GetInt32()),
            Is.EqualTo((3, 3, 2, 1)));
        Assert.That(r.GetProperty("downHops").EnumerateArray().Select(h => h.GetProperty("check").GetString()),
            Is.EqualTo(new[] { "no-attestation", "not-provider+", "not-provider+" }), "j = 4, 3, 2");
    }

    [Test]
    public async Task Unattested_origin_gives_unknown()
    {
        var server = await StartSampleServerAsync();
        // 64501 64500: A = (64500, 64501); hop 1 authorized(64500, 64501) = No Attestation ⇒ max_up = 2, min_up = 1 ⇒ unknown.
        var r = await GetJsonAsync(server, Get("64501 64500"));
        Assert.That((r.GetProperty("state").GetString(), r.GetProperty("reason").GetString()), Is.EqualTo(("unknown", "no-attestation")));
        Assert.That(r.GetProperty("decidingHops")[0].GetProperty("customer").GetUInt32(), Is.EqualTo(64500));
    }

    [Test]
    public async Task AS_SET_neighbor_mismatch_prepending_and_the_empty_path()
    {
        var server = await StartSampleServerAsync();
        // The example: an AS_SET anywhere ⇒ invalid (RFC 9774); the set is segment 1.
        var set = await GetJsonAsync(server, Get("64500 64501 {64502,64503}"));
        Assert.That((set.GetProperty("state").GetString(), set.GetProperty("reason").GetString()), Is.EqualTo(("invalid", "as-set")));
        Assert.That(set.GetProperty("segmentIndex").GetInt32(), Is.EqualTo(1));
        Assert.That(set.GetProperty("path").GetString(), Is.EqualTo("64500 64501 {64502,64503}"));

        // 64497 64496 from neighbor 64498: the first AS is not the neighbor ⇒ invalid.
        var neighbor = await GetJsonAsync(server, Get("64497 64496", neighbor: "64498"));
        Assert.That(neighbor.GetProperty("reason").GetString(), Is.EqualTo("neighbor-mismatch"));

        // 64497 64497 64496 64496 64496 collapses to A = (64496, 64497): hop 1 P+ ⇒ valid.
        var prepended = await GetJsonAsync(server, Get("64497 64497 64496 64496 64496"));
        Assert.That(prepended.GetProperty("state").GetString(), Is.EqualTo("valid"));
        Assert.That(prepended.GetProperty("compressedPath").GetArrayLength(), Is.EqualTo(2));

        var empty = await GetJsonAsync(server, "api/v1/aspa/verify?path=");
        Assert.That((empty.GetProperty("state").GetString(), empty.GetProperty("reason").GetString()), Is.EqualTo(("invalid", "empty-path")));
    }

    [Test]
    public async Task Post_takes_a_text_or_array_path_and_gives_the_same_document_as_get()
    {
        var server = await StartSampleServerAsync();
        var get = await GetJsonAsync(server, Get("64500 64499 64497 64496", "downstream", "64500"));
        var text = await PostAsync(server, "api/v1/aspa/verify", """{"path": "64500 64499 64497 64496", "direction": "downstream", "neighbor": 64500}""");
        var array = await PostAsync(server, "api/v1/aspa/verify", """{"path": [64500, "AS64499", 64497, 64496], "direction": "downstream", "neighbor": "AS64500"}""");
        Assert.That(text.Status, Is.EqualTo(HttpStatusCode.OK), text.ToString());
        Assert.That(array.Status, Is.EqualTo(HttpStatusCode.OK), array.ToString());
        Assert.That(text.Json.GetRawText(), Is.EqualTo(get.GetRawText()));
        Assert.That(array.Json.GetRawText(), Is.EqualTo(get.GetRawText()));

        // A nested array is an AS_SET; direction defaults to upstream.
        var withSet = await PostAsync(server, "api/v1/aspa/verify", """{"path": [64500, 64501, [64502, 64503]]}""");
        var doc = withSet.Json;
        Assert.That((doc.GetProperty("state").GetString(), doc.GetProperty("reason").GetString(), doc.GetProperty("direction").GetString()),
            Is.EqualTo(("invalid", "as-set", "upstream")));
        Assert.That(doc.GetProperty("path").GetString(), Is.EqualTo("64500 64501 {64502,64503}"));
    }
}
