using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RtrCache.Fetch.Tests.Support;

/// <summary>
/// A throw-away certificate authority made in the test with <see cref="CertificateRequest"/>: a root CA and a
/// server certificate it issued for 127.0.0.1 and localhost. The fetcher is given the root as an extra CA
/// (PEM file), exactly as an operator would with <c>--extra-ca</c>.
/// </summary>
public sealed class TestCa : IDisposable
{
    public TestCa(string directory)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=RtrCache Fetch Test Root", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        Root = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var issued = serverRequest.Create(Root, now.AddDays(-1), now.AddDays(29), serial);
        using var withKey = issued.CopyWithPrivateKey(serverKey);
        // A PKCS#12 round trip gives a certificate whose key SslStream can use on every platform.
        ServerCertificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);

        RootPemPath = Path.Combine(directory, "test-root.pem");
        File.WriteAllText(RootPemPath, Root.ExportCertificatePem() + "\n");
    }

    public X509Certificate2 Root { get; }
    public X509Certificate2 ServerCertificate { get; }

    /// <summary>The root CA certificate as a PEM file (what <c>--extra-ca</c> names).</summary>
    public string RootPemPath { get; }

    public void Dispose()
    {
        Root.Dispose();
        ServerCertificate.Dispose();
    }
}
