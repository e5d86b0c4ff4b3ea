namespace RtrCache.Rpki.Asn1;

/// <summary>One BER/DER tag-length-value header located in a buffer that <see cref="DerScanner.Validate"/> accepted.</summary>
internal readonly struct Tlv
{
    public Tlv(int offset, int headerLength, int contentLength, bool indefinite, byte tag)
    {
        Offset = offset;
        HeaderLength = headerLength;
        ContentLength = contentLength;
        Indefinite = indefinite;
        Tag = tag;
    }

    /// <summary>Offset of the first identifier octet.</summary>
    public int Offset { get; }
    public int HeaderLength { get; }

    /// <summary>Content length; for an indefinite-length element, the length up to (excluding) its end-of-contents octets.</summary>
    public int ContentLength { get; }
    public bool Indefinite { get; }

    /// <summary>The first identifier octet (class, constructed bit and low tag number, or 0x1F for high tag numbers).</summary>
    public byte Tag { get; }

    public int ContentStart => Offset + HeaderLength;
    public int ContentEnd => ContentStart + ContentLength;
    public int End => ContentEnd + (Indefinite ? 2 : 0);
    public int TotalLength => End - Offset;
    public bool IsConstructed => (Tag & 0x20) != 0;
}
