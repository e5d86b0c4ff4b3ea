using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Security.Authentication;

namespace RtrCache.Fetch.Http;

/// <summary>
/// Builds the one <see cref="HttpClient"/> a fetcher uses for RRDP and TA downloads: gzip/deflate accepted, a
/// 15 s connect limit, a bound on connections per server (the per-host concurrency limit, so a fetcher is a
/// polite client of a shared repository server), redirects handled by <see cref="HttpDownloader"/> (so it can
/// count them and refuse a downgrade), the system trust store plus <see cref="ExtraTrust"/> roots, and a
/// User-Agent naming RtrCache and its version as RFC 8182 operators ask for.
/// </summary>
public static class FetchHttpClient
{
    /// <summary>"RtrCache/&lt;informational version&gt;".</summary>
    public static string UserAgent { get; } = "RtrCache/" + Version();

    public static HttpClient Create(FetchOptions options, ExtraTrust trust)
    {
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
            AllowAutoRedirect = false,
            ConnectTimeout = options.ConnectTimeout,
            MaxConnectionsPerServer = options.MaxConnectionsPerServer,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            UseCookies = false,
            UseProxy = true,
            MaxResponseHeadersLength = 64, // KiB
        };
        // Throwing (rather than returning false) carries the reason into the error the report shows.
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors)
            => trust.Validate(certificate, chain, errors) ? true : throw new AuthenticationException(ExtraTrust.Explain(certificate, chain, errors));
        var client = new HttpClient(handler, disposeHandler: true)
        {
            // Per-request limits are enforced by HttpDownloader with cancellation; this is only a backstop.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("RtrCache", Version()));
        return client;
    }

    private static string Version()
    {
        var assembly = typeof(FetchHttpClient).Assembly;
        string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                          ?? assembly.GetName().Version?.ToString();
        return string.IsNullOrEmpty(version) ? "0" : version;
    }
}
