using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RtrCache.Host.Cli.Configuration;

/// <summary>
/// Where one option value came from when it was not typed on the command line: a line of the configuration
/// file or an environment variable. Error messages start with <see cref="Description"/> so an operator is sent
/// to the exact place to fix, e.g. <c>/etc/rtrcache/rtrcache.json line 7: "rtr-listen": "127.0.0.1"</c> or
/// <c>environment variable RTRCACHE__HISTORY: "-1"</c>.
/// </summary>
public sealed class ValueOrigin
{
    private ValueOrigin(string description, string? file, int line)
    {
        Description = description;
        File = file;
        Line = line;
    }

    /// <summary>Where the value came from and the value as it was written there.</summary>
    public string Description { get; }

    /// <summary>The configuration file, or null for an environment variable.</summary>
    public string? File { get; }

    /// <summary>1-based line in <see cref="File"/>; 0 for an environment variable.</summary>
    public int Line { get; }

    /// <summary>A value of a configuration file: <paramref name="key"/> is shown as written, e.g. <c>"allow"[1]</c>,
    /// <paramref name="json"/> is the JSON text of the value.</summary>
    public static ValueOrigin FromFile(string path, int line, string key, string json)
        => new($"{path} line {line.ToString(CultureInfo.InvariantCulture)}: {key}: {json}", path, line);

    /// <summary>A value of an environment variable (one element of it for a comma-separated list).</summary>
    public static ValueOrigin FromEnvironment(string variable, string value)
        => new($"environment variable {variable}: {Quote(value)}", null, 0);

    public override string ToString() => Description;

    /// <summary>A string as a JSON string literal, so blanks and empty values are visible in messages.</summary>
    internal static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}

/// <summary>
/// Which option values of <c>rtrcache serve</c> came from the configuration file or the environment, and
/// where exactly. The configuration layer turns those values into ordinary command-line tokens, so the
/// option checks in <see cref="ServeCommand"/> see only "<c>--rtr-listen 127.0.0.1</c>"; this map lets them
/// say instead where the operator wrote it (<see cref="Annotate"/>). Values typed on the command line are not
/// recorded: their messages already name the flag the operator typed.
/// <para>One instance per parse, filled by <see cref="ServeConfiguration.Parse"/> before the command runs and
/// only read afterwards.</para>
/// </summary>
public sealed partial class ConfigurationProvenance
{
    private readonly Dictionary<string, List<(string Value, ValueOrigin Origin)>> _byName = new(StringComparer.Ordinal);

    /// <summary>True when no value came from a file or the environment.</summary>
    public bool IsEmpty => _byName.Count == 0;

    /// <summary>The recorded values of an option (by its name or any alias, with dashes), in command-line order.</summary>
    public IReadOnlyList<(string Value, ValueOrigin Origin)> OriginsOf(string optionName)
        => _byName.TryGetValue(optionName, out var list) ? list : [];

    internal void Add(Option option, string value, ValueOrigin origin)
    {
        foreach (var name in option.Aliases.Prepend(option.Name).Distinct(StringComparer.Ordinal))
        {
            if (!_byName.TryGetValue(name, out var list)) _byName[name] = list = [];
            list.Add((value, origin));
        }
    }

    /// <summary>
    /// Rewrites a start-up error of the form <c>--option value: problem</c> so that it names the file line or
    /// environment variable the value came from; other options the message mentions that came from there are
    /// added in parentheses. A message about command-line values comes back unchanged.
    /// </summary>
    /// <example><c>--rtr-listen 127.0.0.1: expected ADDRESS:PORT</c> becomes
    /// <c>rtrcache.json line 7: "rtr-listen": "127.0.0.1": expected ADDRESS:PORT</c>.</example>
    public string Annotate(string message)
    {
        if (IsEmpty) return message;
        string? described = null;
        string text = message;
        var lead = LeadingOption().Match(message);
        string rest = lead.Success ? message[lead.Length..] : "";
        // Only "--name value: …", "--name: …" and "--name …" lead with the option; "--a/--b: …" merely mentions it.
        if (lead.Success && (rest.Length == 0 || rest[0] is ' ' or ':') && _byName.TryGetValue(lead.Value, out var origins))
        {
            var exact = origins
                .Where(o => rest.StartsWith(" " + o.Value, StringComparison.Ordinal) && IsBoundary(rest, o.Value.Length + 1))
                .OrderByDescending(o => o.Value.Length)
                .FirstOrDefault();
            if (exact.Origin is not null)
            {
                text = exact.Origin.Description + rest[(exact.Value.Length + 1)..];
                described = lead.Value;
            }
            else if (Pick(origins, message) is { } origin)
            {
                text = origin.Description + rest;
                described = lead.Value;
            }
        }

        var others = MentionedOption().Matches(message)
            .Select(m => m.Value)
            .Where(n => n != described && _byName.ContainsKey(n))
            .Distinct(StringComparer.Ordinal)
            .Select(n => $"{n}: {string.Join("; ", _byName[n].Select(o => o.Origin.Description))}")
            .ToList();
        return others.Count == 0 ? text : $"{text} ({string.Join("; ", others)})";
    }

    /// <summary>Prefixes a System.CommandLine parse error about <paramref name="option"/> with where its value came from.</summary>
    internal string AnnotateParseError(Option option, string message)
    {
        var origins = OriginsOf(option.Name);
        if (origins.Count == 0) return message;
        var origin = origins.Where(o => message.Contains($"'{o.Value}'", StringComparison.Ordinal)).Select(o => o.Origin).FirstOrDefault()
                     ?? Pick(origins, message);
        return origin is not null
            ? $"{origin.Description}: {message}"
            : $"{string.Join("; ", origins.Select(o => o.Origin.Description))}: {message}";
    }

    /// <summary>The origin a message is about: the only one, or the one whose value the message quotes (longest first).</summary>
    private static ValueOrigin? Pick(IReadOnlyList<(string Value, ValueOrigin Origin)> origins, string message)
    {
        var distinct = origins.Select(o => o.Origin).Distinct().ToList();
        if (distinct.Count == 1) return distinct[0];
        return origins
            .Where(o => o.Value.Length > 0 && message.Contains(o.Value, StringComparison.Ordinal))
            .OrderByDescending(o => o.Value.Length)
            .Select(o => o.Origin)
            .FirstOrDefault();
    }

    private static bool IsBoundary(string text, int index) => index >= text.Length || text[index] is ':' or ' ' or ',' or ';' or ')';

    [GeneratedRegex(@"^--[A-Za-z0-9][A-Za-z0-9-]*(?![A-Za-z0-9-])")]
    private static partial Regex LeadingOption();

    [GeneratedRegex(@"(?<![A-Za-z0-9-])--[A-Za-z0-9][A-Za-z0-9-]*(?![A-Za-z0-9-])")]
    private static partial Regex MentionedOption();
}
