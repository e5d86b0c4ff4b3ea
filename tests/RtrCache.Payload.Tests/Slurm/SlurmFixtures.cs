namespace RtrCache.Payload.Tests.Slurm;

/// <summary>Finds the shared fixture tree next to the repository (…/shared/fixtures).</summary>
internal static class SlurmFixtures
{
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "RtrCache.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new DirectoryNotFoundException("no RtrCache.sln above " + TestContext.CurrentContext.TestDirectory);
        }
    }

    public static string SlurmFixture(string name)
        => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "fixtures", "real-objects", "rpki-rs", "test-data", "slurm", name));
}
