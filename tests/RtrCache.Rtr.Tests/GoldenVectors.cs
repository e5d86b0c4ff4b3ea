using System.Buffers;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;
using static RtrCache.Rtr.Tests.Bytes;

namespace RtrCache.Rtr.Tests;

/// <summary>One PDU: its bytes written by hand from the spec, how to encode it, and what decoding must yield.</summary>
public sealed class GoldenVector
{
    public GoldenVector(string name, byte[] expected, Action<IBufferWriter<byte>> write, Action<RtrPdu> check)
    {
        Name = name;
        Expected = expected;
        Write = write;
        Check = check;
    }

    public string Name { get; }
    public byte[] Expected { get; }
    public Action<IBufferWriter<byte>> Write { get; }
    public Action<RtrPdu> Check { get; }

    public override string ToString() => Name;
}

/// <summary>
/// Golden vectors for every PDU type in every version that defines it (rtr.md §2–§3). The expected bytes are
/// never produced by our encoder: the §3.11 and §3.11.0 examples are copied verbatim, all others are derived
/// field by field from the §3 tables.
/// </summary>
public static class GoldenVectors
{
    private static readonly byte[] Versions = [0, 1, 2];

    /// <summary>SKI used in the Router Key vectors: 0x01 … 0x14.</summary>
    private static readonly byte[] Ski = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();

    /// <summary>Hex of the 91-byte P-256 SPKI (decoded by hand from the base64 given in the brief).</summary>
    private const string SpkiHex =
        "30 59 30 13 06 07 2A 86 48 CE 3D 02 01 06 08 2A 86 48 CE 3D 03 01 07 03 42 00 04 4F 5D 05 30 1C 4F E8 FD EB " +
        "E9 A1 BF 20 2A 5F B2 4B 69 ED 7E B2 94 92 18 F0 AC 9E EB 39 10 84 D3 AD D3 2F 9C 47 36 27 80 7F 0C 1B 36 37 " +
        "71 73 6F 67 AE 33 E0 2A 59 DB 68 1F E2 D7 B2 6C 6A BC A3";

    private static readonly RtrTimers Timers = new(3600, 600, 7200);

    public static IEnumerable<GoldenVector> All()
    {
        foreach (byte v in Versions)
        {
            string ver = $"{v:X2}";

            // §3.1 Serial Notify
            yield return new GoldenVector($"SerialNotify_v{v}",
                Hex(ver,          // version
                    "00",         // type 0 = Serial Notify
                    "1234",       // Session ID 0x1234
                    "0000000C",   // length 12
                    "00000006"),  // serial 6
                w => PduWriter.WriteSerialNotify(w, v, new SessionId(0x1234), 6),
                p =>
                {
                    Header(p, v, PduType.SerialNotify, 0x1234, 12);
                    Assert.That(p.SessionId, Is.EqualTo(new SessionId(0x1234)));
                    Assert.That(p.Serial.Value, Is.EqualTo(6u));
                });

            // §3.2 Serial Query
            yield return new GoldenVector($"SerialQuery_v{v}",
                Hex(ver,          // version
                    "01",         // type 1 = Serial Query
                    "BEEF",       // Session ID 0xBEEF
                    "0000000C",   // length 12
                    "FFFFFFFE"),  // serial 4294967294 (high bit set: must stay unsigned)
                w => PduWriter.WriteSerialQuery(w, v, new SessionId(0xBEEF), 4294967294u),
                p =>
                {
                    Header(p, v, PduType.SerialQuery, 0xBEEF, 12);
                    Assert.That(p.SessionId.Value, Is.EqualTo((ushort)0xBEEF));
                    Assert.That(p.Serial.Value, Is.EqualTo(4294967294u));
                });

            // §3.3 Reset Query
            yield return new GoldenVector($"ResetQuery_v{v}",
                Hex(ver,          // version
                    "02",         // type 2 = Reset Query
                    "0000",       // zero
                    "00000008"),  // length 8
                w => PduWriter.WriteResetQuery(w, v),
                p => Header(p, v, PduType.ResetQuery, 0, 8));

            // §3.4 Cache Response
            yield return new GoldenVector($"CacheResponse_v{v}",
                Hex(ver,          // version
                    "03",         // type 3 = Cache Response
                    "8001",       // Session ID 0x8001
                    "00000008"),  // length 8
                w => PduWriter.WriteCacheResponse(w, v, new SessionId(0x8001)),
                p =>
                {
                    Header(p, v, PduType.CacheResponse, 0x8001, 8);
                    Assert.That(p.SessionId.Value, Is.EqualTo((ushort)0x8001));
                });

            // §3.5 IPv4 Prefix, announce: 192.0.2.0/24 maxlen 24 AS64496
            var v4a = Vrp.V4(0xC0000200, 24, 24, 64496);
            yield return new GoldenVector($"Ipv4PrefixAnnounce_v{v}",
                Hex(ver,          // version
                    "04",         // type 4 = IPv4 Prefix
                    "0000",       // zero
                    "00000014",   // length 20
                    "01",         // flags: announce
                    "18",         // prefix length 24
                    "18",         // max length 24
                    "00",         // zero
                    "C0000200",   // 192.0.2.0
                    "0000FBF0"),  // AS64496
                w => PduWriter.WritePrefix(w, v, v4a, announce: true),
                p => Prefix(p, v, PduType.Ipv4Prefix, 20, announce: true, v4a, "192.0.2.0", 24, 24, 64496));

            // §3.5 IPv4 Prefix, withdraw: 198.51.100.0/22 maxlen 24 AS65551
            var v4w = Vrp.V4(0xC6336400, 22, 24, 65551);
            yield return new GoldenVector($"Ipv4PrefixWithdraw_v{v}",
                Hex(ver,          // version
                    "04",         // type 4 = IPv4 Prefix
                    "0000",       // zero
                    "00000014",   // length 20
                    "00",         // flags: withdraw
                    "16",         // prefix length 22
                    "18",         // max length 24
                    "00",         // zero
                    "C6336400",   // 198.51.100.0
                    "0001000F"),  // AS65551
                w => PduWriter.WritePrefix(w, v, v4w, announce: false),
                p => Prefix(p, v, PduType.Ipv4Prefix, 20, announce: false, v4w, "198.51.100.0", 22, 24, 65551));

            // §3.5 IPv4 Prefix, AS0 host route 255.255.255.255/32
            var v4h = Vrp.V4(0xFFFFFFFF, 32, 32, 0);
            yield return new GoldenVector($"Ipv4PrefixHostAs0_v{v}",
                Hex(ver,          // version
                    "04",         // type 4 = IPv4 Prefix
                    "0000",       // zero
                    "00000014",   // length 20
                    "01",         // flags: announce
                    "20",         // prefix length 32
                    "20",         // max length 32
                    "00",         // zero
                    "FFFFFFFF",   // 255.255.255.255
                    "00000000"),  // AS0
                w => PduWriter.WritePrefix(w, v, v4h, announce: true),
                p => Prefix(p, v, PduType.Ipv4Prefix, 20, announce: true, v4h, "255.255.255.255", 32, 32, 0));

            // §3.6 IPv6 Prefix, announce: 2001:db8::/32 maxlen 48 AS64496
            var v6a = P.Vrp("2001:db8::/32", 48, 64496);
            yield return new GoldenVector($"Ipv6PrefixAnnounce_v{v}",
                Hex(ver,          // version
                    "06",         // type 6 = IPv6 Prefix
                    "0000",       // zero
                    "00000020",   // length 32
                    "01",         // flags: announce
                    "20",         // prefix length 32
                    "30",         // max length 48
                    "00",         // zero
                    "20010DB8 00000000 00000000 00000000", // 2001:db8::
                    "0000FBF0"),  // AS64496
                w => PduWriter.WritePrefix(w, v, v6a, announce: true),
                p => Prefix(p, v, PduType.Ipv6Prefix, 32, announce: true, v6a, "2001:db8::", 32, 48, 64496));

            // §3.6 IPv6 Prefix, withdraw: 2001:db8:ffff:ff00::/56 maxlen 64 AS4294967295
            var v6w = P.Vrp("2001:db8:ffff:ff00::/56", 64, uint.MaxValue);
            yield return new GoldenVector($"Ipv6PrefixWithdraw_v{v}",
                Hex(ver,          // version
                    "06",         // type 6 = IPv6 Prefix
                    "0000",       // zero
                    "00000020",   // length 32
                    "00",         // flags: withdraw
                    "38",         // prefix length 56
                    "40",         // max length 64
                    "00",         // zero
                    "20010DB8 FFFFFF00 00000000 00000000", // 2001:db8:ffff:ff00::
                    "FFFFFFFF"),  // AS4294967295
                w => PduWriter.WritePrefix(w, v, v6w, announce: false),
                p => Prefix(p, v, PduType.Ipv6Prefix, 32, announce: false, v6w, "2001:db8:ffff:ff00::", 56, 64, uint.MaxValue));

            // §3.7 End of Data: 12 bytes in v0, 24 bytes with timers in v1/v2
            if (v == 0)
                yield return new GoldenVector("EndOfData_v0",
                    Hex("00",         // version 0
                        "07",         // type 7 = End of Data
                        "1234",       // Session ID 0x1234
                        "0000000C",   // length 12
                        "00000005"),  // serial 5
                    w => PduWriter.WriteEndOfData(w, 0, new SessionId(0x1234), 5, Timers),
                    p =>
                    {
                        Header(p, 0, PduType.EndOfData, 0x1234, 12);
                        Assert.That(p.Serial.Value, Is.EqualTo(5u));
                        Assert.That(p.Timers, Is.Null, "v0 End of Data has no timers");
                    });
            else
                yield return new GoldenVector($"EndOfData_v{v}",
                    Hex(ver,          // version
                        "07",         // type 7 = End of Data
                        "1234",       // Session ID 0x1234
                        "00000018",   // length 24
                        "00000005",   // serial 5
                        "00000E10",   // refresh 3600
                        "00000258",   // retry 600
                        "00001C20"),  // expire 7200
                    w => PduWriter.WriteEndOfData(w, v, new SessionId(0x1234), 5, Timers),
                    p =>
                    {
                        Header(p, v, PduType.EndOfData, 0x1234, 24);
                        Assert.That(p.Serial.Value, Is.EqualTo(5u));
                        Assert.That(p.Timers, Is.EqualTo(new RtrTimers(3600, 600, 7200)));
                    });

            // §3.8 Cache Reset
            yield return new GoldenVector($"CacheReset_v{v}",
                Hex(ver,          // version
                    "08",         // type 8 = Cache Reset
                    "0000",       // zero
                    "00000008"),  // length 8
                w => PduWriter.WriteCacheReset(w, v),
                p => Header(p, v, PduType.CacheReset, 0, 8));

            // §3.9 Router Key (v1, v2 only)
            if (v >= 1)
            {
                var key = RouterKey.Create(Ski, 64496, P.P256Spki);
                yield return new GoldenVector($"RouterKeyAnnounce_v{v}",
                    Hex(ver,          // version
                        "09",         // type 9 = Router Key
                        "01",         // flags: announce
                        "00",         // zero
                        "0000007B",   // length 123 = 32 + 91
                        "0102030405060708090A0B0C0D0E0F1011121314", // SKI (20 bytes)
                        "0000FBF0",   // AS64496
                        SpkiHex),     // SPKI (91 bytes DER)
                    w => PduWriter.WriteRouterKey(w, v, key, announce: true),
                    p => RouterKeyCheck(p, v, 0x0100, announce: true, asn: 64496));

                var key2 = RouterKey.Create(Ski, 65536, P.P256Spki);
                yield return new GoldenVector($"RouterKeyWithdraw_v{v}",
                    Hex(ver,          // version
                        "09",         // type 9 = Router Key
                        "00",         // flags: withdraw
                        "00",         // zero
                        "0000007B",   // length 123
                        "0102030405060708090A0B0C0D0E0F1011121314", // SKI
                        "00010000",   // AS65536
                        SpkiHex),     // SPKI
                    w => PduWriter.WriteRouterKey(w, v, key2, announce: false),
                    p => RouterKeyCheck(p, v, 0x0000, announce: false, asn: 65536));
            }

            // §3.10 Error Report with an encapsulated PDU and UTF-8 text "type 5 ü"
            byte[] inner = Hex(ver, "05", "0000", "00000008"); // the offending type-5 PDU, 8 bytes
            yield return new GoldenVector($"ErrorReportPduAndText_v{v}",
                Hex(ver,          // version
                    "0A",         // type 10 = Error Report
                    "0005",       // error code 5 (Unsupported PDU Type)
                    "00000021",   // length 33 = 16 + 8 + 9
                    "00000008",   // encapsulated PDU length 8
                    ver + "05 0000 00000008", // encapsulated PDU: version, type 5, zero, length 8
                    "00000009",   // text length 9
                    "74797065 2035 20 C3BC"), // "type 5 ü" (ü = C3 BC)
                w => PduWriter.WriteErrorReport(w, v, ErrorCode.UnsupportedPduType, inner, "type 5 ü"),
                p => ErrorReportCheck(p, v, 5, 33, inner, "type 5 ü"));

            // §3.10 Error Report without encapsulated PDU and without text
            yield return new GoldenVector($"ErrorReportBare_v{v}",
                Hex(ver,          // version
                    "0A",         // type 10 = Error Report
                    "0001",       // error code 1 (Internal Error)
                    "00000010",   // length 16
                    "00000000",   // encapsulated PDU length 0
                    "00000000"),  // text length 0
                w => PduWriter.WriteErrorReport(w, v, ErrorCode.InternalError, ReadOnlySpan<byte>.Empty, null),
                p => ErrorReportCheck(p, v, 1, 16, [], ""));
        }

        // §3.11: ASPA (v2 only), verbatim examples
        yield return new GoldenVector("Spec3_11_AspaAnnounce_v2",
            Hex("02 0B 01 00   00 00 00 14   00 00 FB F0   00 00 FB F1   00 00 FB F2"),
            w => PduWriter.WriteAspa(w, 2, 64496, [64497, 64498], announce: true),
            p => AspaCheck(p, 0x0100, 20, announce: true, 64496, [64497, 64498]));
        yield return new GoldenVector("Spec3_11_AspaWithdraw_v2",
            Hex("02 0B 00 00   00 00 00 0C   00 00 FB F0"),
            w => PduWriter.WriteAspa(w, 2, 64496, ReadOnlySpan<uint>.Empty, announce: false),
            p => AspaCheck(p, 0x0000, 12, announce: false, 64496, []));
        yield return new GoldenVector("Spec3_11_AspaWithdrawIgnoresProviders_v2",
            Hex("02 0B 00 00   00 00 00 0C   00 00 FB F0"),
            w => PduWriter.WriteAspa(w, 2, 64496, [64497, 64498], announce: false),
            p => AspaCheck(p, 0x0000, 12, announce: false, 64496, []));
        yield return new GoldenVector("Spec3_11_AspaAs0_v2",
            Hex("02 0B 01 00   00 00 00 10   00 00 FB F0   00 00 00 00"),
            w => PduWriter.WriteAspa(w, 2, 64496, [0], announce: true),
            p => AspaCheck(p, 0x0100, 16, announce: true, 64496, [0]));
        // Hand-derived: provider list with the high bit set (unsigned compare) and a 4-byte-ASN customer
        yield return new GoldenVector("AspaHighAsns_v2",
            Hex("02",         // version 2
                "0B",         // type 11 = ASPA
                "01",         // flags: announce
                "00",         // zero
                "00000018",   // length 24 = 12 + 3 x 4
                "FA56EA00",   // customer AS4200000000
                "00000001",   // provider AS1
                "7FFFFFFF",   // provider AS2147483647
                "80000000"),  // provider AS2147483648
            w => PduWriter.WriteAspa(w, 2, 4200000000, [1, 0x7FFFFFFF, 0x80000000], announce: true),
            p => AspaCheck(p, 0x0100, 24, announce: true, 4200000000, [1, 0x7FFFFFFF, 0x80000000]));

        // §3.11.0: verbatim examples (version 2, Session ID 0x1234)
        yield return new GoldenVector("Spec3_11_0_CacheResponse",
            Hex("02 03 12 34  00 00 00 08"),
            w => PduWriter.WriteCacheResponse(w, 2, new SessionId(0x1234)),
            p => Header(p, 2, PduType.CacheResponse, 0x1234, 8));
        var sv4 = Vrp.V4(0xC0000200, 24, 24, 64496);
        yield return new GoldenVector("Spec3_11_0_Ipv4PrefixAnnounce",
            Hex("02 04 00 00  00 00 00 14  01 18 18 00  C0 00 02 00  00 00 FB F0"),
            w => PduWriter.WritePrefix(w, 2, sv4, announce: true),
            p => Prefix(p, 2, PduType.Ipv4Prefix, 20, true, sv4, "192.0.2.0", 24, 24, 64496));
        var sv6 = P.Vrp("2001:db8::/32", 48, 64496);
        yield return new GoldenVector("Spec3_11_0_Ipv6PrefixAnnounce",
            Hex("02 06 00 00  00 00 00 20  01 20 30 00  20 01 0D B8 00 00 00 00",
                "00 00 00 00 00 00 00 00  00 00 FB F0"),
            w => PduWriter.WritePrefix(w, 2, sv6, announce: true),
            p => Prefix(p, 2, PduType.Ipv6Prefix, 32, true, sv6, "2001:db8::", 32, 48, 64496));
        yield return new GoldenVector("Spec3_11_0_EndOfData",
            Hex("02 07 12 34  00 00 00 18  00 00 00 05  00 00 0E 10  00 00 02 58  00 00 1C 20"),
            w => PduWriter.WriteEndOfData(w, 2, new SessionId(0x1234), 5, Timers),
            p =>
            {
                Header(p, 2, PduType.EndOfData, 0x1234, 24);
                Assert.That(p.Serial.Value, Is.EqualTo(5u));
                Assert.That(p.Timers, Is.EqualTo(new RtrTimers(3600, 600, 7200)));
            });
        yield return new GoldenVector("Spec3_11_0_EndOfDataV0",
            Hex("00 07 12 34  00 00 00 0C  00 00 00 05"),
            w => PduWriter.WriteEndOfData(w, 0, new SessionId(0x1234), 5, Timers),
            p =>
            {
                Header(p, 0, PduType.EndOfData, 0x1234, 12);
                Assert.That(p.Serial.Value, Is.EqualTo(5u));
                Assert.That(p.Timers, Is.Null);
            });
        yield return new GoldenVector("Spec3_11_0_CacheReset",
            Hex("02 08 00 00  00 00 00 08"),
            w => PduWriter.WriteCacheReset(w, 2),
            p => Header(p, 2, PduType.CacheReset, 0, 8));
        yield return new GoldenVector("Spec3_11_0_SerialNotify",
            Hex("02 00 12 34  00 00 00 0C  00 00 00 06"),
            w => PduWriter.WriteSerialNotify(w, 2, new SessionId(0x1234), 6),
            p =>
            {
                Header(p, 2, PduType.SerialNotify, 0x1234, 12);
                Assert.That(p.Serial.Value, Is.EqualTo(6u));
            });
        byte[] v3Reset = Hex("03 02 00 00 00 00 00 08");
        yield return new GoldenVector("Spec3_11_0_ErrorReportVersion3ResetQuery",
            Hex("02 0A 00 04  00 00 00 18  00 00 00 08  03 02 00 00 00 00 00 08  00 00 00 00"),
            w => PduWriter.WriteErrorReport(w, 2, ErrorCode.UnsupportedProtocolVersion, v3Reset, null),
            p => ErrorReportCheck(p, 2, 4, 24, v3Reset, ""));
        yield return new GoldenVector("Spec3_11_0_ErrorReportVersion3ResetQuerySequence",
            Hex("02 0A 00 04  00 00 00 18  00 00 00 08  03 02 00 00 00 00 00 08  00 00 00 00"),
            w => PduWriter.WriteErrorReport(w, 2, ErrorCode.UnsupportedProtocolVersion, OneByteSegments(v3Reset), null),
            p => ErrorReportCheck(p, 2, 4, 24, v3Reset, ""));
        yield return new GoldenVector("Spec3_11_0_ErrorReportNoDataText",
            Hex("02 0A 00 02  00 00 00 2A  00 00 00 00  00 00 00 1A",
                "69 6E 69 74 69 61 6C 20 76 61 6C 69 64 61 74 69 6F 6E 20 72 75 6E 6E 69 6E 67"), // "initial validation running"
            w => PduWriter.WriteErrorReport(w, 2, ErrorCode.NoDataAvailable, ReadOnlySpan<byte>.Empty, "initial validation running"),
            p => ErrorReportCheck(p, 2, 2, 42, [], "initial validation running"));
    }

    public static IEnumerable<TestCaseData> Cases() => All().Select(g => new TestCaseData(g).SetName(g.Name));

    private static void Header(in RtrPdu p, byte version, PduType type, ushort field, int length)
    {
        Assert.That(p.Version, Is.EqualTo(version), "version");
        Assert.That(p.Type, Is.EqualTo(type), "type");
        Assert.That(p.HeaderField, Is.EqualTo(field), "header bytes 2-3");
        Assert.That(p.Length, Is.EqualTo(length), "length");
    }

    private static void Prefix(in RtrPdu p, byte version, PduType type, int length, bool announce, Vrp expected,
        string address, int plen, int mlen, uint asn)
    {
        Header(p, version, type, 0, length);
        Assert.That(p.Announce, Is.EqualTo(announce), "announce flag");
        Assert.That(p.Vrp, Is.EqualTo(expected));
        Assert.That(p.Vrp.IsIPv6, Is.EqualTo(type == PduType.Ipv6Prefix), "family");
        Assert.That(p.Vrp.Address.ToString(), Is.EqualTo(address), "address");
        Assert.That(p.Vrp.PrefixLength, Is.EqualTo((byte)plen), "prefix length");
        Assert.That(p.Vrp.MaxLength, Is.EqualTo((byte)mlen), "max length");
        Assert.That(p.Vrp.Asn, Is.EqualTo(asn), "ASN");
    }

    private static void RouterKeyCheck(in RtrPdu p, byte version, ushort field, bool announce, uint asn)
    {
        Header(p, version, PduType.RouterKey, field, 123);
        Assert.That(p.Announce, Is.EqualTo(announce), "announce flag");
        Assert.That(p.RouterKey, Is.Not.Null);
        Assert.That(p.RouterKey!.Ski.ToArray(), Is.EqualTo(Ski).AsCollection, "SKI");
        Assert.That(p.RouterKey.Asn, Is.EqualTo(asn), "ASN");
        Assert.That(p.RouterKey.SubjectPublicKeyInfo.ToArray(), Is.EqualTo(Hex(SpkiHex)).AsCollection, "SPKI");
        Assert.That(p.RouterKey.SubjectPublicKeyInfo.Length, Is.EqualTo(91));
    }

    private static void ErrorReportCheck(in RtrPdu p, byte version, ushort code, int length, byte[] encapsulated, string text)
    {
        Header(p, version, PduType.ErrorReport, code, length);
        Assert.That(p.ErrorCode, Is.EqualTo((ErrorCode)code), "error code");
        Assert.That(p.EncapsulatedPdu, Is.EqualTo(encapsulated).AsCollection, "encapsulated PDU");
        Assert.That(p.ErrorText, Is.EqualTo(text), "error text");
    }

    private static void AspaCheck(in RtrPdu p, ushort field, int length, bool announce, uint customer, uint[] providers)
    {
        Header(p, 2, PduType.Aspa, field, length);
        Assert.That(p.Announce, Is.EqualTo(announce), "announce flag");
        Assert.That(p.AspaCustomer, Is.EqualTo(customer), "customer");
        Assert.That(p.AspaProviders, Is.EqualTo(providers).AsCollection, "providers");
    }
}

[TestFixture]
public class GoldenVectorTests
{
    [TestCaseSource(typeof(GoldenVectors), nameof(GoldenVectors.Cases))]
    public void Encode_MatchesHandWrittenBytes(GoldenVector g)
    {
        var w = new ArrayBufferWriter<byte>();
        g.Write(w);
        Assert.That(ToHex(w.WrittenSpan), Is.EqualTo(ToHex(g.Expected)));
    }

    [TestCaseSource(typeof(GoldenVectors), nameof(GoldenVectors.Cases))]
    public void Encode_AfterOtherBytes_AppendsExactly(GoldenVector g)
    {
        var w = new ArrayBufferWriter<byte>();
        w.Write(new byte[] { 0xAA, 0xBB, 0xCC });
        g.Write(w);
        Assert.That(ToHex(w.WrittenSpan), Is.EqualTo("AABBCC" + ToHex(g.Expected)));
    }

    [TestCaseSource(typeof(GoldenVectors), nameof(GoldenVectors.Cases))]
    public void Decode_YieldsEveryField(GoldenVector g)
    {
        var buffer = Contiguous(g.Expected);
        var status = PduReader.TryRead(ref buffer, out var pdu, out var error);
        Assert.That(status, Is.EqualTo(ReadStatus.Pdu), () => error?.ToString() ?? "");
        Assert.That(error, Is.Null);
        Assert.That(buffer.Length, Is.Zero, "whole PDU consumed");
        Assert.That(pdu.Length, Is.EqualTo(g.Expected.Length));
        g.Check(pdu);
    }

    [TestCaseSource(typeof(GoldenVectors), nameof(GoldenVectors.Cases))]
    public void Decode_ThenEncode_GivesSameBytes(GoldenVector g)
    {
        // Re-encode from the decoded fields (not from the test's own values) and compare to the hand-written bytes.
        var buffer = Contiguous(g.Expected);
        Assert.That(PduReader.TryRead(ref buffer, out var p, out _), Is.EqualTo(ReadStatus.Pdu));
        var w = new ArrayBufferWriter<byte>();
        switch (p.Type)
        {
            case PduType.SerialNotify: PduWriter.WriteSerialNotify(w, p.Version, p.SessionId, p.Serial); break;
            case PduType.SerialQuery: PduWriter.WriteSerialQuery(w, p.Version, p.SessionId, p.Serial); break;
            case PduType.ResetQuery: PduWriter.WriteResetQuery(w, p.Version); break;
            case PduType.CacheResponse: PduWriter.WriteCacheResponse(w, p.Version, p.SessionId); break;
            case PduType.CacheReset: PduWriter.WriteCacheReset(w, p.Version); break;
            case PduType.EndOfData: PduWriter.WriteEndOfData(w, p.Version, p.SessionId, p.Serial, p.Timers ?? RtrTimers.Default); break;
            case PduType.Ipv4Prefix:
            case PduType.Ipv6Prefix: PduWriter.WritePrefix(w, p.Version, p.Vrp, p.Announce); break;
            case PduType.RouterKey: PduWriter.WriteRouterKey(w, p.Version, p.RouterKey!, p.Announce); break;
            case PduType.Aspa: PduWriter.WriteAspa(w, p.Version, p.AspaCustomer, p.AspaProviders, p.Announce); break;
            case PduType.ErrorReport:
                PduWriter.WriteErrorReport(w, p.Version, p.ErrorCode, p.EncapsulatedPdu, p.ErrorText is "" ? null : p.ErrorText);
                break;
            default: Assert.Fail($"unexpected {p.Type}"); break;
        }
        Assert.That(ToHex(w.WrittenSpan), Is.EqualTo(ToHex(g.Expected)));
    }

    [Test]
    public void Vectors_CoverEveryTypeInEveryVersionThatDefinesIt()
    {
        var seen = GoldenVectors.All().Select(g => (g.Expected[0], g.Expected[1])).ToHashSet();
        byte[] common = [0, 1, 2, 3, 4, 6, 7, 8, 10];
        foreach (byte v in new byte[] { 0, 1, 2 })
            foreach (byte t in common)
                Assert.That(seen, Does.Contain((v, t)), $"type {t} in v{v}");
        Assert.That(seen, Does.Contain(((byte)1, (byte)9)));
        Assert.That(seen, Does.Contain(((byte)2, (byte)9)));
        Assert.That(seen, Does.Contain(((byte)2, (byte)11)));
        Assert.That(seen, Does.Not.Contain(((byte)0, (byte)9)));
        Assert.That(seen, Does.Not.Contain(((byte)0, (byte)11)));
        Assert.That(seen, Does.Not.Contain(((byte)1, (byte)11)));
    }

    [Test]
    public void Spki_IsThe91BytesOfTheBase64Key()
    {
        Assert.That(P.P256Spki, Has.Length.EqualTo(91));
        Assert.That(P.P256Spki[0], Is.EqualTo(0x30));
        Assert.That(P.P256Spki[1], Is.EqualTo(0x59), "DER length 89 + 2 = 91");
    }

    [Test]
    public void WriteRouterKey_V0_Throws()
    {
        var key = RouterKey.Create(new byte[20], 1, P.P256Spki);
        Assert.That(() => PduWriter.WriteRouterKey(new ArrayBufferWriter<byte>(), 0, key, true), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    public void WriteAspa_BeforeV2_Throws(byte version)
        => Assert.That(() => PduWriter.WriteAspa(new ArrayBufferWriter<byte>(), version, 1, [2], true), Throws.InstanceOf<ArgumentOutOfRangeException>());

    [Test]
    public void WriteAspa_EmptyAnnouncement_Throws()
        => Assert.That(() => PduWriter.WriteAspa(new ArrayBufferWriter<byte>(), 2, 1, ReadOnlySpan<uint>.Empty, true), Throws.ArgumentException);

    [Test]
    public void WriteErrorReport_HugeEncapsulatedPdu_IsCutToFit65535()
    {
        var huge = new byte[70000];
        huge[0] = 2;
        huge[1] = 11;
        var w = new ArrayBufferWriter<byte>();
        PduWriter.WriteErrorReport(w, 2, ErrorCode.CorruptData, huge, "too big");
        Assert.That(w.WrittenCount, Is.EqualTo(65535));
        var pdus = DecodeAll(w.WrittenMemory);
        Assert.That(pdus, Has.Count.EqualTo(1));
        Assert.That(pdus[0].ErrorText, Is.EqualTo("too big"));
        Assert.That(pdus[0].EncapsulatedPdu!.Length, Is.EqualTo(65535 - 16 - 7));
        Assert.That(pdus[0].EncapsulatedPdu.AsSpan().SequenceEqual(huge.AsSpan(0, 65535 - 16 - 7)), Is.True);
    }
}
