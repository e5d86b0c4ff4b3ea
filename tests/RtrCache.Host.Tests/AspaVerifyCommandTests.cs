using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using RtrCache.Host.Cli;
using RtrCache.Host.Serving;

namespace RtrCache.Host.Tests;

/// <summary>
/// <c>rtrcache aspa-verify</c>: the verdict is the exit code (0 valid, 1 invalid, 3 unknown, 2 error), against a
/// JSON file and against a running server's API. Sample ASPAs (deploy/sample/rpki.json): 64496 → {64497, 64498},
/// 64497 → {64499}, 64499 → {0}, 4200000000 → {64496, 64497, 4200000001}. Paths are neighbor first.
/// </summary>
public sealed class AspaVerifyCommandTests
{
    private static string SamplePath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "deploy", "sample", "rpki.json");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("deploy/sample/rpki.json not found");
        }
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand { AspaVerifyCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await root.Parse(["aspa-verify", .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    // 64497 64496: A = (64496, 64497), hop 1 authorized(64496, 64497) = Provider+ ⇒ valid.
    [TestCase("64497 64496", "upstream", AspaVerifyCommand.Valid, "valid (attested)")]
    // 64500 64499 64497 64496: hop 3 authorized(64499, 64500) with 64499's AS0 ASPA ⇒ Not Provider+ ⇒ invalid.
    [TestCase("64500 64499 64497 64496", "upstream", AspaVerifyCommand.Invalid, "deciding up-ramp hop 3: AS64499 -> AS64500 not-provider+")]
    // Same path downstream: max_up 3 + max_down 2 ≥ 4 and min_up 3 + min_down 1 ≥ 4 ⇒ valid.
    [TestCase("64500 64499 64497 64496", "downstream", AspaVerifyCommand.Valid, "valid")]
    // 64501 64500: 64500 has no ASPA ⇒ No Attestation ⇒ unknown.
    [TestCase("64501 64500", "upstream", AspaVerifyCommand.Unknown, "unknown (no-attestation)")]
    // The example: an AS_SET ⇒ invalid.
    [TestCase("64500 64501 {64502,64503}", "upstream", AspaVerifyCommand.Invalid, "invalid (as-set)")]
    public async Task Verdict_from_a_json_file_is_the_exit_code(string path, string direction, int exit, string expected)
    {
        var (code, output, error) = await RunAsync("--path", path, "--direction", direction, "--json", SamplePath);
        Assert.That(code, Is.EqualTo(exit), output + error);
        Assert.That(output, Does.Contain(expected));
        Assert.That(output, Does.Contain("path: " + path));
    }

    [Test]
    public async Task Json_output_is_the_api_document()
    {
        var (code, output, _) = await RunAsync("--path", "64497 64496", "--json", SamplePath, "--format", "json", "--neighbor", "AS64497");
        Assert.That(code, Is.EqualTo(AspaVerifyCommand.Valid));
        using var doc = JsonDocument.Parse(output);
        Assert.That(doc.RootElement.GetProperty("state").GetString(), Is.EqualTo("valid"));
        Assert.That(doc.RootElement.GetProperty("neighbor").GetUInt32(), Is.EqualTo(64497));
        Assert.That(doc.RootElement.GetProperty("serial").ValueKind, Is.EqualTo(JsonValueKind.Null), "a file has no serial");
    }

    // SAMPLE stands for the sample file's path.
    [TestCase(new[] { "--json", "SAMPLE" }, "--path is required")]
    [TestCase(new[] { "--path", "64500 x", "--json", "SAMPLE" }, "--path: expected an AS number at position 7")]
    [TestCase(new[] { "--path", "64500", "--direction", "up", "--json", "SAMPLE" }, "--direction up")]
    [TestCase(new[] { "--path", "64500", "--neighbor", "x", "--json", "SAMPLE" }, "--neighbor x")]
    [TestCase(new[] { "--path", "64500", "--format", "xml", "--json", "SAMPLE" }, "--format xml")]
    [TestCase(new[] { "--path", "64500" }, "exactly one of --json FILE and --url")]
    [TestCase(new[] { "--path", "64500", "--json", "SAMPLE", "--url", "http://127.0.0.1:1" }, "exactly one of --json FILE and --url")]
    [TestCase(new[] { "--path", "64500", "--json", "/nonexistent/rpki.json" }, "--json /nonexistent/rpki.json")]
    [TestCase(new[] { "--path", "64500", "--url", "ftp://x" }, "--url ftp://x")]
    [TestCase(new[] { "--path", "64500", "--bogus", "--json", "SAMPLE" }, "unexpected argument '--bogus'")]
    [TestCase(new[] { "--json", "SAMPLE", "--path" }, "--path is required")]
    public async Task Usage_errors_exit_2_with_a_message(string[] args, string expected)
    {
        var (code, _, error) = await RunAsync([.. args.Select(a => a == "SAMPLE" ? SamplePath : a)]);
        Assert.That(code, Is.EqualTo(AspaVerifyCommand.UsageError), error);
        Assert.That(error, Does.Contain(expected));
    }

    [Test]
    public async Task A_rejected_json_file_exits_2_naming_the_entry()
    {
        string file = Path.Combine(Path.GetTempPath(), $"rtrcache-aspa-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{ "roas": [], "aspas": [ { "customer_asid": 64496, "providers": [64498, 64497] } ] }""");
        try
        {
            var (code, _, error) = await RunAsync("--path", "64497 64496", "--json", file);
            Assert.That(code, Is.EqualTo(AspaVerifyCommand.UsageError));
            Assert.That(error, Does.Contain("aspas[0]"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Against_a_running_server_the_verdict_matches_the_file()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rtrcache-aspa-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        int httpPort = FreePort();
        var settings = new ServeSettings
        {
            JsonSource = SamplePath,
            RtrListen = [new IPEndPoint(IPAddress.Loopback, FreePort())],
            HttpListen = [new IPEndPoint(IPAddress.Loopback, httpPort)],
            CacheDirectory = dir,
            ReloadInterval = TimeSpan.FromMilliseconds(250),
        };
        await using var app = ServeHost.Build(settings, ["--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        string url = $"http://127.0.0.1:{httpPort}";
        try
        {
            // Wait until the server serves a serial (status shows it); bounded.
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            {
                var deadline = DateTime.UtcNow.AddSeconds(20);
                while (true)
                {
                    using var status = JsonDocument.Parse(await http.GetStringAsync(url + "/api/v1/status"));
                    if (status.RootElement.GetProperty("serial").ValueKind == JsonValueKind.Number) break;
                    if (DateTime.UtcNow > deadline) Assert.Fail("server did not load the sample");
                    await Task.Delay(50);
                }
            }

            var invalid = await RunAsync("--path", "64500 64499 64497 64496", "--url", url);
            Assert.That(invalid.Exit, Is.EqualTo(AspaVerifyCommand.Invalid), invalid.Output + invalid.Error);
            Assert.That(invalid.Output, Does.Contain("deciding up-ramp hop 3: AS64499 -> AS64500 not-provider+"));
            Assert.That(invalid.Output, Does.Contain(", serial "), "a server answer carries its serial");

            var valid = await RunAsync("--path", "64500 64499 64497 64496", "--direction", "downstream", "--url", url + "/", "--format", "json");
            Assert.That(valid.Exit, Is.EqualTo(AspaVerifyCommand.Valid), valid.Output + valid.Error);
            using (var doc = JsonDocument.Parse(valid.Output))
                Assert.That(doc.RootElement.GetProperty("direction").GetString(), Is.EqualTo("downstream"));

            var unknown = await RunAsync("--path", "AS64501 AS64500", "--url", url);
            Assert.That(unknown.Exit, Is.EqualTo(AspaVerifyCommand.Unknown));

            var set = await RunAsync("--path", "64500 64501 {64502,64503}", "--direction", "upstream", "--url", url);
            Assert.That(set.Exit, Is.EqualTo(AspaVerifyCommand.Invalid));
            Assert.That(set.Output, Does.Contain("invalid (as-set)"));
        }
        finally
        {
            await app.StopAsync();
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
        }
    }

    [Test]
    public async Task An_unreachable_server_exits_2()
    {
        var (code, _, error) = await RunAsync("--path", "64500", "--url", $"http://127.0.0.1:{FreePort()}");
        Assert.That(code, Is.EqualTo(AspaVerifyCommand.UsageError));
        Assert.That(error, Does.Contain("rtrcache aspa-verify: http://127.0.0.1:"));
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
