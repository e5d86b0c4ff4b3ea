using System.CommandLine;
using RtrCache.Host.Cli;
using RtrCache.Payload.Formats;
using RtrCache.Testbed;

namespace RtrCache.Rpki.Tests.Validation;

/// <summary><c>rtrcache validate</c> in-process on the tiny generated repository.</summary>
public class ValidateCommandTests
{
    private static (int Exit, string Out, string Err) Validate(params string[] args)
    {
        var root = new RootCommand("test") { ValidateCommand.Create() };
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = root.Parse(["validate", .. args]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static string[] Base(Repository repo) => ["--tal-dir", repo.TalDirectory, "--repo", repo.TreeRoot, "--now", repo.Options.Now.ToString("O")];

    [Test]
    public void JsonOutputIsRpkiClientFormatWithTheExpectedPayload()
    {
        var repo = Generated.Tiny;
        var dir = Generated.NewWorkDir("validate-json");
        try
        {
            var file = Path.Combine(dir, "out.json");
            var (exit, output, error) = Validate([.. Base(repo), "--output", file]);
            Assert.That(exit, Is.EqualTo(ValidateCommand.Ok), error);
            Assert.That(output, Is.Empty);
            Assert.That(error, Does.Contain("rejected objects: 0").And.Contain("failed publication points: 0"));
            var parsed = RpkiClientJson.Parse(File.ReadAllBytes(file), DateTimeOffset.UtcNow);
            Assert.That(parsed.Set, Is.EqualTo(repo.Expected()));
        }
        finally { Generated.TryDelete(dir); }
    }

    [Test]
    public void CsvOutputListsEveryVrpWithItsTrustAnchor()
    {
        var repo = Generated.Tiny;
        var (exit, output, error) = Validate([.. Base(repo), "--format", "csv"]);
        Assert.That(exit, Is.EqualTo(ValidateCommand.Ok), error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo("ASN,IP Prefix,Max Length,Trust Anchor"));
        var expected = repo.Expected().Vrps.Select(v => $"AS{v.Asn},{v.Prefix},{v.MaxLength},testbed");
        Assert.That(lines.Skip(1), Is.EquivalentTo(expected));
    }

    [Test]
    public void SlurmFilterIsApplied()
    {
        var repo = Generated.Tiny;
        var first = repo.Expected().Vrps.First();
        var dir = Generated.NewWorkDir("validate-slurm");
        try
        {
            var slurm = Path.Combine(dir, "s.json");
            File.WriteAllText(slurm, $$$"""
                {"slurmVersion": 1,
                 "validationOutputFilters": {"prefixFilters": [{"prefix": "{{{first.Prefix}}}", "asn": {{{first.Asn}}}}], "bgpsecFilters": []},
                 "locallyAddedAssertions": {"prefixAssertions": [{"asn": 65000, "prefix": "192.0.2.0/24"}], "bgpsecAssertions": []}}
                """);
            var (exit, output, error) = Validate([.. Base(repo), "--format", "csv", "--slurm", slurm]);
            Assert.That(exit, Is.EqualTo(ValidateCommand.Ok), error);
            Assert.That(output, Does.Not.Contain($"AS{first.Asn},{first.Prefix},{first.MaxLength},"));
            Assert.That(output, Does.Contain("AS65000,192.0.2.0/24,24,slurm"));
        }
        finally { Generated.TryDelete(dir); }
    }

    [Test]
    public void BadArgumentsAreUsageErrors()
    {
        var repo = Generated.Tiny;
        Assert.Multiple(() =>
        {
            Assert.That(Validate([.. Base(repo), "--format", "xml"]).Exit, Is.EqualTo(ValidateCommand.UsageError));
            Assert.That(Validate("--tal-dir", "/nonexistent", "--repo", repo.TreeRoot).Exit, Is.EqualTo(ValidateCommand.UsageError));
            Assert.That(Validate("--tal-dir", repo.TalDirectory, "--repo", repo.TreeRoot, "--now", "yesterday").Exit, Is.EqualTo(ValidateCommand.UsageError));
        });
    }
}
