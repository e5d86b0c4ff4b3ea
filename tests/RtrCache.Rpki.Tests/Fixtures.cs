using Org.BouncyCastle.Cms;

namespace RtrCache.Rpki.Tests;

/// <summary>Access to ../shared/fixtures/real-objects (found by walking up to the folder holding RtrCache.sln).</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RtrCache.sln"))) dir = dir.Parent;
        if (dir is null) throw new DirectoryNotFoundException("RtrCache.sln not found above " + TestContext.CurrentContext.TestDirectory);
        var root = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "fixtures", "real-objects"));
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException(root);
        return root;
    });

    public static string Root => RootPath.Value;

    public static string RpkiRs(string name) => Path.Combine(Root, "rpki-rs", "test-data", "repository", name);
    public static string Prover(string name) => Path.Combine(Root, "rpki-prover", "test", "data", name);

    public static byte[] Bytes(string path) => File.ReadAllBytes(path);

    /// <summary>Every data file of the fixture folder (not README, not the SLURM JSON).</summary>
    public static IEnumerable<string> AllObjectFiles()
        => Directory.GetFiles(Root, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".md", StringComparison.Ordinal) && !f.EndsWith(".json", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    /// <summary>The name to decode a fixture under (a few fixtures have non-standard names).</summary>
    public static string DecodeName(string path)
    {
        string name = Path.GetFileName(path);
        if (name.EndsWith(".bad-filename", StringComparison.Ordinal)) return name[..^".bad-filename".Length];
        return name;
    }

    /// <summary>The eContent of a signed object, extracted with BouncyCastle's CMS classes (independently of our decoder).</summary>
    public static byte[] EContent(string path)
    {
        using var buffer = new MemoryStream();
        new CmsSignedData(Bytes(path)).SignedContent.Write(buffer);
        return buffer.ToArray();
    }

    /// <summary>The EE certificate of a signed object, extracted with BouncyCastle's CMS classes.</summary>
    public static byte[] EeCertificate(string path)
        => new CmsSignedData(Bytes(path)).GetCertificates().EnumerateMatches(null).Single().GetEncoded();

    public static DateTimeOffset Utc(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
}
