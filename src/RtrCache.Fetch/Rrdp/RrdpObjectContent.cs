using System.Xml;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// The base64 content of one <c>&lt;publish&gt;</c> element, decoded while it is copied, never more than
/// <see cref="MaxBytes"/> bytes (rpki-client's 8 MB object limit by default): a huge element is refused after the
/// limit, not after it has been buffered. It can be read once; the parser drains whatever the sink left.
/// </summary>
public sealed class RrdpObjectContent
{
    private readonly XmlReader _reader;
    private readonly byte[] _buffer;
    private bool _consumed;

    internal RrdpObjectContent(XmlReader reader, byte[] buffer, long maxBytes, string uri)
    {
        _reader = reader;
        _buffer = buffer;
        MaxBytes = maxBytes;
        Uri = uri;
    }

    /// <summary>The largest decoded object accepted.</summary>
    public long MaxBytes { get; }

    /// <summary>The object's URI (for messages).</summary>
    public string Uri { get; }

    /// <summary>Bytes decoded so far.</summary>
    public long Length { get; private set; }

    /// <summary>Decodes the content into <paramref name="destination"/> and returns its length.</summary>
    public long CopyTo(Stream destination)
    {
        if (_consumed) throw new InvalidOperationException("the content of a publish element can be read only once");
        _consumed = true;
        int n;
        while ((n = _reader.ReadElementContentAsBase64(_buffer, 0, _buffer.Length)) > 0)
        {
            Length += n;
            if (Length > MaxBytes) throw new RrdpException($"{Uri}: object larger than {MaxBytes} bytes");
            destination.Write(_buffer, 0, n);
        }
        return Length;
    }

    /// <summary>Reads the whole content into memory (for tests and small sinks).</summary>
    public byte[] ToArray()
    {
        var ms = new MemoryStream();
        CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Consumes the rest of the element when the sink did not read it (the size limit still applies).</summary>
    internal void Drain()
    {
        if (!_consumed) CopyTo(Stream.Null);
    }
}
