using System.CommandLine;
using RtrCache.Host.Cli;
using RtrCache.Testing;

namespace RtrCache.Host.Tests;

/// <summary>
/// The options of persistence, the shrink guard, readiness, RTR over TLS and logging are checked at start:
/// a bad value stops <c>serve</c> with exit code 2 and a message naming the option and the problem.
/// </summary>
[NonParallelizable] // Console.Error is redirected for the command's messages
public sealed class SafeguardOptionsTests
{
    private TestCertificates _certs = null!;
    private string _cache = null!;

    [OneTimeSetUp]
    public void CreateFiles()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rtrcache-host-tests", Guid.NewGuid().ToString("N"));
        _certs = TestCertificates.Create(Path.Combine(dir, "certs"));
        _cache = Path.Combine(dir, "cache");
        File.WriteAllText(Path.Combine(_certs.Directory, "garbage.pem"), "this is not PEM\n");
    }

    [OneTimeTearDown]
    public void DeleteFiles()
    {
        _certs.Dispose();
        try { Directory.Delete(Path.GetDirectoryName(_cache)!, recursive: true); }
        catch (IOException) { }
    }

    private static Task<(int Exit, string Error)> RunAsync(params string[] args) => ServeCommandTests.RunAsync(args);

    private async Task AssertRefusedAsync(string expected, params string[] args)
    {
        var (exit, error) = await RunAsync(["--json", "deploy/sample/rpki.json", "--cache-dir", _cache, .. args]);
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain(expected));
    }

    private string Certs(string name) => Path.Combine(_certs.Directory, name);

    [TestCase("150", "--shrink-limit 150: must be a percentage, 0..100")]
    [TestCase("-1", "--shrink-limit -1: must be a percentage, 0..100")]
    public Task Shrink_limit_is_a_percentage(string value, string expected) => AssertRefusedAsync(expected, "--shrink-limit", value);

    [Test]
    public Task Max_staleness_below_the_update_interval_is_refused()
        => AssertRefusedAsync("--max-staleness 30: must be 60..604800 seconds", "--reload-interval", "60", "--max-staleness", "30");

    [Test]
    public Task Log_format_must_be_text_or_json() => AssertRefusedAsync("--log-format xml: must be text or json", "--log-format", "xml");

    [Test]
    public async Task Cache_directory_must_be_writable_in_json_mode_too()
    {
        var (exit, error) = await RunAsync("--json", "deploy/sample/rpki.json", "--cache-dir", "/proc/rtrcache-cannot-write");
        Assert.That(exit, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("--cache-dir /proc/rtrcache-cannot-write: not writable").And.Contain("--cache-dir \"${TMPDIR:-/tmp}/rtrcache\""));
    }

    [Test]
    public Task Tls_listener_needs_a_certificate() => AssertRefusedAsync("--rtr-tls-listen needs --tls-cert FILE and --tls-key FILE", "--rtr-tls-listen", "127.0.0.1:3324");

    [Test]
    public Task Tls_listener_address_is_checked() => AssertRefusedAsync("--rtr-tls-listen localhost: expected ADDRESS:PORT", "--rtr-tls-listen", "localhost");

    [TestCase("--tls-cert")]
    [TestCase("--tls-key")]
    [TestCase("--tls-client-ca")]
    public Task Tls_files_without_a_tls_listener_are_refused(string option)
        => AssertRefusedAsync($"{option} /x.pem: only used with --rtr-tls-listen", option, "/x.pem");

    [Test]
    public Task Missing_certificate_file_is_named()
        => AssertRefusedAsync("--tls-cert /nonexistent/server.pem: file not found", "--rtr-tls-listen", "127.0.0.1:3324", "--tls-cert", "/nonexistent/server.pem", "--tls-key", _certs.ServerKeyFile);

    [Test]
    public Task Missing_key_file_is_named()
        => AssertRefusedAsync("--tls-key /nonexistent/server.key: file not found", "--rtr-tls-listen", "127.0.0.1:3324", "--tls-cert", _certs.ServerCertFile, "--tls-key", "/nonexistent/server.key");

    [Test]
    public Task Certificate_file_without_PEM_is_named()
        => AssertRefusedAsync($"--tls-cert {Certs("garbage.pem")}: no PEM certificate", "--rtr-tls-listen", "127.0.0.1:3324", "--tls-cert", Certs("garbage.pem"), "--tls-key", _certs.ServerKeyFile);

    [Test]
    public Task Key_of_another_certificate_is_named()
        => AssertRefusedAsync($"--tls-key {_certs.OtherKeyFile}: not a PEM private key for the certificate", "--rtr-tls-listen", "127.0.0.1:3324", "--tls-cert", _certs.ServerCertFile, "--tls-key", _certs.OtherKeyFile);

    [Test]
    public Task Certificate_without_key_and_no_key_option_is_named()
        => AssertRefusedAsync($"--tls-cert {_certs.ServerCertFile}: no usable private key in the file", "--rtr-tls-listen", "127.0.0.1:3324", "--tls-cert", _certs.ServerCertFile);

    [Test]
    public Task Expired_certificate_is_named()
        => AssertRefusedAsync($"--tls-cert {_certs.ExpiredCertFile}: certificate CN=127.0.0.1 is valid from", "--rtr-tls-listen", "127.0.0.1:3324", "--tls-cert", _certs.ExpiredCertFile, "--tls-key", _certs.ExpiredKeyFile);

    [Test]
    public Task Missing_client_CA_file_is_named()
        => AssertRefusedAsync("--tls-client-ca /nonexistent/ca.pem: file not found", "--rtr-tls-listen", "127.0.0.1:3324", "--tls-cert", _certs.ServerCertFile, "--tls-key", _certs.ServerKeyFile, "--tls-client-ca", "/nonexistent/ca.pem");

    [Test]
    public Task Client_CA_file_without_PEM_is_named()
        => AssertRefusedAsync($"--tls-client-ca {Certs("garbage.pem")}: no PEM certificate", "--rtr-tls-listen", "127.0.0.1:3324", "--tls-cert", _certs.ServerCertFile, "--tls-key", _certs.ServerKeyFile, "--tls-client-ca", Certs("garbage.pem"));
}
