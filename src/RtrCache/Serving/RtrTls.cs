using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace RtrCache.Host.Serving;

/// <summary>
/// Certificate material for RTR over TLS (RFC 8210 §9): the server certificate with its key and intermediates,
/// and optionally the CA(s) router certificates must chain to. Loaded and checked once at start, so a wrong
/// path, a key that does not match or an expired certificate stops start-up with a message naming the option,
/// instead of failing the first router's handshake.
/// </summary>
public sealed class RtrTls : IDisposable
{
    private RtrTls(X509Certificate2 certificate, X509Certificate2Collection intermediates, X509Certificate2Collection? clientCas)
    {
        Certificate = certificate;
        Intermediates = intermediates;
        ClientCas = clientCas;
    }

    public X509Certificate2 Certificate { get; }
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>Null: no client certificate is asked for.</summary>
    public X509Certificate2Collection? ClientCas { get; }

    /// <summary>
    /// Loads the TLS files named in <paramref name="settings"/>; null without TLS listeners or with errors
    /// (added to <paramref name="errors"/> as "--option value: problem").
    /// </summary>
    public static RtrTls? Load(ServeSettings settings, DateTimeOffset now, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        string? certFile = settings.TlsCertificateFile, keyFile = settings.TlsKeyFile, caFile = settings.TlsClientCaFile;
        if (settings.RtrTlsListen.Count == 0)
        {
            foreach (var (option, value) in new[] { ("--tls-cert", certFile), ("--tls-key", keyFile), ("--tls-client-ca", caFile) })
                if (value is not null) errors.Add($"{option} {value}: only used with --rtr-tls-listen, which is not given");
            return null;
        }
        if (certFile is null)
        {
            errors.Add("--rtr-tls-listen needs --tls-cert FILE and --tls-key FILE (PEM)");
            return null;
        }
        int before = errors.Count;
        if (!File.Exists(certFile)) errors.Add($"--tls-cert {certFile}: file not found");
        if (keyFile is not null && !File.Exists(keyFile)) errors.Add($"--tls-key {keyFile}: file not found");
        if (caFile is not null && !File.Exists(caFile)) errors.Add($"--tls-client-ca {caFile}: file not found");
        if (errors.Count > before) return null;

        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPemFile(certFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            errors.Add($"--tls-cert {certFile}: {e.Message}");
            return null;
        }
        if (chain.Count == 0)
        {
            errors.Add($"--tls-cert {certFile}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file");
            return null;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            DisposeAll(chain);
            errors.Add(keyFile is null
                ? $"--tls-cert {certFile}: no usable private key in the file ({e.Message}); give it with --tls-key FILE"
                : $"--tls-key {keyFile}: not a PEM private key for the certificate in {certFile} ({e.Message})");
            return null;
        }
        if (now < certificate.NotBefore || now > certificate.NotAfter)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"--tls-cert {certFile}: certificate {certificate.Subject} is valid from {certificate.NotBefore.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ} to {certificate.NotAfter.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}, not now"));
            certificate.Dispose();
            DisposeAll(chain);
            return null;
        }
        var intermediates = new X509Certificate2Collection();
        for (int i = 1; i < chain.Count; i++) intermediates.Add(chain[i]);
        chain[0].Dispose();

        X509Certificate2Collection? cas = null;
        if (caFile is not null)
        {
            cas = new X509Certificate2Collection();
            try
            {
                cas.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
            {
                errors.Add($"--tls-client-ca {caFile}: {e.Message}");
            }
            if (errors.Count == before && cas.Count == 0) errors.Add($"--tls-client-ca {caFile}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file");
            if (errors.Count > before)
            {
                certificate.Dispose();
                DisposeAll(intermediates);
                DisposeAll(cas);
                return null;
            }
        }
        return new RtrTls(certificate, intermediates, cas);
    }

    /// <summary>Kestrel's TLS options for an RTR listener.</summary>
    public HttpsConnectionAdapterOptions CreateOptions(ILogger logger)
    {
        var options = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = Certificate,
            ServerCertificateChain = Intermediates.Count > 0 ? Intermediates : null,
            // TLS 1.2 is the floor RFC 8210 §9 implementations commonly support; SSL and TLS 1.0/1.1 are never offered.
            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            HandshakeTimeout = TimeSpan.FromSeconds(10),
            CheckCertificateRevocation = false,
            ClientCertificateMode = ClientCas is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
        };
        if (ClientCas is { } cas)
            options.ClientCertificateValidation = (certificate, chain, errors) => ValidateClient(certificate, chain, cas, logger);
        return options;
    }

    /// <summary>
    /// A router's certificate must chain to one of the configured CAs (and only those: the system store does
    /// not count). Revocation is not checked; routers are usually provisioned out of band and a CRL distribution
    /// point is rarely reachable from a management network.
    /// </summary>
    private static bool ValidateClient(X509Certificate2 certificate, X509Chain? presented, X509Certificate2Collection cas, ILogger logger)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(cas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                if (!element.Certificate.Equals(certificate)) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (chain.Build(certificate)) return true;
        logger.LogWarning("RTR TLS client certificate {Subject} refused: {Status}", certificate.Subject,
            string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())));
        return false;
    }

    private static void DisposeAll(X509Certificate2Collection certificates)
    {
        foreach (var c in certificates) c.Dispose();
    }

    public void Dispose()
    {
        Certificate.Dispose();
        DisposeAll(Intermediates);
        if (ClientCas is not null) DisposeAll(ClientCas);
    }
}
