using System.Net;
using System.Net.Http.Headers;
using RtrCache.Payload;
using RtrCache.Payload.Formats;

namespace RtrCache.Host.Input;

/// <summary>The outcome of one look at the input.</summary>
public abstract record SourceResult
{
    /// <summary>Nothing changed since the last look.</summary>
    public sealed record Unchanged : SourceResult;

    /// <summary>
    /// A new complete payload set. <paramref name="NextExpiry"/> is when part of it stops being valid, so the
    /// input must be looked at again by then even if nothing else changes.
    /// </summary>
    public sealed record Loaded(PayloadSet Set, string Summary, DateTimeOffset? NextExpiry) : SourceResult;

    /// <summary>
    /// The input could not be read (<paramref name="Rejected"/> false: missing file, HTTP error) or its content
    /// was rejected (true); the previous data stays in use either way.
    /// </summary>
    public sealed record Failed(string Error, bool Rejected = false) : SourceResult;
}

/// <summary>
/// Where the payload comes from. Each look returns the whole new set or nothing: never a partial set, so the
/// update loop can publish whatever it gets.
/// </summary>
public abstract class PayloadSource : IDisposable
{
    /// <summary>Where the data comes from, for log lines that must name it.</summary>
    public abstract string Name { get; }

    /// <summary>Signalled when the source noticed a change on its own (file watcher); polling covers the rest.</summary>
    public virtual Task ChangeSignal => Task.Delay(Timeout.Infinite);

    /// <summary>Reads the input if it changed; <paramref name="force"/> re-reads even if it did not (e.g. to drop newly expired entries).</summary>
    public abstract Task<SourceResult> LoadAsync(DateTimeOffset now, bool force, CancellationToken ct);

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>
/// rpki-client JSON from a local file (re-read when its size or time changes, and noticed at once through a
/// file watcher) or an http(s) URL (polled with ETag / If-Modified-Since so an unchanged file costs one 304).
/// </summary>
public abstract class JsonPayloadSource : PayloadSource
{
    private static SourceResult Parsed(string name, RpkiClientJsonResult result)
        => result.Success
            ? new SourceResult.Loaded(result.Set, result.ToString()!, result.NextExpiry)
            : new SourceResult.Failed($"{name}: {result.Error}", Rejected: true);

    public static JsonPayloadSource Create(string pathOrUrl, HttpClient? http = null)
        => Uri.TryCreate(pathOrUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? new UrlSource(uri, http ?? new HttpClient())
            : new FileSource(Path.GetFullPath(pathOrUrl));

    private sealed class FileSource : JsonPayloadSource
    {
        private readonly string _path;
        private readonly FileWatch _watch;
        private (DateTime Time, long Length)? _seen;

        public FileSource(string path)
        {
            _path = path;
            _watch = new FileWatch([path]);
        }

        public override string Name => _path;
        public override Task ChangeSignal => _watch.Changed;

        public override async Task<SourceResult> LoadAsync(DateTimeOffset now, bool force, CancellationToken ct)
        {
            try
            {
                var info = new FileInfo(_path);
                if (!info.Exists) return new SourceResult.Failed($"{_path}: file not found");
                var stamp = (info.LastWriteTimeUtc, info.Length);
                if (!force && _seen == stamp) return new SourceResult.Unchanged();
                byte[] bytes = await File.ReadAllBytesAsync(_path, ct).ConfigureAwait(false);
                _seen = stamp;
                return Parsed(_path, RpkiClientJson.Parse(bytes, now));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new SourceResult.Failed($"{_path}: {ex.Message}");
            }
        }

        public override void Dispose()
        {
            _watch.Dispose();
            base.Dispose();
        }
    }

    private sealed class UrlSource : JsonPayloadSource
    {
        private readonly Uri _uri;
        private readonly HttpClient _http;
        private EntityTagHeaderValue? _etag;
        private DateTimeOffset? _lastModified;
        private byte[]? _lastBody;

        public UrlSource(Uri uri, HttpClient http)
        {
            _uri = uri;
            _http = http;
        }

        public override string Name => _uri.ToString();

        public override async Task<SourceResult> LoadAsync(DateTimeOffset now, bool force, CancellationToken ct)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
                if (_etag is not null) request.Headers.IfNoneMatch.Add(_etag);
                else if (_lastModified is { } lm) request.Headers.IfModifiedSince = lm;
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
                byte[] body;
                if (response.StatusCode == HttpStatusCode.NotModified)
                {
                    if (!force || _lastBody is null) return new SourceResult.Unchanged();
                    body = _lastBody;
                }
                else if (!response.IsSuccessStatusCode)
                {
                    return new SourceResult.Failed($"{_uri}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                }
                else
                {
                    body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                }
                var parsed = Parsed(_uri.ToString(), RpkiClientJson.Parse(body, now));
                if (parsed is SourceResult.Loaded)
                {
                    // Remember validators only for content we accepted, so a rejected file is fetched again next time.
                    _etag = response.Headers.ETag;
                    _lastModified = response.Content.Headers.LastModified;
                    _lastBody = body;
                }
                return parsed;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
            {
                return new SourceResult.Failed($"{_uri}: {ex.Message}");
            }
        }
    }
}
