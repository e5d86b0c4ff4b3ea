using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using RtrCache.Host.Serving;
using RtrCache.Rtr.Protocol;
using RtrCache.Server.Tests.Support;
using RtrCache.Testing;

namespace RtrCache.Server.Tests;

/// <summary>
/// RTR over TLS (RFC 8210 §9) next to plain TCP on the real host: a .NET <see cref="SslStream"/> router and,
/// where installed, <c>openssl s_client</c> complete Reset Query → Cache Response … End of Data; with
/// <c>--tls-client-ca</c> only routers with a certificate from that CA get in.
/// </summary>
public sealed class TlsTests : ServerTestBase
{
    private TestCertificates _certs = null!;

    [SetUp]
    public void CreateCertificates()
        => _certs = TestCertificates.Create(Path.Combine(Path.GetTempPath(), "rtrcache-server-tests", "tls-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void DeleteCertificates() => _certs.Dispose();

    private async Task<(TestServer Server, IPEndPoint Tls)> StartTlsServerAsync(bool requireClientCertificate)
    {
        var tls = new IPEndPoint(IPAddress.Loopback, FreePort());
        var server = await StartServerAsync(Samples.Basic, s => s with
        {
            RtrTlsListen = [tls],
            TlsCertificateFile = _certs.ServerCertFile,
            TlsKeyFile = _certs.ServerKeyFile,
            TlsClientCaFile = requireClientCertificate ? _certs.CaFile : null,
        });
        return (server, tls);
    }

    private SslClientAuthenticationOptions ClientOptions(X509Certificate2? clientCertificate) => new()
    {
        TargetHost = "127.0.0.1",
        RemoteCertificateValidationCallback = (_, certificate, _, _) => _certs.ValidateServer(certificate),
        ClientCertificates = clientCertificate is null ? null : [clientCertificate],
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
    };

    private static async Task AssertFullSyncAsync(RtrTestClient client, byte version)
    {
        await using (client)
        {
            client.Timeout = TestServer.DefaultWait;
            var result = await client.ResetAsync();
            Assert.That(result.First.Type, Is.EqualTo(PduType.CacheResponse), $"answer to a Reset Query over TLS: {result.First}");
            Assert.That(result.EndOfData, Is.Not.Null);
            Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(version)));
            // The session goes on: a Serial Query over the same TLS connection finds nothing new.
            var again = await client.SerialAsync();
            Assert.That(again.First.Type, Is.EqualTo(PduType.CacheResponse));
            Assert.That(again.Payload, Is.Empty);
        }
    }

    /// <summary>"refused: …" when the cache did not let the router in, or what it answered.</summary>
    private async Task<string> TryResetOverTlsAsync(IPEndPoint tls, X509Certificate2? clientCertificate)
    {
        try
        {
            await using var client = await RtrTestClient.ConnectTlsAsync(tls, RtrVersion.V1, ClientOptions(clientCertificate));
            client.Timeout = TestServer.DefaultWait;
            var result = await client.ResetAsync();
            return "answered: " + result.First.Type;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or EndOfStreamException or SocketException)
        {
            return "refused: " + e.GetType().Name;
        }
    }

    [TestCase(RtrVersion.V0)]
    [TestCase(RtrVersion.V1)]
    [TestCase(RtrVersion.V2)]
    public async Task SslStream_router_completes_a_full_sync(byte version)
    {
        var (_, tls) = await StartTlsServerAsync(requireClientCertificate: false);
        await AssertFullSyncAsync(await RtrTestClient.ConnectTlsAsync(tls, version, ClientOptions(null)), version);
    }

    [Test]
    public async Task Plain_and_TLS_listeners_serve_side_by_side()
    {
        var (server, tls) = await StartTlsServerAsync(requireClientCertificate: false);
        var plain = await server.SyncedClientAsync(2);
        Assert.That(plain.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(2)));
        await AssertFullSyncAsync(await RtrTestClient.ConnectTlsAsync(tls, 2, ClientOptions(null)), 2);

        // The TLS port does not speak plain RTR: a Reset Query in clear text gets no RTR answer.
        await using var confused = await RtrTestClient.ConnectAsync(tls, 1);
        confused.Timeout = TestServer.DefaultWait;
        await Support.Rtr.TrySendAsync(confused, Raw.ResetQuery(1));
        var pdus = await Support.Rtr.ReadUntilCloseAsync(confused);
        Assert.That(pdus, Is.Empty);
    }

    [Test]
    public async Task Client_certificate_is_required_when_a_client_CA_is_configured()
    {
        var (_, tls) = await StartTlsServerAsync(requireClientCertificate: true);
        Assert.That(await TryResetOverTlsAsync(tls, clientCertificate: null), Does.StartWith("refused"), "no client certificate");
        Assert.That(await TryResetOverTlsAsync(tls, _certs.StrangerClient), Does.StartWith("refused"), "certificate from another CA");
        Assert.That(await TryResetOverTlsAsync(tls, _certs.Client), Is.EqualTo("answered: CacheResponse"), "certificate from the configured CA");
        await AssertFullSyncAsync(await RtrTestClient.ConnectTlsAsync(tls, 1, ClientOptions(_certs.Client)), 1);
    }

    [Test]
    public async Task Refused_handshakes_do_not_disturb_the_cache()
    {
        var (server, tls) = await StartTlsServerAsync(requireClientCertificate: true);
        for (int i = 0; i < 5; i++)
            Assert.That(await TryResetOverTlsAsync(tls, null), Does.StartWith("refused"));
        Assert.That(await server.ReadySerialAsync(), Is.EqualTo(1u));
        await server.SyncedClientAsync(1);
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Openssl_s_client_completes_a_full_sync(bool withClientCertificate)
    {
        const string OpenSsl = "/usr/bin/openssl";
        if (!File.Exists(OpenSsl)) Assert.Ignore("openssl is not installed");
        var (_, tls) = await StartTlsServerAsync(requireClientCertificate: withClientCertificate);
        var psi = new ProcessStartInfo(OpenSsl)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "s_client", "-connect", tls.ToString(), "-quiet", "-CAfile", _certs.CaFile, "-verify_return_error", "-verify_ip", "127.0.0.1" })
            psi.ArgumentList.Add(a);
        if (withClientCertificate)
            foreach (var a in new[] { "-cert", _certs.ClientCertFile, "-key", _certs.ClientKeyFile })
                psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            // s_client relays stdin to the TLS connection and the decrypted bytes to stdout, unchanged.
            var pipe = new DuplexStream(process.StandardOutput.BaseStream, process.StandardInput.BaseStream);
            await using var client = RtrTestClient.Over(pipe, RtrVersion.V1);
            client.Timeout = TestServer.DefaultWait;
            RtrTestClient.SyncResult result;
            try
            {
                result = await client.ResetAsync();
            }
            catch (Exception e) when (e is EndOfStreamException or OperationCanceledException or IOException)
            {
                process.Kill();
                Assert.Fail($"openssl s_client got no RTR answer ({e.Message}): {await stderr}");
                return;
            }
            Assert.That(result.First.Type, Is.EqualTo(PduType.CacheResponse));
            Assert.That(client.Model.ToPayloadSet(), Is.EqualTo(Samples.Basic.Expected(1)));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
            using var exit = new CancellationTokenSource(TestServer.DefaultWait);
            await process.WaitForExitAsync(exit.Token);
        }
    }

    [Test]
    public async Task Openssl_s_client_without_a_certificate_is_refused()
    {
        const string OpenSsl = "/usr/bin/openssl";
        if (!File.Exists(OpenSsl)) Assert.Ignore("openssl is not installed");
        var (_, tls) = await StartTlsServerAsync(requireClientCertificate: true);
        var psi = new ProcessStartInfo(OpenSsl)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "s_client", "-connect", tls.ToString(), "-quiet", "-CAfile", _certs.CaFile })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(Raw.ResetQuery(1));
            await process.StandardInput.BaseStream.FlushAsync();
            var buffer = new byte[64];
            using var read = new CancellationTokenSource(TestServer.DefaultWait);
            int n = await process.StandardOutput.BaseStream.ReadAsync(buffer, read.Token);
            Assert.That(n, Is.Zero, "the cache must close the connection without an RTR answer");
            using var exit = new CancellationTokenSource(TestServer.DefaultWait);
            await process.WaitForExitAsync(exit.Token);
            Assert.That(await stderr, Does.Contain("alert").IgnoreCase.Or.Contain("error").IgnoreCase);
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
    }

    [Test]
    public void Settings_with_TLS_files_that_do_not_fit_stop_the_host_build()
    {
        var settings = new ServeSettings
        {
            JsonSource = "unused.json",
            CacheDirectory = _certs.Directory,
            RtrTlsListen = [new IPEndPoint(IPAddress.Loopback, 0)],
            TlsCertificateFile = _certs.ServerCertFile,
            TlsKeyFile = _certs.OtherKeyFile,
        };
        var e = Assert.Throws<ArgumentException>(() => ServeHost.Build(settings));
        Assert.That(e!.Message, Does.Contain("--tls-key " + _certs.OtherKeyFile));
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>One stream over a child process's stdout (read) and stdin (write).</summary>
    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => input.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => output.WriteAsync(buffer, offset, count, cancellationToken);
        public override void Flush() => output.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
