using System.Text;
using RtrCache.Fetch.Rrdp;
using RtrCache.Fetch.Store;
using RtrCache.Fetch.Tests.Support;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// The snapshot writer pool: it must produce exactly the tree the single-threaded applier produces, keep the
/// applier's checks (duplicates, size cap), and turn any writer failure into a failed snapshot that leaves the
/// current generation as it was.
/// </summary>
public class ParallelSnapshotWriterTests
{
    private TempDir _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDir();
    [TearDown] public void TearDown() => _dir.Dispose();

    private static readonly RrdpObjectRules Rules = new("h", MaxObjectBytes: 100_000);

    /// <summary>A snapshot of <paramref name="count"/> objects spread over many directories, of sizes from 0 to 20 kB.</summary>
    private static string ManyObjects(int count)
    {
        var body = new StringBuilder();
        var random = new Random(42);
        for (int i = 0; i < count; i++)
        {
            var content = new byte[i % 97 == 0 ? 0 : random.Next(1, 20_000)];
            random.NextBytes(content);
            body.Append(Invariant($"<publish uri=\"rsync://h/m/ca{i / 25}/sub{i % 3}/obj{i}.roa\">{Convert.ToBase64String(content)}</publish>\n"));
        }
        return RrdpPublisher.SnapshotXml(Guid.Empty, 1, body.ToString());
    }

    private static string Invariant(FormattableString s) => FormattableString.Invariant(s);

    private static Stream Utf8(string xml) => new MemoryStream(Encoding.UTF8.GetBytes(xml));

    /// <summary>Every file under <paramref name="root"/> by relative path, with its content.</summary>
    private static SortedDictionary<string, byte[]> Tree(string root)
        => new(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllBytes), StringComparer.Ordinal);

    [Test]
    public void Many_objects_in_many_directories_give_the_single_threaded_tree()
    {
        string xml = ManyObjects(3000);
        string single = _dir.Sub("single"), parallel = _dir.Sub("parallel");
        Directory.CreateDirectory(single);
        Directory.CreateDirectory(parallel);
        long expected = SnapshotParser.Parse(Utf8(xml), Guid.Empty, 1, Rules, new RrdpApplier(single, freshTree: true), 100_000_000);

        // A queue budget smaller than one object: the parser waits for the writers over and over.
        using (var writer = new ParallelSnapshotWriter(parallel, writers: 4, queueBytes: 8_000))
        {
            Assert.That(SnapshotParser.Parse(Utf8(xml), Guid.Empty, 1, Rules, writer, 100_000_000), Is.EqualTo(expected));
            writer.Complete();
            Assert.That(writer.Published, Is.EqualTo(3000));
        }

        var a = Tree(single);
        var b = Tree(parallel);
        Assert.That(b.Keys, Is.EqualTo(a.Keys));
        foreach (var (path, content) in a) Assert.That(b[path], Is.EqualTo(content), path);
    }

    /// <summary>The objects of <see cref="ManyObjects"/> in a random order: every directory keeps reopening.</summary>
    private static string Shuffled(string xml, out int count)
    {
        var lines = xml.Split('\n').Where(l => l.StartsWith("<publish", StringComparison.Ordinal)).ToArray();
        new Random(7).Shuffle(lines);
        count = lines.Length;
        return RrdpPublisher.SnapshotXml(Guid.Empty, 1, string.Join("\n", lines) + "\n");
    }

    [Test]
    public void A_snapshot_in_random_order_is_spooled_and_written_in_path_order_into_the_same_tree()
    {
        string xml = Shuffled(ManyObjects(3000), out int count);
        string single = _dir.Sub("repo/single"), parallel = _dir.Sub("repo/gen-1");
        Directory.CreateDirectory(single);
        Directory.CreateDirectory(parallel);
        long expected = SnapshotParser.Parse(Utf8(xml), Guid.Empty, 1, Rules, new RrdpApplier(single, freshTree: true), 100_000_000);
        var progress = new SnapshotProgress(parallel, null, "h");
        using (var writer = new ParallelSnapshotWriter(parallel, writers: 2, queueBytes: 64_000, progress: progress))
        {
            Assert.That(SnapshotParser.Parse(Utf8(xml), Guid.Empty, 1, Rules, writer, 100_000_000), Is.EqualTo(expected));
            Assert.That(progress.Ungrouped, Is.True, "precondition: recognised as not grouped");
            Assert.That(writer.Spooled, Is.GreaterThan(count / 2), "most objects went through the spool");
            Assert.That(Directory.EnumerateFiles(_dir.Sub("repo"), "*.tmp"), Has.One.Items, "the spool sits beside the generation while the snapshot arrives");
            writer.Complete();
            Assert.That(writer.Published, Is.EqualTo(count));
        }
        Assert.That(Directory.EnumerateFiles(_dir.Sub("repo"), "*.tmp"), Is.Empty, "the spool is gone");
        Assert.That(progress.WhenWrittenAsync(Path.Combine(parallel, "h", "m", "ca0", "sub0")).IsCompleted, Is.True);
        var a = Tree(single);
        var b = Tree(parallel);
        Assert.That(b.Keys, Is.EqualTo(a.Keys));
        foreach (var (path, content) in a) Assert.That(b[path], Is.EqualTo(content), path);
    }

    [Test]
    public void A_duplicate_URI_in_a_spooled_snapshot_still_fails_it_and_the_spool_is_removed()
    {
        string xml = Shuffled(ManyObjects(1000), out _);
        // The first object once more at the very end: only the path-ordered creation at the end can find it.
        string first = xml.Split('\n').First(l => l.StartsWith("<publish", StringComparison.Ordinal));
        xml = xml.Replace("</snapshot>", first + "\n</snapshot>", StringComparison.Ordinal);
        string root = _dir.Sub("repo/gen-1");
        Directory.CreateDirectory(root);
        var progress = new SnapshotProgress(root, null, "h");
        var e = Assert.Throws<RrdpException>(() =>
        {
            using var writer = new ParallelSnapshotWriter(root, writers: 2, progress: progress);
            SnapshotParser.Parse(Utf8(xml), Guid.Empty, 1, Rules, writer, 100_000_000);
            Assert.That(writer.Spooled, Is.GreaterThan(0));
            writer.Complete();
        })!;
        string uri = first[(first.IndexOf('"') + 1)..first.IndexOf('"', first.IndexOf('"') + 1)];
        Assert.That(e.Message, Does.Contain("duplicate").And.Contain(uri));
        Assert.That(Directory.EnumerateFiles(_dir.Sub("repo"), "*.tmp"), Is.Empty, "the spool is gone after a failure too");
    }

    [Test]
    public void A_duplicate_URI_fails_the_snapshot()
    {
        string xml = RrdpPublisher.SnapshotXml(Guid.Empty, 1,
            $"<publish uri=\"rsync://h/m/a.roa\">{Convert.ToBase64String([1])}</publish><publish uri=\"rsync://h/m/b.roa\">{Convert.ToBase64String([2])}</publish><publish uri=\"rsync://h/m/a.roa\">{Convert.ToBase64String([3])}</publish>");
        using var writer = new ParallelSnapshotWriter(_dir.Path, writers: 3);
        var e = Assert.Throws<RrdpException>(() =>
        {
            SnapshotParser.Parse(Utf8(xml), Guid.Empty, 1, Rules, writer, 1_000_000);
            writer.Complete();
        })!;
        Assert.That(e.Message, Does.Contain("duplicate").And.Contain("rsync://h/m/a.roa"));
    }

    [Test]
    public void An_object_over_the_size_cap_fails_the_snapshot()
    {
        string xml = RrdpPublisher.SnapshotXml(Guid.Empty, 1, $"<publish uri=\"rsync://h/m/big.roa\">{Convert.ToBase64String(new byte[100_001])}</publish>");
        using var writer = new ParallelSnapshotWriter(_dir.Path);
        var e = Assert.Throws<RrdpException>(() => SnapshotParser.Parse(Utf8(xml), Guid.Empty, 1, Rules, writer, 1_000_000))!;
        Assert.That(e.Message, Does.Contain("larger than"));
    }

    [Test]
    public void A_writer_failure_fails_the_snapshot_and_leaves_the_current_generation_untouched()
    {
        string repo = _dir.Sub("repo");
        var store = RepositoryStore.Open(repo);
        using (var first = store.BeginEmpty())
        {
            Directory.CreateDirectory(Path.Combine(first.Root, "h/m"));
            File.WriteAllText(Path.Combine(first.Root, "h/m/old.roa"), "old");
            store.Commit(first);
        }
        string current = store.CurrentRoot!;

        using (var staging = store.BeginEmpty())
        {
            // A directory where a writer must create a file: the create fails in the writer, not in the parser.
            Directory.CreateDirectory(Path.Combine(staging.Root, "h/m/ca40/sub2/obj1001.roa"));
            using var writer = new ParallelSnapshotWriter(staging.Root, writers: 3, queueBytes: 50_000);
            var e = Assert.Throws<RrdpException>(() =>
            {
                SnapshotParser.Parse(Utf8(ManyObjects(3000)), Guid.Empty, 1, Rules, writer, 100_000_000);
                writer.Complete();
            })!;
            Assert.That(e.Message, Does.Contain("rsync://h/m/ca40/sub2/obj1001.roa"));
        }

        Assert.That(store.CurrentRoot, Is.EqualTo(current));
        Assert.That(Tree(current).Keys, Is.EqualTo(new[] { "h/m/old.roa" }));
        Assert.That(File.ReadAllText(Path.Combine(current, "h/m/old.roa")), Is.EqualTo("old"));
        Assert.That(Directory.GetDirectories(repo, "staging-*"), Is.Empty, "the failed staging tree is removed");
    }

    [Test]
    public void Cancellation_stops_the_writers()
    {
        using var cts = new CancellationTokenSource();
        using var writer = new ParallelSnapshotWriter(_dir.Path, writers: 2, ct: cts.Token);
        cts.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
        {
            SnapshotParser.Parse(Utf8(ManyObjects(10)), Guid.Empty, 1, Rules, writer, 100_000_000);
            writer.Complete();
        });
    }
}
