using RtrCache.Fetch.Uris;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// What a publish or withdraw URI must satisfy before anything is written: a safe rsync object URI
/// (<see cref="RsyncUri"/>) on the host (and port) of the CA repository that led us to this notification. This is
/// the spirit of rpki-client's <c>rrdp_uri_valid()</c>: a repository may only write into its own territory, so
/// one RRDP server cannot plant objects under another CA's rsync namespace. A URI that fails makes the whole file
/// fail, with the URI in the message.
/// </summary>
/// <param name="Authority">The <c>host[:port]</c> the objects must lie on.</param>
/// <param name="MaxObjectBytes">The largest decoded object accepted (rpki-client: 8 MB).</param>
public sealed record RrdpObjectRules(string Authority, long MaxObjectBytes = FetchOptions.DefaultMaxObjectBytes)
{
    /// <summary>The checked URI, or an <see cref="RrdpException"/> naming it.</summary>
    public RsyncUri Check(string text)
    {
        if (!RsyncUri.TryParseObject(text, out var uri, out var error)) throw new RrdpException("rejected object URI: " + error);
        if (!uri!.SameAuthority(Authority))
            throw new RrdpException($"rejected object URI '{RsyncUri.Shorten(text)}': not on the repository host {Authority}");
        return uri;
    }
}
