using System.Net;
using System.Text.Json;
using RtrCache.Payload;
using RtrCache.Payload.Formats;
using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests.Api;

/// <summary>
/// The sample data every API test serves (deploy/sample/rpki.json, as shipped) and helpers to read answers.
/// </summary>
/// <remarks>
/// What the sample holds, written out once here so the expectations in the tests can be checked by reading:
/// <code>
/// ROAs (natural order: IPv4 then IPv6, by address, max length, prefix length, ASN):
///   1 10.0.0.0/8-16          AS64511        7 203.0.113.128/25-26   AS4200000001
///   2 100.64.0.0/10-32       AS0            8 2001:db8::/32-48      AS64496
///   3 192.0.2.0/24-24        AS64496        9 2001:db8:1000::/36-48 AS64497
///   4 198.51.100.0/22-24     AS64496       10 2001:db8:2000::/40-40 AS64498
///   5 198.51.100.0/24-24     AS64497       11 2001:db8:ffff::/48-48 AS4200000000
///   6 203.0.113.0/24-24      AS4200000000  12 3fff::/20-128         AS0
/// ASPAs: 64496 → {64497, 64498}; 64497 → {64499}; 64499 → {0}; 4200000000 → {64496, 64497, 4200000001}
/// Router keys: AS64496 and AS4200000000, both SKI 5D4250E2D81D4E4C0A6D4C6FAA7DDE5EE0E0A1B2
/// </code>
/// (The test servers run without the sample SLURM file, so 10.0.0.0/8 stays and AS64500 has no ASPA.)
/// </remarks>
public static class ApiSample
{
    public const string Ski = "5D4250E2D81D4E4C0A6D4C6FAA7DDE5EE0E0A1B2";

    /// <summary>deploy/sample/rpki.json, found by walking up from the test binaries to the repository root.</summary>
    public static string Path
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = System.IO.Path.Combine(dir.FullName, "deploy", "sample", "rpki.json");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("deploy/sample/rpki.json not found above " + AppContext.BaseDirectory);
        }
    }

    public static string Json => File.ReadAllText(Path);

    /// <summary>The sample's payload as our reader sees the file (no SLURM).</summary>
    public static PayloadSet Set
    {
        get
        {
            var parsed = RpkiClientJson.Parse(File.ReadAllBytes(Path), DateTimeOffset.UtcNow);
            Assert.That(parsed.Success, Is.True, parsed.Error);
            return parsed.Set!;
        }
    }

    public static Vrp Vrp(string prefix, int maxLength, uint asn)
        => Payload.Vrp.TryCreate(prefix, maxLength, asn, out var v, out var e) ? v : throw new ArgumentException(e);

    /// <summary>Starts a server on the sample file and waits until it serves it.</summary>
    public static async Task<TestServer> StartAsync()
    {
        var server = await TestServer.StartAsync(null);
        server.WriteJsonText(Json);
        await server.WaitReadyAsync();
        return server;
    }
}

/// <summary>An HTTP answer with its body parsed as JSON (when it is JSON).</summary>
public sealed record ApiAnswer(HttpStatusCode Status, string? ContentType, string Body)
{
    public JsonElement Json
    {
        get
        {
            using var doc = JsonDocument.Parse(Body);
            return doc.RootElement.Clone();
        }
    }

    /// <summary>VRP objects of a list as (asn, prefix, maxLength) tuples, in the order given.</summary>
    public static (uint Asn, string Prefix, int MaxLength)[] Vrps(JsonElement array)
        => array.EnumerateArray().Select(e => (e.GetProperty("asn").GetUInt32(), e.GetProperty("prefix").GetString()!, e.GetProperty("maxLength").GetInt32())).ToArray();

    public override string ToString() => $"{(int)Status} {ContentType}: {Body}";
}

/// <summary>Base for API tests: servers stopped in TearDown, plus request helpers.</summary>
public abstract class ApiTestBase
{
    private readonly List<TestServer> _servers = [];

    protected async Task<TestServer> StartSampleServerAsync()
    {
        var server = await ApiSample.StartAsync();
        _servers.Add(server);
        return server;
    }

    protected async Task<TestServer> StartServerAsync(TestPayload? initial, Func<RtrCache.Host.Serving.ServeSettings, RtrCache.Host.Serving.ServeSettings>? configure = null)
    {
        var server = await TestServer.StartAsync(initial, configure);
        _servers.Add(server);
        return server;
    }

    [TearDown]
    public async Task StopServersAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
        _servers.Clear();
    }

    protected static async Task<ApiAnswer> GetAsync(TestServer server, string path)
    {
        using var response = await server.Http.GetAsync(path);
        return new ApiAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    protected static async Task<ApiAnswer> PostAsync(TestServer server, string path, string body)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await server.Http.PostAsync(path, content);
        return new ApiAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }

    /// <summary>GET that must answer 200 with JSON; returns the parsed body.</summary>
    protected static async Task<JsonElement> GetJsonAsync(TestServer server, string path)
    {
        var answer = await GetAsync(server, path);
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), $"GET {path}: {answer}");
        Assert.That(answer.ContentType, Is.EqualTo("application/json"), $"GET {path}");
        return answer.Json;
    }

    /// <summary>Asserts an RFC 9457 problem document with <paramref name="status"/> whose detail contains <paramref name="detailPart"/>.</summary>
    protected static JsonElement AssertProblem(ApiAnswer answer, HttpStatusCode status, string? detailPart = null, string? parameter = null)
    {
        Assert.That(answer.Status, Is.EqualTo(status), answer.ToString());
        Assert.That(answer.ContentType, Is.EqualTo("application/problem+json"), answer.ToString());
        var p = answer.Json;
        Assert.Multiple(() =>
        {
            Assert.That(p.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
            Assert.That(p.GetProperty("title").GetString(), Is.Not.Empty);
            Assert.That(p.GetProperty("detail").GetString(), Is.Not.Empty);
            if (detailPart is not null) Assert.That(p.GetProperty("detail").GetString(), Does.Contain(detailPart));
            if (parameter is not null) Assert.That(p.GetProperty("parameter").GetString(), Is.EqualTo(parameter));
        });
        return p;
    }
}
