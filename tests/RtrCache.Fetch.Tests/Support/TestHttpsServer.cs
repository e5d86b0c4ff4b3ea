using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RtrCache.Fetch.Tests.Support;

/// <summary>
/// Kestrel on 127.0.0.1 (random port) over HTTPS with the test CA's server certificate. It serves a file table
/// (path → bytes, with a strong ETag and conditional GET), optionally gzip-encoded, and lets a test override any
/// path with its own handler (errors, redirects, slow drip). Every request is logged.
/// </summary>
public sealed class TestHttpsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, Func<HttpContext, Task>> Handlers { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<(string Path, string? IfNoneMatch, string? AcceptEncoding, string? UserAgent)> Requests { get; } = new();

    /// <summary>Send bodies gzip-encoded (when the client accepts it).</summary>
    public bool Gzip { get; set; }

    public int Port { get; }
    public Uri BaseUri => new($"https://127.0.0.1:{Port}/");
    public Uri Uri(string path) => new(BaseUri, path.TrimStart('/'));

    private TestHttpsServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public static async Task<TestHttpsServer> StartAsync(TestCa ca)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.UseHttps(ca.ServerCertificate)));
        var app = builder.Build();
        TestHttpsServer? server = null;
        app.Run(ctx => server!.HandleAsync(ctx));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new TestHttpsServer(app, new Uri(address).Port);
        return server;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        string path = ctx.Request.Path.Value ?? "/";
        Requests.Enqueue((path, ctx.Request.Headers.IfNoneMatch.ToString() is { Length: > 0 } inm ? inm : null,
            ctx.Request.Headers.AcceptEncoding.ToString(), ctx.Request.Headers.UserAgent.ToString()));
        if (Handlers.TryGetValue(path, out var handler)) { await handler(ctx); return; }
        if (!Files.TryGetValue(path, out var body)) { ctx.Response.StatusCode = 404; return; }
        string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(body))[..16] + "\"";
        ctx.Response.Headers.ETag = etag;
        if (ctx.Request.Headers.IfNoneMatch.ToString() == etag) { ctx.Response.StatusCode = 304; return; }
        ctx.Response.ContentType = "application/xml";
        if (Gzip && ctx.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.Ordinal))
        {
            ctx.Response.Headers.ContentEncoding = "gzip";
            var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(body);
            ctx.Response.ContentLength = ms.Length;
            await ctx.Response.Body.WriteAsync(ms.ToArray());
            return;
        }
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body);
    }

    public int RequestCount(string path) => Requests.Count(r => r.Path == path);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
