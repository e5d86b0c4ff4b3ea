using System.Globalization;
using System.Text;
using System.Xml;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// The strict XML reading shared by the three RRDP parsers. RRDP files come from any server a certificate names,
/// so the reader is configured to refuse everything an attacker could use: no DTD at all (a DOCTYPE is an error,
/// which stops billion-laughs and XXE before any entity exists), no resolver, a bound on the document size, and
/// UTF-8 (or ASCII) only. Element and attribute checks are exact, as rpki-client's: the RRDP namespace on every
/// element, no unknown or duplicate attributes, nothing nested where the schema has nothing.
/// </summary>
internal static class RrdpXml
{
    public const string Namespace = "http://www.ripe.net/rpki/rrdp";

    /// <summary>
    /// A reader over <paramref name="stream"/> that accepts at most <paramref name="maxCharacters"/> characters in
    /// all and at most <paramref name="maxTextChars"/> of character data in one piece (<see cref="BoundedMarkupReader"/>).
    /// <c>MaxCharactersFromEntities</c> is 1, not 0, because 0 means "unlimited" to XmlReader; with DTDs
    /// prohibited no entity can be declared anyway, so the only expansions left are the predefined ones and
    /// character references, which do not count toward that limit.
    /// </summary>
    public static XmlReader Create(Stream stream, long maxCharacters, long maxTextChars)
    {
        // Strict UTF-8 with no byte-order-mark sniffing: a UTF-16 or UTF-32 file fails to decode instead of being
        // silently accepted (RRDP files must be ASCII-compatible).
        var text = new StreamReader(stream, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024, leaveOpen: true);
        if (text.Peek() == '\uFEFF') text.Read(); // a UTF-8 byte order mark is harmless
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 1,
            MaxCharactersInDocument = Math.Max(1, maxCharacters),
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
            CheckCharacters = true,
            ConformanceLevel = ConformanceLevel.Document,
            CloseInput = true,
        };
        return XmlReader.Create(new BoundedMarkupReader(text, maxTextChars), settings);
    }

    /// <summary>
    /// Moves to the root element, checking the XML declaration's encoding on the way, and requires it to be
    /// <paramref name="name"/> in the RRDP namespace.
    /// </summary>
    public static void ReadToRoot(XmlReader reader, string name)
    {
        while (reader.Read())
        {
            switch (reader.NodeType)
            {
                case XmlNodeType.XmlDeclaration:
                    string? encoding = reader.GetAttribute("encoding");
                    if (encoding is not null && !encoding.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("US-ASCII", StringComparison.OrdinalIgnoreCase))
                        throw new RrdpException($"XML encoding '{encoding}' is not UTF-8 or US-ASCII");
                    continue;
                case XmlNodeType.Element:
                    RequireElement(reader, name);
                    return;
                default:
                    throw new RrdpException($"unexpected {reader.NodeType} before the root element");
            }
        }
        throw new RrdpException("empty document");
    }

    public static void RequireElement(XmlReader reader, string name)
    {
        if (reader.NamespaceURI != Namespace || reader.LocalName != name || reader.Prefix.Length != 0)
            throw new RrdpException($"element <{reader.Name}> (namespace '{reader.NamespaceURI}') where <{name}> in {Namespace} was expected");
    }

    /// <summary>
    /// Reads the attributes of the current element into a dictionary. Only names in <paramref name="allowed"/>
    /// (and, on the root, the default namespace declaration) are accepted, each at most once.
    /// </summary>
    public static Dictionary<string, string> ReadAttributes(XmlReader reader, bool isRoot, params string[] allowed)
    {
        var values = new Dictionary<string, string>(allowed.Length, StringComparer.Ordinal);
        string element = reader.Name;
        if (reader.MoveToFirstAttribute())
        {
            do
            {
                if (isRoot && reader.Name == "xmlns")
                {
                    if (reader.Value != Namespace) throw new RrdpException($"namespace '{reader.Value}' is not {Namespace}");
                    continue;
                }
                if (reader.Prefix.Length != 0 || Array.IndexOf(allowed, reader.LocalName) < 0)
                    throw new RrdpException($"unknown attribute '{reader.Name}' on <{element}>");
                if (!values.TryAdd(reader.LocalName, reader.Value))
                    throw new RrdpException($"duplicate attribute '{reader.Name}'");
            } while (reader.MoveToNextAttribute());
            reader.MoveToElement();
        }
        return values;
    }

    public static string Required(Dictionary<string, string> attributes, string name, string element)
        => attributes.TryGetValue(name, out var value) ? value : throw new RrdpException($"<{element}> has no '{name}' attribute");

    /// <summary>The root attributes every RRDP file has: <c>version="1"</c>, a UUID session and a positive serial.</summary>
    public static (Guid Session, long Serial) ReadRootAttributes(XmlReader reader, string element)
    {
        var attributes = ReadAttributes(reader, isRoot: true, "version", "session_id", "serial");
        string version = Required(attributes, "version", element);
        if (version != "1") throw new RrdpException($"<{element}> version '{version}' is not 1");
        var session = ParseSession(Required(attributes, "session_id", element));
        long serial = ParseSerial(Required(attributes, "serial", element));
        return (session, serial);
    }

    /// <summary>A UUID in its canonical 8-4-4-4-12 hex form (RFC 4122; either case).</summary>
    public static Guid ParseSession(string value)
        => value.Length == 36 && Guid.TryParseExact(value, "D", out var id) ? id : throw new RrdpException($"session_id '{Shorten(value)}' is not a UUID");

    /// <summary>A positive decimal integer that fits 64 bits: digits only, no sign, no spaces.</summary>
    public static long ParseSerial(string value)
    {
        if (value.Length is 0 or > 19 || !value.All(char.IsAsciiDigit)
            || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long serial) || serial <= 0)
            throw new RrdpException($"serial '{Shorten(value)}' is not a positive 64-bit integer");
        return serial;
    }

    /// <summary>A SHA-256 as exactly 64 hex digits (either case).</summary>
    public static byte[] ParseHash(string value)
    {
        if (value.Length != 64 || !value.All(char.IsAsciiHexDigit)) throw new RrdpException($"hash '{Shorten(value)}' is not 64 hex digits");
        return Convert.FromHexString(value);
    }

    /// <summary>Requires the current element to have no content (whitespace aside) and moves past it.</summary>
    public static void SkipEmptyElement(XmlReader reader, string element)
    {
        if (reader.IsEmptyElement) { reader.Read(); return; }
        reader.Read();
        while (IsBlank(reader)) reader.Read();
        if (reader.NodeType != XmlNodeType.EndElement) throw new RrdpException($"<{element}> must be empty, found {reader.NodeType}");
        reader.Read();
    }

    /// <summary>
    /// Walks the children of the root element (the reader is on the root start tag): calls <paramref name="child"/>
    /// on each element start, which must leave the reader after that element; text at this level is an error.
    /// Ends positioned after the root, requiring the document to end there.
    /// </summary>
    public static void ForEachChild(XmlReader reader, Action<XmlReader> child)
    {
        if (reader.IsEmptyElement)
        {
            reader.Read();
        }
        else
        {
            reader.Read();
            while (true)
            {
                if (reader.NodeType == XmlNodeType.Element) { child(reader); continue; }
                if (reader.NodeType == XmlNodeType.EndElement) { reader.Read(); break; }
                if (IsBlank(reader)) { reader.Read(); continue; }
                if (reader.EOF) throw new RrdpException("document ends inside the root element");
                throw new RrdpException($"unexpected {reader.NodeType} inside the root element");
            }
        }
        while (!reader.EOF)
        {
            if (reader.NodeType is not XmlNodeType.None and not XmlNodeType.Whitespace)
                throw new RrdpException($"unexpected {reader.NodeType} after the root element");
            reader.Read();
        }
    }

    /// <summary>
    /// Whitespace-only character data. XmlReader drops short whitespace itself (IgnoreWhitespace) but reports a run
    /// longer than its buffer (about 4K characters) as a Text node; such a node is bounded by
    /// <see cref="BoundedMarkupReader"/>, so reading its value is safe.
    /// </summary>
    private static bool IsBlank(XmlReader reader)
        => reader.NodeType is XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace
           || (reader.NodeType == XmlNodeType.Text && reader.Value.AsSpan().IndexOfAnyExcept(" \t\r\n") < 0);

    /// <summary>Turns what the XML stack throws into an <see cref="RrdpException"/>; anything else passes through.</summary>
    public static T Guard<T>(Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (XmlException e) when (e.Message.Contains("DTD is prohibited", StringComparison.Ordinal))
        {
            // .NET's text goes on to advise enabling DTD processing, which is the last thing an operator reading
            // the log should do: say what was refused instead.
            throw new RrdpException($"malformed XML: a DOCTYPE (DTD) is not allowed in RRDP files (line {e.LineNumber})", e);
        }
        catch (XmlException e)
        {
            throw new RrdpException("malformed XML: " + e.Message, e);
        }
        catch (DecoderFallbackException e)
        {
            throw new RrdpException("not UTF-8: " + e.Message, e);
        }
        catch (FormatException e)
        {
            throw new RrdpException("malformed content: " + e.Message, e);
        }
    }

    /// <summary>The longest character data a publish element needs: base64 of the largest object, twice over for line breaks and indentation.</summary>
    public static long TextLimit(long maxObjectBytes) => maxObjectBytes / 3 * 8 + 64 * 1024;

    public static string Shorten(string s) => Uris.RsyncUri.Shorten(s);
}
