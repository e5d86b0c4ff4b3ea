using System.Buffers;
using RtrCache.Rtr.Protocol;
using static RtrCache.Rtr.Tests.Bytes;

namespace RtrCache.Rtr.Tests;

/// <summary>A malformed input and what the reader must say about it.</summary>
public sealed class MalformedCase
{
    public MalformedCase(string name, byte[] input, PduErrorKind kind, bool wholePdu)
    {
        Name = name;
        Input = input;
        Kind = kind;
        WholePdu = wholePdu;
    }

    public string Name { get; }
    public byte[] Input { get; }
    public PduErrorKind Kind { get; }

    /// <summary>True when <see cref="Input"/> is the complete bad PDU, which must then be the offending bytes exactly.</summary>
    public bool WholePdu { get; }

    public override string ToString() => Name;
}

/// <summary>
/// Malformed PDUs (rtr.md §2, §3, §5): each must be reported as Malformed with the right kind, the Error Report
/// code for v0/v1/v2 sessions, the offending bytes, and the buffer left unchanged.
/// </summary>
[TestFixture]
public class MalformedInputTests
{
    private const string Ski = "0102030405060708090A0B0C0D0E0F1011121314";

    private static MalformedCase C(string name, PduErrorKind kind, bool wholePdu, params string[] hex)
        => new(name, Hex(hex), kind, wholePdu);

    public static IEnumerable<MalformedCase> All()
    {
        const PduErrorKind Version = PduErrorKind.UnsupportedVersion;
        const PduErrorKind Type = PduErrorKind.UnsupportedPduType;
        const PduErrorKind Length = PduErrorKind.InvalidLength;
        const PduErrorKind Field = PduErrorKind.InvalidField;
        const PduErrorKind Aspa = PduErrorKind.AspaProviderList;

        // Version (§7): only 0, 1, 2 exist.
        yield return C("Version3_ResetQuery", Version, true, "03 02 0000 00000008");
        yield return C("Version3_SerialQuery", Version, true, "03 01 1234 0000000C 00000001");
        yield return C("Version255_CacheReset", Version, true, "FF 08 0000 00000008");
        yield return C("Version3_HeaderOnlyOfLongerPdu", Version, false, "03 01 1234 0000000C");
        yield return C("Version3_HugeLength", Version, false, "03 0A 0000 FFFFFFFF");

        // Type (§2 registry): 5, 12, 255 never exist; 9 not in v0; 11 not in v0/v1.
        foreach (byte v in new byte[] { 0, 1, 2 })
            foreach (byte t in new byte[] { 5, 12, 255 })
                yield return C($"Type{t}_v{v}", Type, true, $"{v:X2} {t:X2} 0000 00000008");
        yield return C("RouterKey_v0", Type, true, "00 09 01 00 0000003A", Ski, "0000FBF0", "3018 3013 0607 2A8648CE3D0201 0608 2A8648CE3D030107 0301 00");
        yield return C("Aspa_v0", Type, true, "00 0B 01 00 00000010 0000FBF0 0000FBF1");
        yield return C("Aspa_v1", Type, true, "01 0B 01 00 00000010 0000FBF0 0000FBF1");
        yield return C("AspaWithdraw_v1", Type, true, "01 0B 00 00 0000000C 0000FBF0");

        // Length < 8 and > 65,535 (§2), reported from the header alone.
        yield return C("Length0", Length, false, "02 02 0000 00000000");
        yield return C("Length7", Length, false, "02 02 0000 00000007");
        yield return C("Length7_ErrorReport_v0", Length, false, "00 0A 0000 00000007");
        yield return C("Length65536_HeaderOnly", Length, false, "02 0A 0000 00010000");
        yield return C("LengthFFFFFFFF_Aspa_HeaderOnly", Length, false, "02 0B 01 00 FFFFFFFF");
        yield return C("Length70000_RouterKey_HeaderOnly_v1", Length, false, "01 09 01 00 00011170");

        // Wrong lengths for fixed-size types (§3), with the full declared body present …
        yield return C("SerialNotify_Length8", Length, false, "02 00 1234 00000008");
        yield return C("SerialNotify_Length16", Length, false, "01 00 1234 00000010 00000006 00000000");
        yield return C("SerialQuery_Length13", Length, false, "00 01 1234 0000000D 00000006 00");
        yield return C("ResetQuery_Length12", Length, false, "02 02 0000 0000000C 00000000");
        yield return C("CacheResponse_Length12", Length, false, "01 03 1234 0000000C 00000000");
        yield return C("Ipv4Prefix_Length24", Length, false, "02 04 0000 00000018 01181800 C0000200 0000FBF0 00000000");
        yield return C("Ipv4Prefix_Length32", Length, false, "00 04 0000 00000020 01181800 C0000200 0000FBF0 00000000 00000000 00000000");
        yield return C("Ipv6Prefix_Length20", Length, false, "02 06 0000 00000014 01203000 20010DB8 0000FBF0");
        yield return C("EndOfData_v0_Length24", Length, false, "00 07 1234 00000018 00000005 00000E10 00000258 00001C20");
        yield return C("EndOfData_v1_Length12", Length, false, "01 07 1234 0000000C 00000005");
        yield return C("EndOfData_v2_Length12", Length, false, "02 07 1234 0000000C 00000005");
        yield return C("CacheReset_Length12", Length, false, "02 08 0000 0000000C 00000000");
        // … and with only the header, which is enough to know.
        yield return C("EndOfData_v0_Length24_HeaderOnly", Length, false, "00 07 1234 00000018");
        yield return C("Ipv6Prefix_Length40_HeaderOnly", Length, false, "02 06 0000 00000028");

        // Prefix fields (§3.5, §3.6).
        yield return C("Ipv4_PrefixLength33", Field, true, "02 04 0000 00000014 01 21 21 00 C0000200 0000FBF0");
        yield return C("Ipv4_MaxLength33", Field, true, "02 04 0000 00000014 01 18 21 00 C0000200 0000FBF0");
        yield return C("Ipv4_MaxBelowPrefix", Field, true, "00 04 0000 00000014 01 18 17 00 C0000200 0000FBF0");
        yield return C("Ipv4_HostBitsSet", Field, true, "01 04 0000 00000014 01 18 18 00 C0000201 0000FBF0");
        yield return C("Ipv4_HostBitsSetLen0", Field, true, "02 04 0000 00000014 00 00 00 00 80000000 00000000");
        yield return C("Ipv6_PrefixLength129", Field, true, "02 06 0000 00000020 01 81 81 00 20010DB8 00000000 00000000 00000000 0000FBF0");
        yield return C("Ipv6_MaxLength129", Field, true, "02 06 0000 00000020 01 20 81 00 20010DB8 00000000 00000000 00000000 0000FBF0");
        yield return C("Ipv6_MaxBelowPrefix", Field, true, "01 06 0000 00000020 01 30 20 00 20010DB8 00000000 00000000 00000000 0000FBF0");
        yield return C("Ipv6_HostBitsSet", Field, true, "00 06 0000 00000020 00 20 20 00 20010DB8 00000000 00000000 00000001 0000FBF0");

        // ASPA provider lists (§3.11): code 9 in v2.
        yield return C("Aspa_AnnounceNoProviders", Aspa, true, "02 0B 01 00 0000000C 0000FBF0");
        yield return C("Aspa_Unsorted", Aspa, true, "02 0B 01 00 00000014 0000FBF0 0000FBF2 0000FBF1");
        yield return C("Aspa_UnsortedHighBit", Aspa, true, "02 0B 01 00 00000014 0000FBF0 80000000 7FFFFFFF");
        yield return C("Aspa_Duplicate", Aspa, true, "02 0B 01 00 00000014 0000FBF0 0000FBF1 0000FBF1");
        yield return C("Aspa_As0WithOthers", Aspa, true, "02 0B 01 00 00000014 0000FBF0 00000000 0000FBF1");
        yield return C("Aspa_As0Twice", Aspa, true, "02 0B 01 00 00000014 0000FBF0 00000000 00000000");
        // ASPA withdrawal must be exactly 12 bytes (§3.11): a withdrawal with providers is a length error.
        yield return C("Aspa_WithdrawWithProviders", Length, true, "02 0B 00 00 00000010 0000FBF0 0000FBF1");
        // ASPA length not 12 + 4n.
        yield return C("Aspa_Length8", Length, false, "02 0B 01 00 00000008");
        yield return C("Aspa_Length11", Length, false, "02 0B 01 00 0000000B 0000FB");
        yield return C("Aspa_Length14", Length, false, "02 0B 01 00 0000000E 0000FBF0 0000");
        yield return C("Aspa_Length17", Length, false, "02 0B 01 00 00000011 0000FBF0 0000FBF1 00");

        // Router Key (§3.9) without SPKI or shorter than its fixed part.
        yield return C("RouterKey_NoSpki_v1", Length, false, "01 09 01 00 00000020", Ski, "0000FBF0");
        yield return C("RouterKey_NoSpki_v2", Length, false, "02 09 01 00 00000020", Ski, "0000FBF0");
        yield return C("RouterKey_Length28", Length, false, "02 09 01 00 0000001C", Ski);
        yield return C("RouterKey_Length8", Length, false, "02 09 01 00 00000008");

        // Error Report (§3.10): length below 16, inner lengths that don't add up, invalid UTF-8 text.
        yield return C("ErrorReport_Length12", Length, false, "02 0A 0000 0000000C 00000000");
        yield return C("ErrorReport_Length15", Length, false, "01 0A 0000 0000000F 00000000 000000");
        yield return C("ErrorReport_EncapsulatedTooLong", Field, true, "02 0A 0000 00000018 00000064 02020000 00000008 00000000");
        yield return C("ErrorReport_EncapsulatedEatsTextLength", Field, true, "02 0A 0000 00000018 0000000A 02020000 00000008 00000000");
        yield return C("ErrorReport_EncapsulatedFFFFFFFF", Field, true, "00 0A 0000 00000010 FFFFFFFF 00000000");
        yield return C("ErrorReport_TextLengthTooLong", Field, true, "02 0A 0000 00000013 00000000 00000005 414243");
        yield return C("ErrorReport_TextLengthTooShort", Field, true, "02 0A 0000 00000013 00000000 00000002 414243");
        yield return C("ErrorReport_TextLengthFFFFFFFF", Field, true, "01 0A 0000 00000010 00000000 FFFFFFFF");
        yield return C("ErrorReport_Utf8_BadContinuation", Field, true, "02 0A 0000 00000012 00000000 00000002 C328");
        yield return C("ErrorReport_Utf8_ByteFF", Field, true, "02 0A 0000 00000011 00000000 00000001 FF");
        yield return C("ErrorReport_Utf8_LoneContinuation", Field, true, "00 0A 0000 00000013 00000000 00000003 41 80 42");
        yield return C("ErrorReport_Utf8_Truncated", Field, true, "01 0A 0000 00000012 00000000 00000002 E282");
        yield return C("ErrorReport_Utf8_Overlong", Field, true, "02 0A 0000 00000012 00000000 00000002 C0AF");
        yield return C("ErrorReport_Utf8_Surrogate", Field, true, "02 0A 0000 00000013 00000000 00000003 EDA080");
        yield return C("ErrorReport_Utf8_WithPduAndBadText", Field, true, "02 0A 0004 0000001A 00000008 03020000 00000008 00000002 C328");
    }

    public static IEnumerable<TestCaseData> Cases() => All().Select(c => new TestCaseData(c).SetName(c.Name));

    public static IEnumerable<TestCaseData> WholePduCases() => All().Where(c => c.WholePdu).Select(c => new TestCaseData(c).SetName(c.Name));

    /// <summary>Error Report codes by kind, from rtr.md §5 and the code ranges per version (v0: 0–7, v1: 0–8, v2: 0–13).</summary>
    private static (ushort V0, ushort V1, ushort V2) ExpectedCodes(PduErrorKind kind) => kind switch
    {
        PduErrorKind.UnsupportedVersion => (4, 4, 4),
        PduErrorKind.UnsupportedPduType => (5, 5, 5),
        PduErrorKind.InvalidLength => (0, 0, 0),
        PduErrorKind.InvalidField => (0, 0, 0),
        PduErrorKind.AspaProviderList => (0, 0, 9),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static PduDecodeError ReadMalformed(ReadOnlySequence<byte> shape)
    {
        var buffer = shape;
        var status = PduReader.TryRead(ref buffer, out _, out var error);
        Assert.That(status, Is.EqualTo(ReadStatus.Malformed), () => $"got {status}");
        Assert.That(error, Is.Not.Null);
        Assert.That(buffer.Length, Is.EqualTo(shape.Length), "buffer length unchanged");
        Assert.That(buffer.Start, Is.EqualTo(shape.Start), "buffer start unchanged");
        return error!;
    }

    [TestCaseSource(nameof(Cases))]
    public void Malformed_KindCodesAndOffendingBytes(MalformedCase c)
    {
        var error = ReadMalformed(Contiguous(c.Input));
        Assert.That(error.Kind, Is.EqualTo(c.Kind), error.Message);
        Assert.That(error.Message, Is.Not.Null.And.Not.Empty);

        var (v0, v1, v2) = ExpectedCodes(c.Kind);
        Assert.That((ushort)error.ToErrorCode(0), Is.EqualTo(v0), "code for a v0 session");
        Assert.That((ushort)error.ToErrorCode(1), Is.EqualTo(v1), "code for a v1 session");
        Assert.That((ushort)error.ToErrorCode(2), Is.EqualTo(v2), "code for a v2 session");
        Assert.That((ushort)error.ToErrorCode(0), Is.LessThanOrEqualTo(7), "defined in v0");
        Assert.That((ushort)error.ToErrorCode(1), Is.LessThanOrEqualTo(8), "defined in v1");

        if (c.WholePdu)
            Assert.That(ToHex(error.OffendingPdu), Is.EqualTo(ToHex(c.Input)), "offending PDU = the whole bad PDU");
        else
        {
            Assert.That(error.OffendingPdu.Length, Is.GreaterThanOrEqualTo(8), "at least the header");
            Assert.That(error.OffendingPdu.Length, Is.LessThanOrEqualTo(c.Input.Length));
            Assert.That(ToHex(error.OffendingPdu), Is.EqualTo(ToHex(c.Input.AsSpan(0, error.OffendingPdu.Length))), "offending bytes are the start of the bad PDU");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Malformed_SameResultFromOneByteAndRandomSegments(MalformedCase c)
    {
        var reference = ReadMalformed(Contiguous(c.Input));
        var shapes = new List<ReadOnlySequence<byte>> { OneByteSegments(c.Input) };
        var rng = new Random(c.Name.Sum(ch => ch));
        for (int i = 0; i < 10; i++) shapes.Add(RandomSegments(c.Input, rng));
        foreach (var shape in shapes)
        {
            var error = ReadMalformed(shape);
            Assert.That(error.Kind, Is.EqualTo(reference.Kind));
            Assert.That(ToHex(error.OffendingPdu), Is.EqualTo(ToHex(reference.OffendingPdu)));
        }
    }

    [TestCaseSource(nameof(WholePduCases))]
    public void Malformed_FollowedByAnotherPdu_OffendingStaysWithinTheBadPdu(MalformedCase c)
    {
        var next = Hex("02 02 0000 00000008");
        var data = Concat(c.Input, next);
        var error = ReadMalformed(Contiguous(data));
        Assert.That(error.Kind, Is.EqualTo(c.Kind));
        Assert.That(ToHex(error.OffendingPdu), Is.EqualTo(ToHex(c.Input)));
    }

    [Test]
    public void Malformed_AfterGoodPdus_GoodOnesDecodeThenErrorWithoutConsuming()
    {
        var good = Hex("02 02 0000 00000008", "02 01 1234 0000000C 00000007");
        var bad = Hex("02 05 0000 00000008");
        var buffer = OneByteSegments(Concat(good, bad));
        Assert.That(PduReader.TryRead(ref buffer, out _, out _), Is.EqualTo(ReadStatus.Pdu));
        Assert.That(PduReader.TryRead(ref buffer, out var q, out _), Is.EqualTo(ReadStatus.Pdu));
        Assert.That(q.Serial.Value, Is.EqualTo(7u));
        Assert.That(PduReader.TryRead(ref buffer, out _, out var error), Is.EqualTo(ReadStatus.Malformed));
        Assert.That(error!.Kind, Is.EqualTo(PduErrorKind.UnsupportedPduType));
        Assert.That(buffer.ToArray(), Is.EqualTo(bad).AsCollection);
    }

    [Test]
    public void HugeLength_ReportedWithoutWaitingForBody()
    {
        // The header alone decides (rtr.md §2 max 65,535): nothing more is needed and no body is awaited.
        foreach (var hex in new[] { "02 0A 0000 00010000", "01 09 01 00 7FFFFFFF", "00 04 0000 80000000" })
        {
            var error = ReadMalformed(Contiguous(Hex(hex)));
            Assert.That(error.Kind, Is.EqualTo(PduErrorKind.InvalidLength), hex);
            Assert.That(ToHex(error.OffendingPdu), Is.EqualTo(ToHex(Hex(hex))));
        }
    }

    [Test]
    public void AspaProviderList_Codes_AreDefinedInEachSessionVersion()
    {
        var error = ReadMalformed(Contiguous(Hex("02 0B 01 00 0000000C 0000FBF0")));
        Assert.That(error.Kind, Is.EqualTo(PduErrorKind.AspaProviderList));
        Assert.That(error.ToErrorCode(2), Is.EqualTo(ErrorCode.AspaProviderListError));
        foreach (byte v in new byte[] { 0, 1, 2 })
            Assert.That(ErrorCodes.IsDefinedIn(error.ToErrorCode(v), v), Is.True, $"v{v}");
        Assert.That(error.ToErrorCode(0), Is.EqualTo(ErrorCode.CorruptData));
        Assert.That(error.ToErrorCode(1), Is.EqualTo(ErrorCode.CorruptData));
    }
}
