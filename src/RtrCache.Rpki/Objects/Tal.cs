using System.Collections.Immutable;

namespace RtrCache.Rpki.Objects;

/// <summary>
/// A Trust Anchor Locator (RFC 8630): optional leading comment lines, one or more rsync or https URIs of the TA
/// certificate (all with the same file name), an empty line, and the TA's SubjectPublicKeyInfo in base64.
/// </summary>
public sealed class Tal : RpkiObject
{
    private Tal(string name, ImmutableArray<string> comments, ImmutableArray<string> uris, RpkiPublicKey key)
    {
        Name = name;
        Comments = comments;
        Uris = uris;
        PublicKey = key;
    }

    public override RpkiObjectType Type => RpkiObjectType.TrustAnchorLocator;

    /// <summary>The TAL's name (usually its file name without .tal).</summary>
    public string Name { get; }

    /// <summary>Comment lines, without the leading '#'.</summary>
    public ImmutableArray<string> Comments { get; }

    /// <summary>The TA certificate URIs in file order.</summary>
    public ImmutableArray<string> Uris { get; }

    /// <summary>The URIs to try in order: https first (as rpki-client and Routinator do), then rsync.</summary>
    public IEnumerable<string> PreferredUris
        => Uris.Where(IsHttps).Concat(Uris.Where(u => !IsHttps(u)));

    public RpkiPublicKey PublicKey { get; }

    /// <summary>The DER SubjectPublicKeyInfo the TA certificate must carry, byte for byte.</summary>
    public ReadOnlySpan<byte> SubjectPublicKeyInfo => PublicKey.SubjectPublicKeyInfoSpan;

    public override DateTimeOffset? ExpiresAt => null;
    public override string? CheckValidityAt(DateTimeOffset now) => null;

    /// <summary>True when <paramref name="certificate"/> carries exactly this TAL's key.</summary>
    public bool MatchesKey(ResourceCertificate certificate) => certificate.SubjectPublicKeyInfo.SequenceEqual(SubjectPublicKeyInfo);

    private static bool IsHttps(string uri) => uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Reads every <c>*.tal</c> file of <paramref name="directory"/> in name order, each named after its file. A file
    /// that cannot be read or parsed is skipped and reported through <paramref name="skipped"/> (path, reason), so
    /// one broken TAL does not stop the others.
    /// </summary>
    public static List<Tal> LoadDirectory(string directory, Action<string, string> skipped)
    {
        var tals = new List<Tal>();
        foreach (var path in Directory.GetFiles(directory, "*.tal").Order(StringComparer.Ordinal))
        {
            try
            {
                var decoded = Decode(File.ReadAllBytes(path), Path.GetFileNameWithoutExtension(path));
                if (decoded.IsSuccess) tals.Add(decoded.Value!);
                else skipped(path, decoded.Error!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                skipped(path, e.Message);
            }
        }
        return tals;
    }

    /// <summary>Decodes TAL bytes (UTF-8 text).</summary>
    public static Decoded<Tal> Decode(ReadOnlyMemory<byte> bytes, string name)
    {
        if (bytes.Length > 64 * 1024) return Decoded<Tal>.Failure($"TAL {name}: larger than 64 KiB");
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, true).GetString(bytes.Span);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return Decoded<Tal>.Failure($"TAL {name}: not UTF-8 text");
        }
        return Parse(text, name);
    }

    /// <summary>Parses TAL text.</summary>
    public static Decoded<Tal> Parse(string text, string name)
    {
        string what = $"TAL {name}";
        if (text.Length > 64 * 1024) return Decoded<Tal>.Failure($"{what}: larger than 64 KiB");
        try
        {
            return Decoded<Tal>.Success(ParseCore(text, name, what));
        }
        catch (RpkiDecodeException e)
        {
            return Decoded<Tal>.Failure(e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Decoded<Tal>.Failure($"{what}: malformed ({e.Message})");
        }
    }

    private static Tal ParseCore(string text, string name, string what)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int i = 0;
        var comments = ImmutableArray.CreateBuilder<string>();
        while (i < lines.Length && lines[i].StartsWith('#')) comments.Add(lines[i++][1..].Trim());
        var uris = ImmutableArray.CreateBuilder<string>();
        while (i < lines.Length && lines[i].Trim().Length > 0)
        {
            string uri = lines[i++].Trim();
            if (!uri.StartsWith("rsync://", StringComparison.OrdinalIgnoreCase) && !IsHttps(uri))
                throw Decoding.Fail($"{what}: '{uri}' is neither an rsync:// nor an https:// URI");
            ResourceCertificate.CheckUri(uri, "TA", what);
            string host = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
            if (host.Length == 0 || host[0] == '/' || !host.Contains('/', StringComparison.Ordinal) || uri.EndsWith('/'))
                throw Decoding.Fail($"{what}: '{uri}' does not name a file on a host");
            uris.Add(uri);
        }
        if (uris.Count == 0) throw Decoding.Fail($"{what}: no TA certificate URI");
        string fileName = uris[0][(uris[0].LastIndexOf('/') + 1)..];
        foreach (var uri in uris)
            if (uri[(uri.LastIndexOf('/') + 1)..] != fileName)
                throw Decoding.Fail($"{what}: the URIs name different files ({fileName} and {uri[(uri.LastIndexOf('/') + 1)..]})");
        if (i >= lines.Length) throw Decoding.Fail($"{what}: no empty line and public key after the URIs");
        i++; // the empty separator line
        var base64 = string.Concat(lines.Skip(i).Select(l => l.Trim()));
        if (base64.Length == 0) throw Decoding.Fail($"{what}: no public key");
        byte[] spki;
        try
        {
            spki = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw Decoding.Fail($"{what}: the public key is not valid base64");
        }
        var key = RpkiPublicKey.DecodeCore(spki, $"{what}: public key");
        if (key.Algorithm != PublicKeyAlgorithm.Rsa) throw Decoding.Fail($"{what}: the trust anchor key must be RSA");
        return new Tal(name, comments.ToImmutable(), uris.ToImmutable(), key);
    }

    public override string ToString() => $"TAL {Name} ({Uris.Length} URIs, key {PublicKey.KeyIdentifier})";
}
