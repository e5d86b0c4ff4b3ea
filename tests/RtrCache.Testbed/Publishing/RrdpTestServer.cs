using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RtrCache.Testbed.Publishing;

/// <summary>Options of <see cref="RrdpTestServer"/>.</summary>
public sealed record RrdpTestServerOptions
{
    /// <summary>
    /// Port on 127.0.0.1; 0 (default) lets the kernel choose a free one, which cannot collide. A fixed port is
    /// for bringing a stopped server back where certificates and TALs already point.
    /// </summary>
    public int Port { get; init; }

    /// <summary>HTTP versions offered over ALPN.</summary>
    public HttpProtocols Protocols { get; init; } = HttpProtocols.Http1AndHttp2;

    /// <summary>Compress responses for clients that send <c>Accept-Encoding: gzip</c> (can be switched later, see <see cref="RrdpTestServer.Gzip"/>).</summary>
    public bool Gzip { get; init; }
}

/// <summary>One request the server answered (or dropped), for assertions on what a client sent.</summary>
/// <param name="Time">When the request arrived.</param>
/// <param name="Method">GET or HEAD (others get 405).</param>
/// <param name="Path">The decoded request path.</param>
/// <param name="Protocol">HTTP/1.1 or HTTP/2.</param>
/// <param name="Headers">Request headers (case-insensitive names; repeated headers joined with ", ").</param>
/// <param name="StatusCode">The status sent (the last one set when the connection was reset).</param>
/// <param name="BodyBytes">Body bytes written (after compression).</param>
/// <param name="Fault">Name of the fault applied, or null.</param>
/// <param name="Aborted">The exchange ended early: reset by the server's fault or the client went away.</param>
public sealed record RequestLogEntry(DateTimeOffset Time, string Method, string Path, string Protocol, IReadOnlyDictionary<string, string> Headers,
    int StatusCode, long BodyBytes, string? Fault, bool Aborted)
{
    /// <summary>A request header, or null.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// An in-process HTTPS server on 127.0.0.1 (Kestrel) for end-to-end tests of an RRDP fetcher: serves the files
/// of an <see cref="RrdpPublisher"/> (via <see cref="MapDirectory"/>), TA certificates and anything else
/// (<see cref="Put"/>), with conditional requests (ETag / Last-Modified → 304), optional gzip, per-path
/// <see cref="HttpFault"/>s and a request log. Its TLS certificate comes from a CA made for this instance
/// (<see cref="CaCertificatePemPath"/>, for the fetcher's <c>--extra-ca</c>).
/// </summary>
/// <remarks>
/// <para>Started on port 0, so there is no window in which another process can take the port: start the server
/// first, then generate the repository with <see cref="NotificationUri"/> baked into its certificates
/// (<see cref="LiveRepository"/> does both).</para>
/// <para>Last-Modified is tracked per path and moves forward by at least a second whenever the content changes,
/// so a client polling with If-Modified-Since never misses an update published in the same second as the
/// previous one (HTTP dates have whole seconds).</para>
/// <para>Thread-safe: faults, content and the log can be changed while requests run. Disposing cancels hanging
/// and dripping responses and stops Kestrel within a bounded time.</para>
/// </remarks>
public sealed class RrdpTestServer : IAsyncDisposable
{
    /// <summary>Files up to this size are read whole and hashed for a content-exact ETag (the notification); larger ones are streamed.</summary>
    private const long HashedFileLimit = 1 << 20;

    private readonly WebApplication _app;
    private readonly TestTlsCertificates _tls;
    private readonly string _workDirectory;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, StoredContent> _stored = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly List<(string Prefix, string Directory)> _directories = [];
    private readonly Dictionary<string, FaultEntry> _faults = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string ETag, DateTimeOffset LastModified)> _versions = new(StringComparer.Ordinal);
    private readonly List<RequestLogEntry> _log = [];
    private volatile bool _gzip;
    private int _disposed;

    private sealed record StoredContent(byte[] Bytes, string ContentType, string ETag, DateTimeOffset? FixedLastModified, bool SendETag);

    private sealed class FaultEntry(HttpFault fault, int? remaining)
    {
        public HttpFault Fault { get; } = fault;
        public int? Remaining { get; set; } = remaining;
    }

    private RrdpTestServer(WebApplication app, TestTlsCertificates tls, string workDirectory, bool gzip)
    {
        _app = app;
        _tls = tls;
        _workDirectory = workDirectory;
        _gzip = gzip;
        CaCertificatePemPath = Path.Combine(workDirectory, "test-ca.pem");
        File.WriteAllText(CaCertificatePemPath, tls.CaPem);
    }

    /// <summary>The port on 127.0.0.1.</summary>
    public int Port { get; private set; }

    /// <summary><c>https://127.0.0.1:PORT/</c>.</summary>
    public string BaseUri => $"https://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/";

    /// <summary>Where <see cref="LiveRepository"/> maps the publisher: <c>BaseUri + "rrdp/"</c>.</summary>
    public string RrdpBaseUri => BaseUri + "rrdp/";

    /// <summary><c>https://127.0.0.1:PORT/rrdp/notification.xml</c>: the rpkiNotify URI for a publisher mapped at <see cref="RrdpBaseUri"/>.</summary>
    public string NotificationUri => RrdpBaseUri + RrdpPublisher.NotificationFileName;

    /// <summary>The test CA in PEM, for the fetcher's <c>--extra-ca</c>. Deleted on dispose.</summary>
    public string CaCertificatePemPath { get; }

    /// <summary>The test CA.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2 CaCertificate => _tls.CaCertificate;

    /// <summary>Compress responses for clients that accept gzip.</summary>
    public bool Gzip { get => _gzip; set => _gzip = value; }

    /// <summary>Starts a server on 127.0.0.1 (port 0 = a free one) with a fresh test CA.</summary>
    public static async Task<RrdpTestServer> StartAsync(RrdpTestServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new RrdpTestServerOptions();
        var work = Path.Combine(Path.GetTempPath(), "rtrcache-rrdp-server", $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(work);
        var tls = TestTlsCertificates.Create();
        RrdpTestServer? server = null;
        try
        {
            // The empty builder: no configuration files (no file watchers per instance), no logging providers.
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "RtrCache.Testbed.RrdpTestServer", ContentRootPath = work });
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrelCore();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                // the slow-drip fault writes a few bytes per second on purpose
                k.Limits.MinResponseDataRate = null;
                k.Listen(IPAddress.Loopback, options.Port, lo =>
                {
                    lo.Protocols = options.Protocols;
                    lo.UseHttps(tls.ServerCertificate);
                });
            });
            builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(5));
            var app = builder.Build();
            server = new RrdpTestServer(app, tls, work, options.Gzip);
            app.Run(server.HandleAsync);
            await app.StartAsync(ct).ConfigureAwait(false);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server.Port = new Uri(address).Port;
            return server;
        }
        catch
        {
            if (server is not null) await server.DisposeAsync().ConfigureAwait(false);
            else
            {
                tls.Dispose();
                TryDeleteDirectory(work);
            }
            throw;
        }
    }

    // ------------------------------------------------------------------ content

    /// <summary>Serves <paramref name="content"/> at <paramref name="path"/> (e.g. <c>/repo/ta/ta.cer</c>); wins over mapped directories.</summary>
    /// <param name="path">The request path, starting with '/'.</param>
    /// <param name="content">The bytes to send (copied).</param>
    /// <param name="contentType">Content-Type; by default from the file extension.</param>
    /// <param name="lastModified">
    /// A fixed Last-Modified (whole seconds) sent and compared with If-Modified-Since instead of the server's own
    /// per-content clock, so a test can check that a client stores the server's date and sends it back verbatim.
    /// </param>
    /// <param name="sendETag">
    /// False sends no ETag: a client then has only Last-Modified to make its next request conditional with (and an
    /// If-None-Match it sends anyway matches nothing but <c>*</c>).
    /// </param>
    public void Put(string path, byte[] content, string? contentType = null, DateTimeOffset? lastModified = null, bool sendETag = true)
    {
        CheckPath(path);
        DateTimeOffset? fixedDate = lastModified is { } d ? new DateTimeOffset(d.UtcTicks - d.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero) : null;
        _stored[path] = new StoredContent(content.ToArray(), contentType ?? ContentTypeOf(path), Quote(RrdpPublisher.Hex(SHA256.HashData(content))[..32]), fixedDate, sendETag);
    }

    /// <summary>Removes content given to <see cref="Put"/>.</summary>
    public void Remove(string path) => _stored.TryRemove(path, out _);

    /// <summary>
    /// Serves the files below <paramref name="directory"/> under <paramref name="urlPrefix"/> (e.g.
    /// <c>/rrdp/</c> → <see cref="RrdpPublisher.OutputDirectory"/>). Files are read per request, so a publisher
    /// writing there is live. A later mapping of the same prefix replaces the earlier one.
    /// </summary>
    public void MapDirectory(string urlPrefix, string directory)
    {
        CheckPath(urlPrefix);
        if (!urlPrefix.EndsWith('/')) throw new ArgumentException("prefix must end with '/'", nameof(urlPrefix));
        var full = Path.GetFullPath(directory);
        lock (_gate)
        {
            _directories.RemoveAll(d => d.Prefix == urlPrefix);
            _directories.Add((urlPrefix, full));
            _directories.Sort((a, b) => b.Prefix.Length.CompareTo(a.Prefix.Length)); // longest prefix first
        }
    }

    /// <summary>Serves <paramref name="publisher"/>'s files under the path of its <see cref="RrdpPublisher.BaseUri"/>.</summary>
    public void Serve(RrdpPublisher publisher) => MapDirectory(new Uri(publisher.BaseUri).AbsolutePath, publisher.OutputDirectory);

    // ------------------------------------------------------------------ faults

    /// <summary>
    /// Applies <paramref name="fault"/> to requests for <paramref name="path"/>; a path ending in <c>*</c> is a
    /// prefix (<c>/rrdp/*</c>, or <c>/*</c> for everything). <paramref name="times"/> limits it to that many
    /// requests (then the path behaves again); null = until cleared. An exact path wins over a prefix.
    /// </summary>
    public void SetFault(string path, HttpFault fault, int? times = null)
    {
        CheckPath(path);
        if (times is <= 0) throw new ArgumentOutOfRangeException(nameof(times));
        lock (_gate) _faults[path] = new FaultEntry(fault, times);
    }

    /// <summary>Removes the fault of <paramref name="path"/>.</summary>
    public void ClearFault(string path)
    {
        lock (_gate) _faults.Remove(path);
    }

    /// <summary>Removes every fault.</summary>
    public void ClearFaults()
    {
        lock (_gate) _faults.Clear();
    }

    private HttpFault? TakeFault(string path)
    {
        lock (_gate)
        {
            string? key = _faults.ContainsKey(path) ? path : null;
            if (key is null)
            {
                int best = -1;
                foreach (var k in _faults.Keys)
                    if (k.EndsWith('*') && path.StartsWith(k[..^1], StringComparison.Ordinal) && k.Length > best)
                    {
                        key = k;
                        best = k.Length;
                    }
            }
            if (key is null) return null;
            var entry = _faults[key];
            if (entry.Remaining is { } n)
            {
                if (n <= 1) _faults.Remove(key);
                else entry.Remaining = n - 1;
            }
            return entry.Fault;
        }
    }

    // ------------------------------------------------------------------ request log

    /// <summary>Every request so far, in arrival order (entries are added when the response ends).</summary>
    public IReadOnlyList<RequestLogEntry> Requests
    {
        get { lock (_gate) return _log.OrderBy(e => e.Time).ToList(); }
    }

    /// <summary>The requests for one path.</summary>
    public IReadOnlyList<RequestLogEntry> RequestsFor(string path) => Requests.Where(r => r.Path == path).ToList();

    /// <summary>Empties the request log.</summary>
    public void ClearRequests()
    {
        lock (_gate) _log.Clear();
    }

    // ------------------------------------------------------------------ serving

    private sealed record Resolved(byte[]? Bytes, string? FilePath, long Length, string ContentType, string ETag, DateTimeOffset? FixedLastModified = null, bool SendETag = true);

    private Resolved? Resolve(string path)
    {
        if (_stored.TryGetValue(path, out var s)) return new Resolved(s.Bytes, null, s.Bytes.Length, s.ContentType, s.ETag, s.FixedLastModified, s.SendETag);
        List<(string Prefix, string Directory)> dirs;
        lock (_gate) dirs = [.. _directories];
        foreach (var (prefix, dir) in dirs)
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rel = path[prefix.Length..];
            var segments = rel.Split('/');
            if (rel.Length == 0 || segments.Any(x => x.Length == 0 || x == "." || x == ".." || x.Contains('\\') || x.Any(char.IsControl))) return null;
            var full = Path.GetFullPath(Path.Combine([dir, .. segments]));
            if (!full.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal)) return null;
            var info = new FileInfo(full);
            if (!info.Exists) continue;
            try
            {
                if (info.Length <= HashedFileLimit)
                {
                    // read once: the ETag describes exactly the bytes sent, even if the file is replaced meanwhile
                    var bytes = File.ReadAllBytes(full);
                    return new Resolved(bytes, null, bytes.Length, ContentTypeOf(full), Quote(RrdpPublisher.Hex(SHA256.HashData(bytes))[..32]));
                }
                // large files (snapshots) are immutable once listed: size and mtime identify them
                return new Resolved(null, full, info.Length, ContentTypeOf(full),
                    Quote($"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}"));
            }
            catch (IOException) { continue; } // replaced or deleted (an old generation) while we looked
        }
        return null;
    }

    private Stream Open(Resolved r)
        => r.Bytes is not null ? new MemoryStream(r.Bytes, writable: false) : new FileStream(r.FilePath!, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);

    private async Task<byte[]> ReadAll(Resolved r, CancellationToken ct)
        => r.Bytes ?? await File.ReadAllBytesAsync(r.FilePath!, ct).ConfigureAwait(false);

    private DateTimeOffset LastModified(string path, string etag)
    {
        var now = DateTimeOffset.UtcNow;
        now = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        lock (_gate)
        {
            if (_versions.TryGetValue(path, out var v))
            {
                if (v.ETag == etag) return v.LastModified;
                var next = v.LastModified.AddSeconds(1) > now ? v.LastModified.AddSeconds(1) : now;
                _versions[path] = (etag, next);
                return next;
            }
            _versions[path] = (etag, now);
            return now;
        }
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        var response = ctx.Response;
        var time = DateTimeOffset.UtcNow;
        var path = request.Path.Value is { Length: > 0 } p ? p : "/";
        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, _stopping.Token);
        var ct = linked.Token;
        var counter = new CountingStream(response.Body);
        response.Body = counter;
        HttpFault? fault = null;
        bool aborted = false;
        try
        {
            if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
            {
                response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return;
            }
            fault = TakeFault(path);
            switch (fault)
            {
                case HttpFault.StatusFault s:
                    response.StatusCode = s.StatusCode;
                    response.ContentType = "text/plain";
                    await response.WriteAsync($"test fault: status {s.StatusCode}\n", ct).ConfigureAwait(false);
                    return;
                case HttpFault.RedirectFault r:
                    response.StatusCode = r.StatusCode;
                    response.Headers.Location = r.Location;
                    return;
                case HttpFault.AbortFault:
                    aborted = true;
                    ctx.Abort();
                    return;
                case HttpFault.HangFault:
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                    return;
                case HttpFault.DelayFault d:
                    await Task.Delay(d.Duration, ct).ConfigureAwait(false);
                    break;
            }

            var content = Resolve(path);
            switch (fault)
            {
                case HttpFault.BillionLaughsFault:
                    await WriteWhole(response, BillionLaughsBody(content is null ? null : await ReadAll(content, ct).ConfigureAwait(false)), "application/xml", request, ct).ConfigureAwait(false);
                    return;
                case HttpFault.XxeFault x:
                    await WriteWhole(response, XxeBody(content is null ? null : await ReadAll(content, ct).ConfigureAwait(false), x.LocalFile), "application/xml", request, ct).ConfigureAwait(false);
                    return;
                case HttpFault.OversizedFault o:
                    await WriteOversized(response, request, content is null ? null : await ReadAll(content, ct).ConfigureAwait(false), o, ct).ConfigureAwait(false);
                    return;
            }

            if (content is null)
            {
                response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            bool gzip = _gzip && fault is null or HttpFault.DelayFault && AcceptsGzip(request);
            string etag = gzip ? content.ETag[..^1] + "-gzip\"" : content.ETag;
            var lastModified = content.FixedLastModified ?? LastModified(path, content.ETag);
            response.ContentType = content.ContentType;
            if (content.SendETag) response.Headers.ETag = etag;
            response.Headers.LastModified = lastModified.ToString("R", CultureInfo.InvariantCulture);
            if (_gzip) response.Headers.Vary = "Accept-Encoding";

            if (fault is null or HttpFault.DelayFault && NotModified(request, content.SendETag ? etag : null, lastModified))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
            bool head = HttpMethods.IsHead(request.Method);

            switch (fault)
            {
                case HttpFault.SlowDripFault drip:
                {
                    var bytes = await ReadAll(content, ct).ConfigureAwait(false);
                    response.ContentLength = bytes.Length;
                    if (head) return;
                    int chunk = Math.Max(1, drip.BytesPerSecond / 4);
                    var interval = TimeSpan.FromSeconds((double)chunk / Math.Max(1, drip.BytesPerSecond));
                    for (int i = 0; i < bytes.Length; i += chunk)
                    {
                        await response.Body.WriteAsync(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)), ct).ConfigureAwait(false);
                        await response.Body.FlushAsync(ct).ConfigureAwait(false);
                        await Task.Delay(interval, ct).ConfigureAwait(false);
                    }
                    return;
                }
                case HttpFault.TruncateFault t:
                {
                    var bytes = await ReadAll(content, ct).ConfigureAwait(false);
                    int keep = (int)Math.Clamp(t.KeepBytes, 0, bytes.Length);
                    if (t.Reset) response.ContentLength = bytes.Length;
                    if (head) return;
                    await response.Body.WriteAsync(bytes.AsMemory(0, keep), ct).ConfigureAwait(false);
                    await response.Body.FlushAsync(ct).ConfigureAwait(false);
                    // With Reset, ending here leaves the body short of its Content-Length: Kestrel flushes what
                    // was written and then closes the connection, which the client sees as a premature end.
                    aborted = t.Reset;
                    return;
                }
                case HttpFault.WrongBytesFault:
                {
                    var bytes = CorruptCopy(await ReadAll(content, ct).ConfigureAwait(false));
                    response.ContentLength = bytes.Length;
                    if (!head) await response.Body.WriteAsync(bytes, ct).ConfigureAwait(false);
                    return;
                }
            }

            if (gzip)
            {
                response.Headers.ContentEncoding = "gzip";
                if (head) return;
                await using var source = Open(content);
                await using (var gz = new GZipStream(response.Body, CompressionLevel.Fastest, leaveOpen: true))
                    await source.CopyToAsync(gz, ct).ConfigureAwait(false);
                return;
            }
            response.ContentLength = content.Length;
            if (head) return;
            await using (var source = Open(content))
                await source.CopyToAsync(response.Body, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The client went away (it gave up on a hang, a drip or an endless body) or the server is stopping:
            // reset, so that a request cut off by shutdown never looks like a complete (empty) answer.
            aborted = true;
            ctx.Abort();
        }
        finally
        {
            var entry = new RequestLogEntry(time, request.Method, path, request.Protocol, headers, response.StatusCode, counter.Written, fault?.Name,
                aborted || ctx.RequestAborted.IsCancellationRequested);
            lock (_gate) _log.Add(entry);
        }
    }

    private static async Task WriteWhole(HttpResponse response, byte[] body, string contentType, HttpRequest request, CancellationToken ct)
    {
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(request.Method)) await response.Body.WriteAsync(body, ct).ConfigureAwait(false);
    }

    private static bool AcceptsGzip(HttpRequest request)
        => request.Headers.AcceptEncoding.ToString().Split(',').Any(e => e.Split(';')[0].Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase));

    /// <summary>RFC 9110 §13.1.2/§13.1.3: If-None-Match (weak comparison) decides when present, else If-Modified-Since.</summary>
    private static bool NotModified(HttpRequest request, string? etag, DateTimeOffset lastModified)
    {
        var inm = request.Headers.IfNoneMatch.ToString();
        if (inm.Length > 0)
        {
            static string Strip(string t) => t.StartsWith("W/", StringComparison.Ordinal) ? t[2..] : t;
            // without an ETag sent (Put with sendETag: false) only "*" matches
            return inm.Split(',').Select(t => t.Trim()).Any(t => t == "*" || (etag is not null && Strip(t) == Strip(etag)));
        }
        var ims = request.Headers.IfModifiedSince.ToString();
        return ims.Length > 0
               && DateTimeOffset.TryParseExact(ims, "R", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since)
               && lastModified <= since;
    }

    // ------------------------------------------------------------------ fault bodies

    private static readonly Regex RootAttributes = new("session_id=\"(?<s>[^\"]*)\"[^>]*?serial=\"(?<n>[0-9]+)\"", RegexOptions.CultureInvariant);

    /// <summary>Session and serial of the real file, so a fault body looks like the file it replaces up to the attack.</summary>
    private static (string Session, string Serial) SessionAndSerial(byte[]? real)
    {
        if (real is not null)
        {
            var head = Encoding.UTF8.GetString(real, 0, Math.Min(real.Length, 4096));
            var m = RootAttributes.Match(head);
            if (m.Success) return (m.Groups["s"].Value, m.Groups["n"].Value);
        }
        return (Guid.NewGuid().ToString("D"), "1");
    }

    /// <summary>The classic: ten levels of ten references, 10^9 × "lol" when expanded.</summary>
    public static byte[] BillionLaughsBody(byte[]? real)
    {
        var (session, serial) = SessionAndSerial(real);
        var sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE notification [\n  <!ENTITY lol \"lol\">\n");
        for (int i = 1; i <= 9; i++)
        {
            sb.Append("  <!ENTITY lol").Append(i).Append(" \"");
            for (int k = 0; k < 10; k++) sb.Append("&lol").Append(i == 1 ? "" : (i - 1).ToString(CultureInfo.InvariantCulture)).Append(';');
            sb.Append("\">\n");
        }
        sb.Append("]>\n<notification xmlns=\"").Append(RrdpPublisher.Namespace).Append("\" version=\"1\" session_id=\"").Append(session)
            .Append("\" serial=\"").Append(serial).Append("\">\n  <snapshot uri=\"https://127.0.0.1/rrdp/snapshot.xml\" hash=\"")
            .Append(new string('0', 64)).Append("\">&lol9;</snapshot>\n</notification>\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>A notification whose DOCTYPE declares <c>&lt;!ENTITY xxe SYSTEM "file://PATH"&gt;</c> and uses it.</summary>
    public static byte[] XxeBody(byte[]? real, string localFile)
    {
        var (session, serial) = SessionAndSerial(real);
        var fileUri = new Uri(Path.GetFullPath(localFile)).AbsoluteUri;
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
                  $"<!DOCTYPE notification [\n  <!ENTITY xxe SYSTEM \"{fileUri}\">\n]>\n" +
                  $"<notification xmlns=\"{RrdpPublisher.Namespace}\" version=\"1\" session_id=\"{session}\" serial=\"{serial}\">\n" +
                  $"  <snapshot uri=\"https://127.0.0.1/rrdp/snapshot.xml\" hash=\"{new string('0', 64)}\">&xxe;</snapshot>\n" +
                  "</notification>\n";
        return Encoding.UTF8.GetBytes(xml);
    }

    /// <summary>The bytes before the oversized filler: the real file up to the end of its root start tag (or a generic snapshot start), then an open publish element.</summary>
    internal static byte[] OversizedPrefix(byte[]? real)
    {
        string start;
        var text = real is null ? "" : Encoding.UTF8.GetString(real, 0, Math.Min(real.Length, 8192));
        int root = -1;
        for (int i = text.IndexOf('<'); i >= 0 && i + 1 < text.Length; i = text.IndexOf('<', i + 1))
            if (text[i + 1] is not ('?' or '!')) { root = i; break; }
        int close = root >= 0 ? text.IndexOf('>', root) : -1;
        if (close > 0 && text[close - 1] != '/') start = text[..(close + 1)];
        else
            start = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<snapshot xmlns=\"{RrdpPublisher.Namespace}\" version=\"1\" session_id=\"{Guid.NewGuid():D}\" serial=\"1\">";
        return Encoding.UTF8.GetBytes(start + "\n  <publish uri=\"rsync://oversized.invalid/repo/oversized.roa\">");
    }

    private static async Task WriteOversized(HttpResponse response, HttpRequest request, byte[]? real, HttpFault.OversizedFault o, CancellationToken ct)
    {
        var prefix = OversizedPrefix(real);
        response.ContentType = "application/xml";
        if (o.DeclareLength) response.ContentLength = o.Length;
        if (HttpMethods.IsHead(request.Method)) return;
        long left = o.Length;
        int first = (int)Math.Min(prefix.Length, left);
        await response.Body.WriteAsync(prefix.AsMemory(0, first), ct).ConfigureAwait(false);
        left -= first;
        var filler = new byte[64 * 1024];
        filler.AsSpan().Fill((byte)'A');
        while (left > 0)
        {
            int n = (int)Math.Min(filler.Length, left);
            await response.Body.WriteAsync(filler.AsMemory(0, n), ct).ConfigureAwait(false);
            left -= n;
        }
    }

    /// <summary>
    /// A copy with one byte changed: in base64 text (from the middle on), an alphanumeric character followed by
    /// another one becomes a different letter, so the file stays well-formed and decodable; in binary content the
    /// middle byte is flipped.
    /// </summary>
    public static byte[] CorruptCopy(byte[] bytes)
    {
        var copy = bytes.ToArray();
        if (copy.Length == 0) return [(byte)'x'];
        static bool Alnum(byte b) => b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9';
        // only inside element content (after a '>' with no '<' since) is a character base64 rather than markup
        foreach (int from in new[] { copy.Length / 2, 0 })
        {
            bool inText = false;
            for (int i = 0; i + 1 < copy.Length; i++)
            {
                if (copy[i] == '>') inText = true;
                else if (copy[i] == '<') inText = false;
                else if (i >= from && inText && Alnum(copy[i]) && Alnum(copy[i + 1]) && (i == 0 || Alnum(copy[i - 1]) || copy[i - 1] == '>'))
                {
                    copy[i] = copy[i] == (byte)'A' ? (byte)'B' : (byte)'A';
                    return copy;
                }
            }
        }
        copy[copy.Length / 2] ^= 0x01;
        return copy;
    }

    // ------------------------------------------------------------------ helpers

    private static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".xml" => "application/xml",
        ".cer" => "application/pkix-cert",
        ".crl" => "application/pkix-crl",
        _ => "application/octet-stream",
    };

    private static string Quote(string s) => "\"" + s + "\"";

    private static void CheckPath(string path)
    {
        if (!path.StartsWith('/')) throw new ArgumentException("paths start with '/'", nameof(path));
    }

    private static void TryDeleteDirectory(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Cancels hanging and dripping responses, stops Kestrel (at most ~5 s), deletes the CA file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try { await _app.StopAsync(timeout.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            catch (InvalidOperationException) { } // never started (StartAsync failed)
        }
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _tls.Dispose();
        TryDeleteDirectory(_workDirectory);
    }

    /// <summary>Counts the body bytes a response wrote, for the request log.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Written;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Written += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            Written += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
