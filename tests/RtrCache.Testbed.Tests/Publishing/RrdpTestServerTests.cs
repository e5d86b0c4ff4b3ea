using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Xml;
using RtrCache.Testbed.Publishing;
using static RtrCache.Testbed.Tests.Publishing.PublishingSupport;

namespace RtrCache.Testbed.Tests.Publishing;

/// <summary>
/// The HTTPS server, checked with a plain HttpClient that trusts only the test CA: it serves the publisher's
/// files byte for byte, answers conditional requests with 304, compresses on request, logs requests, and each
/// fault behaves as documented.
/// </summary>
public class RrdpTestServerTests
{
    private string _work = null!;
    private string _tree = null!;
    private RrdpTestServer _server = null!;
    private RrdpPublisher _publisher = null!;
    private HttpClient _client = null!;

    [SetUp]
    public async Task SetUp()
    {
        _work = NewWorkDir("server");
        _tree = Path.Combine(_work, "tree");
        CopyTree(TinyRepository.Good.TreeRoot, _tree);
        _server = await RrdpTestServer.StartAsync();
        _publisher = new RrdpPublisher(Path.Combine(_work, "rrdp"), _server.RrdpBaseUri);
        _publisher.Publish(_tree);
        _server.Serve(_publisher);
        _client = Client(_server);
    }

    [TearDown]
    public async Task TearDown()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        TinyRepository.TryDelete(_work);
    }

    private string NotificationPath => _publisher.NotificationUrlPath;
    private string SnapshotPath => _publisher.Snapshot!.UrlPath;
    private string SnapshotUri => _publisher.Snapshot!.Uri;

    private void ChangeTree()
    {
        File.WriteAllBytes(Path.Combine(_tree, "rpki.testbed.test", "repo", "ca0", "extra.roa"), RandomBytes(300));
        _publisher.Publish(_tree);
    }

    private static byte[] RandomBytes(int n) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);

    /// <summary>Notification and snapshot fetched over TLS equal the files; the listed hash matches our own SHA-256; a client with only system roots is refused.</summary>
    [Test]
    public async Task ServesThePublishedFilesOverTlsTrustedThroughTheTestCa()
    {
        Assert.That(_server.NotificationUri, Is.EqualTo($"https://127.0.0.1:{_server.Port}/rrdp/notification.xml"));
        Assert.That(_publisher.NotificationUri, Is.EqualTo(_server.NotificationUri));
        var notificationBytes = await _client.GetByteArrayAsync(_server.NotificationUri);
        Assert.That(notificationBytes, Is.EqualTo(File.ReadAllBytes(_publisher.NotificationPath)));
        var snapshotRef = ParseStrict(notificationBytes).Root!.Element(Rrdp + "snapshot")!;
        var snapshotBytes = await _client.GetByteArrayAsync((string)snapshotRef.Attribute("uri")!);
        Assert.That(Sha256Hex(snapshotBytes), Is.EqualTo((string)snapshotRef.Attribute("hash")!));
        var tree = TreeFiles(_tree);
        var snapshot = ParseStrict(snapshotBytes).Root!;
        Assert.That(snapshot.Elements().Count(), Is.EqualTo(tree.Count));
        foreach (var e in snapshot.Elements())
            Assert.That(Convert.FromBase64String(e.Value), Is.EqualTo(tree[(string)e.Attribute("uri")!]));

        // the certificate names localhost too
        var viaLocalhost = await _client.GetByteArrayAsync($"https://localhost:{_server.Port}{NotificationPath}");
        Assert.That(viaLocalhost, Is.EqualTo(notificationBytes));

        // the CA file is what --extra-ca gets
        Assert.That(File.ReadAllText(_server.CaCertificatePemPath), Does.StartWith("-----BEGIN CERTIFICATE-----"));
        using var pem = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(_server.CaCertificatePemPath));
        Assert.That(pem.RawData, Is.EqualTo(_server.CaCertificate.RawData));

        using var untrusting = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var e2 = Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync(_server.NotificationUri));
        Assert.That(e2!.InnerException, Is.InstanceOf<AuthenticationException>(), "the test CA is not in the system store");

        Assert.That((await _client.GetAsync(_server.BaseUri + "rrdp/nothing.xml")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await _client.GetAsync(_server.BaseUri + "rrdp/../test-ca.pem")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    /// <summary>ETag → 304; Last-Modified → 304; a new serial (even in the same second) → 200 with the new file; the log shows the conditional headers and the User-Agent.</summary>
    [Test]
    public async Task ConditionalRequestsGet304UntilTheNotificationChanges()
    {
        var first = await _client.GetAsync(_server.NotificationUri);
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var etag = first.Headers.ETag!;
        var lastModified = first.Content.Headers.LastModified!.Value;

        using (var byEtag = new HttpRequestMessage(HttpMethod.Get, _server.NotificationUri))
        {
            byEtag.Headers.IfNoneMatch.Add(etag);
            var r = await _client.SendAsync(byEtag);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
            Assert.That(await r.Content.ReadAsByteArrayAsync(), Is.Empty);
        }
        using (var byDate = new HttpRequestMessage(HttpMethod.Get, _server.NotificationUri))
        {
            byDate.Headers.IfModifiedSince = lastModified;
            Assert.That((await _client.SendAsync(byDate)).StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        }

        ChangeTree(); // within the same second as the first response, most likely
        using (var byDate = new HttpRequestMessage(HttpMethod.Get, _server.NotificationUri))
        {
            byDate.Headers.IfModifiedSince = lastModified;
            var r = await _client.SendAsync(byDate);
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK), "Last-Modified moves forward with the content");
            Assert.That(r.Content.Headers.LastModified, Is.GreaterThan(lastModified));
            Assert.That(await r.Content.ReadAsByteArrayAsync(), Is.EqualTo(File.ReadAllBytes(_publisher.NotificationPath)));
        }
        using (var byEtag = new HttpRequestMessage(HttpMethod.Get, _server.NotificationUri))
        {
            byEtag.Headers.IfNoneMatch.Add(etag);
            Assert.That((await _client.SendAsync(byEtag)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var log = _server.RequestsFor(NotificationPath);
        Assert.That(log.Select(l => l.StatusCode), Is.EqualTo(new[] { 200, 304, 304, 200, 200 }));
        Assert.That(log[1].Header("If-None-Match"), Is.EqualTo(etag.ToString()));
        Assert.That(log[2].Header("If-Modified-Since"), Is.EqualTo(lastModified.ToString("R")));
        Assert.That(log.Select(l => l.Header("User-Agent")), Has.All.EqualTo("RtrCache-harness-test/1.0"));
        Assert.That(log.Select(l => l.Protocol), Has.All.EqualTo("HTTP/1.1"));
    }

    /// <summary>
    /// Put with a fixed Last-Modified and no ETag: the date is sent as given (whole seconds) and decides
    /// If-Modified-Since; an If-None-Match matches nothing but "*"; other paths keep their ETag.
    /// </summary>
    [Test]
    public async Task PutWithFixedLastModifiedAndNoETag()
    {
        var date = new DateTimeOffset(2026, 3, 1, 12, 0, 0, 400, TimeSpan.Zero);
        _server.Put("/lm.xml", [1, 2, 3], lastModified: date, sendETag: false);
        var first = await _client.GetAsync(_server.BaseUri + "lm.xml");
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(first.Headers.ETag, Is.Null);
        Assert.That(first.Content.Headers.LastModified, Is.EqualTo(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero)));
        Assert.That(await first.Content.ReadAsByteArrayAsync(), Is.EqualTo(new byte[] { 1, 2, 3 }));

        async Task<HttpStatusCode> Conditional(Action<HttpRequestMessage> set)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _server.BaseUri + "lm.xml");
            set(request);
            return (await _client.SendAsync(request)).StatusCode;
        }
        Assert.That(await Conditional(r => r.Headers.IfModifiedSince = first.Content.Headers.LastModified), Is.EqualTo(HttpStatusCode.NotModified));
        Assert.That(await Conditional(r => r.Headers.IfModifiedSince = date.AddSeconds(-1)), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Conditional(r => r.Headers.TryAddWithoutValidation("If-None-Match", "\"anything\"")), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Conditional(r => r.Headers.TryAddWithoutValidation("If-None-Match", "*")), Is.EqualTo(HttpStatusCode.NotModified));

        _server.Put("/etag.xml", [4]);
        Assert.That((await _client.GetAsync(_server.BaseUri + "etag.xml")).Headers.ETag, Is.Not.Null, "the default still sends an ETag");
    }

    [Test]
    public async Task GzipOnlyForClientsThatAskForIt()
    {
        _server.Gzip = true;
        using var request = new HttpRequestMessage(HttpMethod.Get, SnapshotUri);
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        var r = await _client.SendAsync(request);
        Assert.That(r.Content.Headers.ContentEncoding, Is.EqualTo(new[] { "gzip" }));
        var compressed = await r.Content.ReadAsByteArrayAsync();
        using var gz = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        await gz.CopyToAsync(plain);
        var file = File.ReadAllBytes(_publisher.Snapshot!.FilePath);
        Assert.That(plain.ToArray(), Is.EqualTo(file));
        Assert.That(compressed.Length, Is.LessThan(file.Length));

        var identity = await _client.GetAsync(SnapshotUri);
        Assert.That(identity.Content.Headers.ContentEncoding, Is.Empty);
        Assert.That(await identity.Content.ReadAsByteArrayAsync(), Is.EqualTo(file));

        using var auto = Client(_server, decompression: DecompressionMethods.GZip);
        Assert.That(await auto.GetByteArrayAsync(SnapshotUri), Is.EqualTo(file));
        Assert.That(_server.Requests.Last().Header("Accept-Encoding"), Does.Contain("gzip"));
    }

    [Test]
    public async Task StatusFaultsAndTheirRepeatCount()
    {
        _server.SetFault(NotificationPath, HttpFault.Status(500), times: 1);
        _server.SetFault(SnapshotPath, HttpFault.Status(404));
        Assert.That((await _client.GetAsync(_server.NotificationUri)).StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That((await _client.GetAsync(_server.NotificationUri)).StatusCode, Is.EqualTo(HttpStatusCode.OK), "times: 1");
        Assert.That((await _client.GetAsync(SnapshotUri)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await _client.GetAsync(SnapshotUri)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        _server.SetFault("/rrdp/*", HttpFault.Status(503));
        Assert.That((await _client.GetAsync(_server.NotificationUri)).StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "prefix");
        Assert.That((await _client.GetAsync(SnapshotUri)).StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "an exact path wins");
        _server.ClearFaults();
        Assert.That((await _client.GetAsync(SnapshotUri)).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var log = _server.RequestsFor(NotificationPath);
        Assert.That(log.Select(l => (l.StatusCode, l.Fault)), Is.EqualTo(new (int, string?)[] { (500, "status 500"), (200, null), (503, "status 503") }));
    }

    [Test]
    public async Task DelayAndHangRunIntoTheClientTimeout()
    {
        _server.SetFault(NotificationPath, HttpFault.Delay(TimeSpan.FromMilliseconds(300)));
        var sw = Stopwatch.StartNew();
        Assert.That(await _client.GetByteArrayAsync(_server.NotificationUri), Is.EqualTo(File.ReadAllBytes(_publisher.NotificationPath)));
        Assert.That(sw.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290)));

        using var impatient = Client(_server, TimeSpan.FromMilliseconds(400));
        _server.SetFault(NotificationPath, HttpFault.Delay(TimeSpan.FromSeconds(30)));
        sw.Restart();
        Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync(_server.NotificationUri));
        _server.SetFault(NotificationPath, HttpFault.Hang);
        Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync(_server.NotificationUri));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    /// <summary>The drip announces the full length and sends a few bytes per second: only a total time limit ends it.</summary>
    [Test]
    public async Task SlowDripSendsAFewBytesPerSecond()
    {
        _server.SetFault(SnapshotPath, HttpFault.SlowDrip(8));
        using var response = await _client.GetAsync(SnapshotUri, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(_publisher.Snapshot!.Length));
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        long got = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1.5) - sw.Elapsed + TimeSpan.FromMilliseconds(10));
            try { got += await body.ReadAsync(buffer, cts.Token); }
            catch (OperationCanceledException) { break; }
        }
        Assert.That(got, Is.InRange(2, 24), "about 8 bytes per second");
    }

    [Test]
    public async Task TruncatedBodies()
    {
        var full = File.ReadAllBytes(_publisher.Snapshot!.FilePath);
        _server.SetFault(SnapshotPath, HttpFault.Truncate(1000));
        using (var response = await _client.GetAsync(SnapshotUri, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(full.Length), "the full length is announced");
            await using var body = await response.Content.ReadAsStreamAsync();
            var got = new MemoryStream();
            var e = Assert.CatchAsync(async () => await body.CopyToAsync(got));
            Assert.That(e, Is.InstanceOf<IOException>().Or.InstanceOf<HttpRequestException>(), "premature end of the body");
            Assert.That(got.ToArray(), Is.EqualTo(full[..1000]));
        }

        _server.SetFault(SnapshotPath, HttpFault.TruncateCleanly(1000));
        var clean = await _client.GetAsync(SnapshotUri);
        Assert.That(clean.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var bytes = await clean.Content.ReadAsByteArrayAsync();
        Assert.That(bytes, Is.EqualTo(full[..1000]));
        Assert.That(Sha256Hex(bytes), Is.Not.EqualTo(_publisher.Snapshot.Hash));
    }

    /// <summary>Wrong bytes: same length, still well-formed and decodable, different SHA-256 than listed.</summary>
    [Test]
    public async Task WrongBytesKeepTheFormButNotTheHash()
    {
        foreach (var info in new[] { _publisher.Snapshot! })
        {
            _server.SetFault(info.UrlPath, HttpFault.WrongBytes);
            var bytes = await _client.GetByteArrayAsync(info.Uri);
            var real = File.ReadAllBytes(info.FilePath);
            Assert.That(bytes, Has.Length.EqualTo(real.Length));
            Assert.That(Sha256Hex(bytes), Is.Not.EqualTo(info.Hash));
            Assert.That(bytes.Zip(real).Count(p => p.First != p.Second), Is.EqualTo(1));
            var doc = ParseStrict(bytes);
            foreach (var e in doc.Root!.Elements()) Convert.FromBase64String(e.Value);
        }
        // binary content (the TA certificate): one bit
        var ta = File.ReadAllBytes(Path.Combine(_tree, "rpki.testbed.test", "repo", "ta", "ta.cer"));
        _server.Put("/repo/ta/ta.cer", ta);
        _server.SetFault("/repo/ta/ta.cer", HttpFault.WrongBytes);
        var got = await _client.GetByteArrayAsync(_server.BaseUri + "repo/ta/ta.cer");
        Assert.That(got.Zip(ta).Count(p => p.First != p.Second), Is.EqualTo(1));
        _server.ClearFault("/repo/ta/ta.cer");
        Assert.That(await _client.GetByteArrayAsync(_server.BaseUri + "repo/ta/ta.cer"), Is.EqualTo(ta));
    }

    /// <summary>10 GB announced and produced lazily: the client reads 64 MB of a snapshot-looking stream and leaves; the server is unharmed.</summary>
    [Test]
    public async Task OversizedBodyIsEndlessButCheap()
    {
        const long tenGb = 10L << 30;
        _server.SetFault(SnapshotPath, HttpFault.Oversized(tenGb));
        long managedBefore = GC.GetTotalMemory(false);
        using (var response = await _client.GetAsync(SnapshotUri, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(tenGb));
            await using var body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[1 << 16];
            long total = 0;
            var head = new MemoryStream();
            while (total < 64L << 20)
            {
                int n = await body.ReadAsync(buffer);
                Assert.That(n, Is.GreaterThan(0));
                if (head.Length < 4096) head.Write(buffer, 0, n);
                total += n;
            }
            var start = Encoding.UTF8.GetString(head.ToArray(), 0, 2048);
            Assert.That(start, Does.Contain($"<snapshot xmlns=\"{RrdpPublisher.Namespace}\" version=\"1\" session_id=\"{_publisher.SessionId:D}\" serial=\"1\">"));
            Assert.That(start, Does.Contain("<publish uri=\"rsync://oversized.invalid/repo/oversized.roa\">AAAA"));
        }
        Assert.That(GC.GetTotalMemory(false) - managedBefore, Is.LessThan(200L << 20));

        _server.SetFault(SnapshotPath, HttpFault.Oversized(tenGb, declareLength: false));
        using (var response = await _client.GetAsync(SnapshotUri, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.That(response.Content.Headers.ContentLength, Is.Null, "chunked: the client must count");
            Assert.That(response.Headers.TransferEncodingChunked, Is.True);
        }
        _server.ClearFaults();
        Assert.That(await _client.GetByteArrayAsync(SnapshotUri), Is.EqualTo(File.ReadAllBytes(_publisher.Snapshot!.FilePath)));
    }

    /// <summary>The billion-laughs body is refused by a DTD-prohibiting reader and really explodes in one that expands entities.</summary>
    [Test]
    public async Task BillionLaughsIsARealEntityBomb()
    {
        _server.SetFault(NotificationPath, HttpFault.BillionLaughs);
        var bytes = await _client.GetByteArrayAsync(_server.NotificationUri);
        Assert.That(bytes.Length, Is.LessThan(2048));
        var text = Encoding.UTF8.GetString(bytes);
        Assert.That(text, Does.Contain("<!DOCTYPE notification").And.Contain("&lol9;").And.Contain($"session_id=\"{_publisher.SessionId:D}\""));
        Assert.Throws<XmlException>(() => ParseStrict(bytes), "DTD prohibited");
        var expanding = new XmlReaderSettings { DtdProcessing = DtdProcessing.Parse, MaxCharactersFromEntities = 10_000_000 };
        var e = Assert.Throws<XmlException>(() => { using var r = XmlReader.Create(new MemoryStream(bytes), expanding); while (r.Read()) { } });
        Assert.That(e!.Message, Does.Contain("entit").IgnoreCase, "the expansion exceeds 10 million characters");
    }

    /// <summary>The XXE body leaks a local file into a parser that resolves external entities, and nothing into a strict one.</summary>
    [Test]
    public async Task XxeLeaksAFileIntoAResolvingParser()
    {
        var canary = Path.Combine(_work, "canary.txt");
        File.WriteAllText(canary, "canary-7f3a9c");
        _server.SetFault(NotificationPath, HttpFault.Xxe(canary));
        var bytes = await _client.GetByteArrayAsync(_server.NotificationUri);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.That(text, Does.Contain($"<!ENTITY xxe SYSTEM \"{new Uri(canary).AbsoluteUri}\">").And.Not.Contain("canary-7f3a9c"));
        Assert.Throws<XmlException>(() => ParseStrict(bytes));
        var resolving = new XmlReaderSettings { DtdProcessing = DtdProcessing.Parse, XmlResolver = new XmlUrlResolver() };
        using (var r = XmlReader.Create(new MemoryStream(bytes), resolving))
        {
            var doc = System.Xml.Linq.XDocument.Load(r);
            Assert.That(doc.Root!.Element(Rrdp + "snapshot")!.Value, Is.EqualTo("canary-7f3a9c"), "a resolving parser reads the file");
        }
    }

    [Test]
    public async Task RedirectAndAbort()
    {
        using var noRedirect = Client(_server, autoRedirect: false);
        _server.SetFault(NotificationPath, HttpFault.Redirect(NotificationPath));
        var r = await noRedirect.GetAsync(_server.NotificationUri);
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Found));
        Assert.That(r.Headers.Location!.ToString(), Is.EqualTo(NotificationPath));

        _server.SetFault(NotificationPath, HttpFault.Redirect(SnapshotPath, 301), times: 1);
        Assert.That(await _client.GetByteArrayAsync(_server.NotificationUri), Is.EqualTo(File.ReadAllBytes(_publisher.Snapshot!.FilePath)));

        _server.SetFault(NotificationPath, HttpFault.Abort);
        Assert.ThrowsAsync<HttpRequestException>(() => _client.GetAsync(_server.NotificationUri));
        Assert.That(_server.RequestsFor(NotificationPath).Last(), Has.Property("Aborted").True.And.Property("Fault").EqualTo("abort"));
    }

    /// <summary>Disposing ends hanging requests and closes the port within a bounded time.</summary>
    [Test]
    public async Task DisposeStopsPromptlyWithRequestsInFlight()
    {
        _server.SetFault(NotificationPath, HttpFault.Hang);
        _server.SetFault(SnapshotPath, HttpFault.SlowDrip(1));
        using var slow = Client(_server, TimeSpan.FromSeconds(60));
        var hanging = slow.GetAsync(_server.NotificationUri);
        var dripping = slow.GetByteArrayAsync(SnapshotUri);
        await Task.Delay(300);
        int port = _server.Port;
        var sw = Stopwatch.StartNew();
        await _server.DisposeAsync();
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(7)));
        Assert.CatchAsync(async () => await hanging);
        Assert.CatchAsync(async () => await dripping);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.Catch<SocketException>(() => socket.Connect(IPAddress.Loopback, port), "port closed");
    }
}
