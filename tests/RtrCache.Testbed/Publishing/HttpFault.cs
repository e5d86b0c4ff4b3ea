namespace RtrCache.Testbed.Publishing;

/// <summary>
/// A misbehaviour <see cref="RrdpTestServer"/> applies to requests for one path (or a path prefix). Each is
/// one of the attacks or failures a fetcher must survive without harm (issue 5's fault matrix): error
/// statuses, delays and hangs, a slow drip, a cut or corrupted body, an endless body, entity expansion and
/// external entities, redirects and resets.
/// </summary>
public abstract record HttpFault
{
    private protected HttpFault() { }

    /// <summary>Short name for the request log.</summary>
    public abstract string Name { get; }

    /// <summary>Answer with <paramref name="statusCode"/> (e.g. 500, 404, 503) and a short text body.</summary>
    public static HttpFault Status(int statusCode) => new StatusFault(statusCode);

    /// <summary>Wait <paramref name="delay"/> before answering normally (a timeout test sets it above the client's limit).</summary>
    public static HttpFault Delay(TimeSpan delay) => new DelayFault(delay);

    /// <summary>Never answer: the request stays open until the client gives up or the server stops.</summary>
    public static HttpFault Hang { get; } = new HangFault();

    /// <summary>
    /// Send the real content (with its full Content-Length) at <paramref name="bytesPerSecond"/> bytes per
    /// second: each read makes progress, so only a total time limit stops it (slowloris against the client).
    /// </summary>
    public static HttpFault SlowDrip(int bytesPerSecond = 4) => new SlowDripFault(bytesPerSecond);

    /// <summary>
    /// Announce the full Content-Length, send only the first <paramref name="keepBytes"/> bytes and reset
    /// the connection: the client sees a premature end of the body.
    /// </summary>
    public static HttpFault Truncate(long keepBytes) => new TruncateFault(keepBytes, Reset: true);

    /// <summary>
    /// Send only the first <paramref name="keepBytes"/> bytes as a complete chunked response (no
    /// Content-Length): the transfer looks fine, the hash or the XML does not.
    /// </summary>
    public static HttpFault TruncateCleanly(long keepBytes) => new TruncateFault(keepBytes, Reset: false);

    /// <summary>
    /// Send the content with one base64 character in its second half changed to another one: same length,
    /// still well-formed XML and valid base64, but the SHA-256 no longer matches the notification.
    /// </summary>
    public static HttpFault WrongBytes { get; } = new WrongBytesFault();

    /// <summary>
    /// An endless body generated on the fly without allocating it: the start of the real file up to the end of
    /// its root element's start tag, then one <c>publish</c> element whose base64 never ends, until
    /// <paramref name="length"/> bytes are sent. <paramref name="declareLength"/> sends that length as
    /// Content-Length (a client can refuse up front), otherwise chunked (it must count).
    /// </summary>
    public static HttpFault Oversized(long length = 10L << 30, bool declareLength = true) => new OversizedFault(length, declareLength);

    /// <summary>A notification with a DOCTYPE of nested entities (10^9 "lol"s, about 3 GB when expanded, ~1 kB sent).</summary>
    public static HttpFault BillionLaughs { get; } = new BillionLaughsFault();

    /// <summary>
    /// A notification with a DOCTYPE declaring an external entity <c>SYSTEM "file://PATH"</c> for
    /// <paramref name="localFile"/> and using it in element content; a parser that resolves it leaks the file.
    /// </summary>
    public static HttpFault Xxe(string localFile) => new XxeFault(Path.GetFullPath(localFile));

    /// <summary>Redirect to <paramref name="location"/> (absolute URI or path; a path to itself makes a loop).</summary>
    public static HttpFault Redirect(string location, int statusCode = 302) => new RedirectFault(location, statusCode);

    /// <summary>Reset the connection without answering.</summary>
    public static HttpFault Abort { get; } = new AbortFault();

    internal sealed record StatusFault(int StatusCode) : HttpFault { public override string Name => $"status {StatusCode}"; }
    internal sealed record DelayFault(TimeSpan Duration) : HttpFault { public override string Name => $"delay {Duration.TotalSeconds:0.###} s"; }
    internal sealed record HangFault : HttpFault { public override string Name => "hang"; }
    internal sealed record SlowDripFault(int BytesPerSecond) : HttpFault { public override string Name => $"slow drip {BytesPerSecond} B/s"; }
    internal sealed record TruncateFault(long KeepBytes, bool Reset) : HttpFault { public override string Name => $"truncate {KeepBytes}{(Reset ? " + reset" : "")}"; }
    internal sealed record WrongBytesFault : HttpFault { public override string Name => "wrong bytes"; }
    internal sealed record OversizedFault(long Length, bool DeclareLength) : HttpFault { public override string Name => $"oversized {Length}"; }
    internal sealed record BillionLaughsFault : HttpFault { public override string Name => "billion laughs"; }
    internal sealed record XxeFault(string LocalFile) : HttpFault { public override string Name => "xxe"; }
    internal sealed record RedirectFault(string Location, int StatusCode) : HttpFault { public override string Name => $"redirect {StatusCode}"; }
    internal sealed record AbortFault : HttpFault { public override string Name => "abort"; }
}
