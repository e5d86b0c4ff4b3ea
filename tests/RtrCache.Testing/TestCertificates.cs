using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RtrCache.Testing;

/// <summary>
/// A throw-away PKI for RTR-over-TLS tests, made with <see cref="CertificateRequest"/>: a CA, a server
/// certificate for 127.0.0.1 and a router (client) certificate under it, and a second, unrelated CA. Everything
/// is also written as PEM files, the form <c>--tls-cert</c>, <c>--tls-key</c> and <c>--tls-client-ca</c> read.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        var now = DateTimeOffset.UtcNow;
        Ca = CreateCa("CN=rtrcache test CA", now);
        OtherCa = CreateCa("CN=unrelated test CA", now);
        Server = Issue(Ca, "CN=127.0.0.1", now, serverAuth: true);
        Client = Issue(Ca, "CN=router1.example", now, serverAuth: false);
        StrangerClient = Issue(OtherCa, "CN=stranger.example", now, serverAuth: false);
        Expired = Issue(Ca, "CN=127.0.0.1", now.AddDays(-30), serverAuth: true, lifetime: TimeSpan.FromDays(1));

        Write(CaFile, Ca.ExportCertificatePem());
        Write(ServerCertFile, Server.ExportCertificatePem() + "\n" + Ca.ExportCertificatePem());
        Write(ServerKeyFile, Key(Server));
        Write(ClientCertFile, Client.ExportCertificatePem());
        Write(ClientKeyFile, Key(Client));
        Write(ExpiredCertFile, Expired.ExportCertificatePem());
        Write(ExpiredKeyFile, Key(Expired));
        Write(OtherKeyFile, Key(Client));
    }

    public string Directory { get; }
    public X509Certificate2 Ca { get; }
    public X509Certificate2 OtherCa { get; }

    /// <summary>Server certificate with its key, subject alternative name IP 127.0.0.1.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>Router certificate with its key, issued by <see cref="Ca"/>.</summary>
    public X509Certificate2 Client { get; }

    /// <summary>Router certificate with its key, issued by <see cref="OtherCa"/>.</summary>
    public X509Certificate2 StrangerClient { get; }

    public X509Certificate2 Expired { get; }

    public string CaFile => Path.Combine(Directory, "ca.pem");

    /// <summary>Server certificate followed by the CA (a chain file, as operators usually have).</summary>
    public string ServerCertFile => Path.Combine(Directory, "server.pem");
    public string ServerKeyFile => Path.Combine(Directory, "server.key");
    public string ClientCertFile => Path.Combine(Directory, "client.pem");
    public string ClientKeyFile => Path.Combine(Directory, "client.key");
    public string ExpiredCertFile => Path.Combine(Directory, "expired.pem");
    public string ExpiredKeyFile => Path.Combine(Directory, "expired.key");

    /// <summary>A valid key that belongs to a different certificate than <see cref="ServerCertFile"/>.</summary>
    public string OtherKeyFile => Path.Combine(Directory, "other.key");

    public static TestCertificates Create(string directory) => new(directory);

    /// <summary>A client-side check that the cache's certificate chains to <see cref="Ca"/> (and only to it).</summary>
    public bool ValidateServer(X509Certificate? certificate)
    {
        if (certificate is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (certificate is X509Certificate2 typed) return chain.Build(typed);
        using var cert = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(cert);
    }

    private static X509Certificate2 CreateCa(string subject, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddDays(-60), now.AddDays(30));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, DateTimeOffset now, bool serverAuth, TimeSpan? lifetime = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [serverAuth ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, now.AddMinutes(-5), now + (lifetime ?? TimeSpan.FromDays(10)), serial);
        return issued.CopyWithPrivateKey(key);
    }

    private static string Key(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()!;
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static void Write(string path, string text) => File.WriteAllText(path, text);

    public void Dispose()
    {
        foreach (var c in new[] { Ca, OtherCa, Server, Client, StrangerClient, Expired }) c.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
