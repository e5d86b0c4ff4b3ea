using System.CommandLine;
using RtrCache.Host.Cli;

namespace RtrCache.Host.Tests;

/// <summary>Bad options stop start-up with exit code 2 and a message naming the option and value.</summary>
public sealed class ServeCommandTests
{
    /// <summary>Runs <c>rtrcache serve ARGS</c> in process and returns its exit code and standard error.</summary>
    internal static async Task<(int Exit, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand { ServeCommand.Create() };
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            var config = new InvocationConfiguration { Error = error, Output = TextWriter.Null };
            int exit = await root.Parse(["serve", .. args]).InvokeAsync(config);
            return (exit, error.ToString());
        }
        finally
        {
            Console.SetError(original);
        }
    }

    [TestCase(new[] { "--refresh", "0" }, "refresh interval 0")]
    [TestCase(new[] { "--expire", "500" }, "expire interval 500")]
    [TestCase(new[] { "--refresh", "7200", "--expire", "7200" }, "must be larger than refresh")]
    [TestCase(new[] { "--retry", "9000" }, "retry interval 9000")]
    [TestCase(new[] { "--max-version", "3" }, "--max-version 3")]
    [TestCase(new[] { "--rtr-listen", "localhost" }, "--rtr-listen localhost")]
    [TestCase(new[] { "--http-listen", "1.2.3.4" }, "--http-listen 1.2.3.4")]
    [TestCase(new[] { "--allow", "10.0.0.1/8" }, "--allow 10.0.0.1/8")]
    [TestCase(new[] { "--history", "-1" }, "--history -1")]
    [TestCase(new[] { "--slurm", "/nonexistent/slurm.json" }, "--slurm /nonexistent/slurm.json")]
    [TestCase(new[] { "--reload-interval", "0" }, "--reload-interval 0")]
    public async Task Invalid_option_is_refused_with_its_name(string[] extra, string expected)
    {
        var (exit, error) = await RunAsync(["--json", "deploy/sample/rpki.json", .. extra]);
        Assert.That(exit, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain(expected));
    }

    [Test]
    public async Task Invalid_slurm_file_stops_start_up_naming_the_file_and_member()
    {
        string path = Path.Combine(Path.GetTempPath(), $"rtrcache-bad-slurm-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, """
            { "slurmVersion": 1,
              "validationOutputFilters": { "prefixFilters": [ { "prefix": "10.0.0.1/8" } ], "bgpsecFilters": [] },
              "locallyAddedAssertions": { "prefixAssertions": [], "bgpsecAssertions": [] } }
            """);
        try
        {
            var (exit, error) = await RunAsync("--json", "deploy/sample/rpki.json", "--slurm", path);
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(error, Does.Contain(path).And.Contain("prefixFilters[0]"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestCase(new[] { "--json", "deploy/sample/rpki.json", "--tal-dir", "/tmp" }, "cannot be combined")]
    [TestCase(new[] { "--tal-dir", "/tmp", "--cache-dir", "/proc/rtrcache-cannot-write" }, "--cache-dir /proc/rtrcache-cannot-write: not writable")]
    [TestCase(new[] { "--tal-dir", "/tmp", "--cache-dir", "/tmp", "--extra-ca", "/nonexistent-ca.pem" }, "--extra-ca /nonexistent-ca.pem: file not found")]
    [TestCase(new[] { "--tal-dir", "/tmp", "--cache-dir", "/tmp", "--fetch-timeout", "0" }, "--fetch-timeout 0")]
    [TestCase(new[] { "--tal-dir", "/tmp", "--cache-dir", "/tmp", "--rrdp-fallback-time", "-1" }, "--rrdp-fallback-time -1")]
    [TestCase(new[] { "--repo", "/tmp" }, "--repo needs --tal-dir")]
    [TestCase(new[] { "--tal-dir", "/nonexistent-tals", "--repo", "/tmp" }, "--tal-dir /nonexistent-tals: no such directory")]
    [TestCase(new[] { "--tal-dir", "/tmp", "--repo", "/tmp", "--refresh-interval", "0" }, "--refresh-interval 0")]
    public async Task Source_options_are_checked(string[] args, string expected)
    {
        var (exit, error) = await RunAsync(args);
        Assert.That(exit, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain(expected));
    }

    [Test]
    public async Task An_extra_ca_file_without_a_certificate_stops_start_up_with_a_message()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rtrcache-serve-extra-ca-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string pem = Path.Combine(dir, "not-a-ca.pem");
            File.WriteAllText(pem, "no certificate here\n");
            var (exit, error) = await RunAsync("--tal-dir", "/tmp", "--cache-dir", Path.Combine(dir, "cache"), "--extra-ca", pem);
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(error, Does.Contain("--extra-ca").And.Contain(pem).And.Contain("no certificate"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Without_a_source_option_the_shipped_RIR_TALs_are_used()
    {
        // Fetching the real RPKI is not possible here; an unwritable cache directory stops it before any network use,
        // and the message shows which TAL directory it would have used.
        var (exit, error) = await RunAsync("--cache-dir", "/proc/rtrcache-cannot-write");
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(error, Does.Contain("--cache-dir /proc/rtrcache-cannot-write: not writable"));
        var tals = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "tals"), "*.tal").Select(Path.GetFileName).Order().ToArray();
        Assert.That(tals, Is.EqualTo(new[] { "afrinic.tal", "apnic.tal", "arin.tal", "lacnic.tal", "ripe.tal" }), "the RIR TALs are shipped next to the program");
    }
}
