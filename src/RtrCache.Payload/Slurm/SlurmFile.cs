using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using RtrCache.Payload.Formats;

namespace RtrCache.Payload.Slurm;

/// <summary>
/// One parsed SLURM file (RFC 8416, version 1; draft-ietf-sidrops-aspa-slurm-04, version 2): the operator's local
/// filters and assertions. Kept per file because RFC 8416 §4.2 requires several files to be checked against each
/// other before they are combined (<see cref="SlurmPolicy"/>), and errors must name the file.
/// </summary>
/// <remarks>
/// Parsing is strict, like rpki-rs: unknown members, missing required members, duplicate members and values of the
/// wrong type reject the whole file. Version 1 has <c>prefixFilters</c>/<c>bgpsecFilters</c> and
/// <c>prefixAssertions</c>/<c>bgpsecAssertions</c>; version 2 needs exactly those plus <c>aspaFilters</c> /
/// <c>aspaAssertions</c>. Lenient only where real files differ: base64 keys in either alphabet with or without
/// padding, and <c>customerAsid</c> (rpki-rs/Routinator spelling) as an alias of <c>customerAsn</c> in
/// <c>aspaFilters</c>.
/// </remarks>
public sealed class SlurmFile
{
    internal SlurmFile(string sourceName, int version,
        ImmutableArray<SlurmPrefixFilter> prefixFilters, ImmutableArray<SlurmBgpsecFilter> bgpsecFilters,
        ImmutableArray<SlurmAspaFilter> aspaFilters, ImmutableArray<SlurmPrefixAssertion> prefixAssertions,
        ImmutableArray<SlurmBgpsecAssertion> bgpsecAssertions, ImmutableArray<SlurmAspaAssertion> aspaAssertions)
    {
        SourceName = sourceName;
        Version = version;
        PrefixFilters = prefixFilters;
        BgpsecFilters = bgpsecFilters;
        AspaFilters = aspaFilters;
        PrefixAssertions = prefixAssertions;
        BgpsecAssertions = bgpsecAssertions;
        AspaAssertions = aspaAssertions;
    }

    /// <summary>The name used in error messages (usually the path the file was read from).</summary>
    public string SourceName { get; }

    /// <summary><c>slurmVersion</c>: 1 or 2.</summary>
    public int Version { get; }

    public ImmutableArray<SlurmPrefixFilter> PrefixFilters { get; }
    public ImmutableArray<SlurmBgpsecFilter> BgpsecFilters { get; }
    public ImmutableArray<SlurmAspaFilter> AspaFilters { get; }
    public ImmutableArray<SlurmPrefixAssertion> PrefixAssertions { get; }
    public ImmutableArray<SlurmBgpsecAssertion> BgpsecAssertions { get; }
    public ImmutableArray<SlurmAspaAssertion> AspaAssertions { get; }

    public override string ToString()
        => $"{SourceName}: SLURM v{Version}, {PrefixFilters.Length} prefix / {BgpsecFilters.Length} BGPsec / {AspaFilters.Length} ASPA filters, "
           + $"{PrefixAssertions.Length} prefix / {BgpsecAssertions.Length} BGPsec / {AspaAssertions.Length} ASPA assertions";

    /// <summary>Parses a SLURM file; see <see cref="SlurmParseResult"/> for the error format.</summary>
    public static SlurmParseResult Parse(ReadOnlySpan<byte> utf8, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (utf8.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8 = utf8[3..];
        if (Utf8Text.FindError(utf8) is string encodingError) return SlurmParseResult.Failed($"{sourceName}: {encodingError}");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions
            {
                AllowTrailingCommas = false,
                CommentHandling = JsonCommentHandling.Disallow,
                MaxDepth = 32,
            });
        }
        catch (JsonException ex)
        {
            string message = ex.Message;
            int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
        message = message.Replace(" Change the reader options.", "", StringComparison.Ordinal);
            return SlurmParseResult.Failed(ex.LineNumber is long line
                ? $"{sourceName}: JSON syntax error at line {line + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}: {message}"
                : $"{sourceName}: JSON syntax error: {message}");
        }
        using (doc)
        {
            try
            {
                return SlurmParseResult.Ok(ReadRoot(doc.RootElement, sourceName));
            }
            catch (SlurmFormatException ex)
            {
                return SlurmParseResult.Failed($"{sourceName}: {ex.Message}");
            }
        }
    }

    /// <summary>Parses SLURM text (convenience for tests and configuration APIs).</summary>
    public static SlurmParseResult Parse(string json, string sourceName) => Parse(Encoding.UTF8.GetBytes(json), sourceName);

    // ------------------------------------------------------------------ parser

    private sealed class SlurmFormatException(string message) : Exception(message);

    private static SlurmFormatException Fail(string path, string message) => new($"{path}: {message}");

    private const string VersionMember = "slurmVersion";
    private const string FiltersMember = "validationOutputFilters";
    private const string AssertionsMember = "locallyAddedAssertions";

    private static SlurmFile ReadRoot(JsonElement root, string sourceName)
    {
        var top = Members(root, "(top level)", [VersionMember, FiltersMember, AssertionsMember]);
        var versionElement = Required(top, VersionMember, "(top level)");
        if (versionElement.ValueKind != JsonValueKind.Number || !versionElement.TryGetInt32(out int version) || version is not (1 or 2))
            throw Fail(VersionMember, $"unsupported value {Raw(versionElement)} (expected 1 or 2)");
        bool v2 = version == 2;

        var filters = Members(Required(top, FiltersMember, "(top level)"), FiltersMember,
            v2 ? ["prefixFilters", "bgpsecFilters", "aspaFilters"] : ["prefixFilters", "bgpsecFilters"], version);
        var assertions = Members(Required(top, AssertionsMember, "(top level)"), AssertionsMember,
            v2 ? ["prefixAssertions", "bgpsecAssertions", "aspaAssertions"] : ["prefixAssertions", "bgpsecAssertions"], version);

        var prefixFilters = ReadArray(filters, FiltersMember, "prefixFilters", ReadPrefixFilter);
        var bgpsecFilters = ReadArray(filters, FiltersMember, "bgpsecFilters", ReadBgpsecFilter);
        var aspaFilters = v2 ? ReadArray(filters, FiltersMember, "aspaFilters", ReadAspaFilter) : [];
        var prefixAssertions = ReadArray(assertions, AssertionsMember, "prefixAssertions", ReadPrefixAssertion);
        var bgpsecAssertions = ReadArray(assertions, AssertionsMember, "bgpsecAssertions", ReadBgpsecAssertion);
        var aspaAssertions = v2 ? ReadArray(assertions, AssertionsMember, "aspaAssertions", ReadAspaAssertion) : [];

        return new SlurmFile(sourceName, version, prefixFilters, bgpsecFilters, aspaFilters, prefixAssertions, bgpsecAssertions, aspaAssertions);
    }

    private static Dictionary<string, JsonElement> Members(JsonElement e, string path, ReadOnlySpan<string> allowed, int version = 0)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Fail(path, $"expected an object, found {Kind(e)}");
        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            if (!allowed.Contains(p.Name))
            {
                if (version == 1 && p.Name is "aspaFilters" or "aspaAssertions")
                    throw Fail(path, $"member \"{p.Name}\" requires slurmVersion 2");
                throw Fail(path, $"unknown member \"{p.Name}\"");
            }
            if (!members.TryAdd(p.Name, p.Value)) throw Fail(path, $"duplicate member \"{p.Name}\"");
        }
        return members;
    }

    private static JsonElement Required(Dictionary<string, JsonElement> members, string name, string path)
        => members.TryGetValue(name, out var e) ? e : throw Fail(path, $"missing member \"{name}\"");

    private delegate T EntryReader<T>(JsonElement element, string path);

    private static ImmutableArray<T> ReadArray<T>(Dictionary<string, JsonElement> parent, string parentPath, string name, EntryReader<T> read)
    {
        var array = Required(parent, name, parentPath);
        string path = parentPath + "." + name;
        if (array.ValueKind != JsonValueKind.Array) throw Fail(path, $"expected an array, found {Kind(array)}");
        var result = ImmutableArray.CreateBuilder<T>(array.GetArrayLength());
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            result.Add(read(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]")));
            i++;
        }
        return result.MoveToImmutable();
    }

    private static SlurmPrefixFilter ReadPrefixFilter(JsonElement e, string path)
    {
        var m = Members(e, path, ["prefix", "asn", "comment"]);
        IpPrefix? prefix = m.TryGetValue("prefix", out var p) ? ReadPrefix(p, path + ".prefix") : null;
        uint? asn = m.TryGetValue("asn", out var a) ? ReadAsn(a, path + ".asn") : null;
        if (prefix is null && asn is null) throw Fail(path, "a prefix filter needs \"prefix\", \"asn\" or both");
        return new SlurmPrefixFilter(prefix, asn, ReadComment(m, path));
    }

    private static SlurmBgpsecFilter ReadBgpsecFilter(JsonElement e, string path)
    {
        var m = Members(e, path, ["asn", "SKI", "comment"]);
        uint? asn = m.TryGetValue("asn", out var a) ? ReadAsn(a, path + ".asn") : null;
        ImmutableArray<byte>? ski = m.TryGetValue("SKI", out var s) ? ReadSki(s, path + ".SKI") : null;
        if (asn is null && ski is null) throw Fail(path, "a BGPsec filter needs \"asn\", \"SKI\" or both");
        return new SlurmBgpsecFilter(asn, ski, ReadComment(m, path));
    }

    private static SlurmAspaFilter ReadAspaFilter(JsonElement e, string path)
    {
        var m = Members(e, path, ["customerAsn", "customerAsid", "comment"]);
        bool hasAsn = m.TryGetValue("customerAsn", out var c1);
        bool hasAsid = m.TryGetValue("customerAsid", out var c2);
        if (hasAsn && hasAsid) throw Fail(path, "both \"customerAsn\" and its alias \"customerAsid\" given");
        if (!hasAsn && !hasAsid) throw Fail(path, "missing member \"customerAsn\"");
        uint customer = hasAsn ? ReadAsn(c1, path + ".customerAsn") : ReadAsn(c2, path + ".customerAsid");
        return new SlurmAspaFilter(customer, ReadComment(m, path));
    }

    private static SlurmPrefixAssertion ReadPrefixAssertion(JsonElement e, string path)
    {
        var m = Members(e, path, ["prefix", "asn", "maxPrefixLength", "comment"]);
        var prefix = ReadPrefix(Required(m, "prefix", path), path + ".prefix");
        uint asn = ReadAsn(Required(m, "asn", path), path + ".asn");
        byte? maxLength = null;
        if (m.TryGetValue("maxPrefixLength", out var ml))
        {
            if (ml.ValueKind != JsonValueKind.Number || !ml.TryGetInt32(out int value))
                throw Fail(path + ".maxPrefixLength", $"{Raw(ml)} is not an integer");
            if (value < prefix.Length || value > prefix.FamilyBits)
                throw Fail(path + ".maxPrefixLength", $"{value} outside {prefix.Length}..{prefix.FamilyBits} for {PrefixText.ToString(prefix)}");
            maxLength = (byte)value;
        }
        return new SlurmPrefixAssertion(prefix, asn, maxLength, ReadComment(m, path));
    }

    private static SlurmBgpsecAssertion ReadBgpsecAssertion(JsonElement e, string path)
    {
        var m = Members(e, path, ["asn", "SKI", "routerPublicKey", "comment"]);
        uint asn = ReadAsn(Required(m, "asn", path), path + ".asn");
        var ski = ReadSki(Required(m, "SKI", path), path + ".SKI");
        var keyElement = Required(m, "routerPublicKey", path);
        string keyPath = path + ".routerPublicKey";
        if (keyElement.ValueKind != JsonValueKind.String) throw Fail(keyPath, $"expected a base64url string, found {Kind(keyElement)}");
        string keyText = keyElement.GetString()!;
        if (!Base64Text.TryDecode(keyText, out var key)) throw Fail(keyPath, $"'{Clip(keyText)}' is not valid base64url");
        if (key.Length > RouterKey.MaxSpkiLength) throw Fail(keyPath, $"key of {key.Length} octets is too long for an RTR Router Key PDU");
        return new SlurmBgpsecAssertion(asn, ski, [.. key], ReadComment(m, path));
    }

    private static SlurmAspaAssertion ReadAspaAssertion(JsonElement e, string path)
    {
        var m = Members(e, path, ["customerAsn", "providerAsns", "comment"]);
        uint customer = ReadAsn(Required(m, "customerAsn", path), path + ".customerAsn");
        var list = Required(m, "providerAsns", path);
        string listPath = path + ".providerAsns";
        if (list.ValueKind != JsonValueKind.Array) throw Fail(listPath, $"expected an array of AS numbers, found {Kind(list)}");
        var providers = new List<uint>(list.GetArrayLength());
        int i = 0;
        foreach (var p in list.EnumerateArray())
        {
            providers.Add(ReadAsn(p, string.Create(CultureInfo.InvariantCulture, $"{listPath}[{i}]")));
            i++;
        }
        if (RpkiClientJson.CheckProviders(customer, providers) is string problem) throw Fail(listPath, problem);
        return new SlurmAspaAssertion(customer, [.. providers], ReadComment(m, path));
    }

    private static IpPrefix ReadPrefix(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.String) throw Fail(path, $"expected a prefix string, found {Kind(e)}");
        return PrefixText.TryParse(e.GetString()!, out var prefix, out var error) ? prefix : throw Fail(path, error);
    }

    private static uint ReadAsn(JsonElement e, string path)
        => e.ValueKind == JsonValueKind.Number && e.TryGetUInt32(out uint asn)
            ? asn
            : throw Fail(path, $"{Raw(e)} is not an AS number (integer 0..4294967295)");

    private static ImmutableArray<byte> ReadSki(JsonElement e, string path)
    {
        if (e.ValueKind != JsonValueKind.String) throw Fail(path, $"expected a base64url string, found {Kind(e)}");
        string text = e.GetString()!;
        if (!Base64Text.TryDecode(text, out var ski)) throw Fail(path, $"'{Clip(text)}' is not valid base64url");
        if (ski.Length != RouterKey.SkiLength) throw Fail(path, $"'{Clip(text)}' decodes to {ski.Length} octets, a SKI has {RouterKey.SkiLength}");
        return [.. ski];
    }

    private static string? ReadComment(Dictionary<string, JsonElement> m, string path)
    {
        if (!m.TryGetValue("comment", out var c)) return null;
        return c.ValueKind == JsonValueKind.String ? c.GetString() : throw Fail(path + ".comment", $"expected a string, found {Kind(c)}");
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    private static string Raw(JsonElement e) => e.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? Kind(e) : Clip(e.GetRawText());

    private static string Clip(string s) => s.Length <= 80 ? s : s[..77] + "...";
}
