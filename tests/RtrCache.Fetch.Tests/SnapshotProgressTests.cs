using System.Text;
using RtrCache.Fetch.Rrdp;
using RtrCache.Fetch.Tests.Support;
using RtrCache.Fetch.Uris;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Fetch.Tests;

/// <summary>
/// What the snapshot writer tells the validator while a snapshot is applied (<see cref="SnapshotProgress"/>): a
/// directory counts as written once the parser has moved on and its objects are on disk, a directory that gets
/// objects again counts as open until the parser leaves it again, every directory is complete once the writers
/// have written the whole snapshot (before its hash check and commit), and the end of the snapshot releases everyone.
/// </summary>
public class SnapshotProgressTests
{
    private TempDir _dir = null!;

    [SetUp] public void SetUp() => _dir = new TempDir();
    [TearDown] public void TearDown() => _dir.Dispose();

    private static readonly RrdpObjectRules Rules = new("h", MaxObjectBytes: 100_000);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static string Snapshot(params string[] paths)
        => RrdpPublisher.SnapshotXml(Guid.Empty, 1, string.Concat(paths.Select((p, i) =>
            $"<publish uri=\"rsync://h/m/{p}\">{Convert.ToBase64String(Encoding.ASCII.GetBytes("object " + i))}</publish>\n")));

    /// <summary>Calls <paramref name="after"/> with each URI once the writer has accepted it.</summary>
    private sealed class Watching(IRrdpChangeSink inner, Action<RsyncUri> after) : IRrdpChangeSink
    {
        public void Publish(RsyncUri uri, byte[]? replacesHash, RrdpObjectContent content)
        {
            inner.Publish(uri, replacesHash, content);
            after(uri);
        }

        public void Withdraw(RsyncUri uri, byte[] hash) => inner.Withdraw(uri, hash);
    }

    private string Dir(string root, string relative) => Path.Combine(root, "h", "m", relative);

    [TestCase(1)]
    [TestCase(3)]
    public void A_directory_is_written_when_the_parser_has_left_it_and_its_files_are_on_disk(int writers)
    {
        string root = _dir.Sub("gen-1");
        Directory.CreateDirectory(root);
        var progress = new SnapshotProgress(root, null, "h");
        var seen = new List<string>();
        using var writer = new ParallelSnapshotWriter(root, writers, ct: CancellationToken.None, progress: progress);
        var sink = new Watching(writer, uri =>
        {
            seen.Add(uri.Text);
            switch (uri.Text)
            {
                case "rsync://h/m/b/1.roa":
                    // The parser has left a/: its objects are on disk once it is reported written.
                    Assert.That(progress.WhenWrittenAsync(Dir(root, "a")).Wait(Limit), Is.True, "a/ reported written");
                    Assert.That(File.Exists(Path.Combine(Dir(root, "a"), "1.roa")) && File.Exists(Path.Combine(Dir(root, "a"), "2.roa")), Is.True);
                    Assert.That(progress.WhenWrittenAsync(Dir(root, "b")).IsCompleted, Is.False, "b/ is still being written");
                    break;
                case "rsync://h/m/a/3.roa":
                    // a/ again: open until the parser leaves it once more.
                    Assert.That(progress.WhenWrittenAsync(Dir(root, "a")).IsCompleted, Is.False, "a/ reopened");
                    break;
                case "rsync://h/m/c/1.roa":
                    Assert.That(progress.WhenWrittenAsync(Dir(root, "a")).Wait(Limit), Is.True, "a/ written again after the parser left it");
                    Assert.That(File.Exists(Path.Combine(Dir(root, "a"), "3.roa")), Is.True);
                    break;
            }
        });
        SnapshotParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(Snapshot("a/1.roa", "a/2.roa", "b/1.roa", "b/2.roa", "a/3.roa", "c/1.roa"))),
            Guid.Empty, 1, Rules, sink, 1_000_000);
        Assert.That(seen, Has.Count.EqualTo(6));
        Assert.That(progress.Ungrouped, Is.False, "one reopened directory does not make a snapshot ungrouped");
        // The parser is at the end but the writers may still be busy: the last directory is not marked by any other.
        var last = progress.WhenWrittenAsync(Dir(root, "c"));
        var unknown = progress.WhenWrittenAsync(Dir(root, "never"));
        Assert.That(progress.WhenWrittenAsync(Dir(root, "b")).Wait(Limit), Is.True);

        writer.Complete();
        Assert.Multiple(() =>
        {
            Assert.That(last.Wait(Limit), Is.True, "once every object is written, the last directory is complete too");
            Assert.That(File.Exists(Path.Combine(Dir(root, "c"), "1.roa")), Is.True);
            Assert.That(unknown.Wait(Limit), Is.True, "and a directory the snapshot does not have stays as it is: no one waits for it");
            Assert.That(progress.Completion.IsCompleted, Is.False, "still provisional: the hash check and the commit come after");
        });

        progress.End(committed: true);
        Assert.Multiple(() =>
        {
            Assert.That(progress.Completion.Result, Is.True);
            Assert.That(progress.WhenWrittenAsync(Dir(root, "later")).IsCompleted, Is.True, "after the end nothing waits");
        });
    }

    [Test]
    public void A_writer_that_fails_does_not_report_the_snapshot_written()
    {
        string root = _dir.Sub("gen-1");
        Directory.CreateDirectory(root);
        var progress = new SnapshotProgress(root, null, "h");
        var waiting = progress.WhenWrittenAsync(Dir(root, "a"));
        using var writer = new ParallelSnapshotWriter(root, 1, ct: CancellationToken.None, progress: progress);
        // The same URI twice: the second create finds the first file and fails the snapshot.
        Assert.Throws<RrdpException>(() =>
        {
            SnapshotParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(Snapshot("a/1.roa", "a/1.roa"))), Guid.Empty, 1, Rules, writer, 1_000_000);
            writer.Complete();
        });
        Assert.That(waiting.IsCompleted, Is.False, "nothing is complete about a failed snapshot before its end");
        progress.End(committed: false);
        Assert.That(waiting.Wait(Limit), Is.True);
        Assert.That(progress.Completion.Result, Is.False);
    }

    [Test]
    public void In_a_snapshot_not_grouped_by_directory_nothing_is_reported_before_the_end()
    {
        string root = _dir.Sub("gen-1");
        Directory.CreateDirectory(root);
        var progress = new SnapshotProgress(root, null, "h");
        // 300 directories with two objects each, the second round after all the first ones: every directory reopens.
        var paths = Enumerable.Range(0, 2).SelectMany(round => Enumerable.Range(0, 300).Select(d => $"d{d}/{round}.roa")).ToArray();
        Task? first = null;
        using (var writer = new ParallelSnapshotWriter(root, 2, ct: CancellationToken.None, progress: progress))
        {
            var sink = new Watching(writer, uri =>
            {
                if (uri.Text != "rsync://h/m/d299/1.roa") return;
                // The last object: every directory was left at least twice by now.
                first = progress.WhenWrittenAsync(Dir(root, "d0"));
                Thread.Sleep(100);
                Assert.That(progress.Ungrouped, Is.True);
                Assert.That(first.IsCompleted, Is.False, "d0/ was left twice, yet is not offered early: the order says nothing");
            });
            SnapshotParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(Snapshot(paths))), Guid.Empty, 1, Rules, sink, 10_000_000);
            Assert.That(first, Is.Not.Null);
            Assert.That(first!.IsCompleted, Is.False);
            writer.Complete();
        }
        Assert.That(first.Wait(Limit), Is.True, "once everything is written, whatever the order, every directory is complete");
        Assert.That(progress.Completion.IsCompleted, Is.False);
        progress.End(committed: true);
    }

    [Test]
    public void A_discarded_snapshot_says_so_and_releases_its_waiters()
    {
        var progress = new SnapshotProgress(_dir.Sub("gen-2"), _dir.Sub("gen-1"), "h");
        var waiting = progress.WhenWrittenAsync(Dir(progress.Root, "a"));
        progress.End(committed: false);
        Assert.Multiple(() =>
        {
            Assert.That(waiting.Wait(Limit), Is.True);
            Assert.That(progress.Completion.Result, Is.False);
        });
        progress.End(committed: true);
        Assert.That(progress.Completion.Result, Is.False, "the first end is the one that counts");
    }
}
