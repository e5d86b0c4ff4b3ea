using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;
using RtrCache.Testing;

namespace RtrCache.Server.Tests.Support;

/// <summary>Raw PDU bytes a router (or a broken router) sends.</summary>
public static class Raw
{
    public static byte[] Header(byte version, byte type, ushort field, uint length)
    {
        var b = new byte[8];
        b[0] = version;
        b[1] = type;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), field);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), length);
        return b;
    }

    public static byte[] ResetQuery(byte version) => Header(version, 2, 0, 8);

    public static byte[] SerialQuery(byte version, ushort session, uint serial)
    {
        var b = new byte[12];
        Header(version, 1, session, 12).CopyTo(b, 0);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), serial);
        return b;
    }

    public static byte[] ErrorReport(byte version, ErrorCode code, ReadOnlySpan<byte> pdu, string? text)
    {
        var w = new ArrayBufferWriter<byte>();
        PduWriter.WriteErrorReport(w, version, code, pdu, text);
        return w.WrittenSpan.ToArray();
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}

/// <summary>Reading helpers on top of <see cref="RtrTestClient"/>, and readable descriptions of payload PDUs.</summary>
public static class Rtr
{
    /// <summary>
    /// Reads until the cache closes the connection and returns what came before; fails when it stays open for
    /// the client's timeout. A reset connection counts as closed.
    /// </summary>
    public static async Task<List<RtrPdu>> ReadUntilCloseAsync(RtrTestClient client)
    {
        var pdus = new List<RtrPdu>();
        try
        {
            while (await client.ReadPduAsync() is { } pdu) pdus.Add(pdu);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the cache did not close the connection within {client.Timeout.TotalSeconds} s; received {pdus.Count} PDUs: {string.Join("; ", pdus)}");
        }
        catch (IOException)
        {
            // connection reset: closed
        }
        return pdus;
    }

    /// <summary>Reads one answer without applying it to the client's model: the first PDU, and up to End of Data if it is a Cache Response.</summary>
    public static async Task<(RtrPdu First, List<RtrPdu> Payload, RtrPdu? EndOfData)> ReadRawResponseAsync(RtrTestClient client)
    {
        var first = await client.ReadPduAsync() ?? throw new EndOfStreamException("cache closed the connection before answering");
        var payload = new List<RtrPdu>();
        if (first.Type != PduType.CacheResponse) return (first, payload, null);
        while (true)
        {
            var pdu = await client.ReadPduAsync() ?? throw new EndOfStreamException("cache closed the connection inside a response");
            if (pdu.Type == PduType.EndOfData) return (first, payload, pdu);
            payload.Add(pdu);
        }
    }

    /// <summary>Sends <paramref name="bytes"/>; a cache that already closed may make the send fail, which is fine.</summary>
    public static async Task TrySendAsync(RtrTestClient client, byte[] bytes)
    {
        try { await client.SendRawAsync(bytes); }
        catch (IOException) { }
    }

    public static void AssertErrorReport(RtrPdu pdu, byte version, ErrorCode code, byte[]? encapsulated = null)
    {
        Assert.That(pdu.Type, Is.EqualTo(PduType.ErrorReport), $"expected an Error Report, got {pdu}");
        Assert.Multiple(() =>
        {
            Assert.That(pdu.Version, Is.EqualTo(version), $"version byte of {pdu}");
            Assert.That((int)pdu.ErrorCode, Is.EqualTo((int)code), $"error code of {pdu}");
            Assert.That(pdu.Length, Is.EqualTo(16 + (pdu.EncapsulatedPdu?.Length ?? 0) + System.Text.Encoding.UTF8.GetByteCount(pdu.ErrorText ?? "")), "Error Report length");
            if (encapsulated is not null)
                Assert.That(pdu.EncapsulatedPdu, Is.EqualTo(encapsulated), $"encapsulated PDU of {pdu}");
        });
    }

    /// <summary>The encapsulated PDU is a prefix of what was sent, with at least its header (8210bis §5.11 allows truncation).</summary>
    public static void AssertEncapsulatesHeaderOf(RtrPdu error, byte[] sent)
    {
        var inner = error.EncapsulatedPdu ?? [];
        Assert.That(inner, Has.Length.GreaterThanOrEqualTo(8).And.Length.LessThanOrEqualTo(sent.Length), "encapsulated PDU length");
        Assert.That(inner, Is.EqualTo(sent.Take(inner.Length).ToArray()), "encapsulated PDU must be (a prefix of) the offending PDU");
    }

    // ------------------------------------------------------------------ descriptions

    public static string Describe(RtrPdu pdu) => pdu.Type switch
    {
        PduType.Ipv4Prefix or PduType.Ipv6Prefix => Describe(pdu.Vrp, pdu.Announce),
        PduType.RouterKey => Describe(pdu.RouterKey!, pdu.Announce),
        PduType.Aspa => string.Create(CultureInfo.InvariantCulture,
            $"ASPA {(pdu.Announce ? "+" : "-")}AS{pdu.AspaCustomer} [{string.Join(",", pdu.AspaProviders ?? [])}] len {pdu.Length}"),
        _ => pdu.ToString(),
    };

    public static string Describe(Vrp vrp, bool announce)
        => string.Create(CultureInfo.InvariantCulture, $"{(vrp.IsIPv4 ? "IPv4" : "IPv6")} {(announce ? "+" : "-")}{vrp.Address}/{vrp.PrefixLength}-{vrp.MaxLength} AS{vrp.Asn}");

    public static string Describe(RouterKey key, bool announce)
        => string.Create(CultureInfo.InvariantCulture, $"Key {(announce ? "+" : "-")}{Convert.ToHexString(key.Ski.AsSpan())} AS{key.Asn} spki {key.SubjectPublicKeyInfo.Length}");

    public static string AspaAnnounce(uint customer, params uint[] providers)
        => string.Create(CultureInfo.InvariantCulture, $"ASPA +AS{customer} [{string.Join(",", providers)}] len {12 + 4 * providers.Length}");

    public static string AspaWithdraw(uint customer)
        => string.Create(CultureInfo.InvariantCulture, $"ASPA -AS{customer} [] len 12");

    public static string[] Describe(IEnumerable<RtrPdu> pdus) => pdus.Select(Describe).ToArray();

    /// <summary>
    /// Checks the 8210bis §11.2 order of a Cache Response body: types ascending; per type announcements before
    /// withdrawals; IP announcements by address descending, withdrawals ascending; ASPA by customer ascending.
    /// </summary>
    public static void AssertCanonicalOrder(IReadOnlyList<RtrPdu> pdus)
    {
        for (int i = 1; i < pdus.Count; i++)
        {
            var a = pdus[i - 1];
            var b = pdus[i];
            string where = $"PDU {i - 1} ({Describe(a)}) before PDU {i} ({Describe(b)})";
            Assert.That((byte)a.Type, Is.LessThanOrEqualTo((byte)b.Type), where);
            if (a.Type != b.Type) continue;
            Assert.That(a.Announce || !b.Announce, Is.True, "announcements before withdrawals: " + where);
            if (a.Announce != b.Announce) continue;
            switch (a.Type)
            {
                case PduType.Ipv4Prefix:
                case PduType.Ipv6Prefix:
                    var ka = (a.Vrp.AddressBits, a.Vrp.MaxLength, a.Vrp.PrefixLength, a.Vrp.Asn);
                    var kb = (b.Vrp.AddressBits, b.Vrp.MaxLength, b.Vrp.PrefixLength, b.Vrp.Asn);
                    int c = ka.CompareTo(kb);
                    Assert.That(a.Announce ? c > 0 : c < 0, Is.True, "IP prefix order: " + where);
                    break;
                case PduType.Aspa:
                    Assert.That(a.AspaCustomer, Is.LessThan(b.AspaCustomer), "ASPA order: " + where);
                    break;
            }
        }
    }
}
