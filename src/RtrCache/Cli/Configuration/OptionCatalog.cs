using System.Collections.Frozen;
using System.CommandLine;
using System.CommandLine.Help;

namespace RtrCache.Host.Cli.Configuration;

/// <summary>The JSON value a configuration entry must have, derived from the option's value type.</summary>
internal enum ConfigValueKind
{
    /// <summary>A JSON string (paths, addresses, URLs, and any type without a better match, e.g. enums).</summary>
    String,

    /// <summary>A JSON number (integer and floating-point option types).</summary>
    Number,

    /// <summary>JSON <c>true</c> or <c>false</c>.</summary>
    Boolean,
}

/// <summary>
/// One option of the <c>serve</c> command as the configuration file and the environment see it. Everything
/// here is read from the <see cref="Option"/> itself (name, aliases, arity, value type), never from a list
/// kept by hand, so an option someone adds to <c>serve</c> tomorrow is configurable without touching this folder.
/// </summary>
/// <param name="Option">The System.CommandLine option the values are handed to.</param>
/// <param name="Key">Canonical file key: the long name without its dashes, kebab-case like the flag (<c>rtr-listen</c>).</param>
/// <param name="Keys">Every accepted file key: <see cref="Key"/> and the other long aliases without dashes.</param>
/// <param name="EnvironmentKey">The variable suffix after <c>RTRCACHE__</c>: the key upper-cased with <c>-</c> → <c>_</c>.</param>
/// <param name="IsList">True for repeatable options (arity above one): a JSON array, or a comma list / indexed variables.</param>
/// <param name="Kind">The JSON type of each value.</param>
internal sealed record ConfigurableOption(Option Option, string Key, IReadOnlyList<string> Keys, string EnvironmentKey, bool IsList, ConfigValueKind Kind)
{
    /// <summary>What a value must look like, for messages: "a number", "an array of strings", "true or false".</summary>
    public string Expected => (IsList, Kind) switch
    {
        (true, ConfigValueKind.String) => "an array of strings",
        (true, ConfigValueKind.Number) => "an array of numbers",
        (true, ConfigValueKind.Boolean) => "an array of true/false",
        (false, ConfigValueKind.Number) => "a number",
        (false, ConfigValueKind.Boolean) => "true or false",
        _ => "a string",
    };

    /// <summary>What one element of a repeatable option must be: "a string", "a number", "true or false".</summary>
    public string ElementExpected => Kind switch
    {
        ConfigValueKind.Number => "a number",
        ConfigValueKind.Boolean => "true or false",
        _ => "a string",
    };

    /// <summary>The variable name for the whole option, e.g. <c>RTRCACHE__RTR_LISTEN</c>.</summary>
    public string EnvironmentVariable => ServeConfiguration.EnvironmentPrefix + EnvironmentKey;
}

/// <summary>The configurable options of one command, looked up by file key or environment key.</summary>
internal sealed class OptionCatalog
{
    private static readonly FrozenSet<Type> NumberTypes = new[]
    {
        typeof(byte), typeof(sbyte), typeof(short), typeof(ushort), typeof(int), typeof(uint),
        typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal),
    }.ToFrozenSet();

    private readonly Dictionary<string, ConfigurableOption> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConfigurableOption> _byEnvironmentKey = new(StringComparer.OrdinalIgnoreCase);

    private OptionCatalog(IReadOnlyList<ConfigurableOption> options)
    {
        Options = options;
        foreach (var o in options)
        {
            foreach (var k in o.Keys) _byKey.TryAdd(k, o);
            foreach (var k in o.Keys) _byEnvironmentKey.TryAdd(ToEnvironmentKey(k), o);
        }
    }

    /// <summary>In the command's own order, which is also the order of the generated tokens.</summary>
    public IReadOnlyList<ConfigurableOption> Options { get; }

    /// <summary>
    /// Reads the options of <paramref name="command"/> at run time. Left out: options without a long name,
    /// options that take no value (help), and the <paramref name="excluded"/> ones (<c>--config</c> itself: a
    /// file cannot name another file).
    /// </summary>
    public static OptionCatalog For(Command command, params Option?[] excluded)
    {
        var list = new List<ConfigurableOption>();
        foreach (var option in command.Options)
        {
            if (excluded.Contains(option) || option is HelpOption || option is VersionOption || option.Arity.MaximumNumberOfValues == 0)
                continue;
            var keys = option.Aliases.Prepend(option.Name)
                .Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
                .Select(a => a[2..])
                .Distinct(StringComparer.Ordinal)
                .ToList();
            if (keys.Count == 0) continue;
            bool isList = option.Arity.MaximumNumberOfValues > 1;
            var element = ElementType(option.ValueType, isList);
            var kind = element == typeof(bool) ? ConfigValueKind.Boolean
                : NumberTypes.Contains(element) ? ConfigValueKind.Number
                : ConfigValueKind.String;
            list.Add(new ConfigurableOption(option, keys[0], keys, ToEnvironmentKey(keys[0]), isList, kind));
        }
        return new OptionCatalog(list);
    }

    public bool TryGetByKey(string key, out ConfigurableOption option) => _byKey.TryGetValue(key, out option!);

    public bool TryGetByEnvironmentKey(string key, out ConfigurableOption option) => _byEnvironmentKey.TryGetValue(key, out option!);

    /// <summary>
    /// The canonical key an unknown one was probably meant to be: the same letters in another spelling
    /// (<c>rtrListen</c>, <c>rtr_listen</c>, <c>RTR-LISTEN</c>) or one or two typing mistakes away.
    /// </summary>
    public string? Suggest(string key)
    {
        string wanted = Letters(key);
        if (wanted.Length == 0) return null;
        var same = Options.FirstOrDefault(o => o.Keys.Any(k => Letters(k) == wanted));
        if (same is not null) return same.Key;
        return Options
            .Select(o => (o.Key, Distance: Distance(Letters(o.Key), wanted)))
            .Where(x => x.Distance <= Math.Min(2, wanted.Length / 3))
            .OrderBy(x => x.Distance)
            .Select(x => x.Key)
            .FirstOrDefault();
    }

    /// <summary><c>rtr-listen</c> → <c>RTR_LISTEN</c>.</summary>
    internal static string ToEnvironmentKey(string key) => key.ToUpperInvariant().Replace('-', '_');

    private static Type ElementType(Type valueType, bool isList)
    {
        var type = Nullable.GetUnderlyingType(valueType) ?? valueType;
        if (!isList || type == typeof(string)) return type;
        if (type.IsArray) return type.GetElementType()!;
        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0] ?? type;
    }

    private static string Letters(string key) => new(key.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}

/// <summary>One value for an option, as the token text handed to the parser and where it was written.</summary>
internal sealed record ConfiguredValue(string Text, ValueOrigin Origin);

/// <summary>All values one source (the file or the environment) gives an option; empty means "leave the default".</summary>
internal sealed record ConfiguredOption(ConfigurableOption Option, IReadOnlyList<ConfiguredValue> Values);
