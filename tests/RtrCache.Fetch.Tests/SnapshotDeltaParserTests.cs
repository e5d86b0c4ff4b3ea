using System.Text;
using RtrCache.Fetch.Rrdp;
using RtrCache.Fetch.Tests.Support;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Fetch.Tests;

/// <summary>Snapshot and delta parsing (RFC 8182 §3.5.2–3): strict structure, object URI rules, content limits, and the publish/withdraw preconditions.</summary>
public class SnapshotDeltaParserTests
{
    private static readonly Guid Session = Guid.Parse("9df4b597-af9e-4dca-bdda-719cce2c4e28");
    private const string Host = "rpki.example.net";
    private static readonly RrdpObjectRules Rules = new(Host, 1024);

    private static string U(string path) => $"rsync://{Host}/repo/{path}";
    private static string B64(byte[] b) => Convert.ToBase64String(b);
    private static readonly byte[] A = TestData.Blob(1), B = TestData.Blob(2), C = TestData.Blob(3);

    private static MemorySink Snapshot(string body, long serial = 5, Guid? session = null, MemorySink? sink = null, RrdpObjectRules? rules = null)
    {
        sink ??= new MemorySink();
        var xml = RrdpPublisher.SnapshotXml(session ?? Session, serial, body);
        SnapshotParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Session, 5, rules ?? Rules, sink, 1_000_000);
        return sink;
    }

    private static MemorySink Delta(string body, MemorySink sink, long serial = 6, Guid? session = null)
    {
        var xml = RrdpPublisher.DeltaXml(session ?? Session, serial, body);
        DeltaParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Session, 6, Rules, sink, 1_000_000);
        return sink;
    }

    private static MemorySink Base() => Snapshot($"<publish uri=\"{U("a.roa")}\">{B64(A)}</publish><publish uri=\"{U("ca/b.mft")}\">{B64(B)}</publish>");

    private static void SnapshotRejected(string body, string messagePart)
    {
        var e = Assert.Throws<RrdpException>(() => Snapshot(body))!;
        Assert.That(e.Message, Does.Contain(messagePart).IgnoreCase, e.Message);
    }

    private static void DeltaRejected(string body, string messagePart)
    {
        var e = Assert.Throws<RrdpException>(() => Delta(body, Base()))!;
        Assert.That(e.Message, Does.Contain(messagePart).IgnoreCase, e.Message);
    }

    // ------------------------------------------------------------------ snapshot

    [Test]
    public void Snapshot_publishes_every_object_with_decoded_content()
    {
        var sink = Base();
        Assert.That(sink.Objects.Keys, Is.EquivalentTo(new[] { U("a.roa"), U("ca/b.mft") }));
        Assert.That(sink.Objects[U("a.roa")], Is.EqualTo(A));
        Assert.That(sink.Objects[U("ca/b.mft")], Is.EqualTo(B));
    }

    [Test]
    public void Base64_may_be_wrapped_with_whitespace()
    {
        string wrapped = string.Join("\n   ", B64(C).Chunk(16).Select(c => new string(c)));
        var sink = Snapshot($"<publish uri=\"{U("c.cer")}\">\n   {wrapped}\n</publish>");
        Assert.That(sink.Objects[U("c.cer")], Is.EqualTo(C));
    }

    [Test]
    public void Empty_snapshot_is_a_valid_empty_repository() => Assert.That(Snapshot("").Objects, Is.Empty);

    [Test] public void Snapshot_session_mismatch() => Assert.Throws<RrdpException>(() => Snapshot("", session: Guid.NewGuid()));
    [Test] public void Snapshot_serial_mismatch() => Assert.Throws<RrdpException>(() => Snapshot("", serial: 4));
    [Test] public void Duplicate_publish_in_snapshot() => SnapshotRejected($"<publish uri=\"{U("a.roa")}\">{B64(A)}</publish><publish uri=\"{U("a.roa")}\">{B64(B)}</publish>", "duplicate");
    [Test] public void Hash_attribute_in_snapshot() => SnapshotRejected($"<publish uri=\"{U("a.roa")}\" hash=\"{RrdpPublisher.HashHex(A)}\">{B64(A)}</publish>", "unknown attribute 'hash'");
    [Test] public void Withdraw_in_snapshot() => SnapshotRejected($"<withdraw uri=\"{U("a.roa")}\" hash=\"{RrdpPublisher.HashHex(A)}\"/>", "<publish>");
    [Test] public void Publish_without_uri() => SnapshotRejected($"<publish>{B64(A)}</publish>", "'uri'");
    [Test] public void Invalid_base64() => SnapshotRejected($"<publish uri=\"{U("a.roa")}\">!!!notbase64</publish>", "malformed");
    [Test] public void Element_inside_publish() => Assert.Throws<RrdpException>(() => Snapshot($"<publish uri=\"{U("a.roa")}\">{B64(A)}<x/></publish>"));

    [Test]
    public void Object_larger_than_the_limit_is_refused()
        => SnapshotRejected($"<publish uri=\"{U("big.roa")}\">{B64(new byte[2000])}</publish>", "larger than 1024 bytes");

    [TestCase("rsync://other.example.net/repo/a.roa", "not on the repository host")]
    [TestCase("rsync://rpki.example.net:8873/repo/a.roa", "not on the repository host")]
    [TestCase("rsync://rpki.example.net/repo/../../../etc/passwd", "unsafe path segment")]
    [TestCase("rsync://rpki.example.net/repo/./a.roa", "unsafe path segment")]
    [TestCase("rsync://rpki.example.net/repo//a.roa", "unsafe path segment")]
    [TestCase("rsync://rpki.example.net/repo/a\\..\\b.roa", "unsafe path segment")]
    [TestCase("rsync://rpki.example.net/-repo/a.roa", "module")]
    [TestCase("rsync://rpki.example.net/repo/", "does not name a file")]
    [TestCase("rsync://rpki.example.net/repo", "does not name a file")]
    [TestCase("https://rpki.example.net/repo/a.roa", "not an rsync")]
    [TestCase("/etc/passwd", "not an rsync")]
    [TestCase("rsync://rpki.example.net/repo/a b.roa", "space")]
    [TestCase("rsync://rpki.example.net/repo/a&#x9;b.roa", "control")]
    [TestCase("rsync://rpki.example.net/repo/&#xE9;.roa", "non-ASCII")]
    public void Unsafe_or_foreign_object_URI_fails_the_file_naming_the_URI(string uri, string reason)
    {
        var e = Assert.Throws<RrdpException>(() => Snapshot($"<publish uri=\"{uri}\">{B64(A)}</publish>"))!;
        Assert.That(e.Message, Does.Contain(reason));
        Assert.That(e.Message, Does.Contain("rejected object URI"));
    }

    [Test]
    public void Host_comparison_ignores_case()
        => Assert.That(Snapshot($"<publish uri=\"rsync://RPKI.example.NET/repo/a.roa\">{B64(A)}</publish>").Objects, Has.Count.EqualTo(1));

    [Test]
    public void Snapshot_with_DOCTYPE_is_refused()
    {
        var xml = "<!DOCTYPE snapshot [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + RrdpPublisher.SnapshotXml(Session, 5, $"<publish uri=\"{U("a.roa")}\">&e;</publish>");
        var e = Assert.Throws<RrdpException>(() => SnapshotParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Session, 5, Rules, new MemorySink(), 1_000_000))!;
        Assert.That(e.Message, Does.Contain("DTD"));
    }

    [Test]
    public void Huge_attribute_is_refused_before_it_is_buffered()
    {
        var xml = Encoding.UTF8.GetBytes(RrdpPublisher.SnapshotXml(Session, 5, $"<publish uri=\"{U(new string('a', 10_000_000))}\">{B64(A)}</publish>"));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<RrdpException>(() => SnapshotParser.Parse(new MemoryStream(xml), Session, 5, Rules, new MemorySink(), xml.Length))!;
        Assert.That(e.Message, Does.Contain("single tag longer than 65536"));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(5_000_000));
    }

    [Test]
    public void Huge_run_of_whitespace_between_elements_is_refused()
        => SnapshotRejected(new string('\n', 200_000) + $"<publish uri=\"{U("a.roa")}\">{B64(A)}</publish>", "single character data longer");

    [Test]
    public void Long_but_bounded_whitespace_between_elements_is_fine()
        => Assert.That(Snapshot(new string(' ', 20_000) + $"<publish uri=\"{U("a.roa")}\">{B64(A)}</publish>" + new string('\n', 9_000)).Objects, Has.Count.EqualTo(1));

    [Test]
    public void Huge_text_outside_a_publish_element_is_refused_without_buffering_it()
    {
        var xml = Encoding.UTF8.GetBytes(RrdpPublisher.SnapshotXml(Session, 5, new string('x', 5_000_000)));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<RrdpException>(() => SnapshotParser.Parse(new MemoryStream(xml), Session, 5, Rules, new MemorySink(), xml.Length));
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(3_000_000));
    }

    [Test]
    public void Huge_comment_is_refused() => SnapshotRejected("<!--" + new string('-', 1) + new string('c', 100_000) + "-->", "single comment longer");

    [Test]
    public void Quotes_and_markup_characters_in_comments_and_attributes_do_not_confuse_the_bounds()
    {
        var sink = Snapshot($"<!-- it's \"quoted\" > and < -->\n<publish uri=\"{U("q.roa")}\"><![CDATA[{B64(A)}]]></publish><?pi x='>'?>");
        Assert.That(sink.Objects[U("q.roa")], Is.EqualTo(A));
    }

    // ------------------------------------------------------------------ delta

    [Test]
    public void Delta_creates_replaces_and_withdraws()
    {
        var sink = Delta($"""
            <publish uri="{U("new.roa")}">{B64(C)}</publish>
            <publish uri="{U("ca/b.mft")}" hash="{RrdpPublisher.HashHex(B)}">{B64(A)}</publish>
            <withdraw uri="{U("a.roa")}" hash="{RrdpPublisher.HashHex(A)}"/>
            """, Base());
        Assert.That(sink.Objects.Keys, Is.EquivalentTo(new[] { U("new.roa"), U("ca/b.mft") }));
        Assert.That(sink.Objects[U("ca/b.mft")], Is.EqualTo(A));
        Assert.That(sink.Objects[U("new.roa")], Is.EqualTo(C));
    }

    [Test] public void Delta_publish_without_hash_of_existing_object() => DeltaRejected($"<publish uri=\"{U("a.roa")}\">{B64(C)}</publish>", "duplicate");
    [Test] public void Delta_replace_with_wrong_hash() => DeltaRejected($"<publish uri=\"{U("a.roa")}\" hash=\"{RrdpPublisher.HashHex(B)}\">{B64(C)}</publish>", "hash");
    [Test] public void Delta_replace_of_missing_object() => DeltaRejected($"<publish uri=\"{U("missing.roa")}\" hash=\"{RrdpPublisher.HashHex(B)}\">{B64(C)}</publish>", "not present");
    [Test] public void Delta_withdraw_without_hash() => DeltaRejected($"<withdraw uri=\"{U("a.roa")}\"/>", "'hash'");
    [Test] public void Delta_withdraw_with_wrong_hash() => DeltaRejected($"<withdraw uri=\"{U("a.roa")}\" hash=\"{RrdpPublisher.HashHex(B)}\"/>", "hash");
    [Test] public void Delta_withdraw_of_missing_object() => DeltaRejected($"<withdraw uri=\"{U("zzz.roa")}\" hash=\"{RrdpPublisher.HashHex(B)}\"/>", "not present");
    [Test] public void Delta_withdraw_with_content() => DeltaRejected($"<withdraw uri=\"{U("a.roa")}\" hash=\"{RrdpPublisher.HashHex(A)}\">{B64(A)}</withdraw>", "must be empty");
    [Test] public void Delta_with_unknown_element() => DeltaRejected($"<update uri=\"{U("a.roa")}\"/>", "unexpected element");
    [Test] public void Delta_with_foreign_host() => DeltaRejected($"<publish uri=\"rsync://evil.example.org/repo/x.roa\">{B64(C)}</publish>", "rsync://evil.example.org/repo/x.roa");
    [Test] public void Empty_delta_is_invalid() => DeltaRejected("", "empty");
    [Test] public void Delta_session_mismatch() => Assert.Throws<RrdpException>(() => Delta($"<withdraw uri=\"{U("a.roa")}\" hash=\"{RrdpPublisher.HashHex(A)}\"/>", Base(), session: Guid.NewGuid()));
    [Test] public void Delta_serial_mismatch() => Assert.Throws<RrdpException>(() => Delta($"<withdraw uri=\"{U("a.roa")}\" hash=\"{RrdpPublisher.HashHex(A)}\"/>", Base(), serial: 7));

    [Test]
    public void Delta_root_with_unknown_attribute()
    {
        var xml = $"<delta xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{Session}\" serial=\"6\" hash=\"x\"><withdraw uri=\"{U("a.roa")}\" hash=\"{RrdpPublisher.HashHex(A)}\"/></delta>";
        Assert.Throws<RrdpException>(() => DeltaParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Session, 6, Rules, Base(), 1_000_000));
    }

    [Test]
    public void Streaming_snapshot_of_many_objects_does_not_buffer_the_file()
    {
        // 4000 objects of 4 KB: the parser hands each to the sink as it goes (the sink here only counts).
        var sb = new StringBuilder();
        var blob = B64(new byte[4096]);
        for (int i = 0; i < 4000; i++) sb.Append($"<publish uri=\"{U($"d{i % 50}/o{i}.roa")}\">{blob}</publish>\n");
        var xml = Encoding.UTF8.GetBytes(RrdpPublisher.SnapshotXml(Session, 5, sb.ToString()));
        var counter = new CountingSink();
        long count = SnapshotParser.Parse(new MemoryStream(xml), Session, 5, new RrdpObjectRules(Host), counter, xml.Length);
        Assert.That(count, Is.EqualTo(4000));
        Assert.That(counter.Bytes, Is.EqualTo(4000L * 4096));
    }

    private sealed class CountingSink : IRrdpChangeSink
    {
        public long Bytes;
        public void Publish(Uris.RsyncUri uri, byte[]? replacesHash, RrdpObjectContent content) => Bytes += content.CopyTo(Stream.Null);
        public void Withdraw(Uris.RsyncUri uri, byte[] hash) { }
    }
}
