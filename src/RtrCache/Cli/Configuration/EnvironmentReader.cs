using System.Globalization;

namespace RtrCache.Host.Cli.Configuration;

/// <summary>
/// Reads <c>RTRCACHE__*</c> environment variables (containers and systemd units set options this way).
/// The name is <c>RTRCACHE__</c> + the option's long name upper-cased with <c>-</c> → <c>_</c>, like ASP.NET
/// Core's double-underscore convention: <c>RTRCACHE__RTR_LISTEN</c>, <c>RTRCACHE__REFRESH_INTERVAL</c>.
/// <list type="bullet">
/// <item>A repeatable option takes a comma-separated list, <c>RTRCACHE__ALLOW=10.0.0.0/8,192.0.2.0/24</c>
/// (blanks around items ignored), or, for values that contain commas, indexed variables
/// <c>RTRCACHE__ALLOW__0</c>, <c>RTRCACHE__ALLOW__1</c>, … taken in index order; not both for one option.</item>
/// <item>A true/false option takes <c>true</c>/<c>false</c> (also <c>1</c>/<c>0</c>, <c>yes</c>/<c>no</c>, any case).</item>
/// <item>An empty variable counts as not set, so a deployment can blank out a value it inherits.</item>
/// <item>Any other <c>RTRCACHE__</c> variable is an error: a misspelt name must not be silently ignored.</item>
/// </list>
/// </summary>
internal static class EnvironmentReader
{
    private const string IndexSeparator = "__";

    public static List<ConfiguredOption> Read(IReadOnlyDictionary<string, string> environment, OptionCatalog catalog, List<string> errors)
    {
        var whole = new Dictionary<ConfigurableOption, (string Name, string Value)>();
        var indexed = new Dictionary<ConfigurableOption, SortedDictionary<int, (string Name, string Value)>>();
        foreach (var (name, value) in environment.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(ServeConfiguration.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) || value.Length == 0)
                continue;
            string rest = name[ServeConfiguration.EnvironmentPrefix.Length..];
            string[] parts = rest.Split(IndexSeparator);
            if (parts.Length > 2 || !catalog.TryGetByEnvironmentKey(parts[0], out var option))
            {
                errors.Add(UnknownVariable(name, parts[0], catalog));
                continue;
            }
            if (parts.Length == 1)
            {
                whole[option] = (name, value);
                continue;
            }
            if (!option.IsList)
            {
                errors.Add($"environment variable {name}: {option.Option.Name} is not repeatable; set {option.EnvironmentVariable} instead");
                continue;
            }
            if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                errors.Add($"environment variable {name}: {ValueOrigin.Quote(parts[1])} is not an index; use {option.EnvironmentVariable}__0, __1, ...");
                continue;
            }
            if (!indexed.TryGetValue(option, out var items)) indexed[option] = items = [];
            items[index] = (name, value);
        }

        var result = new List<ConfiguredOption>();
        foreach (var option in catalog.Options)
        {
            bool hasWhole = whole.TryGetValue(option, out var w);
            bool hasIndexed = indexed.TryGetValue(option, out var items);
            if (hasWhole && hasIndexed)
            {
                errors.Add($"environment variable {w.Name} and {items!.First().Value.Name}: set {option.Option.Name} one way, as a comma list or as indexed variables, not both");
                continue;
            }
            var values = new List<ConfiguredValue>();
            if (hasWhole)
            {
                var texts = option.IsList
                    ? w.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    : [w.Value];
                foreach (var t in texts)
                    if (Convert(option, w.Name, t, errors) is { } text) values.Add(new ConfiguredValue(text, ValueOrigin.FromEnvironment(w.Name, t)));
            }
            else if (hasIndexed)
            {
                foreach (var (_, (name, value)) in items!)
                    if (Convert(option, name, value, errors) is { } text) values.Add(new ConfiguredValue(text, ValueOrigin.FromEnvironment(name, value)));
            }
            else
            {
                continue;
            }
            if (values.Count > 0) result.Add(new ConfiguredOption(option, values));
        }
        return result;
    }

    /// <summary>Booleans are normalised here (the parser only knows true/false); numbers and strings go to the option's parser as written.</summary>
    private static string? Convert(ConfigurableOption option, string variable, string value, List<string> errors)
    {
        if (option.Kind != ConfigValueKind.Boolean) return value;
        switch (value.Trim().ToLowerInvariant())
        {
            case "true" or "1" or "yes":
                return "true";
            case "false" or "0" or "no":
                return "false";
            default:
                errors.Add($"{ValueOrigin.FromEnvironment(variable, value).Description}: expected true or false");
                return null;
        }
    }

    private static string UnknownVariable(string name, string key, OptionCatalog catalog)
    {
        if (string.Equals(key, "CONFIG", StringComparison.OrdinalIgnoreCase))
            return $"environment variable {name}: unknown; the configuration file is named by {ServeConfiguration.ConfigEnvironmentVariable} (one underscore)";
        string message = $"environment variable {name}: unknown option";
        return catalog.Suggest(key) is { } suggestion && catalog.TryGetByKey(suggestion, out var option)
            ? $"{message}; did you mean {option.EnvironmentVariable}?"
            : $"{message} (names are {ServeConfiguration.EnvironmentPrefix} + a serve option name upper-cased with - as _, e.g. {ServeConfiguration.EnvironmentPrefix}RTR_LISTEN)";
    }
}
