using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RtrCache.Testbed.Publishing;

/// <summary>
/// A throw-away certificate authority and a server certificate for 127.0.0.1 / localhost, made fresh for each
/// <see cref="RrdpTestServer"/>. A fetcher is given the CA (PEM) as an extra trusted root, exactly what
/// <c>--extra-ca</c> is for; nothing is added to the machine's trust store and certificate checks stay on.
/// </summary>
/// <remarks>EC P-256 keys: generated in microseconds (an RSA key takes a noticeable fraction of a second).</remarks>
public sealed class TestTlsCertificates : IDisposable
{
    private TestTlsCertificates(X509Certificate2 ca, X509Certificate2 server)
    {
        CaCertificate = ca;
        ServerCertificate = server;
    }

    /// <summary>The root (public part only).</summary>
    public X509Certificate2 CaCertificate { get; }

    /// <summary>The server certificate with its private key, issued by <see cref="CaCertificate"/>: SAN IP 127.0.0.1, ::1 and DNS localhost, EKU serverAuth.</summary>
    public X509Certificate2 ServerCertificate { get; }

    /// <summary>The root in PEM, for <c>--extra-ca</c>.</summary>
    public string CaPem => CaCertificate.ExportCertificatePem();

    /// <summary>Issues a new root and server certificate valid from an hour ago for <paramref name="lifetime"/> (default 2 days).</summary>
    public static TestTlsCertificates Create(TimeSpan? lifetime = null)
    {
        var notBefore = DateTimeOffset.UtcNow.AddHours(-1);
        var notAfter = notBefore + (lifetime ?? TimeSpan.FromDays(2));

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=RtrCache test CA " + Guid.NewGuid().ToString("N")[..8] + ", O=RtrCache Testbed", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var caSki = new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false);
        caRequest.CertificateExtensions.Add(caSki);
        using var caWithKey = caRequest.CreateSelfSigned(notBefore, notAfter.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1, O=RtrCache Testbed", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(san.Build(false));
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        serverRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(serverRequest.PublicKey, false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(caSki));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = serverRequest.Create(caWithKey, notBefore, notAfter, serial);
        using var issuedWithKey = issued.CopyWithPrivateKey(serverKey);
        // A PKCS#12 round trip gives a certificate whose key SslStream can use on every platform.
        var server = X509CertificateLoader.LoadPkcs12(issuedWithKey.Export(X509ContentType.Pkcs12), null);
        var ca = X509CertificateLoader.LoadCertificate(caWithKey.RawData);
        return new TestTlsCertificates(ca, server);
    }

    /// <summary>
    /// A certificate check that trusts exactly <paramref name="root"/> (custom root trust, no system roots, no
    /// revocation fetch), for test clients: what a fetcher given <c>--extra-ca</c> must also accept.
    /// </summary>
    public static bool ValidateAgainst(X509Certificate2 root, X509Certificate? certificate, X509Chain? _, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }

    public void Dispose()
    {
        CaCertificate.Dispose();
        ServerCertificate.Dispose();
    }
}
