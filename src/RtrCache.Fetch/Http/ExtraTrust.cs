using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RtrCache.Fetch.Http;

/// <summary>
/// HTTPS server certificate checking: the system's trust store as always, plus root CA certificates the operator
/// adds with <c>--extra-ca</c> (a private or test RRDP repository). A certificate that fails the system check is
/// re-checked with a chain whose only trust anchors are the extra roots; a host name mismatch or a missing
/// certificate is never accepted. There is deliberately no way to turn the check off.
/// </summary>
public sealed class ExtraTrust
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");

    private readonly X509Certificate2Collection _roots;

    /// <summary>Trusts <paramref name="roots"/> (copied) besides the system store.</summary>
    public ExtraTrust(IEnumerable<X509Certificate2> roots) => _roots = [.. roots];

    /// <summary>No extra roots: the system trust store alone.</summary>
    public static ExtraTrust None { get; } = new([]);

    /// <summary>The extra trusted roots.</summary>
    public IReadOnlyList<X509Certificate2> Roots => [.. _roots];

    /// <summary>
    /// Reads every certificate of the PEM files. A file that cannot be read or holds no certificate is an error
    /// (the operator asked for it; silently trusting less would be confusing).
    /// </summary>
    /// <exception cref="InvalidDataException">A file is unreadable or has no certificate; the message names it.</exception>
    public static ExtraTrust LoadPemFiles(IEnumerable<string> files)
    {
        var roots = new X509Certificate2Collection();
        foreach (var file in files)
        {
            int before = roots.Count;
            try
            {
                roots.ImportFromPemFile(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw new InvalidDataException($"extra CA file {file}: {e.Message}", e);
            }
            if (roots.Count == before) throw new InvalidDataException($"extra CA file {file}: no certificate in it");
        }
        return new ExtraTrust([.. roots]);
    }

    /// <summary>Why a certificate was refused, in one line: the policy errors, the chain problems and the certificate's subject.</summary>
    public static string Explain(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var problems = new List<string>();
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) problems.Add("no server certificate");
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) problems.Add("certificate does not name this host");
        if (chain is not null)
            foreach (var status in chain.ChainStatus)
                problems.Add(status.Status + (string.IsNullOrWhiteSpace(status.StatusInformation) ? "" : " (" + status.StatusInformation.Trim() + ")"));
        if (problems.Count == 0) problems.Add(errors.ToString());
        return $"server certificate not trusted: {string.Join("; ", problems.Distinct())}" + (certificate is null ? "" : $" [subject {certificate.Subject}]");
    }

    /// <summary>The TLS callback: true when the system accepts the certificate, or when it chains to an extra root.</summary>
    public bool Validate(X509Certificate? certificate, X509Chain? systemChain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is null || _roots.Count == 0) return false;
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ServerAuth);
        if (systemChain is not null)
            foreach (var element in systemChain.ChainElements)
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        return chain.Build(leaf);
    }
}
