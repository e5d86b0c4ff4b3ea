using System.Security.Cryptography;
using RtrCache.Fetch.Http;
using RtrCache.Fetch.Tests.Support;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// The HTTPS downloader against the shared test server (<see cref="RrdpTestServer"/>: Kestrel on loopback, its own
/// test CA); misbehaviour comes from its <see cref="HttpFault"/>s.
/// </summary>
public class HttpDownloaderTests
{
    private TempDir _dir = null!;
    private RrdpTestServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _dir = new TempDir();
        _server = await RrdpTestServer.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>Faults are per path and every test uses its own paths, but a fault left behind must not outlive its test.</summary>
    [TearDown] public void ClearFaults() => _server.ClearFaults();

    private Uri Url(string path) => new(_server.BaseUri + path.TrimStart('/'));

    private (HttpDownloader Downloader, HttpClient Client) Make(FetchOptions? options = null, bool trustTestCa = true)
    {
        options ??= new FetchOptions { RequestTimeout = TimeSpan.FromSeconds(10) };
        var trust = trustTestCa ? ExtraTrust.LoadPemFiles([_server.CaCertificatePemPath]) : ExtraTrust.None;
        var client = FetchHttpClient.Create(options, trust);
        return (new HttpDownloader(client, options), client);
    }

    private async Task<(HttpDownloadResult Result, byte[] Body)> Get(string path, FetchOptions? options = null, HttpValidators? conditional = null, bool trust = true, long max = 1 << 20)
    {
        var (downloader, client) = Make(options, trust);
        using (client)
        {
            var body = new MemoryStream();
            var result = await downloader.DownloadAsync(Url(path), body, max, conditional, null, CancellationToken.None);
            return (result, body.ToArray());
        }
    }

    [Test]
    public async Task Downloads_with_hash_and_user_agent()
    {
        var content = TestData.Blob(10, 5000);
        _server.Put("/dl/plain.xml", content);
        var (result, body) = await Get("/dl/plain.xml");
        Assert.That(result.Status, Is.EqualTo(HttpDownloadStatus.Ok), result.Error);
        Assert.That(body, Is.EqualTo(content));
        Assert.That(result.Bytes, Is.EqualTo(5000));
        Assert.That(result.Sha256, Is.EqualTo(SHA256.HashData(content)));
        Assert.That(result.Validators.ETag, Is.Not.Null);
        var request = _server.Requests.Last(r => r.Path == "/dl/plain.xml");
        Assert.That(request.Header("User-Agent"), Does.StartWith("RtrCache/"));
        Assert.That(FetchHttpClient.UserAgent, Does.StartWith("RtrCache/0.1.0"));
    }

    [Test]
    public async Task Conditional_request_with_the_stored_ETag_gets_304()
    {
        _server.Put("/dl/cond.xml", TestData.Blob(11));
        var (first, _) = await Get("/dl/cond.xml");
        var (second, body) = await Get("/dl/cond.xml", conditional: first.Validators);
        Assert.That(second.Status, Is.EqualTo(HttpDownloadStatus.NotModified));
        Assert.That(body, Is.Empty);
        Assert.That(_server.Requests.Last(r => r.Path == "/dl/cond.xml").Header("If-None-Match"), Is.EqualTo(first.Validators.ETag));
        _server.Put("/dl/cond.xml", TestData.Blob(12));
        var (third, _) = await Get("/dl/cond.xml", conditional: first.Validators);
        Assert.That(third.Status, Is.EqualTo(HttpDownloadStatus.Ok));
    }

    [Test]
    public async Task Conditional_request_with_the_stored_Last_Modified_gets_304()
    {
        // No ETag and a fixed date: the only validator is the server's Last-Modified, sent back as If-Modified-Since.
        var modified = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        _server.Put("/dl/lm.xml", TestData.Blob(16), lastModified: modified, sendETag: false);
        var (first, _) = await Get("/dl/lm.xml");
        Assert.That(first.Validators.LastModified, Is.EqualTo("Sun, 01 Mar 2026 12:00:00 GMT"));
        Assert.That(first.Validators.ETag, Is.Null);
        var (second, _) = await Get("/dl/lm.xml", conditional: first.Validators);
        Assert.That(second.Status, Is.EqualTo(HttpDownloadStatus.NotModified));
        Assert.That(second.Validators.LastModified, Is.EqualTo(first.Validators.LastModified));
    }

    [Test]
    public async Task Gzip_content_is_decoded_and_hashed_decoded()
    {
        var content = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("<publish uri=\"rsync://x/y/z\">AAAA</publish>\n", 2000)));
        _server.Put("/dl/gz.xml", content);
        _server.Gzip = true;
        try
        {
            var (result, body) = await Get("/dl/gz.xml");
            Assert.That(result.Status, Is.EqualTo(HttpDownloadStatus.Ok), result.Error);
            Assert.That(body, Is.EqualTo(content));
            Assert.That(result.Sha256, Is.EqualTo(SHA256.HashData(content)));
            Assert.That(_server.Requests.Last(r => r.Path == "/dl/gz.xml").Header("Accept-Encoding"), Does.Contain("gzip"));
        }
        finally
        {
            _server.Gzip = false;
        }
    }

    [Test]
    public async Task Gzip_bomb_stops_at_the_decoded_size_limit()
    {
        _server.Put("/dl/bomb.xml", new byte[4 << 20]); // 4 MiB of zeros compresses to a few KB
        _server.Gzip = true;
        try
        {
            var (result, _) = await Get("/dl/bomb.xml", max: 1 << 20);
            Assert.That(result.Status, Is.EqualTo(HttpDownloadStatus.Failed));
            Assert.That(result.Error, Does.Contain("limit"));
        }
        finally
        {
            _server.Gzip = false;
        }
    }

    [Test]
    public async Task Redirects_are_followed_up_to_the_limit()
    {
        _server.Put("/dl/target.xml", TestData.Blob(13));
        for (int i = 1; i <= 4; i++)
        {
            string next = i == 1 ? "/dl/target.xml" : $"/dl/r{i - 1}";
            _server.SetFault($"/dl/r{i}", HttpFault.Redirect(next, 302));
        }
        var (three, body) = await Get("/dl/r3");
        Assert.That(three.Status, Is.EqualTo(HttpDownloadStatus.Ok), three.Error);
        Assert.That(body, Is.EqualTo(TestData.Blob(13)));
        var (four, _) = await Get("/dl/r4");
        Assert.That(four.Status, Is.EqualTo(HttpDownloadStatus.Failed));
        Assert.That(four.Error, Does.Contain("more than 3 redirects"));
    }

    [Test]
    public async Task Redirect_to_http_is_refused()
    {
        _server.SetFault("/dl/downgrade", HttpFault.Redirect($"http://127.0.0.1:{_server.Port}/dl/target.xml", 301));
        var (result, _) = await Get("/dl/downgrade");
        Assert.That(result.Status, Is.EqualTo(HttpDownloadStatus.Failed));
        Assert.That(result.Error, Does.Contain("non-https"));
    }

    [TestCase(500)]
    [TestCase(404)]
    [TestCase(403)]
    public async Task Error_statuses_fail_with_the_status(int status)
    {
        _server.SetFault($"/dl/status{status}", HttpFault.Status(status));
        var (result, _) = await Get($"/dl/status{status}");
        Assert.That(result.Status, Is.EqualTo(HttpDownloadStatus.Failed));
        Assert.That(result.Error, Does.StartWith($"HTTP {status}"));
    }

    [Test]
    public async Task Slow_drip_server_hits_the_request_timeout()
    {
        // 100,000 bytes announced, 10 a second: every read makes progress, only the total time limit stops it.
        _server.Put("/dl/drip", new byte[100_000]);
        _server.SetFault("/dl/drip", HttpFault.SlowDrip(10));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var (result, _) = await Get("/dl/drip", new FetchOptions { RequestTimeout = TimeSpan.FromSeconds(1) });
        Assert.That(result.Status, Is.EqualTo(HttpDownloadStatus.Failed));
        Assert.That(result.Error, Does.Contain("timed out"));
        Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public async Task Oversized_body_is_refused()
    {
        _server.Put("/dl/big.xml", new byte[300_000]);
        var (result, _) = await Get("/dl/big.xml", max: 100_000);
        Assert.That(result.Status, Is.EqualTo(HttpDownloadStatus.Failed));
        Assert.That(result.Error, Does.Contain("100000 byte limit"));
    }

    [Test]
    public async Task Without_the_extra_CA_the_certificate_is_not_trusted()
    {
        _server.Put("/dl/tls.xml", TestData.Blob(14));
        var (result, _) = await Get("/dl/tls.xml", trust: false);
        Assert.That(result.Status, Is.EqualTo(HttpDownloadStatus.Failed));
        Assert.That(result.Error, Does.Contain("SSL").Or.Contain("certificate").IgnoreCase);
        var (trusted, _) = await Get("/dl/tls.xml", trust: true);
        Assert.That(trusted.Status, Is.EqualTo(HttpDownloadStatus.Ok), trusted.Error);
    }

    [Test]
    public void Extra_CA_does_not_excuse_a_host_name_mismatch()
    {
        // The same kind of root and server certificate the test server presents.
        using var ca = TestTlsCertificates.Create();
        Assert.That(new ExtraTrust([ca.CaCertificate]).Validate(ca.ServerCertificate, null, System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch), Is.False);
        Assert.That(new ExtraTrust([ca.CaCertificate]).Validate(ca.ServerCertificate, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors), Is.True);
        Assert.That(ExtraTrust.None.Validate(ca.ServerCertificate, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors), Is.False);
    }

    [Test]
    public void Extra_CA_file_without_a_certificate_is_a_configuration_error()
    {
        string empty = _dir.Sub("empty.pem");
        File.WriteAllText(empty, "no certificate here\n");
        Assert.Throws<InvalidDataException>(() => ExtraTrust.LoadPemFiles([empty]));
        Assert.Throws<InvalidDataException>(() => ExtraTrust.LoadPemFiles([_dir.Sub("missing.pem")]));
    }

    [Test]
    public async Task Connection_refused_is_an_error_value()
    {
        int port = RsyncDaemon.FreePort(); // bound and closed again: nothing listens there
        var (downloader, client) = Make();
        using (client)
        {
            var result = await downloader.DownloadAsync(new Uri($"https://127.0.0.1:{port}/x"), new MemoryStream(), 1000, null, null, CancellationToken.None);
            Assert.That(result.Status, Is.EqualTo(HttpDownloadStatus.Failed));
            Assert.That(result.Error, Is.Not.Empty);
        }
    }
}
