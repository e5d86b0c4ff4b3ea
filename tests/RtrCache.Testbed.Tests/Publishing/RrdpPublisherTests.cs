using System.Xml.Linq;
using RtrCache.Testbed.Publishing;
using static RtrCache.Testbed.Tests.Publishing.PublishingSupport;

namespace RtrCache.Testbed.Tests.Publishing;

/// <summary>
/// The RRDP files the publisher writes, checked against RFC 8182 with our own parsing and hashing: a snapshot
/// equal to the tree, deltas holding exactly the changes with the right hashes, a notification listing them,
/// and each fault doing what it says.
/// </summary>
public class RrdpPublisherTests
{
    private const string Base = "https://127.0.0.1:1/rrdp/";
    private string _work = null!;
    private string _tree = null!;

    [SetUp]
    public void SetUp()
    {
        _work = NewWorkDir("publisher");
        _tree = Path.Combine(_work, "tree");
        CopyTree(TinyRepository.Good.TreeRoot, _tree);
    }

    [TearDown]
    public void TearDown() => TinyRepository.TryDelete(_work);

    private RrdpPublisher NewPublisher(RrdpPublisherOptions? options = null) => new(Path.Combine(_work, "rrdp"), Base, options);

    private static XDocument Load(string path) => ParseStrict(File.ReadAllBytes(path));

    private static void AssertRoot(XElement root, string name, RrdpPublisher p, long serial)
    {
        Assert.That(root.Name, Is.EqualTo(Rrdp + name));
        Assert.That(root.Attributes().Select(a => a.Name.LocalName), Is.EquivalentTo(new[] { "xmlns", "version", "session_id", "serial" }));
        Assert.That((string?)root.Attribute("version"), Is.EqualTo("1"));
        Assert.That((string?)root.Attribute("session_id"), Is.EqualTo(p.SessionId.ToString("D")));
        Assert.That((string?)root.Attribute("serial"), Is.EqualTo(serial.ToString()));
    }

    /// <summary>Notification → snapshot by its listed URI and hash; the snapshot's publish elements are exactly the tree's files.</summary>
    [Test]
    public void FirstPublicationIsASnapshotOfTheWholeTree()
    {
        var p = NewPublisher();
        var result = p.Publish(_tree);
        var tree = TreeFiles(_tree);

        Assert.That(result.Serial, Is.EqualTo(1));
        Assert.That(result.Delta, Is.Null);
        var session = p.SessionId.ToString("D");
        Assert.That(session, Does.Match("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"), "UUID v4, lower case");

        var notification = Load(p.NotificationPath).Root!;
        AssertRoot(notification, "notification", p, 1);
        var snapshotRef = notification.Elements().Single();
        Assert.That(snapshotRef.Name, Is.EqualTo(Rrdp + "snapshot"));
        var snapshotUri = (string)snapshotRef.Attribute("uri")!;
        Assert.That(snapshotUri, Does.StartWith(Base), "same origin as the notification");
        var snapshotBytes = File.ReadAllBytes(Path.Combine(p.OutputDirectory, snapshotUri[Base.Length..]));
        Assert.That((string)snapshotRef.Attribute("hash")!, Is.EqualTo(Sha256Hex(snapshotBytes)));

        var snapshot = ParseStrict(snapshotBytes).Root!;
        AssertRoot(snapshot, "snapshot", p, 1);
        var published = new Dictionary<string, byte[]>();
        foreach (var e in snapshot.Elements())
        {
            Assert.That(e.Name, Is.EqualTo(Rrdp + "publish"));
            Assert.That(e.Attributes().Select(a => a.Name.LocalName), Is.EqualTo(new[] { "uri" }), "snapshot publish has no hash");
            published.Add((string)e.Attribute("uri")!, Convert.FromBase64String(e.Value));
        }
        Assert.That(published.Keys, Is.EquivalentTo(tree.Keys));
        Assert.That(published.Keys, Does.Contain("rsync://rpki.testbed.test/repo/ta/ta.cer"));
        foreach (var (uri, bytes) in tree) Assert.That(published[uri], Is.EqualTo(bytes), uri);
        Assert.That(p.Published.Keys, Is.EquivalentTo(tree.Keys));
    }

    /// <summary>One added, one changed, one removed file: the delta has exactly those three elements with the RFC 8182 hash rules.</summary>
    [Test]
    public void DeltaHoldsExactlyTheChangesWithTheOldHashes()
    {
        var p = NewPublisher();
        p.Publish(_tree);
        var before = TreeFiles(_tree);
        var ca0 = Path.Combine(_tree, "rpki.testbed.test", "repo", "ca0");
        var changedPath = Path.Combine(ca0, "roa-0.roa");
        var removedPath = Path.Combine(ca0, "roa-1.roa");
        var addedPath = Path.Combine(ca0, "new.roa");
        const string changedUri = "rsync://rpki.testbed.test/repo/ca0/roa-0.roa";
        const string removedUri = "rsync://rpki.testbed.test/repo/ca0/roa-1.roa";
        const string addedUri = "rsync://rpki.testbed.test/repo/ca0/new.roa";
        File.WriteAllBytes(changedPath, [.. File.ReadAllBytes(changedPath), 0x00]);
        File.Delete(removedPath);
        File.WriteAllBytes(addedPath, Enumerable.Range(0, 300).Select(i => (byte)i).ToArray());

        var result = p.Publish(_tree);
        Assert.That(result.Serial, Is.EqualTo(2));
        Assert.That(result.Added, Is.EqualTo(new[] { addedUri }));
        Assert.That(result.Replaced, Is.EqualTo(new[] { changedUri }));
        Assert.That(result.Withdrawn, Is.EqualTo(new[] { removedUri }));

        var notification = Load(p.NotificationPath).Root!;
        AssertRoot(notification, "notification", p, 2);
        var deltaRef = notification.Elements(Rrdp + "delta").Single();
        Assert.That((string?)deltaRef.Attribute("serial"), Is.EqualTo("2"));
        var deltaUri = (string)deltaRef.Attribute("uri")!;
        var deltaBytes = File.ReadAllBytes(Path.Combine(p.OutputDirectory, deltaUri[Base.Length..]));
        Assert.That((string)deltaRef.Attribute("hash")!, Is.EqualTo(Sha256Hex(deltaBytes)));
        var snapshotRef = notification.Element(Rrdp + "snapshot")!;
        var snapshotBytes = File.ReadAllBytes(Path.Combine(p.OutputDirectory, ((string)snapshotRef.Attribute("uri")!)[Base.Length..]));
        Assert.That((string)snapshotRef.Attribute("hash")!, Is.EqualTo(Sha256Hex(snapshotBytes)));
        Assert.That(ParseStrict(snapshotBytes).Root!.Elements().Select(e => (string)e.Attribute("uri")!), Is.EquivalentTo(TreeFiles(_tree).Keys));

        var delta = ParseStrict(deltaBytes).Root!;
        AssertRoot(delta, "delta", p, 2);
        var elements = delta.Elements().ToList();
        Assert.That(elements, Has.Count.EqualTo(3));
        var added = elements.Single(e => (string?)e.Attribute("uri") == addedUri);
        Assert.That(added.Name, Is.EqualTo(Rrdp + "publish"));
        Assert.That(added.Attribute("hash"), Is.Null, "a new object is published without hash");
        Assert.That(Convert.FromBase64String(added.Value), Is.EqualTo(File.ReadAllBytes(addedPath)));
        var replaced = elements.Single(e => (string?)e.Attribute("uri") == changedUri);
        Assert.That(replaced.Name, Is.EqualTo(Rrdp + "publish"));
        Assert.That((string?)replaced.Attribute("hash"), Is.EqualTo(Sha256Hex(before[changedUri])), "hash of the replaced content");
        Assert.That(Convert.FromBase64String(replaced.Value), Is.EqualTo(File.ReadAllBytes(changedPath)));
        var withdrawn = elements.Single(e => (string?)e.Attribute("uri") == removedUri);
        Assert.That(withdrawn.Name, Is.EqualTo(Rrdp + "withdraw"));
        Assert.That((string?)withdrawn.Attribute("hash"), Is.EqualTo(Sha256Hex(before[removedUri])));
        Assert.That(withdrawn.Value, Is.Empty);

        var again = p.Publish(_tree);
        Assert.That(again.IsUnchanged && again.Serial == 2, "an unchanged tree publishes nothing");
    }

    /// <summary>Only the newest KeepDeltas deltas are listed, newest first, forming a run that ends at the notification serial.</summary>
    [Test]
    public void NotificationListsTheLastDeltas()
    {
        var p = NewPublisher(new RrdpPublisherOptions { KeepDeltas = 2 });
        p.Publish(_tree);
        var file = Path.Combine(_tree, "rpki.testbed.test", "repo", "ca0", "extra.roa");
        for (int i = 0; i < 3; i++)
        {
            File.WriteAllBytes(file, Enumerable.Repeat((byte)i, 200).ToArray());
            p.Publish(_tree);
        }
        var listed = Load(p.NotificationPath).Root!.Elements(Rrdp + "delta").Select(d => (long)d.Attribute("serial")!).ToList();
        Assert.That(p.Serial, Is.EqualTo(4));
        Assert.That(listed, Is.EqualTo(new long[] { 4, 3 }));
        Assert.That(p.AllDeltas.Select(d => d.Serial), Is.EqualTo(new long[] { 2, 3, 4 }));
    }

    [Test]
    public void FaultsChangeTheNotificationAsDescribed()
    {
        var p = NewPublisher();
        p.Publish(_tree);
        var file = Path.Combine(_tree, "rpki.testbed.test", "repo", "ca0", "extra.roa");
        for (int i = 0; i < 3; i++)
        {
            File.WriteAllBytes(file, Enumerable.Repeat((byte)i, 200).ToArray());
            p.Publish(_tree);
        }
        XElement N() => Load(p.NotificationPath).Root!;
        string ListedHash(long serial) => (string)N().Elements(Rrdp + "delta").Single(d => (long)d.Attribute("serial")! == serial).Attribute("hash")!;

        // gap
        p.DropDelta(3);
        Assert.That(N().Elements(Rrdp + "delta").Select(d => (long)d.Attribute("serial")!), Is.EqualTo(new long[] { 4, 2 }));

        // wrong hashes; the files stay right
        p.CorruptDeltaHash(2);
        var d2 = p.AllDeltas.Single(d => d.Serial == 2);
        Assert.That(ListedHash(2), Is.Not.EqualTo(d2.Hash).And.Length.EqualTo(64));
        Assert.That(Sha256Hex(File.ReadAllBytes(d2.FilePath)), Is.EqualTo(d2.Hash));
        p.CorruptSnapshotHash();
        Assert.That((string)N().Element(Rrdp + "snapshot")!.Attribute("hash")!, Is.Not.EqualTo(Sha256Hex(File.ReadAllBytes(p.Snapshot!.FilePath))));

        // cross origin
        p.ListUrisUnder("https://127.0.0.1:2/rrdp/");
        Assert.That(N().Descendants().Select(e => (string)e.Attribute("uri")!), Has.All.StartWith("https://127.0.0.1:2/rrdp/"));

        p.ClearFaults();
        Assert.That(N().Elements(Rrdp + "delta").Count(), Is.EqualTo(3));
        Assert.That(ListedHash(2), Is.EqualTo(d2.Hash));
        Assert.That(N().Descendants().Select(e => (string)e.Attribute("uri")!), Has.All.StartWith(Base));

        // empty delta: serial + 1, no elements
        var empty = p.PublishEmptyDelta(_tree);
        Assert.That(empty.Serial, Is.EqualTo(5));
        Assert.That(ParseStrict(File.ReadAllBytes(empty.FilePath)).Root!.Elements(), Is.Empty);
        Assert.That((long)N().Attribute("serial")!, Is.EqualTo(5));

        // session reset
        var oldSession = p.SessionId;
        p.NewSession(_tree);
        var n = N();
        Assert.That(p.SessionId, Is.Not.EqualTo(oldSession));
        Assert.That((string?)n.Attribute("session_id"), Is.EqualTo(p.SessionId.ToString("D")));
        Assert.That((long)n.Attribute("serial")!, Is.EqualTo(1));
        Assert.That(n.Elements(Rrdp + "delta"), Is.Empty);
        var snap = ParseStrict(File.ReadAllBytes(p.Snapshot!.FilePath)).Root!;
        Assert.That((string?)snap.Attribute("session_id"), Is.EqualTo(p.SessionId.ToString("D")));
        Assert.That(snap.Elements().Count(), Is.EqualTo(TreeFiles(_tree).Count));
    }

    /// <summary>
    /// Replaced snapshot and delta bytes are on disk and listed with their own SHA-256 (a client's hash check passes,
    /// the content is what is wrong); a listed-hash fault of the same file is dropped; the other files stay.
    /// </summary>
    [Test]
    public void ReplacedFilesAreListedWithTheirOwnHash()
    {
        var p = NewPublisher();
        p.Publish(_tree);
        File.WriteAllBytes(Path.Combine(_tree, "rpki.testbed.test", "repo", "ca0", "extra.roa"), Enumerable.Repeat((byte)7, 200).ToArray());
        p.Publish(_tree);
        XElement N() => Load(p.NotificationPath).Root!;

        p.CorruptDeltaHash(2);
        var deltaBytes = System.Text.Encoding.UTF8.GetBytes(RrdpPublisher.DeltaXml(p.SessionId, 2, "<withdraw uri=\"rsync://h/m/x.roa\" hash=\"" + new string('0', 64) + "\"/>"));
        var delta = p.ReplaceDelta(2, deltaBytes);
        Assert.That(File.ReadAllBytes(delta.FilePath), Is.EqualTo(deltaBytes));
        Assert.That(delta.Hash, Is.EqualTo(Sha256Hex(deltaBytes)).And.EqualTo(RrdpPublisher.HashHex(deltaBytes)));
        Assert.That(delta.Length, Is.EqualTo(deltaBytes.Length));
        Assert.That(p.AllDeltas.Single(), Is.EqualTo(delta));
        Assert.That((string)N().Element(Rrdp + "delta")!.Attribute("hash")!, Is.EqualTo(delta.Hash));
        AssertRoot(ParseStrict(deltaBytes).Root!, "delta", p, 2);

        var snapshotBefore = p.Snapshot!;
        var half = File.ReadAllBytes(snapshotBefore.FilePath)[..(int)(snapshotBefore.Length / 2)];
        p.CorruptSnapshotHash();
        var snapshot = p.ReplaceSnapshot(half);
        Assert.That(snapshot.Serial, Is.EqualTo(2));
        Assert.That(snapshot.Uri, Is.EqualTo(snapshotBefore.Uri));
        Assert.That(File.ReadAllBytes(snapshot.FilePath), Is.EqualTo(half));
        Assert.That(p.Snapshot, Is.EqualTo(snapshot));
        Assert.That((string)N().Element(Rrdp + "snapshot")!.Attribute("hash")!, Is.EqualTo(Sha256Hex(half)));

        Assert.Throws<ArgumentException>(() => p.ReplaceDelta(9, deltaBytes));
        Assert.Throws<InvalidOperationException>(() => new RrdpPublisher(Path.Combine(_work, "unpublished"), Base).ReplaceSnapshot(half));
    }

    /// <summary>The hand-written document helpers produce the same root as published files, around the body unchanged.</summary>
    [Test]
    public void HandWrittenDocumentsHaveThePublishedRoot()
    {
        var p = NewPublisher();
        p.Publish(_tree);
        var body = "<publish uri=\"rsync://h/m/a.roa\">AAAA</publish>\n";
        var snapshot = ParseStrict(System.Text.Encoding.UTF8.GetBytes(RrdpPublisher.SnapshotXml(p.SessionId, 5, body))).Root!;
        AssertRoot(snapshot, "snapshot", p, 5);
        Assert.That((string)snapshot.Element(Rrdp + "publish")!.Attribute("uri")!, Is.EqualTo("rsync://h/m/a.roa"));
        Assert.That(RrdpPublisher.DeltaXml(p.SessionId, 6, body), Does.StartWith("<delta ").And.Contain(body).And.EndWith("</delta>\n"));
        Assert.That(RrdpPublisher.HashHex([1, 2, 3]), Is.EqualTo(Sha256Hex([1, 2, 3])));
    }

    /// <summary>Wrapped base64 (allowed by RFC 8182) still decodes to the file.</summary>
    [Test]
    public void WrappedBase64DecodesToTheSameBytes()
    {
        var p = NewPublisher(new RrdpPublisherOptions { Base64LineLength = 64 });
        p.Publish(_tree);
        var tree = TreeFiles(_tree);
        var elements = ParseStrict(File.ReadAllBytes(p.Snapshot!.FilePath)).Root!.Elements().ToList();
        Assert.That(elements.Any(e => e.Value.Contains('\n')));
        foreach (var e in elements)
        {
            var text = new string(e.Value.Where(c => !char.IsWhiteSpace(c)).ToArray());
            Assert.That(Convert.FromBase64String(text), Is.EqualTo(tree[(string)e.Attribute("uri")!]));
        }
    }
}
