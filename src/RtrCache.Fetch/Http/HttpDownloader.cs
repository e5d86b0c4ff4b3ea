using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;

namespace RtrCache.Fetch.Http;

/// <summary>The conditional-request validators of a stored response (RFC 9110 §13.1).</summary>
/// <param name="ETag">The entity tag as received, quotes included.</param>
/// <param name="LastModified">The Last-Modified date in RFC 1123 form.</param>
public sealed record HttpValidators(string? ETag, string? LastModified)
{
    public static HttpValidators None { get; } = new(null, null);
}

public enum HttpDownloadStatus
{
    /// <summary>200: the body is in the destination stream.</summary>
    Ok,

    /// <summary>304: the stored copy is current.</summary>
    NotModified,

    /// <summary>Anything else; see <see cref="HttpDownloadResult.Error"/>.</summary>
    Failed,
}

/// <summary>What a download produced.</summary>
/// <param name="Status">200, 304 or failure.</param>
/// <param name="Uri">The URI asked for.</param>
/// <param name="Error">Why it failed (status line, timeout, limit, TLS or connection error); null otherwise.</param>
/// <param name="Bytes">Body bytes after content decoding.</param>
/// <param name="Sha256">SHA-256 of those bytes (only for <see cref="HttpDownloadStatus.Ok"/>).</param>
/// <param name="Validators">ETag/Last-Modified of the response, for the next conditional request.</param>
public sealed record HttpDownloadResult(HttpDownloadStatus Status, Uri Uri, long Bytes, byte[]? Sha256, HttpValidators Validators, string? Error)
{
    public static HttpDownloadResult Fail(Uri uri, string error, long bytes = 0) => new(HttpDownloadStatus.Failed, uri, bytes, null, HttpValidators.None, error);
}

/// <summary>
/// Downloads one https resource into a stream with every limit a hostile or broken server calls for: at most
/// <see cref="FetchOptions.MaxRedirects"/> redirects and only to https, a byte cap counted after decompression
/// (a gzip bomb stops at the cap too), a per-request time limit that covers the body (a slow-drip server is cut
/// off), and the SHA-256 computed while the bytes stream by, so RRDP can verify a file before parsing it without
/// reading it twice. Never throws for a network or protocol failure; only cancellation of the caller's token is
/// thrown, so the caller can tell its own deadline from a request timeout.
/// </summary>
public sealed class HttpDownloader(HttpClient client, FetchOptions options)
{
    /// <summary>
    /// GETs <paramref name="uri"/> and writes a 200 body to <paramref name="destination"/>. With
    /// <paramref name="conditional"/> the request carries If-None-Match / If-Modified-Since and a 304 is
    /// <see cref="HttpDownloadStatus.NotModified"/>. <paramref name="progress"/> is told about every chunk received.
    /// </summary>
    public async Task<HttpDownloadResult> DownloadAsync(Uri uri, Stream destination, long maxBytes, HttpValidators? conditional, Action<long>? progress, CancellationToken ct)
    {
        using var requestCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        requestCts.CancelAfter(options.RequestTimeout);
        var token = requestCts.Token;
        Uri current = uri;
        long received = 0;
        try
        {
            for (int redirects = 0; ; redirects++)
            {
                if (current.Scheme != Uri.UriSchemeHttps) return HttpDownloadResult.Fail(uri, $"refusing to fetch non-https URI {current}");
                using var request = new HttpRequestMessage(HttpMethod.Get, current);
                if (conditional is not null)
                {
                    if (conditional.ETag is { Length: > 0 } etag) request.Headers.TryAddWithoutValidation("If-None-Match", etag);
                    if (conditional.LastModified is { Length: > 0 } lm && DateTimeOffset.TryParseExact(lm, "R", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var since))
                        request.Headers.IfModifiedSince = since;
                }
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
                int status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308)
                {
                    if (redirects >= options.MaxRedirects) return HttpDownloadResult.Fail(uri, $"more than {options.MaxRedirects} redirects (last to {response.Headers.Location})");
                    if (response.Headers.Location is not { } location) return HttpDownloadResult.Fail(uri, $"HTTP {status} without a Location");
                    var next = location.IsAbsoluteUri ? location : new Uri(current, location);
                    if (next.Scheme != Uri.UriSchemeHttps) return HttpDownloadResult.Fail(uri, $"redirect from {current} to non-https {next} refused");
                    current = next;
                    continue;
                }
                if (response.StatusCode == HttpStatusCode.NotModified)
                {
                    if (conditional is null) return HttpDownloadResult.Fail(uri, "HTTP 304 to an unconditional request");
                    return new HttpDownloadResult(HttpDownloadStatus.NotModified, current, 0, null, Validators(response, conditional), null);
                }
                if (response.StatusCode != HttpStatusCode.OK)
                    return HttpDownloadResult.Fail(uri, $"HTTP {status} {response.ReasonPhrase}".TrimEnd() + (current != uri ? $" from {current}" : ""));
                if (response.Content.Headers.ContentLength is long declared && declared > maxBytes && response.Content.Headers.ContentEncoding.Count == 0)
                    return HttpDownloadResult.Fail(uri, $"{declared} bytes announced, more than the {maxBytes} byte limit");

                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                await using var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
                var buffer = new byte[81920];
                int n;
                while ((n = await body.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
                {
                    received += n;
                    progress?.Invoke(n);
                    if (received > maxBytes) return HttpDownloadResult.Fail(uri, $"larger than the {maxBytes} byte limit", received);
                    hash.AppendData(buffer, 0, n);
                    await destination.WriteAsync(buffer.AsMemory(0, n), token).ConfigureAwait(false);
                }
                return new HttpDownloadResult(HttpDownloadStatus.Ok, current, received, hash.GetHashAndReset(), Validators(response, null), null);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HttpDownloadResult.Fail(uri, $"timed out after {options.RequestTimeout.TotalSeconds:0.###} s", received);
        }
        catch (HttpRequestException e)
        {
            return HttpDownloadResult.Fail(uri, Describe(e), received);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or AuthenticationException)
        {
            return HttpDownloadResult.Fail(uri, Describe(e), received);
        }
    }

    private static HttpValidators Validators(HttpResponseMessage response, HttpValidators? fallback)
    {
        string? etag = response.Headers.ETag?.ToString() ?? fallback?.ETag;
        string? lastModified = response.Content.Headers.LastModified?.ToString("R", CultureInfo.InvariantCulture) ?? fallback?.LastModified;
        return new HttpValidators(etag, lastModified);
    }

    /// <summary>The exception chain as one line ("connection refused", "certificate chain: UntrustedRoot", …).</summary>
    private static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var x = e; x is not null; x = x.InnerException)
        {
            string message = x.Message.Replace(", see inner exception.", "", StringComparison.Ordinal).TrimEnd('.');
            if (message.Length > 0 && (parts.Count == 0 || !parts[^1].Contains(message, StringComparison.Ordinal))) parts.Add(message);
        }
        return string.Join(": ", parts);
    }
}
