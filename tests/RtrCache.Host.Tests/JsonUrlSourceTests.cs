using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RtrCache.Host.Input;

namespace RtrCache.Host.Tests;

/// <summary>
/// The http(s) input: a real Kestrel server on loopback serves the JSON with an ETag; the source must send
/// If-None-Match, treat 304 as unchanged, and keep nothing from a rejected or failed response.
/// </summary>
public sealed class JsonUrlSourceTests
{
    private WebApplication? _server;
    private readonly List<string?> _ifNoneMatch = [];
    private string _body = "";
    private string _etag = "";
    private int _status;

    private static string Json(string prefix) => $$"""{ "roas": [ { "asn": 64496, "prefix": "{{prefix}}", "maxLength": 24 } ] }""";

    [SetUp]
    public async Task StartServer()
    {
        // NUnit reuses one fixture instance for all its tests: reset the server's state here.
        _body = Json("192.0.2.0/24");
        _etag = "\"v1\"";
        _status = 200;
        lock (_ifNoneMatch) _ifNoneMatch.Clear();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        int port = FreePort();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        _server = builder.Build();
        _server.MapGet("/rpki.json", (HttpContext ctx) =>
        {
            string? inm = ctx.Request.Headers.IfNoneMatch.Count > 0 ? ctx.Request.Headers.IfNoneMatch.ToString() : null;
            lock (_ifNoneMatch) _ifNoneMatch.Add(inm);
            if (_status != 200) return Results.StatusCode(_status);
            if (inm == _etag) return Results.StatusCode(304);
            ctx.Response.Headers.ETag = _etag;
            return Results.Text(_body, "application/json");
        });
        await _server.StartAsync();
        Url = $"http://127.0.0.1:{port}/rpki.json";
    }

    private string Url { get; set; } = "";

    [TearDown]
    public async Task StopServer()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Test]
    public async Task Conditional_requests_and_changes()
    {
        using var source = JsonPayloadSource.Create(Url);
        var now = DateTimeOffset.UtcNow;

        var first = await source.LoadAsync(now, force: false, CancellationToken.None);
        Assert.That(first, Is.TypeOf<SourceResult.Loaded>());
        Assert.That(((SourceResult.Loaded)first).Set.VrpCount, Is.EqualTo(1));

        var second = await source.LoadAsync(now, force: false, CancellationToken.None);
        Assert.That(second, Is.TypeOf<SourceResult.Unchanged>(), "a 304 must count as unchanged");

        _body = Json("198.51.100.0/24");
        _etag = "\"v2\"";
        var third = await source.LoadAsync(now, force: false, CancellationToken.None);
        Assert.That(third, Is.TypeOf<SourceResult.Loaded>());
        Assert.That(((SourceResult.Loaded)third).Set.V4[0].ToString(), Is.EqualTo("198.51.100.0/24-24 AS64496"));

        lock (_ifNoneMatch)
            Assert.That(_ifNoneMatch, Is.EqualTo(new string?[] { null, "\"v1\"", "\"v1\"" }));
    }

    [Test]
    public async Task Rejected_body_is_not_remembered()
    {
        using var source = JsonPayloadSource.Create(Url);
        var now = DateTimeOffset.UtcNow;
        Assert.That(await source.LoadAsync(now, false, CancellationToken.None), Is.TypeOf<SourceResult.Loaded>());

        _body = """{ "roas": [ { "asn": 64496, "prefix": "192.0.2.0/24", "maxLength": 20 } ] }""";
        _etag = "\"bad\"";
        var bad = await source.LoadAsync(now, false, CancellationToken.None);
        Assert.That(bad, Is.TypeOf<SourceResult.Failed>());
        Assert.That(((SourceResult.Failed)bad).Error, Does.Contain(Url).And.Contain("roas[0]"));

        // The next poll must not present the rejected ETag: the server would answer 304 and the fix never arrive.
        _body = Json("203.0.113.0/24");
        _etag = "\"good\"";
        Assert.That(await source.LoadAsync(now, false, CancellationToken.None), Is.TypeOf<SourceResult.Loaded>());
        lock (_ifNoneMatch) Assert.That(_ifNoneMatch[^1], Is.EqualTo("\"v1\""));
    }

    [Test]
    public async Task Http_error_is_a_failure_naming_the_url()
    {
        _status = 503;
        using var source = JsonPayloadSource.Create(Url);
        var r = await source.LoadAsync(DateTimeOffset.UtcNow, false, CancellationToken.None);
        Assert.That(r, Is.TypeOf<SourceResult.Failed>());
        Assert.That(((SourceResult.Failed)r).Error, Does.Contain(Url).And.Contain("503"));
    }

    [Test]
    public async Task Unreachable_server_is_a_failure()
    {
        using var source = JsonPayloadSource.Create($"http://127.0.0.1:{FreePort()}/rpki.json");
        var r = await source.LoadAsync(DateTimeOffset.UtcNow, false, CancellationToken.None);
        Assert.That(r, Is.TypeOf<SourceResult.Failed>());
    }
}
