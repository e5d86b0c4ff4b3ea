using System.Diagnostics;
using System.Text;
using RtrCache.Fetch.Rrdp;
using RtrCache.Fetch.Store;
using RtrCache.Fetch.Tests.Support;
using RtrCache.Fetch.Uris;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// The on-disk generations: atomic swaps, recovery from any interruption, hard-link copies that never change the
/// generation they came from, and no path outside the repository.
/// </summary>
public class RepositoryStoreTests
{
    private TempDir _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDir();
    [TearDown] public void TearDown() => _dir.Dispose();

    private string Repo => _dir.Sub("repo");

    private static void Write(string root, string relative, string content)
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static string Pointer(string repo, string name) => File.ReadAllText(Path.Combine(repo, name)).Trim();

    [Test]
    public void New_store_has_no_generation()
    {
        var store = RepositoryStore.Open(Repo);
        Assert.That(store.CurrentRoot, Is.Null);
        Assert.That(store.PreviousRoot, Is.Null);
    }

    [Test]
    public void Commits_swap_current_and_previous_and_keep_only_two_generations()
    {
        var store = RepositoryStore.Open(Repo);
        for (int i = 1; i <= 3; i++)
        {
            using var staging = store.BeginEmpty();
            Write(staging.Root, "h/m/file.cer", "v" + i);
            store.Commit(staging);
        }
        Assert.That(Path.GetFileName(store.CurrentRoot), Is.EqualTo("gen-3"));
        Assert.That(Path.GetFileName(store.PreviousRoot), Is.EqualTo("gen-2"));
        Assert.That(Pointer(Repo, "current"), Is.EqualTo("gen-3"));
        Assert.That(Pointer(Repo, "previous"), Is.EqualTo("gen-2"));
        Assert.That(Directory.GetDirectories(Repo).Select(Path.GetFileName), Is.EquivalentTo(new[] { "gen-2", "gen-3" }));
        Assert.That(File.ReadAllText(Path.Combine(store.CurrentRoot!, "h/m/file.cer")), Is.EqualTo("v3"));
        Assert.That(File.ReadAllText(Path.Combine(store.PreviousRoot!, "h/m/file.cer")), Is.EqualTo("v2"));

        var reopened = RepositoryStore.Open(Repo);
        Assert.That(reopened.CurrentRoot, Is.EqualTo(store.CurrentRoot));
        Assert.That(reopened.PreviousRoot, Is.EqualTo(store.PreviousRoot));
    }

    [Test]
    public void Disposing_an_uncommitted_staging_generation_removes_it()
    {
        var store = RepositoryStore.Open(Repo);
        string root;
        using (var staging = store.BeginEmpty())
        {
            root = staging.Root;
            Write(root, "h/m/x.roa", "x");
        }
        Assert.That(Directory.Exists(root), Is.False);
        Assert.That(store.CurrentRoot, Is.Null);
    }

    [Test]
    public void Reopening_after_a_crash_removes_leftovers_and_keeps_the_complete_generation()
    {
        var store = RepositoryStore.Open(Repo);
        using (var staging = store.BeginEmpty()) { Write(staging.Root, "h/m/a.cer", "good"); store.Commit(staging); }
        // What a kill -9 can leave: a half-written staging tree, a download, a pointer temp file, a generation renamed
        // into place whose pointer swap never happened, and a torn metadata rewrite inside the current generation.
        Write(Path.Combine(Repo, "staging-deadbeef"), "h/m/a.cer", "half");
        File.WriteAllText(Path.Combine(Repo, "snapshot-123.tmp"), "partial download");
        File.WriteAllText(Path.Combine(Repo, ".current.abc.tmp"), "gen-9");
        Write(Path.Combine(Repo, "gen-7"), "h/m/a.cer", "never published");
        File.WriteAllText(Path.Combine(store.CurrentRoot!, ".rrdp-state.json.abc.tmp"), "{");

        var reopened = RepositoryStore.Open(Repo);
        Assert.That(Path.GetFileName(reopened.CurrentRoot), Is.EqualTo("gen-1"));
        Assert.That(File.ReadAllText(Path.Combine(reopened.CurrentRoot!, "h/m/a.cer")), Is.EqualTo("good"));
        Assert.That(Directory.EnumerateFileSystemEntries(Repo).Select(Path.GetFileName), Is.EquivalentTo(new[] { "gen-1", "current" }));
        Assert.That(Directory.GetFiles(reopened.CurrentRoot!), Is.Empty);

        // Numbering continues past the abandoned generation, so it can never be confused with a new one.
        using var next = reopened.BeginEmpty();
        Write(next.Root, "h/m/a.cer", "new");
        Assert.That(Path.GetFileName(reopened.Commit(next)), Is.EqualTo("gen-8"));
    }

    [Test]
    public void A_pointer_to_a_missing_or_malformed_generation_is_ignored()
    {
        Directory.CreateDirectory(Repo);
        File.WriteAllText(Path.Combine(Repo, "current"), "gen-5\n");
        Assert.That(RepositoryStore.Open(Repo).CurrentRoot, Is.Null);
        File.WriteAllText(Path.Combine(Repo, "current"), "../../etc\n");
        Assert.That(RepositoryStore.Open(Repo).CurrentRoot, Is.Null);
    }

    [Test]
    public void Delta_staging_is_a_hard_link_copy_and_changes_never_touch_the_current_generation()
    {
        var store = RepositoryStore.Open(Repo);
        var a = Encoding.ASCII.GetBytes("original object a");
        var b = Encoding.ASCII.GetBytes("original object b");
        using (var staging = store.BeginEmpty())
        {
            Write(staging.Root, "h/m/a.roa", "original object a");
            Write(staging.Root, "h/m/ca/b.mft", "original object b");
            store.Commit(staging);
        }
        string current = store.CurrentRoot!;
        using var copy = store.BeginCopyOfCurrent();
        Assert.That(LinkCount(Path.Combine(copy.Root, "h/m/a.roa")), Is.EqualTo(2), "files are hard links, not copies");

        var applier = new RrdpApplier(copy.Root, freshTree: false);
        var xml = RrdpPublisher.DeltaXml(Guid.Empty, 2, $"""
            <publish uri="rsync://h/m/a.roa" hash="{RrdpPublisher.HashHex(a)}">{Convert.ToBase64String(Encoding.ASCII.GetBytes("replaced"))}</publish>
            <withdraw uri="rsync://h/m/ca/b.mft" hash="{RrdpPublisher.HashHex(b)}"/>
            <publish uri="rsync://h/m/new.cer">{Convert.ToBase64String(Encoding.ASCII.GetBytes("new"))}</publish>
            """);
        DeltaParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Guid.Empty, 2, new RrdpObjectRules("h"), applier, 1_000_000);

        Assert.That(File.ReadAllText(Path.Combine(copy.Root, "h/m/a.roa")), Is.EqualTo("replaced"));
        Assert.That(File.Exists(Path.Combine(copy.Root, "h/m/ca/b.mft")), Is.False);
        Assert.That(File.ReadAllText(Path.Combine(current, "h/m/a.roa")), Is.EqualTo("original object a"), "the current generation is unchanged");
        Assert.That(File.ReadAllText(Path.Combine(current, "h/m/ca/b.mft")), Is.EqualTo("original object b"));
        Assert.That(File.Exists(Path.Combine(current, "h/m/new.cer")), Is.False);
        Assert.That(LinkCount(Path.Combine(current, "h/m/a.roa")), Is.EqualTo(1));
        Assert.That(Directory.GetFiles(Path.Combine(copy.Root, "h/m"), "*.tmp"), Is.Empty);
    }

    [Test]
    public void Failed_delta_application_leaves_the_current_generation_untouched()
    {
        var store = RepositoryStore.Open(Repo);
        using (var staging = store.BeginEmpty()) { Write(staging.Root, "h/m/a.roa", "v1"); store.Commit(staging); }
        using (var copy = store.BeginCopyOfCurrent())
        {
            var applier = new RrdpApplier(copy.Root, freshTree: false);
            var xml = RrdpPublisher.DeltaXml(Guid.Empty, 2, $"""
                <publish uri="rsync://h/m/b.roa">{Convert.ToBase64String([1, 2, 3])}</publish>
                <withdraw uri="rsync://h/m/a.roa" hash="{new string('0', 64)}"/>
                """);
            Assert.Throws<RrdpException>(() => DeltaParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Guid.Empty, 2, new RrdpObjectRules("h"), applier, 1_000_000));
        }
        Assert.That(File.ReadAllText(Path.Combine(store.CurrentRoot!, "h/m/a.roa")), Is.EqualTo("v1"));
        Assert.That(File.Exists(Path.Combine(store.CurrentRoot!, "h/m/b.roa")), Is.False);
        Assert.That(Directory.GetDirectories(Repo, "staging-*"), Is.Empty);
    }

    [Test]
    public void Snapshot_with_a_traversal_URI_writes_nothing_outside_the_staging_tree()
    {
        var store = RepositoryStore.Open(Repo);
        using var staging = store.BeginEmpty();
        var applier = new RrdpApplier(staging.Root, freshTree: true);
        foreach (var evil in new[] { "rsync://h/m/../../../../escape.cer", "rsync://h/../escape.cer", "rsync://../m/escape.cer", "rsync://h/m/%2e%2e/x.cer/.." })
        {
            var xml = RrdpPublisher.SnapshotXml(Guid.Empty, 1, $"<publish uri=\"{evil}\">{Convert.ToBase64String(new byte[10])}</publish>");
            Assert.Throws<RrdpException>(() => SnapshotParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Guid.Empty, 1, new RrdpObjectRules("h"), applier, 1_000_000), evil);
        }
        Assert.That(Directory.EnumerateFileSystemEntries(_dir.Path, "escape.cer", SearchOption.AllDirectories), Is.Empty);
        Assert.That(Directory.EnumerateFileSystemEntries(staging.Root), Is.Empty);
    }

    [Test]
    public void Publishing_below_an_existing_file_fails_cleanly()
    {
        var store = RepositoryStore.Open(Repo);
        using var staging = store.BeginEmpty();
        var applier = new RrdpApplier(staging.Root, freshTree: true);
        var xml = RrdpPublisher.SnapshotXml(Guid.Empty, 1,
            $"<publish uri=\"rsync://h/m/a\">{Convert.ToBase64String([1])}</publish><publish uri=\"rsync://h/m/a/b.cer\">{Convert.ToBase64String([2])}</publish>");
        var e = Assert.Throws<RrdpException>(() => SnapshotParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Guid.Empty, 1, new RrdpObjectRules("h"), applier, 1_000_000))!;
        Assert.That(e.Message, Does.Contain("rsync://h/m/a/b.cer"));
    }

    [Test]
    public void Atomic_file_replacement_keeps_other_hard_links()
    {
        string a = _dir.Sub("a.txt"), b = _dir.Sub("b.txt");
        File.WriteAllText(a, "old");
        Assert.That(LinkCount(a), Is.EqualTo(1));
        Process.Start("ln", [a, b])!.WaitForExit();
        AtomicFile.Write(a, Encoding.ASCII.GetBytes("new"));
        Assert.That(File.ReadAllText(a), Is.EqualTo("new"));
        Assert.That(File.ReadAllText(b), Is.EqualTo("old"));
        Assert.That(Directory.GetFiles(_dir.Path, "*.tmp"), Is.Empty);
    }

    /// <summary>The file's hard link count, from stat(1).</summary>
    private static int LinkCount(string path)
    {
        var psi = new ProcessStartInfo("stat", ["-c", "%h", path]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return int.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
