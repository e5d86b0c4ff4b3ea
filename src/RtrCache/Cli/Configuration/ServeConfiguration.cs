using System.Collections;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace RtrCache.Host.Cli.Configuration;

/// <summary>
/// Configuration of <c>rtrcache serve</c> by file and environment, on top of its command-line flags.
/// <para><b>Sources and precedence</b>, per option: a flag on the command line, else <c>RTRCACHE__*</c>
/// environment variables (<see cref="EnvironmentReader"/>), else the JSON file named by <c>--config FILE</c>
/// or <c>RTRCACHE_CONFIG</c> (<see cref="ConfigFileReader"/>), else the option's default. A source replaces a
/// lower one's values for that option entirely; repeatable options are not merged across sources.</para>
/// <para><b>How</b>: nothing here knows the options of <c>serve</c>. It reads them from the command at run time
/// (<see cref="OptionCatalog"/>), turns each file or environment value into a <c>--name=value</c> token for
/// options the command line does not already give, appends those tokens to the arguments and parses once, so
/// every value goes through exactly the same parsing and checks as a typed flag. The <c>=</c> form keeps a value
/// that starts with <c>-</c> or <c>@</c> from being read as an option or a response file.</para>
/// <para><b>Errors</b> (unknown key, wrong JSON type, invalid JSON, a value the option's parser refuses) stop
/// start-up with exit code 2 and messages naming the file and line, or the variable, the key and the value.
/// Values refused later by <see cref="ServeCommand"/>'s own checks are traced back through the
/// <see cref="ConfigurationProvenance"/> the parse fills in.</para>
/// </summary>
public static class ServeConfiguration
{
    /// <summary>The flag that names the configuration file.</summary>
    public const string ConfigOptionName = "--config";

    /// <summary>Names the configuration file when <c>--config</c> is not given (one underscore: it is not an option value).</summary>
    public const string ConfigEnvironmentVariable = "RTRCACHE_CONFIG";

    /// <summary>Prefix of the variables that set options, ASP.NET Core style (double underscore).</summary>
    public const string EnvironmentPrefix = "RTRCACHE__";

    /// <summary>Exit code for a configuration that stops start-up, the same as for bad flags in <see cref="ServeCommand"/>.</summary>
    public const int ConfigurationErrorExitCode = 2;

    /// <summary>A new <c>--config</c> option for the serve command (new per command: options belong to one parent).</summary>
    public static Option<string> CreateConfigOption() => new(ConfigOptionName)
    {
        Description = $"JSON file of serve options (keys = option names without dashes, e.g. \"rtr-listen\": [\"127.0.0.1:3323\"]); also {ConfigEnvironmentVariable}. Precedence: flags > {EnvironmentPrefix}* environment > file > defaults",
        HelpName = "FILE",
    };

    /// <summary>The process environment as a dictionary (the only place this class reads global state).</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
            if (e.Key is string k && e.Value is string v) result[k] = v;
        return result;
    }

    /// <summary>
    /// Parses <paramref name="args"/> for <paramref name="root"/>; when the command is <paramref name="serve"/>
    /// (and not its help), adds the values of the configuration file and the environment first and records
    /// where they came from in <paramref name="provenance"/>. For any other command this is just one parse.
    /// </summary>
    public static ConfiguredParse Parse(
        RootCommand root, Command serve, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, ConfigurationProvenance provenance)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(serve);
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(provenance);

        var commandLine = root.Parse(args);
        // Help, version and other commands never read the configuration: `serve --help` works with a broken file.
        bool runsServe = commandLine.CommandResult.Command == serve
                         && (commandLine.Action == serve.Action || commandLine.Action is ParseErrorAction);
        if (!runsServe) return new ConfiguredParse(commandLine, []);

        var configOption = serve.Options.FirstOrDefault(o => o.Name == ConfigOptionName);
        var catalog = OptionCatalog.For(serve, configOption);
        var errors = new List<string>();

        var fromFile = new List<ConfiguredOption>();
        if (ConfigFile(commandLine, configOption, environment) is { } file)
            fromFile = ReadFile(file.Path, file.NamedBy, catalog, errors);
        var fromEnvironment = EnvironmentReader.Read(environment, catalog, errors);
        if (errors.Count > 0) return new ConfiguredParse(null, errors);

        var extra = new List<string>();
        foreach (var option in catalog.Options)
        {
            if (commandLine.GetResult(option.Option) is { Implicit: false }) continue;
            var chosen = fromEnvironment.FirstOrDefault(c => c.Option == option) ?? fromFile.FirstOrDefault(c => c.Option == option);
            if (chosen is null) continue;
            foreach (var value in chosen.Values)
            {
                extra.Add($"{option.Option.Name}={value.Text}");
                provenance.Add(option.Option, value.Text, value.Origin);
            }
        }
        if (extra.Count == 0) return new ConfiguredParse(commandLine, []);

        // Before a "--" (everything after it is an argument, not an option); there is none in practice.
        var all = args.ToList();
        int end = all.IndexOf("--");
        all.InsertRange(end >= 0 ? end : all.Count, extra);
        var parsed = root.Parse(all);

        // Parse errors about values from the file or the environment name their origin and exit 2; errors
        // only about typed flags keep System.CommandLine's usual report (with help).
        var messages = new List<string>();
        bool fromConfiguration = false;
        foreach (var error in parsed.Errors)
        {
            if (OptionOf(error.SymbolResult) is { } option && provenance.OriginsOf(option.Name).Count > 0)
            {
                fromConfiguration = true;
                messages.Add(provenance.AnnotateParseError(option, error.Message));
            }
            else
            {
                messages.Add(error.Message);
            }
        }
        return fromConfiguration ? new ConfiguredParse(null, messages) : new ConfiguredParse(parsed, []);
    }

    private static (string Path, string NamedBy)? ConfigFile(ParseResult commandLine, Option? configOption, IReadOnlyDictionary<string, string> environment)
    {
        if (configOption is not null && commandLine.GetResult(configOption) is { Implicit: false, Tokens.Count: > 0 } given)
            return (given.Tokens[^1].Value, ConfigOptionName);
        if (environment.TryGetValue(ConfigEnvironmentVariable, out var path) && path.Length > 0)
            return (path, $"environment variable {ConfigEnvironmentVariable}");
        return null;
    }

    private static List<ConfiguredOption> ReadFile(string path, string namedBy, OptionCatalog catalog, List<string> errors)
    {
        byte[] content;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                errors.Add($"{namedBy} {path}: file not found");
                return [];
            }
            if (info.Length > ConfigFileReader.MaxBytes)
            {
                errors.Add($"{namedBy} {path}: {info.Length} bytes is not a configuration file (at most {ConfigFileReader.MaxBytes})");
                return [];
            }
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{namedBy} {path}: cannot read: {e.Message}");
            return [];
        }
        return ConfigFileReader.Parse(content, path, catalog, errors);
    }

    private static Option? OptionOf(SymbolResult? result)
    {
        for (var r = result; r is not null; r = r.Parent)
            if (r is OptionResult o) return o.Option;
        return null;
    }
}

/// <summary>
/// The outcome of <see cref="ServeConfiguration.Parse"/>: either a parse result to invoke, or configuration
/// errors that stop start-up.
/// </summary>
public sealed class ConfiguredParse
{
    internal ConfiguredParse(ParseResult? result, IReadOnlyList<string> errors)
    {
        Result = result;
        Errors = errors;
    }

    /// <summary>The final parse (command line plus file and environment values); null when <see cref="Errors"/> is not empty.</summary>
    public ParseResult? Result { get; }

    /// <summary>Messages naming file and line or variable, key and value; not empty means start-up stops with exit 2.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>Runs the command, or prints the errors as <c>rtrcache serve: MESSAGE</c> and returns 2.</summary>
    public async Task<int> InvokeAsync(TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (Errors.Count > 0 || Result is null)
        {
            foreach (var e in Errors) await error.WriteLineAsync($"rtrcache serve: {e}").ConfigureAwait(false);
            return ServeConfiguration.ConfigurationErrorExitCode;
        }
        return await Result.InvokeAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
