using System.Xml;
using RtrCache.Fetch.Uris;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// Parses an Update Notification File (RFC 8182 §3.5.1) and checks what makes it usable: exactly one snapshot,
/// delta serials unique and forming a contiguous run that ends at the notification serial, and every snapshot
/// and delta URI on the same origin as the notification itself (RFC 9674), so a repository cannot make us fetch
/// from someone else's server.
/// </summary>
public static class NotificationParser
{
    /// <summary>Parses <paramref name="stream"/>, which was fetched from <paramref name="notificationUri"/>.</summary>
    /// <exception cref="RrdpException">The file is malformed or breaks a rule; the message says which.</exception>
    public static RrdpNotification Parse(Stream stream, Uri notificationUri, long maxCharacters = FetchOptions.DefaultMaxNotificationBytes)
    {
        return RrdpXml.Guard(() =>
        {
            using var reader = RrdpXml.Create(stream, maxCharacters, BoundedMarkupReader.MaxTagChars);
            return ParseCore(reader, notificationUri);
        });
    }

    private static RrdpNotification ParseCore(XmlReader reader, Uri notificationUri)
    {
        RrdpXml.ReadToRoot(reader, "notification");
        var (session, serial) = RrdpXml.ReadRootAttributes(reader, "notification");
        RrdpFileRef? snapshot = null;
        var deltas = new Dictionary<long, RrdpFileRef>();
        RrdpXml.ForEachChild(reader, r =>
        {
            if (r.NamespaceURI != RrdpXml.Namespace || r.Prefix.Length != 0)
                throw new RrdpException($"element <{r.Name}> is not in the RRDP namespace");
            switch (r.LocalName)
            {
                case "snapshot":
                {
                    var a = RrdpXml.ReadAttributes(r, isRoot: false, "uri", "hash");
                    if (snapshot is not null) throw new RrdpException("more than one <snapshot> element");
                    snapshot = new RrdpFileRef(serial, FileUri(RrdpXml.Required(a, "uri", "snapshot"), notificationUri), RrdpXml.ParseHash(RrdpXml.Required(a, "hash", "snapshot")));
                    RrdpXml.SkipEmptyElement(r, "snapshot");
                    break;
                }
                case "delta":
                {
                    var a = RrdpXml.ReadAttributes(r, isRoot: false, "serial", "uri", "hash");
                    long deltaSerial = RrdpXml.ParseSerial(RrdpXml.Required(a, "serial", "delta"));
                    var delta = new RrdpFileRef(deltaSerial, FileUri(RrdpXml.Required(a, "uri", "delta"), notificationUri), RrdpXml.ParseHash(RrdpXml.Required(a, "hash", "delta")));
                    if (deltaSerial > serial) throw new RrdpException($"delta serial {deltaSerial} is above the notification serial {serial}");
                    if (!deltas.TryAdd(deltaSerial, delta)) throw new RrdpException($"delta serial {deltaSerial} listed twice");
                    RrdpXml.SkipEmptyElement(r, "delta");
                    break;
                }
                default:
                    throw new RrdpException($"unexpected element <{r.LocalName}> in a notification");
            }
        });
        if (snapshot is null) throw new RrdpException("no <snapshot> element");
        var ordered = deltas.Values.OrderBy(d => d.Serial).ToList();
        if (ordered.Count > 0)
        {
            if (ordered[^1].Serial != serial) throw new RrdpException($"the deltas end at serial {ordered[^1].Serial}, not at the notification serial {serial}");
            for (int i = 1; i < ordered.Count; i++)
                if (ordered[i].Serial != ordered[i - 1].Serial + 1)
                    throw new RrdpException($"the deltas are not contiguous: serial {ordered[i - 1].Serial} is followed by {ordered[i].Serial}");
        }
        return new RrdpNotification(session, serial, snapshot, ordered);
    }

    private static Uri FileUri(string text, Uri notificationUri)
    {
        if (!HttpsUri.TryParse(text, out var uri, out var error)) throw new RrdpException(error!);
        if (!HttpsUri.SameOrigin(uri!, notificationUri))
            throw new RrdpException($"{RsyncUri.Shorten(text)} is not on the notification's origin {notificationUri.GetLeftPart(UriPartial.Authority)} (RFC 9674)");
        return uri!;
    }
}
