using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using RtrCache.Payload;

namespace RtrCache.Rtr.Protocol;

/// <summary>
/// Encodes RTR PDUs straight into the caller's buffer: each method asks the <see cref="IBufferWriter{T}"/> for
/// exactly the PDU's length, fills it and advances, so writing a PDU allocates nothing. The span overloads
/// are used by <see cref="PayloadEncoder"/> to fill one pre-sized array for a whole snapshot.
/// </summary>
public static class PduWriter
{
    public const int SerialNotifyLength = 12;
    public const int SerialQueryLength = 12;
    public const int ResetQueryLength = 8;
    public const int CacheResponseLength = 8;
    public const int CacheResetLength = 8;
    public const int Ipv4PrefixLength = 20;
    public const int Ipv6PrefixLength = 32;
    public const int EndOfDataV0Length = 12;
    public const int EndOfDataLength = 24;
    public const int RouterKeyBaseLength = 32;
    public const int AspaBaseLength = 12;
    public const int ErrorReportBaseLength = 16;

    private const byte AnnounceFlag = 1;

    public static void WriteSerialNotify(IBufferWriter<byte> writer, byte version, SessionId session, Serial serial)
        => WriteSessionSerial(writer, version, PduType.SerialNotify, session, serial);

    public static void WriteSerialQuery(IBufferWriter<byte> writer, byte version, SessionId session, Serial serial)
        => WriteSessionSerial(writer, version, PduType.SerialQuery, session, serial);

    public static void WriteResetQuery(IBufferWriter<byte> writer, byte version)
        => WriteHeaderOnly(writer, version, PduType.ResetQuery, 0);

    public static void WriteCacheResponse(IBufferWriter<byte> writer, byte version, SessionId session)
        => WriteHeaderOnly(writer, version, PduType.CacheResponse, session.Value);

    public static void WriteCacheReset(IBufferWriter<byte> writer, byte version)
        => WriteHeaderOnly(writer, version, PduType.CacheReset, 0);

    /// <summary>End of Data: the 12-byte RFC 6810 form for v0, the 24-byte form with timers for v1 and v2.</summary>
    public static void WriteEndOfData(IBufferWriter<byte> writer, byte version, SessionId session, Serial serial, RtrTimers timers)
    {
        int length = version == RtrVersion.V0 ? EndOfDataV0Length : EndOfDataLength;
        var span = writer.GetSpan(length);
        WriteHeader(span, version, PduType.EndOfData, session.Value, length);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], serial.Value);
        if (version != RtrVersion.V0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[12..], timers.Refresh);
            BinaryPrimitives.WriteUInt32BigEndian(span[16..], timers.Retry);
            BinaryPrimitives.WriteUInt32BigEndian(span[20..], timers.Expire);
        }
        writer.Advance(length);
    }

    /// <summary>An IPv4 or IPv6 Prefix PDU, by the VRP's family.</summary>
    public static void WritePrefix(IBufferWriter<byte> writer, byte version, in Vrp vrp, bool announce)
    {
        int length = vrp.IsIPv4 ? Ipv4PrefixLength : Ipv6PrefixLength;
        WritePrefix(writer.GetSpan(length), version, vrp, announce);
        writer.Advance(length);
    }

    /// <summary>Writes a Prefix PDU at the start of <paramref name="destination"/>; returns its length.</summary>
    public static int WritePrefix(Span<byte> destination, byte version, in Vrp vrp, bool announce)
    {
        if (vrp.IsIPv4)
        {
            var d = destination[..Ipv4PrefixLength];
            WriteHeader(d, version, PduType.Ipv4Prefix, 0, Ipv4PrefixLength);
            d[8] = announce ? AnnounceFlag : (byte)0;
            d[9] = vrp.PrefixLength;
            d[10] = vrp.MaxLength;
            d[11] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(d[12..], vrp.V4Address);
            BinaryPrimitives.WriteUInt32BigEndian(d[16..], vrp.Asn);
            return Ipv4PrefixLength;
        }
        else
        {
            var d = destination[..Ipv6PrefixLength];
            WriteHeader(d, version, PduType.Ipv6Prefix, 0, Ipv6PrefixLength);
            d[8] = announce ? AnnounceFlag : (byte)0;
            d[9] = vrp.PrefixLength;
            d[10] = vrp.MaxLength;
            d[11] = 0;
            BinaryPrimitives.WriteUInt128BigEndian(d[12..], vrp.AddressBits);
            BinaryPrimitives.WriteUInt32BigEndian(d[28..], vrp.Asn);
            return Ipv6PrefixLength;
        }
    }

    public static int RouterKeyLength(RouterKey key) => RouterKeyBaseLength + key.SubjectPublicKeyInfo.Length;

    /// <summary>Router Key PDU (v1 and v2 only).</summary>
    public static void WriteRouterKey(IBufferWriter<byte> writer, byte version, RouterKey key, bool announce)
    {
        int length = RouterKeyLength(key);
        WriteRouterKey(writer.GetSpan(length), version, key, announce);
        writer.Advance(length);
    }

    public static int WriteRouterKey(Span<byte> destination, byte version, RouterKey key, bool announce)
    {
        if (version == RtrVersion.V0) throw new ArgumentOutOfRangeException(nameof(version), "RTR v0 has no Router Key PDU.");
        int length = RouterKeyLength(key);
        var d = destination[..length];
        WriteHeader(d, version, PduType.RouterKey, 0, length);
        d[2] = announce ? AnnounceFlag : (byte)0;
        key.Ski.AsSpan().CopyTo(d[8..28]);
        BinaryPrimitives.WriteUInt32BigEndian(d[28..], key.Asn);
        key.SubjectPublicKeyInfo.AsSpan().CopyTo(d[32..]);
        return length;
    }

    /// <summary>
    /// ASPA PDU (v2 only), current 12-byte-base layout. An announcement carries the complete provider set (it
    /// replaces what the router holds); a withdrawal carries none and is exactly 12 bytes.
    /// </summary>
    public static void WriteAspa(IBufferWriter<byte> writer, byte version, uint customer, ReadOnlySpan<uint> providers, bool announce)
    {
        int length = AspaLength(announce ? providers.Length : 0);
        WriteAspa(writer.GetSpan(length), version, customer, providers, announce);
        writer.Advance(length);
    }

    public static int AspaLength(int providerCount) => AspaBaseLength + 4 * providerCount;

    public static int WriteAspa(Span<byte> destination, byte version, uint customer, ReadOnlySpan<uint> providers, bool announce)
    {
        if (version < RtrVersion.V2) throw new ArgumentOutOfRangeException(nameof(version), "Only RTR v2 has the ASPA PDU.");
        if (announce && providers.IsEmpty) throw new ArgumentException("An ASPA announcement needs at least one provider.", nameof(providers));
        if (!announce) providers = default;
        int length = AspaLength(providers.Length);
        if (length > RtrVersion.MaxPduLength) throw new ArgumentException($"{providers.Length} providers do not fit one PDU.", nameof(providers));
        var d = destination[..length];
        WriteHeader(d, version, PduType.Aspa, 0, length);
        d[2] = announce ? AnnounceFlag : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], customer);
        for (int i = 0; i < providers.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(d[(12 + 4 * i)..], providers[i]);
        return length;
    }

    /// <summary>
    /// Error Report. The encapsulated PDU is copied verbatim and cut so the whole report stays within 65,535
    /// octets (keeping at least its header); the text is UTF-8 and bounded to 1,024 characters.
    /// </summary>
    public static void WriteErrorReport(IBufferWriter<byte> writer, byte version, ErrorCode code, ReadOnlySequence<byte> erroneousPdu, string? text)
    {
        var d = BeginErrorReport(writer, version, code, erroneousPdu.Length, ref text, out int pduLength);
        erroneousPdu.Slice(0, pduLength).CopyTo(d[12..]);
        EndErrorReport(writer, d, pduLength, text);
    }

    public static void WriteErrorReport(IBufferWriter<byte> writer, byte version, ErrorCode code, ReadOnlySpan<byte> erroneousPdu, string? text)
    {
        var d = BeginErrorReport(writer, version, code, erroneousPdu.Length, ref text, out int pduLength);
        erroneousPdu[..pduLength].CopyTo(d[12..]);
        EndErrorReport(writer, d, pduLength, text);
    }

    private const int MaxErrorText = 1024;

    private static Span<byte> BeginErrorReport(IBufferWriter<byte> writer, byte version, ErrorCode code, long available, ref string? text, out int pduLength)
    {
        if (text is { Length: > MaxErrorText })
            text = text[..(char.IsHighSurrogate(text[MaxErrorText - 1]) ? MaxErrorText - 1 : MaxErrorText)];
        int textLength = text is null ? 0 : Encoding.UTF8.GetByteCount(text);
        pduLength = (int)Math.Min(available, RtrVersion.MaxPduLength - ErrorReportBaseLength - textLength);
        int length = ErrorReportBaseLength + pduLength + textLength;
        var d = writer.GetSpan(length)[..length];
        WriteHeader(d, version, PduType.ErrorReport, (ushort)code, length);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], (uint)pduLength);
        return d;
    }

    private static void EndErrorReport(IBufferWriter<byte> writer, Span<byte> d, int pduLength, string? text)
    {
        int t = 12 + pduLength;
        int textLength = d.Length - t - 4;
        BinaryPrimitives.WriteUInt32BigEndian(d[t..], (uint)textLength);
        if (textLength > 0) Encoding.UTF8.GetBytes(text, d[(t + 4)..]);
        writer.Advance(d.Length);
    }

    private static void WriteSessionSerial(IBufferWriter<byte> writer, byte version, PduType type, SessionId session, Serial serial)
    {
        var span = writer.GetSpan(12);
        WriteHeader(span, version, type, session.Value, 12);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], serial.Value);
        writer.Advance(12);
    }

    private static void WriteHeaderOnly(IBufferWriter<byte> writer, byte version, PduType type, ushort field)
    {
        WriteHeader(writer.GetSpan(8), version, type, field, 8);
        writer.Advance(8);
    }

    private static void WriteHeader(Span<byte> d, byte version, PduType type, ushort field, int length)
    {
        d[0] = version;
        d[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], field);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], (uint)length);
    }
}
