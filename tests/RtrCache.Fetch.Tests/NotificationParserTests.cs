using System.Text;
using RtrCache.Fetch.Rrdp;

namespace RtrCache.Fetch.Tests;

/// <summary>The Update Notification File parser accepts exactly what RFC 8182 §3.5.1 and RFC 9674 allow.</summary>
public class NotificationParserTests
{
    private const string Session = "9df4b597-af9e-4dca-bdda-719cce2c4e28";
    private const string H1 = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string H2 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static readonly Uri Notify = new("https://rrdp.example.net/notification.xml");

    private static string Doc(string body, string root = $"xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{Session}\" serial=\"3\"")
        => $"<notification {root}>\n{body}\n</notification>\n";

    private static string Snap(string host = "https://rrdp.example.net") => $"<snapshot uri=\"{host}/s/3/snapshot.xml\" hash=\"{H1}\"/>";
    private static string Delta(long serial, string host = "https://rrdp.example.net") => $"<delta serial=\"{serial}\" uri=\"{host}/s/{serial}/delta.xml\" hash=\"{H2}\"/>";

    private static RrdpNotification Parse(string xml) => NotificationParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Notify);

    private static void Rejected(string xml, string messagePart)
    {
        var e = Assert.Throws<RrdpException>(() => Parse(xml))!;
        Assert.That(e.Message, Does.Contain(messagePart).IgnoreCase, e.Message);
    }

    [Test]
    public void Valid_notification_parses_with_deltas_in_ascending_order()
    {
        var n = Parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + Doc(Snap() + Delta(3) + Delta(1) + Delta(2)));
        Assert.That(n.SessionId, Is.EqualTo(Guid.Parse(Session)));
        Assert.That(n.Serial, Is.EqualTo(3));
        Assert.That(n.Snapshot.Uri.AbsoluteUri, Is.EqualTo("https://rrdp.example.net/s/3/snapshot.xml"));
        Assert.That(n.Snapshot.HashHex, Is.EqualTo(H1));
        Assert.That(n.Deltas.Select(d => d.Serial), Is.EqualTo(new long[] { 1, 2, 3 }));
        Assert.That(n.DeltaFor(2)!.Uri.AbsolutePath, Is.EqualTo("/s/2/delta.xml"));
        Assert.That(n.DeltaFor(4), Is.Null);
    }

    [Test]
    public void Notification_without_deltas_and_with_upper_case_hash_is_valid()
    {
        var n = Parse(Doc($"<snapshot uri=\"https://rrdp.example.net/x.xml\" hash=\"{H2.ToUpperInvariant()}\"></snapshot>"));
        Assert.That(n.Deltas, Is.Empty);
        Assert.That(n.Snapshot.HashHex, Is.EqualTo(H2));
    }

    [Test]
    public void A_UTF8_byte_order_mark_and_comments_are_accepted()
    {
        var n = Parse("\uFEFF<!-- generated -->" + Doc("<!-- c -->" + Snap()));
        Assert.That(n.Serial, Is.EqualTo(3));
    }

    [Test] public void No_snapshot() => Rejected(Doc(Delta(3)), "no <snapshot>");
    [Test] public void Two_snapshots() => Rejected(Doc(Snap() + Snap()), "more than one <snapshot>");
    [Test] public void Wrong_root_element() => Rejected("<snapshot xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"" + Session + "\" serial=\"3\"/>", "<notification>");
    [Test] public void Wrong_namespace() => Rejected(Doc(Snap(), $"xmlns=\"http://example.com/rrdp\" version=\"1\" session_id=\"{Session}\" serial=\"3\""), "namespace");
    [Test] public void No_namespace() => Rejected(Doc(Snap(), $"version=\"1\" session_id=\"{Session}\" serial=\"3\""), "namespace");
    [Test] public void Prefixed_namespace_declaration() => Rejected($"<r:notification xmlns:r=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{Session}\" serial=\"3\"/>", "notification");
    [Test] public void Version_2() => Rejected(Doc(Snap(), $"xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"2\" session_id=\"{Session}\" serial=\"3\""), "version");
    [Test] public void Missing_version() => Rejected(Doc(Snap(), $"xmlns=\"http://www.ripe.net/rpki/rrdp\" session_id=\"{Session}\" serial=\"3\""), "'version'");
    [Test] public void Unknown_root_attribute() => Rejected(Doc(Snap(), $"xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{Session}\" serial=\"3\" extra=\"x\""), "unknown attribute 'extra'");
    [Test] public void Duplicate_attribute() => Rejected(Doc(Snap(), $"xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{Session}\" serial=\"3\" serial=\"3\""), "duplicate");
    [Test] public void Unknown_attribute_on_snapshot() => Rejected(Doc($"<snapshot uri=\"https://rrdp.example.net/x.xml\" hash=\"{H1}\" serial=\"3\"/>"), "unknown attribute 'serial'");
    [Test] public void Missing_hash_on_delta() => Rejected(Doc(Snap() + "<delta serial=\"3\" uri=\"https://rrdp.example.net/d.xml\"/>"), "'hash'");

    [TestCase("not-a-uuid")]
    [TestCase("9df4b597af9e4dcabdda719cce2c4e28")]
    [TestCase("{9df4b597-af9e-4dca-bdda-719cce2c4e28}")]
    [TestCase("")]
    public void Bad_session_id(string session)
        => Rejected(Doc(Snap(), $"xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{session}\" serial=\"3\""), "session_id");

    [TestCase("0")]
    [TestCase("-1")]
    [TestCase("+3")]
    [TestCase(" 3")]
    [TestCase("3.0")]
    [TestCase("0x3")]
    [TestCase("99999999999999999999")]
    [TestCase("")]
    public void Bad_serial(string serial)
        => Rejected(Doc(Snap(), $"xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{Session}\" serial=\"{serial}\""), "serial");

    [Test]
    public void Serial_above_int32_is_fine()
    {
        var n = Parse(Doc(Snap(), $"xmlns=\"http://www.ripe.net/rpki/rrdp\" version=\"1\" session_id=\"{Session}\" serial=\"9223372036854775807\""));
        Assert.That(n.Serial, Is.EqualTo(long.MaxValue));
    }

    [TestCase("111")]
    [TestCase("111111111111111111111111111111111111111111111111111111111111111")]
    [TestCase("11111111111111111111111111111111111111111111111111111111111111111")]
    [TestCase("g111111111111111111111111111111111111111111111111111111111111111")]
    public void Bad_hash(string hash) => Rejected(Doc($"<snapshot uri=\"https://rrdp.example.net/x.xml\" hash=\"{hash}\"/>"), "hash");

    [Test] public void Delta_above_notification_serial() => Rejected(Doc(Snap() + Delta(4) + Delta(3)), "above the notification serial");
    [Test] public void Duplicate_delta_serial() => Rejected(Doc(Snap() + Delta(3) + Delta(3)), "listed twice");
    [Test] public void Deltas_with_a_gap() => Rejected(Doc(Snap() + Delta(3) + Delta(1)), "not contiguous");
    [Test] public void Deltas_not_ending_at_the_serial() => Rejected(Doc(Snap() + Delta(1) + Delta(2)), "end at serial 2");

    [Test] public void Snapshot_on_another_host() => Rejected(Doc(Snap("https://evil.example.org")), "origin");
    [Test] public void Snapshot_on_another_port() => Rejected(Doc(Snap("https://rrdp.example.net:8443")), "origin");
    [Test] public void Delta_over_http() => Rejected(Doc(Snap() + Delta(3, "http://rrdp.example.net")), "https");
    [Test] public void Delta_on_another_host() => Rejected(Doc(Snap() + Delta(3, "https://cdn.example.net")), "RFC 9674");

    [Test]
    public void Host_case_does_not_change_the_origin()
        => Assert.That(Parse(Doc(Snap("https://RRDP.Example.NET"))).Snapshot.Uri.Host, Is.EqualTo("rrdp.example.net"));

    [Test] public void Element_nested_in_snapshot() => Rejected(Doc($"<snapshot uri=\"https://rrdp.example.net/x.xml\" hash=\"{H1}\"><delta/></snapshot>"), "must be empty");
    [Test] public void Text_in_snapshot() => Rejected(Doc($"<snapshot uri=\"https://rrdp.example.net/x.xml\" hash=\"{H1}\">x</snapshot>"), "must be empty");
    [Test] public void Text_in_root() => Rejected(Doc("junk" + Snap()), "Text");
    [Test] public void Unknown_element() => Rejected(Doc(Snap() + "<publish uri=\"rsync://a/b/c\"/>"), "unexpected element");
    [Test] public void Element_in_another_namespace() => Rejected(Doc(Snap() + "<x:delta xmlns:x=\"urn:x\"/>"), "not in the RRDP namespace");
    [Test] public void Second_root_element() => Rejected(Doc(Snap()) + "<notification/>", "malformed XML");
    [Test] public void Truncated_document() => Rejected(Doc(Snap())[..60], "malformed XML");
    [Test] public void Empty_document() => Rejected("", "malformed XML");

    [Test]
    public void Billion_laughs_DOCTYPE_is_refused_before_any_expansion()
    {
        var xml = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [
              <!ENTITY lol "lol">
              <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
              <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
              <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
              <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
              <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
              <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
              <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
            ]>
            <notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="9df4b597-af9e-4dca-bdda-719cce2c4e28" serial="&lol9;"/>
            """;
        var before = GC.GetAllocatedBytesForCurrentThread();
        Rejected(xml, "DTD");
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(10_000_000));
    }

    [Test]
    public void External_entity_is_refused()
    {
        var xml = """
            <?xml version="1.0"?>
            <!DOCTYPE notification [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
            <notification xmlns="http://www.ripe.net/rpki/rrdp" version="1" session_id="9df4b597-af9e-4dca-bdda-719cce2c4e28" serial="3">
              <snapshot uri="https://rrdp.example.net/&xxe;" hash="1111111111111111111111111111111111111111111111111111111111111111"/>
            </notification>
            """;
        Rejected(xml, "DTD");
    }

    [Test]
    public void Undeclared_entity_without_DTD_is_refused() => Rejected(Doc($"<snapshot uri=\"https://rrdp.example.net/&foo;\" hash=\"{H1}\"/>"), "malformed XML");

    [Test]
    public void Predefined_entities_in_a_URI_are_fine()
        => Assert.That(Parse(Doc($"<snapshot uri=\"https://rrdp.example.net/x?a=1&amp;b=2\" hash=\"{H1}\"/>")).Snapshot.Uri.Query, Is.EqualTo("?a=1&b=2"));

    [Test] public void UTF16_encoding_declaration_is_refused() => Rejected("<?xml version=\"1.0\" encoding=\"UTF-16\"?>" + Doc(Snap()), "encoding");

    [Test]
    public void UTF16_bytes_are_refused()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Doc(Snap()))).ToArray();
        Assert.Throws<RrdpException>(() => NotificationParser.Parse(new MemoryStream(bytes), Notify));
    }

    [Test]
    public void Invalid_UTF8_is_refused()
    {
        var bytes = Encoding.UTF8.GetBytes(Doc(Snap())).Concat(new byte[] { 0xC3, 0x28 }).ToArray();
        Assert.Throws<RrdpException>(() => NotificationParser.Parse(new MemoryStream(bytes), Notify));
    }

    [Test]
    public void Document_larger_than_the_character_limit_is_refused()
    {
        string xml = Doc(Snap() + "<!--" + new string('x', 5000) + "-->");
        var e = Assert.Throws<RrdpException>(() => NotificationParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), Notify, maxCharacters: 1000))!;
        Assert.That(e.Message, Does.Contain("malformed XML"));
    }
}
