namespace RtrCache.Fetch.Uris;

/// <summary>
/// Checks for the https URIs RRDP follows (notification from a certificate's SIA, snapshot and delta from the
/// notification, TA certificates from TALs). Only https is ever fetched (RFC 8182 §3.4.1, RFC 8630), so a
/// certificate cannot make us speak plain HTTP or another scheme, and the RFC 9674 same-origin rule is checked
/// here so that a notification cannot send us to a third party's server.
/// </summary>
public static class HttpsUri
{
    /// <summary>An absolute https URI with a host, no user info and no fragment, printable ASCII only, at most 2048 characters.</summary>
    public static bool TryParse(string? text, out Uri? uri, out string? error)
    {
        uri = null;
        error = null;
        if (string.IsNullOrEmpty(text)) { error = "empty URI"; return false; }
        if (text.Length > RsyncUri.MaxLength) { error = $"URI longer than {RsyncUri.MaxLength} characters"; return false; }
        foreach (char c in text)
            if (c is <= ' ' or > '~') { error = $"'{RsyncUri.Shorten(text)}' contains a space, control or non-ASCII character"; return false; }
        if (!text.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || !Uri.TryCreate(text, UriKind.Absolute, out var parsed)
            || parsed.Scheme != Uri.UriSchemeHttps)
        { error = $"'{RsyncUri.Shorten(text)}' is not an https:// URI"; return false; }
        if (parsed.Host.Length == 0) { error = $"'{RsyncUri.Shorten(text)}' has no host"; return false; }
        if (parsed.UserInfo.Length > 0) { error = $"'{RsyncUri.Shorten(text)}' carries user information"; return false; }
        if (parsed.Fragment.Length > 0) { error = $"'{RsyncUri.Shorten(text)}' has a fragment"; return false; }
        uri = parsed;
        return true;
    }

    /// <summary>Same scheme, host (case-insensitive) and port: the origin of RFC 6454 that RFC 9674 requires.</summary>
    public static bool SameOrigin(Uri a, Uri b)
        => a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;
}
