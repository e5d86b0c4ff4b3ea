using System.Collections.Concurrent;
using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using RtrCache.Host.Cli;
using RtrCache.Host.Cli.Configuration;
using RtrCache.Testing;

namespace RtrCache.Host.Tests;

/// <summary>
/// Configuration of <c>rtrcache serve</c> by JSON file (<c>--config</c> / <c>RTRCACHE_CONFIG</c>) and
/// <c>RTRCACHE__*</c> variables, tested on the real program started as a process: a bad file or variable
/// stops start-up with exit 2 and a message naming file and line (or variable), key and value; a good one
/// starts a server that answers where the file says; a flag beats the environment, which beats the file.
/// </summary>
[Parallelizable(ParallelScope.Children)]
public sealed class ConfigurationTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static string Sample => Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "sample", "rpki.json");

    private static string Example => Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "rtrcache.example.json");

    /// <summary>Directories made by the tests of this fixture (which run in parallel), removed at the end.</summary>
    private readonly ConcurrentBag<string> _directories = [];

    /// <summary>A fresh directory per test (tests run in parallel).</summary>
    private string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"rtrcache-config-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        _directories.Add(dir);
        return dir;
    }

    [OneTimeTearDown]
    public void RemoveDirectories()
    {
        foreach (var dir in _directories)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string WriteConfig(string dir, string text)
    {
        string path = Path.Combine(dir, "rtrcache.json");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>JSON string literal of a path, for config files written by the tests.</summary>
    private static string J(string value) => JsonSerializer.Serialize(value);

    private static async Task<(int Exit, string Error)> RunAsync(IEnumerable<string> args, Dictionary<string, string>? environment = null)
    {
        var (exit, _, error) = await ProgramProcess.RunDotnetAsync(ProgramProcess.RtrCacheDll, args, ExitTimeout, environment);
        return (exit, error);
    }

    [Test]
    public async Task A_value_the_option_refuses_names_file_line_key_and_value()
    {
        string dir = TempDirectory();
        string config = WriteConfig(dir, $$"""
            {
              // RTR side
              "json": {{J(Sample)}},
              "refresh": 3600,

              /* the next line is wrong: no port */
              "rtr-listen": "127.0.0.1",
            }
            """);
        var (exit, error) = await RunAsync(["serve", "--config", config]);
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain($"rtrcache serve: {config} line 7: \"rtr-listen\": \"127.0.0.1\": expected ADDRESS:PORT"));
    }

    [Test]
    public async Task Unknown_key_is_refused_with_the_canonical_spelling_suggested()
    {
        string dir = TempDirectory();
        string config = WriteConfig(dir, $$"""
            {
              "json": {{J(Sample)}},
              "rtrListen": ["127.0.0.1:3323"],
              "refersh": 3600
            }
            """);
        var (exit, error) = await RunAsync(["serve", "--config", config]);
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain($"{config} line 3: \"rtrListen\": unknown key; did you mean \"rtr-listen\"?"));
        Assert.That(error, Does.Contain($"{config} line 4: \"refersh\": unknown key; did you mean \"refresh\"?"), "every error of the file is reported at once");
    }

    [TestCase("\"refresh\": \"3600\"", "\"refresh\": \"3600\": expected a number")]
    [TestCase("\"rtr-listen\": { \"address\": \"127.0.0.1\" }", "\"rtr-listen\": {...}: expected an array of strings")]
    [TestCase("\"allow\": [\"10.0.0.0/8\", 5]", "\"allow\"[1]: 5: expected a string")]
    [TestCase("\"disable-rsync\": \"yes\"", "\"disable-rsync\": \"yes\": expected true or false")]
    [TestCase("\"history\": [24]", "\"history\": [...]: expected a number; only repeatable options take an array")]
    [TestCase("\"config\": \"other.json\"", "\"config\": unknown key; a configuration file cannot name another one")]
    public async Task Wrong_JSON_type_is_refused_naming_line_key_and_value(string entry, string expected)
    {
        string dir = TempDirectory();
        string config = WriteConfig(dir, $$"""
            {
              "json": {{J(Sample)}},
              {{entry}}
            }
            """);
        var (exit, error) = await RunAsync(["serve", "--config", config]);
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain($"{config} line 3: {expected}"));
    }

    [TestCase("\"max-version\": 300", "\"max-version\": 300: Cannot parse argument '300'")]
    [TestCase("\"refresh\": 1.5", "\"refresh\": 1.5: Cannot parse argument '1.5'")]
    public async Task A_value_the_option_parser_refuses_names_line_key_and_value(string entry, string expected)
    {
        string dir = TempDirectory();
        string config = WriteConfig(dir, $$"""
            {
              "json": {{J(Sample)}},
              {{entry}}
            }
            """);
        var (exit, error) = await RunAsync(["serve", "--config", config]);
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain($"{config} line 3: {expected}"));
    }

    [Test]
    public async Task Invalid_JSON_names_line_and_column()
    {
        string dir = TempDirectory();
        string config = WriteConfig(dir, $$"""
            {
              "json": {{J(Sample)}}
              "refresh": 3600
            }
            """);
        var (exit, error) = await RunAsync(["serve", "--config", config]);
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Match($@"{Regex.Escape(config)} line 3, column \d+: not valid JSON: "));
    }

    [Test]
    public async Task Missing_file_named_by_the_environment_is_refused()
    {
        string missing = Path.Combine(TempDirectory(), "absent.json");
        var (exit, error) = await RunAsync(["serve"], new() { ["RTRCACHE_CONFIG"] = missing });
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain($"environment variable RTRCACHE_CONFIG {missing}: file not found"));
    }

    [Test]
    public async Task Help_is_shown_even_with_a_broken_configuration()
    {
        string dir = TempDirectory();
        string config = WriteConfig(dir, "{ nonsense");
        var (exit, output, _) = await ProgramProcess.RunDotnetAsync(ProgramProcess.RtrCacheDll, ["serve", "--help"], ExitTimeout,
            new Dictionary<string, string> { ["RTRCACHE_CONFIG"] = config });
        Assert.That(exit, Is.EqualTo(0));
        Assert.That(output, Does.Contain("--config"));
    }

    [TestCase("RTRCACHE__RTR_LISTEN", "localhost", "environment variable RTRCACHE__RTR_LISTEN: \"localhost\": expected ADDRESS:PORT")]
    [TestCase("RTRCACHE__HISTORY", "-1", "environment variable RTRCACHE__HISTORY: \"-1\": must be 0..10000")]
    [TestCase("RTRCACHE__REFRESH", "0", "--refresh/--retry/--expire: refresh interval 0 s outside 1..86400 (--refresh: environment variable RTRCACHE__REFRESH: \"0\")")]
    [TestCase("RTRCACHE__MAX_VERSION", "two", "environment variable RTRCACHE__MAX_VERSION: \"two\": Cannot parse argument 'two'")]
    [TestCase("RTRCACHE__RTRLISTEN", "127.0.0.1:3323", "environment variable RTRCACHE__RTRLISTEN: unknown option; did you mean RTRCACHE__RTR_LISTEN?")]
    [TestCase("RTRCACHE__DISABLE_RSYNC", "maybe", "environment variable RTRCACHE__DISABLE_RSYNC: \"maybe\": expected true or false")]
    [TestCase("RTRCACHE__HISTORY__0", "5", "environment variable RTRCACHE__HISTORY__0: --history is not repeatable")]
    [TestCase("RTRCACHE__CONFIG", "x.json", "environment variable RTRCACHE__CONFIG: unknown; the configuration file is named by RTRCACHE_CONFIG")]
    public async Task Bad_environment_variable_is_refused_naming_variable_and_value(string variable, string value, string expected)
    {
        var (exit, error) = await RunAsync(["serve", "--json", Sample], new() { [variable] = value });
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain($"rtrcache serve: {expected}"));
    }

    [Test]
    public async Task Conflicting_values_from_file_and_environment_name_both_origins()
    {
        string dir = TempDirectory();
        string config = WriteConfig(dir, $$"""
            {
              "json": {{J(Sample)}}
            }
            """);
        var (exit, error) = await RunAsync(["serve", "--config", config], new() { ["RTRCACHE__TAL_DIR"] = dir });
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain($"{config} line 2: \"json\": {J(Sample)} cannot be combined with --tal-dir/--repo"));
        Assert.That(error, Does.Contain($"(--tal-dir: environment variable RTRCACHE__TAL_DIR: {J(dir)})"));
    }

    [Test]
    public async Task Valid_configuration_with_comments_and_trailing_commas_starts_the_server()
    {
        string dir = TempDirectory();
        int rtr = ProgramProcess.FreeTcpPort(), http = ProgramProcess.FreeTcpPort();
        string config = WriteConfig(dir, $$"""
            // rtrcache.json written by a test
            {
              "json": {{J(Sample)}},
              "slurm": [{{J(Path.Combine(ProgramProcess.RepositoryRoot(), "deploy", "sample", "slurm.json"))}}],
              "rtr-listen": ["127.0.0.1:{{rtr}}",],
              "http-listen": "127.0.0.1:{{http}}", // a single value for a repeatable option
              "refresh": 900, "retry": 300, "expire": 7200,
              "history": null, /* null: the default */
              "disable-rsync": false,
              "cache-dir": {{J(dir)}},
            }
            """);
        await using var server = ProgramProcess.StartDotnet(ProgramProcess.RtrCacheDll, ["serve", "--config", config]);
        var ready = await server.WaitForHttpAsync(http, "/readyz", s => s == 200, StartTimeout);
        Assert.That(ready.Body, Does.StartWith("ready"));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, rtr).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(client.Connected, "the RTR port from the file accepts connections");
    }

    /// <summary>
    /// Three listeners, three sources: the file says A, the environment B, the command line C. The server
    /// listens only where the strongest source present says; the file still provides the other options
    /// (the JSON input), so ready proves it was read.
    /// </summary>
    [TestCase(true, true)]
    [TestCase(false, true)]
    [TestCase(false, false)]
    public async Task Flag_beats_environment_beats_file(bool flag, bool environment)
    {
        string dir = TempDirectory();
        int fromFile = ProgramProcess.FreeTcpPort(), fromEnvironment = ProgramProcess.FreeTcpPort(), fromFlag = ProgramProcess.FreeTcpPort();
        string config = WriteConfig(dir, $$"""
            {
              "json": {{J(Sample)}},
              "rtr-listen": ["127.0.0.1:0"],
              "http-listen": ["127.0.0.1:{{fromFile}}"],
              "cache-dir": {{J(Path.Combine(dir, "cache"))}},
            }
            """);
        var args = new List<string> { "serve" };
        if (flag) args.AddRange(["--http-listen", $"127.0.0.1:{fromFlag}"]);
        var env = new Dictionary<string, string> { ["RTRCACHE_CONFIG"] = config };
        if (environment) env["RTRCACHE__HTTP_LISTEN"] = $"127.0.0.1:{fromEnvironment}";
        int expected = flag ? fromFlag : environment ? fromEnvironment : fromFile;

        await using var server = ProgramProcess.StartDotnet(ProgramProcess.RtrCacheDll, args, env);
        await server.WaitForHttpAsync(expected, "/readyz", s => s == 200, StartTimeout);
        foreach (int other in new[] { fromFile, fromEnvironment, fromFlag }.Where(p => p != expected))
            Assert.That((await ProgramProcess.GetAsync(other, "/healthz")).Status, Is.EqualTo(0), $"nothing listens on {other}");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Repeatable_option_from_the_environment_as_comma_list_or_indexed(bool indexed)
    {
        int a = ProgramProcess.FreeTcpPort(), b = ProgramProcess.FreeTcpPort();
        var env = indexed
            ? new Dictionary<string, string> { ["RTRCACHE__HTTP_LISTEN__0"] = $"127.0.0.1:{a}", ["RTRCACHE__HTTP_LISTEN__1"] = $"127.0.0.1:{b}" }
            : new Dictionary<string, string> { ["RTRCACHE__HTTP_LISTEN"] = $"127.0.0.1:{a}, 127.0.0.1:{b}" };
        env["RTRCACHE__JSON"] = Sample;
        env["RTRCACHE__RTR_LISTEN"] = "127.0.0.1:0";
        env["RTRCACHE__CACHE_DIR"] = TempDirectory(); // never the /var/lib/rtrcache default: saved state must not leak between tests
        await using var server = ProgramProcess.StartDotnet(ProgramProcess.RtrCacheDll, ["serve"], env);
        await server.WaitForHttpAsync(a, "/readyz", s => s == 200, StartTimeout);
        Assert.That((await ProgramProcess.GetAsync(b, "/readyz")).Status, Is.EqualTo(200));
    }

    /// <summary>
    /// deploy/rtrcache.example.json documents every serve option (as a key or a commented-out key) and is
    /// itself a valid configuration: the server starts from it (ports, input and cache directory overridden by flags).
    /// </summary>
    [Test]
    public async Task Example_configuration_documents_every_option_and_starts()
    {
        string text = await File.ReadAllTextAsync(Example);
        var missing = ServeCommand.Create().Options
            .Where(o => o.Name != ServeConfiguration.ConfigOptionName && o.Name.StartsWith("--", StringComparison.Ordinal))
            .Select(o => o.Name[2..])
            .Where(key => !text.Contains($"\"{key}\":", StringComparison.Ordinal))
            .ToList();
        Assert.That(missing, Is.Empty, "serve options not described in deploy/rtrcache.example.json");

        string dir = TempDirectory();
        int http = ProgramProcess.FreeTcpPort();
        await using var server = ProgramProcess.StartDotnet(ProgramProcess.RtrCacheDll,
            ["serve", "--config", Example, "--json", Sample, "--rtr-listen", "127.0.0.1:0", "--http-listen", $"127.0.0.1:{http}", "--cache-dir", dir]);
        await server.WaitForHttpAsync(http, "/readyz", s => s == 200, StartTimeout);
    }

    /// <summary>
    /// The mechanism reads options from the command, so an option added to serve later is configurable at once;
    /// shown here on a command with made-up options (in process: no program has them).
    /// </summary>
    [Test]
    public void Options_added_later_are_configurable_without_changes()
    {
        var knob = new Option<int>("--new-knob", "--knob");
        var things = new Option<string[]>("--things");
        var flagged = new Option<bool>("--be-careful");
        var command = new Command("serve") { knob, things, flagged, ServeConfiguration.CreateConfigOption() };
        command.SetAction(_ => 0);
        var root = new RootCommand { command };
        string dir = TempDirectory();
        string config = WriteConfig(dir, """{ "knob": 7, "things": ["a", "b"], "be-careful": true }""");
        var provenance = new ConfigurationProvenance();

        var parsed = ServeConfiguration.Parse(root, command, ["serve", "--config", config], new Dictionary<string, string> { ["RTRCACHE__THINGS"] = "x,y" }, provenance);

        Assert.That(parsed.Errors, Is.Empty);
        Assert.That(parsed.Result!.GetValue(knob), Is.EqualTo(7), "an alias is accepted as a key");
        Assert.That(parsed.Result.GetValue(things), Is.EqualTo(new[] { "x", "y" }), "the environment replaces the file's list");
        Assert.That(parsed.Result.GetValue(flagged), Is.True);
        Assert.That(provenance.Annotate("--new-knob 7: too small"), Is.EqualTo($"{config} line 1: \"knob\": 7: too small"));
        Assert.That(provenance.Annotate("--things y: bad"), Is.EqualTo("environment variable RTRCACHE__THINGS: \"y\": bad"));
    }

    [Test]
    public void Values_typed_on_the_command_line_keep_their_message()
    {
        var provenance = new ConfigurationProvenance();
        var serve = ServeCommand.Create(provenance);
        var root = new RootCommand { serve };
        var parsed = ServeConfiguration.Parse(root, serve, ["serve", "--history", "-1"], new Dictionary<string, string>(), provenance);
        Assert.That(parsed.Errors, Is.Empty);
        Assert.That(provenance.IsEmpty);
        Assert.That(provenance.Annotate("--history -1: must be 0..10000"), Is.EqualTo("--history -1: must be 0..10000"));
    }
}
