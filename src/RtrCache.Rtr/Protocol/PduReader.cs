using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using RtrCache.Payload;

namespace RtrCache.Rtr.Protocol;

/// <summary>Outcome of <see cref="PduReader.TryRead"/>.</summary>
public enum ReadStatus
{
    /// <summary>A whole PDU was decoded and the buffer advanced past it.</summary>
    Pdu,

    /// <summary>More bytes are needed; the buffer is unchanged (all of it was examined).</summary>
    Incomplete,

    /// <summary>The next PDU is malformed; the buffer is unchanged and the error says how to answer.</summary>
    Malformed,
}

/// <summary>
/// Decodes RTR PDUs from a <see cref="ReadOnlySequence{T}"/> as it arrives from a pipe, across segment
/// boundaries. Header rules are enforced as soon as the 8-byte header is in: a wrong or hostile length is
/// reported at once, before any body byte is awaited, so a peer cannot make the reader buffer or allocate
/// more than one legal PDU (65,535 octets).
/// </summary>
public static class PduReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static ReadStatus TryRead(ref ReadOnlySequence<byte> buffer, out RtrPdu pdu, out PduDecodeError? error)
    {
        pdu = default;
        error = null;
        if (buffer.Length < RtrVersion.HeaderLength) return ReadStatus.Incomplete;

        Span<byte> header = stackalloc byte[RtrVersion.HeaderLength];
        buffer.Slice(0, RtrVersion.HeaderLength).CopyTo(header);
        byte version = header[0];
        byte type = header[1];
        ushort field = BinaryPrimitives.ReadUInt16BigEndian(header[2..]);
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);

        if (!RtrVersion.IsSupported(version))
        {
            error = Fail(PduErrorKind.UnsupportedVersion, $"protocol version {version} is not supported (highest is {RtrVersion.Max})", buffer, length);
            return ReadStatus.Malformed;
        }
        if (length < RtrVersion.HeaderLength || length > RtrVersion.MaxPduLength)
        {
            error = Fail(PduErrorKind.InvalidLength, $"PDU length {length} outside {RtrVersion.HeaderLength}..{RtrVersion.MaxPduLength}", buffer, RtrVersion.HeaderLength);
            return ReadStatus.Malformed;
        }
        if (!RtrVersion.Defines(version, type))
        {
            error = Fail(PduErrorKind.UnsupportedPduType, $"PDU type {type} is not defined in version {version}", buffer, length);
            return ReadStatus.Malformed;
        }

        var pduType = (PduType)type;
        if (CheckLength(version, pduType, (int)length) is { } lengthProblem)
        {
            error = Fail(PduErrorKind.InvalidLength, lengthProblem, buffer, Math.Min(length, (uint)RtrVersion.HeaderLength));
            return ReadStatus.Malformed;
        }
        if (buffer.Length < length) return ReadStatus.Incomplete;

        var body = buffer.Slice(RtrVersion.HeaderLength, length - RtrVersion.HeaderLength);
        var reader = new SequenceReader<byte>(body);
        var result = new RtrPdu { Version = version, Type = pduType, HeaderField = field, Length = (int)length };
        string? problem = null;
        var kind = PduErrorKind.InvalidField;
        switch (pduType)
        {
            case PduType.SerialNotify:
            case PduType.SerialQuery:
                result = result with { Serial = ReadU32(ref reader) };
                break;
            case PduType.EndOfData:
                result = result with { Serial = ReadU32(ref reader) };
                if (version != RtrVersion.V0)
                    result = result with { Timers = new RtrTimers(ReadU32(ref reader), ReadU32(ref reader), ReadU32(ref reader)) };
                break;
            case PduType.Ipv4Prefix:
            case PduType.Ipv6Prefix:
                problem = ReadPrefix(ref reader, pduType == PduType.Ipv6Prefix, ref result);
                break;
            case PduType.RouterKey:
                problem = ReadRouterKey(ref reader, ref result);
                break;
            case PduType.Aspa:
                problem = ReadAspa(ref reader, ref result, out kind);
                break;
            case PduType.ErrorReport:
                problem = ReadErrorReport(ref reader, ref result);
                break;
        }
        if (problem is not null)
        {
            error = Fail(kind, problem, buffer, length);
            return ReadStatus.Malformed;
        }
        pdu = result;
        buffer = buffer.Slice(length);
        return ReadStatus.Pdu;
    }

    /// <summary>Null when <paramref name="length"/> is legal for the type, else why not.</summary>
    private static string? CheckLength(byte version, PduType type, int length)
    {
        int fixedLength = RtrVersion.FixedLength(version, type);
        if (fixedLength >= 0)
            return length == fixedLength ? null : $"{type} PDU (v{version}) has length {length}, must be {fixedLength}";
        return type switch
        {
            PduType.RouterKey when length <= PduWriter.RouterKeyBaseLength
                => $"Router Key PDU has length {length}, must be more than {PduWriter.RouterKeyBaseLength}",
            PduType.Aspa when length < PduWriter.AspaBaseLength || (length - PduWriter.AspaBaseLength) % 4 != 0
                => $"ASPA PDU has length {length}, must be 12 + 4 x providers",
            PduType.ErrorReport when length < PduWriter.ErrorReportBaseLength
                => $"Error Report PDU has length {length}, must be at least {PduWriter.ErrorReportBaseLength}",
            _ => null,
        };
    }

    private static string? ReadPrefix(ref SequenceReader<byte> reader, bool v6, ref RtrPdu pdu)
    {
        reader.TryRead(out byte flags);
        reader.TryRead(out byte prefixLength);
        reader.TryRead(out byte maxLength);
        reader.Advance(1);
        Vrp vrp;
        string? error;
        if (v6)
        {
            Span<byte> a = stackalloc byte[16];
            reader.TryCopyTo(a);
            reader.Advance(16);
            uint asn = ReadU32(ref reader);
            if (!Vrp.TryCreateV6(BinaryPrimitives.ReadUInt128BigEndian(a), prefixLength, maxLength, asn, out vrp, out error)) return error;
        }
        else
        {
            uint address = ReadU32(ref reader);
            uint asn = ReadU32(ref reader);
            if (!Vrp.TryCreateV4(address, prefixLength, maxLength, asn, out vrp, out error)) return error;
        }
        pdu = pdu with { Vrp = vrp, Announce = (flags & 1) != 0 };
        return null;
    }

    private static string? ReadRouterKey(ref SequenceReader<byte> reader, ref RtrPdu pdu)
    {
        Span<byte> ski = stackalloc byte[RouterKey.SkiLength];
        reader.TryCopyTo(ski);
        reader.Advance(ski.Length);
        uint asn = ReadU32(ref reader);
        var spki = reader.UnreadSequence.ToArray();
        if (!RouterKey.TryCreate(ski, asn, spki, out var key, out var error)) return error;
        pdu = pdu with { RouterKey = key, Announce = (pdu.HeaderField >> 8 & 1) != 0 };
        return null;
    }

    private static string? ReadAspa(ref SequenceReader<byte> reader, ref RtrPdu pdu, out PduErrorKind kind)
    {
        kind = PduErrorKind.AspaProviderList;
        bool announce = (pdu.HeaderField >> 8 & 1) != 0;
        uint customer = ReadU32(ref reader);
        int count = (int)(reader.Remaining / 4);
        if (!announce && count != 0)
        {
            kind = PduErrorKind.InvalidLength;
            return $"ASPA withdrawal for AS{customer} carries {count} providers; its length must be 12";
        }
        if (announce && count == 0) return $"ASPA announcement for AS{customer} has no providers";
        var providers = new uint[count];
        for (int i = 0; i < count; i++)
        {
            providers[i] = ReadU32(ref reader);
            if (i > 0 && providers[i] <= providers[i - 1])
                return $"ASPA providers for AS{customer} not strictly ascending at AS{providers[i]}";
        }
        if (count > 1 && providers[0] == 0) return $"ASPA for AS{customer} has AS0 together with other providers";
        pdu = pdu with { Announce = announce, AspaCustomer = customer, AspaProviders = providers };
        return null;
    }

    private static string? ReadErrorReport(ref SequenceReader<byte> reader, ref RtrPdu pdu)
    {
        uint pduLength = ReadU32(ref reader);
        if (pduLength > reader.Remaining - 4)
            return $"Error Report encapsulates {pduLength} bytes but only {reader.Remaining - 4} remain";
        var inner = reader.UnreadSequence.Slice(0, pduLength).ToArray();
        reader.Advance(pduLength);
        uint textLength = ReadU32(ref reader);
        if (textLength != reader.Remaining)
            return $"Error Report text length {textLength} does not match the {reader.Remaining} bytes left in the PDU";
        string text;
        try
        {
            text = StrictUtf8.GetString(reader.UnreadSequence);
        }
        catch (DecoderFallbackException)
        {
            return "Error Report text is not valid UTF-8";
        }
        pdu = pdu with { EncapsulatedPdu = inner, ErrorText = text };
        return null;
    }

    private static uint ReadU32(ref SequenceReader<byte> reader)
    {
        reader.TryReadBigEndian(out int value);
        return unchecked((uint)value);
    }

    private static PduDecodeError Fail(PduErrorKind kind, string message, ReadOnlySequence<byte> buffer, uint declaredLength)
    {
        long take = Math.Min(buffer.Length, Math.Clamp(declaredLength, RtrVersion.HeaderLength, RtrVersion.MaxPduLength));
        return new PduDecodeError(kind, message, buffer.Slice(0, take).ToArray());
    }
}
