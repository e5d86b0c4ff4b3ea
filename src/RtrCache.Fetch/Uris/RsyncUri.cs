namespace RtrCache.Fetch.Uris;

/// <summary>
/// A checked <c>rsync://AUTHORITY/MODULE/path</c> URI. Every RPKI object is named by one, also when it arrives over
/// RRDP, and the cache stores it at <c>ROOT/AUTHORITY/MODULE/path</c> (the mapping of
/// <see cref="RtrCache.Rpki.Validation.Validator.LocalPath"/>). Because the URI becomes a file path and, for rsync,
/// a command-line argument, it is parsed strictly: a URI that passes cannot name anything outside its
/// repository directory (no empty, <c>.</c> or <c>..</c> segment, no backslash, nothing outside printable ASCII)
/// and cannot be read by rsync as an option (the authority and module have restricted character sets and cannot
/// start with <c>-</c>).
/// </summary>
public sealed class RsyncUri : IEquatable<RsyncUri>
{
    /// <summary>Longest URI accepted, as for URIs in certificates.</summary>
    public const int MaxLength = 2048;

    /// <summary>Longest path segment: a file name the file system can hold.</summary>
    public const int MaxSegmentLength = 255;

    private RsyncUri(string text, string authority, string module, string[] path, bool isDirectory)
    {
        Text = text;
        Authority = authority;
        Module = module;
        PathSegments = path;
        IsDirectory = isDirectory;
    }

    /// <summary>The URI as given.</summary>
    public string Text { get; }

    /// <summary><c>host</c> or <c>host:port</c>, as written (the cache path keeps the spelling the validator looks up).</summary>
    public string Authority { get; }

    /// <summary>The rsync module (first path segment).</summary>
    public string Module { get; }

    /// <summary>Path segments below the module; empty for the module itself.</summary>
    public IReadOnlyList<string> PathSegments { get; }

    /// <summary>True when the URI ends with '/' (a directory such as a caRepository).</summary>
    public bool IsDirectory { get; }

    /// <summary>The module this URI lies in, as <c>rsync://AUTHORITY/MODULE/</c>.</summary>
    public string ModuleUri => $"rsync://{Authority}/{Module}/";

    /// <summary>True when <paramref name="other"/> names the same host and port (host names compare case-insensitively).</summary>
    public bool SameAuthority(string other) => string.Equals(Authority, other, StringComparison.OrdinalIgnoreCase);

    /// <summary>Where this URI is stored below <paramref name="root"/>: <c>root/AUTHORITY/MODULE/path…</c>.</summary>
    public string LocalPath(string root) => Path.Combine([root, Authority, Module, .. PathSegments]);

    /// <summary>Parses an object URI (a file: at least one segment below the module, no trailing '/').</summary>
    public static bool TryParseObject(string text, out RsyncUri? uri, out string? error)
    {
        if (!TryParse(text, out uri, out error)) return false;
        if (uri!.IsDirectory || uri.PathSegments.Count == 0)
        {
            uri = null;
            error = $"'{Shorten(text)}' does not name a file";
            return false;
        }
        return true;
    }

    /// <summary>Parses an rsync URI of a module, a directory (trailing '/') or a file.</summary>
    public static bool TryParse(string? text, out RsyncUri? uri, out string? error)
    {
        uri = null;
        error = Check(text, out var authority, out var module, out var path, out bool isDirectory);
        if (error is not null) return false;
        uri = new RsyncUri(text!, authority!, module!, path!, isDirectory);
        return true;
    }

    /// <summary>Parses or throws <see cref="FormatException"/> (for callers whose input was checked already).</summary>
    public static RsyncUri Parse(string text)
        => TryParse(text, out var uri, out var error) ? uri! : throw new FormatException(error);

    private static string? Check(string? text, out string? authority, out string? module, out string[]? path, out bool isDirectory)
    {
        authority = module = null;
        path = null;
        isDirectory = false;
        if (string.IsNullOrEmpty(text)) return "empty URI";
        if (text.Length > MaxLength) return $"URI longer than {MaxLength} characters";
        foreach (char c in text)
            if (c is <= ' ' or > '~') return $"'{Shorten(text)}' contains a space, control or non-ASCII character";
        if (!text.StartsWith("rsync://", StringComparison.OrdinalIgnoreCase)) return $"'{Shorten(text)}' is not an rsync:// URI";
        string rest = text["rsync://".Length..];
        int slash = rest.IndexOf('/');
        if (slash < 0) return $"'{Shorten(text)}' has no module";
        authority = rest[..slash];
        if (CheckAuthority(authority) is { } authorityError) return $"'{Shorten(text)}': {authorityError}";
        var segments = rest[(slash + 1)..].Split('/');
        isDirectory = segments[^1].Length == 0;
        if (isDirectory) segments = segments[..^1];
        if (segments.Length == 0) return $"'{Shorten(text)}' has no module";
        module = segments[0];
        if (!IsSafeName(module, allowAllPrintable: false)) return $"'{Shorten(text)}': module '{module}' is not a plain name";
        path = segments[1..];
        foreach (var s in path)
            if (!IsSafeName(s, allowAllPrintable: true)) return $"'{Shorten(text)}': unsafe path segment '{s}'";
        return null;
    }

    /// <summary>
    /// A host name or IPv4 address (letters, digits, '.', '-'; not starting with '-' or '.'), or a bracketed IPv6
    /// literal, optionally followed by <c>:port</c>.
    /// </summary>
    internal static string? CheckAuthority(string authority)
    {
        if (authority.Length == 0) return "no host";
        string host = authority;
        string? port = null;
        if (authority[0] == '[')
        {
            int close = authority.IndexOf(']');
            if (close < 0) return "unterminated IPv6 literal";
            host = authority[..(close + 1)];
            string after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') return "junk after IPv6 literal";
                port = after[1..];
            }
            if (host.Length < 4 || !host[1..^1].All(c => char.IsAsciiHexDigit(c) || c is ':' or '.')) return $"bad IPv6 literal '{host}'";
        }
        else
        {
            int colon = authority.IndexOf(':');
            if (colon >= 0)
            {
                host = authority[..colon];
                port = authority[(colon + 1)..];
            }
            if (host.Length == 0 || host.Length > 253) return "bad host length";
            if (host[0] is '-' or '.' || host.Contains("..", StringComparison.Ordinal)) return $"bad host '{host}'";
            foreach (char c in host)
                if (!char.IsAsciiLetterOrDigit(c) && c is not '.' and not '-') return $"bad character in host '{host}'";
        }
        if (port is not null && (port.Length is 0 or > 5 || !port.All(char.IsAsciiDigit) || int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) is 0 or > 65535))
            return $"bad port '{port}'";
        return null;
    }

    /// <summary>
    /// A single file or directory name that cannot climb out of its directory or confuse a shell-less argument
    /// list: not empty, not '.' or '..', no '/', '\' or control character. Modules are restricted further to
    /// letters, digits, '.', '_', '-' and may not start with '-' or '.'.
    /// </summary>
    internal static bool IsSafeName(string s, bool allowAllPrintable)
    {
        if (s.Length is 0 or > MaxSegmentLength || s == "." || s == "..") return false;
        if (!allowAllPrintable && s[0] is '-' or '.') return false;
        foreach (char c in s)
        {
            if (c is <= ' ' or > '~' or '/' or '\\') return false;
            if (!allowAllPrintable && !char.IsAsciiLetterOrDigit(c) && c is not '.' and not '_' and not '-') return false;
        }
        return true;
    }

    internal static string Shorten(string s) => s.Length <= 200 ? s : s[..200] + "…";

    public bool Equals(RsyncUri? other) => other is not null && other.Text == Text;
    public override bool Equals(object? obj) => Equals(obj as RsyncUri);
    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);
    public override string ToString() => Text;
}
