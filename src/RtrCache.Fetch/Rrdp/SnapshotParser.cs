using System.Xml;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// Parses a Snapshot File (RFC 8182 §3.5.2) as a stream: each <c>&lt;publish&gt;</c> goes to the sink as soon as
/// it is read, so a snapshot of any size needs memory for one object only. The session and serial must be those
/// the notification announced; a publish carries no hash; object URIs are checked by <see cref="RrdpObjectRules"/>.
/// </summary>
public static class SnapshotParser
{
    /// <summary>Parses and applies a snapshot; returns the number of objects published.</summary>
    /// <exception cref="RrdpException">The file is malformed, does not match the notification, or the sink refused an element.</exception>
    public static long Parse(Stream stream, Guid session, long serial, RrdpObjectRules rules, IRrdpChangeSink sink, long maxCharacters)
    {
        return RrdpXml.Guard(() =>
        {
            using var reader = RrdpXml.Create(stream, maxCharacters, RrdpXml.TextLimit(rules.MaxObjectBytes));
            return ParseCore(reader, session, serial, rules, sink);
        });
    }

    private static long ParseCore(XmlReader reader, Guid session, long serial, RrdpObjectRules rules, IRrdpChangeSink sink)
    {
        RrdpXml.ReadToRoot(reader, "snapshot");
        var (fileSession, fileSerial) = RrdpXml.ReadRootAttributes(reader, "snapshot");
        if (fileSession != session) throw new RrdpException($"snapshot session {fileSession} is not the notification's {session}");
        if (fileSerial != serial) throw new RrdpException($"snapshot serial {fileSerial} is not the notification's {serial}");
        long count = 0;
        var buffer = new byte[48 * 1024];
        RrdpXml.ForEachChild(reader, r =>
        {
            RrdpXml.RequireElement(r, "publish");
            var a = RrdpXml.ReadAttributes(r, isRoot: false, "uri");
            var uri = rules.Check(RrdpXml.Required(a, "uri", "publish"));
            var content = new RrdpObjectContent(r, buffer, rules.MaxObjectBytes, uri.Text);
            sink.Publish(uri, null, content);
            content.Drain();
            count++;
        });
        return count;
    }
}
