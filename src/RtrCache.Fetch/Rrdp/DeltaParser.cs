using System.Xml;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// Parses a Delta File (RFC 8182 §3.5.3) as a stream and hands each change to the sink in file order. The session
/// and serial must be those the notification listed for this delta; <c>withdraw</c> needs a hash and has no
/// content; a delta without any element is invalid (rpki-client: "empty delta").
/// </summary>
public static class DeltaParser
{
    /// <summary>Parses and applies a delta; returns the number of changes.</summary>
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
        RrdpXml.ReadToRoot(reader, "delta");
        var (fileSession, fileSerial) = RrdpXml.ReadRootAttributes(reader, "delta");
        if (fileSession != session) throw new RrdpException($"delta session {fileSession} is not the notification's {session}");
        if (fileSerial != serial) throw new RrdpException($"delta serial {fileSerial} is not the {serial} the notification lists it for");
        long count = 0;
        var buffer = new byte[48 * 1024];
        RrdpXml.ForEachChild(reader, r =>
        {
            if (r.NamespaceURI != RrdpXml.Namespace || r.Prefix.Length != 0)
                throw new RrdpException($"element <{r.Name}> is not in the RRDP namespace");
            switch (r.LocalName)
            {
                case "publish":
                {
                    var a = RrdpXml.ReadAttributes(r, isRoot: false, "uri", "hash");
                    var uri = rules.Check(RrdpXml.Required(a, "uri", "publish"));
                    byte[]? hash = a.TryGetValue("hash", out var h) ? RrdpXml.ParseHash(h) : null;
                    var content = new RrdpObjectContent(r, buffer, rules.MaxObjectBytes, uri.Text);
                    sink.Publish(uri, hash, content);
                    content.Drain();
                    break;
                }
                case "withdraw":
                {
                    var a = RrdpXml.ReadAttributes(r, isRoot: false, "uri", "hash");
                    var uri = rules.Check(RrdpXml.Required(a, "uri", "withdraw"));
                    var hash = RrdpXml.ParseHash(RrdpXml.Required(a, "hash", "withdraw"));
                    RrdpXml.SkipEmptyElement(r, "withdraw");
                    sink.Withdraw(uri, hash);
                    break;
                }
                default:
                    throw new RrdpException($"unexpected element <{r.LocalName}> in a delta");
            }
            count++;
        });
        if (count == 0) throw new RrdpException($"delta {serial} is empty");
        return count;
    }
}
