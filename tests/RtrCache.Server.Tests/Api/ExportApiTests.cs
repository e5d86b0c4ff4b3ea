using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using RtrCache.Host.Input;
using RtrCache.Payload;
using RtrCache.Payload.Formats;
using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests.Api;

/// <summary>
/// The exports: rpki-client JSON read back by our own reader and by a second server chained to the first,
/// CSV parsed back, OpenBGPD and BIRD text checked line by line against hand-written lines for sample entries.
/// </summary>
public sealed class ExportApiTests : ApiTestBase
{
    [TestCase("api/v1/export/json")]
    [TestCase("json")]
    public async Task Json_export_reads_back_as_the_served_set(string path)
    {
        var server = await StartSampleServerAsync();
        using var response = await server.Http.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        var parsed = RpkiClientJson.Parse(await response.Content.ReadAsByteArrayAsync(), DateTimeOffset.UtcNow);
        Assert.That(parsed.Success, Is.True, parsed.Error);
        Assert.That(parsed.Set, Is.EqualTo(ApiSample.Set), $"export {parsed.Set} vs sample {ApiSample.Set}");
        Assert.That((parsed.RoasRead, parsed.AspasRead, parsed.RouterKeysRead), Is.EqualTo((12, 4, 2)));
    }

    [Test]
    public async Task Json_export_answers_304_to_a_poller_holding_the_current_serial()
    {
        var server = await StartSampleServerAsync();
        using var first = await server.Http.GetAsync("json");
        var etag = first.Headers.ETag;
        Assert.That(etag, Is.Not.Null);
        Assert.That(first.Content.Headers.LastModified, Is.Not.Null);

        using var again = new HttpRequestMessage(HttpMethod.Get, "json");
        again.Headers.IfNoneMatch.Add(etag!);
        using var notModified = await server.Http.SendAsync(again);
        Assert.That(notModified.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));

        // A malformed If-None-Match is no match (and no error).
        using var garbage = new HttpRequestMessage(HttpMethod.Get, "json");
        garbage.Headers.TryAddWithoutValidation("If-None-Match", "garbage, \"unterminated");
        using var full = await server.Http.SendAsync(garbage);
        Assert.That(full.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        // A new serial makes the old tag stale.
        uint serial = await server.WaitReadyAsync();
        server.WriteJsonText(ApiSample.Json.Replace("\"maxLength\": 16", "\"maxLength\": 17", StringComparison.Ordinal));
        await server.WaitForSerialAsync(serial + 1);
        using var changed = new HttpRequestMessage(HttpMethod.Get, "json");
        changed.Headers.IfNoneMatch.Add(etag!);
        using var fresh = await server.Http.SendAsync(changed);
        Assert.That(fresh.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(fresh.Headers.ETag, Is.Not.EqualTo(etag));
    }

    [Test]
    public async Task Our_own_json_url_source_reads_the_export_and_uses_the_etag()
    {
        var server = await StartSampleServerAsync();
        using var source = JsonPayloadSource.Create(new Uri(server.Http.BaseAddress!, "json").ToString());
        var loaded = await source.LoadAsync(DateTimeOffset.UtcNow, force: false, CancellationToken.None);
        Assert.That(loaded, Is.InstanceOf<SourceResult.Loaded>(), loaded.ToString());
        Assert.That(((SourceResult.Loaded)loaded).Set, Is.EqualTo(ApiSample.Set));
        var second = await source.LoadAsync(DateTimeOffset.UtcNow, force: false, CancellationToken.None);
        Assert.That(second, Is.InstanceOf<SourceResult.Unchanged>(), "If-None-Match with our ETag gives 304");
    }

    [Test]
    public async Task A_second_server_chained_to_the_json_export_serves_the_same_set_to_routers()
    {
        var upstream = await StartSampleServerAsync();
        string url = new Uri(upstream.Http.BaseAddress!, "json").ToString();
        var downstream = await StartServerAsync(initial: null, s => s with { JsonSource = url });
        await downstream.WaitReadyAsync();
        var router = await downstream.SyncedClientAsync(2);
        Assert.That(router.Model.ToPayloadSet(), Is.EqualTo(ApiSample.Set), "a v2 router of the chained server holds the sample set");
    }

    [Test]
    public async Task Csv_export_parses_back_to_the_VRPs()
    {
        var server = await StartSampleServerAsync();
        var answer = await GetAsync(server, "api/v1/export/csv");
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(answer.ContentType, Is.EqualTo("text/csv"));
        var lines = answer.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo("ASN,IP Prefix,Max Length,Trust Anchor"));
        var vrps = new List<Vrp>();
        foreach (var line in lines[1..])
        {
            var f = line.Split(',');
            Assert.That(f, Has.Length.EqualTo(4), line);
            Assert.That(f[0], Does.StartWith("AS"), line);
            vrps.Add(ApiSample.Vrp(f[1], int.Parse(f[2], CultureInfo.InvariantCulture), uint.Parse(f[0][2..], CultureInfo.InvariantCulture)));
        }
        Assert.That(vrps, Is.EqualTo(ApiSample.Set.Vrps.ToList()));
        Assert.That(lines[1], Is.EqualTo("AS64511,10.0.0.0/8,16,"));
        Assert.That(lines[^1], Is.EqualTo("AS0,3fff::/20,128,"));
    }

    [Test]
    public async Task OpenBgpd_export_has_roa_set_and_aspa_set_lines()
    {
        var server = await StartSampleServerAsync();
        var answer = await GetAsync(server, "api/v1/export/openbgpd");
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK));
        var lines = answer.Body.Split('\n');
        // Hand-written from the sample: maxlen only when it exceeds the prefix length.
        Assert.That(lines, Does.Contain("roa-set {"));
        Assert.That(lines, Does.Contain("\t192.0.2.0/24 source-as 64496"));
        Assert.That(lines, Does.Contain("\t198.51.100.0/22 maxlen 24 source-as 64496"));
        Assert.That(lines, Does.Contain("\t203.0.113.128/25 maxlen 26 source-as 4200000001"));
        Assert.That(lines, Does.Contain("\t2001:db8:2000::/40 source-as 64498"));
        Assert.That(lines, Does.Contain("\t3fff::/20 maxlen 128 source-as 0"));
        Assert.That(lines, Does.Contain("aspa-set {"));
        Assert.That(lines, Does.Contain("\tcustomer-as 64496 provider-as { 64497, 64498 }"));
        Assert.That(lines, Does.Contain("\tcustomer-as 64499 provider-as { 0 }"));
        Assert.That(lines, Does.Contain("\tcustomer-as 4200000000 provider-as { 64496, 64497, 4200000001 }"));
        Assert.That(lines.Count(l => l.Contains("source-as", StringComparison.Ordinal)), Is.EqualTo(12));
        Assert.That(lines.Count(l => l.StartsWith("\tcustomer-as", StringComparison.Ordinal)), Is.EqualTo(4));

        var noAspa = await GetAsync(server, "api/v1/export/openbgpd?aspa=false");
        Assert.That(noAspa.Body, Does.Not.Contain("aspa-set"));
        Assert.That(noAspa.Body, Does.Contain("\t192.0.2.0/24 source-as 64496\n"));
    }

    [Test]
    public async Task Bird_export_has_roa_tables_and_route_lines()
    {
        var server = await StartSampleServerAsync();
        var answer = await GetAsync(server, "api/v1/export/bird");
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK));
        var lines = answer.Body.Split('\n');
        Assert.That(lines, Does.Contain("roa4 table ROAS4;"));
        Assert.That(lines, Does.Contain("roa6 table ROAS6;"));
        Assert.That(lines, Does.Contain("\troa4 { table ROAS4; };"));
        Assert.That(lines, Does.Contain("\troute 10.0.0.0/8 max 16 as 64511;"));
        Assert.That(lines, Does.Contain("\troute 192.0.2.0/24 max 24 as 64496;"));
        Assert.That(lines, Does.Contain("\troute 203.0.113.0/24 max 24 as 4200000000;"));
        Assert.That(lines, Does.Contain("\troute 2001:db8:ffff::/48 max 48 as 4200000000;"));
        Assert.That(lines, Does.Contain("\troute 3fff::/20 max 128 as 0;"));
        Assert.That(lines.Count(l => l.StartsWith("\troute ", StringComparison.Ordinal)), Is.EqualTo(12));
        // The IPv4 routes come in the roa4 block, before the roa6 block.
        Assert.That(Array.IndexOf(lines, "\troute 100.64.0.0/10 max 32 as 0;"), Is.LessThan(Array.IndexOf(lines, "\troa6 { table ROAS6; };")));

        var named = await GetAsync(server, "api/v1/export/bird?table=rpki_");
        Assert.That(named.Body, Does.Contain("roa4 table rpki_4;\nroa6 table rpki_6;\n"));
    }

    [Test]
    public async Task Large_exports_stream_and_stay_complete()
    {
        // 120,000 VRPs: several MB of each format. The answers are chunked (no Content-Length: never built whole
        // before sending) and every entry arrives.
        var roas = Enumerable.Range(0, 120_000)
            .Select(i => new Roa(64496 + (uint)(i % 1000), $"{10 + (i >> 16)}.{(i >> 8) & 0xFF}.{i & 0xFF}.0/24", 24))
            .ToList();
        var server = await StartServerAsync(new TestPayload(roas));
        foreach (var (path, marker) in new[] { ("json", "\"prefix\""), ("api/v1/export/csv", "/24,24,"), ("api/v1/export/openbgpd", " source-as "), ("api/v1/export/bird", " max 24 as ") })
        {
            using var response = await server.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), path);
            Assert.That(response.Content.Headers.ContentLength, Is.Null, $"{path} is streamed");
            Assert.That(response.Headers.TransferEncodingChunked, Is.True, path);
            string body = await response.Content.ReadAsStringAsync();
            int count = 0;
            for (int at = body.IndexOf(marker, StringComparison.Ordinal); at >= 0; at = body.IndexOf(marker, at + 1, StringComparison.Ordinal)) count++;
            Assert.That(count, Is.EqualTo(120_000), path);
        }
    }
}
