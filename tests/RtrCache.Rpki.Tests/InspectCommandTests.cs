using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using RtrCache.Host.Cli;
using static RtrCache.Rpki.Tests.Fixtures;

namespace RtrCache.Rpki.Tests;

/// <summary><c>rtrcache inspect</c>, run in-process through a System.CommandLine root like Program.cs builds.</summary>
public class InspectCommandTests
{
    private const string ChainClock = "2019-04-06T12:00:00Z";

    private static (int Exit, string Out, string Err) Inspect(params string[] args)
    {
        var root = new RootCommand("test") { InspectCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = root.Parse(["inspect", .. args]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    [Test]
    public void RipeChainAtThePinnedClock_PassesAndPrintsTheContent()
    {
        var (exit, output, error) = Inspect("--now", ChainClock, RpkiRs("ta.cer"), RpkiRs("ca1.cer"), RpkiRs("ca1.crl"), RpkiRs("ca1.mft"), Prover("big_cert.cer"), RpkiRs("ripe.tal"));
        Assert.That(exit, Is.EqualTo(InspectCommand.Ok), error);
        Assert.That(error, Is.Empty);
        Assert.That(output, Does.Contain("kind: trust anchor")
            .And.Contain("subjectKeyIdentifier: E8552B1FD6D1A4F7E404C6D8E5680D1EBC163FC3")
            .And.Contain("manifestNumber: 1705")
            .And.Contain("Kn3R14fXk-TIr1bhl9Tu2Sr2uhM.crl  74a64c6b3e1f4bc66dff067f8e5fd753d57a322cd4033f30efba06504a8441a1")
            .And.Contain("revokedCount: 163")
            .And.Contain("rpkiNotify: https://rrdp.ripe.net/notification.xml")
            .And.Contain("0.0.0.0/0")
            .And.Contain("AS0-AS4294967295")
            .And.Contain("rsync://rpki.ripe.net/ta/ripe-ncc-ta.cer")
            .And.Contain("status: valid at 2019-04-06T12:00:00Z"));
    }

    [Test]
    public void ExpiredObjectAtTheCurrentTime_FailsNamingTheFile()
    {
        var (exit, _, error) = Inspect(RpkiRs("ca1.mft"));
        Assert.That(exit, Is.EqualTo(InspectCommand.Rejected));
        Assert.That(error, Does.Contain(RpkiRs("ca1.mft")).And.Contain("manifest stale since nextUpdate 2019-04-07T09:35:49Z"));
    }

    [Test]
    public void NotYetValid_Fails()
    {
        var (exit, _, error) = Inspect("--now", "2010-01-01T00:00:00Z", RpkiRs("ta.cer"));
        Assert.That(exit, Is.EqualTo(InspectCommand.Rejected));
        Assert.That(error, Does.Contain("certificate not valid before 2017-11-28T14:39:55Z"));
    }

    [Test]
    public void RejectedObject_FailsWithTheReasonOnStderr()
    {
        var (exit, output, error) = Inspect("--now", "2021-08-01T00:00:00Z", RpkiRs("maxlen-overflow.roa"), RpkiRs("ta.cer"));
        Assert.That(exit, Is.EqualTo(InspectCommand.Rejected));
        Assert.That(error.Trim(), Is.EqualTo($"rtrcache inspect: {RpkiRs("maxlen-overflow.roa")}: ROA: no signing-time signed attribute (required by RFC 9589)"));
        Assert.That(output, Does.Contain("kind: trust anchor"), "the other files are still inspected");
    }

    [Test]
    public void Json_ParsesAndCarriesTheContent()
    {
        // A copy of ta.mft.bad-filename under a .mft name, so that it is decoded as a manifest.
        string badManifest = Path.Combine(Path.GetTempPath(), $"rtrcache-inspect-{Guid.NewGuid():N}.mft");
        File.Copy(RpkiRs("ta.mft.bad-filename"), badManifest);
        try
        {
            // The objects' validity windows do not overlap: the clock suits the ROA only.
            var (exit, output, error) = Inspect("--json", "--now", "2019-07-01T00:00:00Z",
                RpkiRs("example-ripe.roa"), Prover("AS204325.asa"), Prover("bgp_router_cert.cer"), badManifest);
            Assert.That(exit, Is.EqualTo(InspectCommand.Rejected));
            Assert.That(error, Does.Contain(badManifest + ": manifest: entry 1").And.Contain("0xE2"));
            Assert.That(error, Does.Contain("AS204325.asa: EE certificate not valid before 2023-10-20T14:21:01Z"));
            using var doc = JsonDocument.Parse(output);
            var items = doc.RootElement.EnumerateArray().ToArray();
            Assert.That(items, Has.Length.EqualTo(4));

            var roa = items[0];
            Assert.That(roa.GetProperty("file").GetString(), Is.EqualTo(RpkiRs("example-ripe.roa")));
            Assert.That(roa.GetProperty("valid").GetBoolean(), Is.True);
            Assert.That(roa.GetProperty("object").GetProperty("type").GetString(), Is.EqualTo("ROA"));
            Assert.That(roa.GetProperty("object").GetProperty("asId").GetUInt32(), Is.EqualTo(209870u));
            var prefix = roa.GetProperty("object").GetProperty("prefixes")[0];
            Assert.That((prefix.GetProperty("prefix").GetString(), prefix.GetProperty("maxLength").GetInt32()), Is.EqualTo(("2a0c:b642:fc0::/43", 43)));
            Assert.That(roa.GetProperty("object").GetProperty("eeCertificate").GetProperty("resources").GetProperty("ipv6")[0].GetString(), Is.EqualTo("2a0c:b642:fc0::/43"));

            Assert.That(items[1].GetProperty("valid").GetBoolean(), Is.False);
            Assert.That(items[1].GetProperty("reason").GetString(), Does.Contain("not valid before"));
            var aspa = items[1].GetProperty("object");
            Assert.That(aspa.GetProperty("customerAsid").GetUInt32(), Is.EqualTo(204325u));
            Assert.That(aspa.GetProperty("providers").EnumerateArray().Select(p => p.GetUInt32()), Is.EqualTo(new uint[] { 65000, 65002, 65003 }));

            var router = items[2].GetProperty("object");
            Assert.That(router.GetProperty("type").GetString(), Is.EqualTo("router certificate"));
            Assert.That(router.GetProperty("routerKey").GetProperty("subjectPublicKeyInfo").GetString(),
                Is.EqualTo("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAET10FMBxP6P3r6aG/ICpfsktp7X6ylJIY8Kye6zkQhNOt0y+cRzYngH8MGzY3cXNvZ64z4CpZ22gf4teybGq8ow=="));
            Assert.That(router.GetProperty("routerKey").GetProperty("asns")[0].GetString(), Is.EqualTo("AS211321"));

            var bad = items[3];
            Assert.That(bad.GetProperty("valid").GetBoolean(), Is.False);
            Assert.That(bad.GetProperty("reason").GetString(), Does.Contain("0xE2"));
            Assert.That(bad.TryGetProperty("object", out _), Is.False);
        }
        finally
        {
            File.Delete(badManifest);
        }
    }

    [Test]
    public void UnixSecondsClock_IsAccepted()
    {
        long seconds = DateTimeOffset.Parse(ChainClock, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds();
        Assert.That(Inspect("--now", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), RpkiRs("ca1.crl")).Exit, Is.EqualTo(InspectCommand.Ok));
    }

    [Test]
    public void BadClock_IsAUsageError()
    {
        var (exit, _, error) = Inspect("--now", "yesterday", RpkiRs("ta.cer"));
        Assert.That(exit, Is.EqualTo(InspectCommand.UsageError));
        Assert.That(error, Does.Contain("--now yesterday"));
    }

    [Test]
    public void MissingAndUnsupportedFiles_Fail()
    {
        var (exit, _, error) = Inspect(Path.Combine(Root, "no-such-file.roa"), Path.Combine(Root, "README.md"));
        Assert.That(exit, Is.EqualTo(InspectCommand.Rejected));
        Assert.That(error, Does.Contain("no-such-file.roa: file not found").And.Contain("README.md: not an RPKI object or TAL"));
    }

    [Test]
    public void NoFiles_IsAParseError()
        => Assert.That(Inspect().Exit, Is.Not.EqualTo(InspectCommand.Ok));

    [Test]
    public void TheBuiltExecutable_RegistersInspect()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "rtrcache.dll");
        Assert.That(File.Exists(dll), Is.True, dll);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { dll, "inspect", "--json", "--now", ChainClock, RpkiRs("ca1.cer"), RpkiRs("maxlen-underflow.roa") }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.That(process.WaitForExit(60_000), Is.True);
        Assert.That(process.ExitCode, Is.EqualTo(InspectCommand.Rejected));
        Assert.That(stderr.Result, Does.Contain("maxlen-underflow.roa"));
        using var doc = JsonDocument.Parse(stdout.Result);
        Assert.That(doc.RootElement[0].GetProperty("valid").GetBoolean(), Is.True);
        Assert.That(doc.RootElement[0].GetProperty("object").GetProperty("kind").GetString(), Is.EqualTo("CA"));
    }
}
