using System.Buffers;
using System.Globalization;
using System.Text;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Rtr.Tests;

/// <summary>A segment of a hand-built multi-segment <see cref="ReadOnlySequence{T}"/>.</summary>
internal sealed class TestSegment : ReadOnlySequenceSegment<byte>
{
    public TestSegment(ReadOnlyMemory<byte> memory) => Memory = memory;

    public TestSegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new TestSegment(memory) { RunningIndex = RunningIndex + Memory.Length };
        Next = next;
        return next;
    }
}

/// <summary>Builds byte sequences in various shapes and decodes them.</summary>
internal static class Bytes
{
    /// <summary>Parses hex written with any whitespace between the digits.</summary>
    public static byte[] Hex(params string[] parts)
    {
        var sb = new StringBuilder();
        foreach (var part in parts)
            foreach (char c in part)
                if (!char.IsWhiteSpace(c)) sb.Append(c);
        return Convert.FromHexString(sb.ToString());
    }

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static ReadOnlySequence<byte> Contiguous(byte[] data) => new(data);

    /// <summary>Splits <paramref name="data"/> into separately allocated segments of the given sizes (the rest in one).</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, IEnumerable<int> sizes)
    {
        if (data.Length == 0) return ReadOnlySequence<byte>.Empty;
        TestSegment? first = null, last = null;
        int pos = 0;
        using var e = sizes.GetEnumerator();
        while (pos < data.Length)
        {
            int n = e.MoveNext() ? Math.Min(e.Current, data.Length - pos) : data.Length - pos;
            var chunk = data.AsSpan(pos, n).ToArray();
            if (first is null) first = last = new TestSegment(chunk);
            else last = last!.Append(chunk);
            pos += n;
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    public static ReadOnlySequence<byte> OneByteSegments(byte[] data) => Split(data, Enumerable.Repeat(1, data.Length));

    /// <summary>Random segment sizes, including empty segments now and then.</summary>
    public static ReadOnlySequence<byte> RandomSegments(byte[] data, Random rng) => Split(data, RandomSizes(rng));

    private static IEnumerable<int> RandomSizes(Random rng)
    {
        while (true)
        {
            int r = rng.Next(10);
            yield return r == 0 ? 0 : r < 6 ? rng.Next(1, 8) : rng.Next(1, 64);
        }
    }

    /// <summary>Decodes every PDU in <paramref name="sequence"/>; fails the test on anything but whole PDUs.</summary>
    public static List<RtrPdu> DecodeAll(ReadOnlySequence<byte> sequence)
    {
        var list = new List<RtrPdu>();
        while (sequence.Length > 0)
        {
            long before = sequence.Length;
            var status = PduReader.TryRead(ref sequence, out var pdu, out var error);
            if (status != ReadStatus.Pdu)
                Assert.Fail($"PDU #{list.Count}: expected a whole PDU, got {status} ({error})");
            Assert.That(before - sequence.Length, Is.EqualTo(pdu.Length), "reader advanced by the PDU length");
            list.Add(pdu);
        }
        return list;
    }

    public static List<RtrPdu> DecodeAll(byte[] data) => DecodeAll(Contiguous(data));
    public static List<RtrPdu> DecodeAll(ReadOnlyMemory<byte> data) => DecodeAll(new ReadOnlySequence<byte>(data));

    /// <summary>Every field of a decoded PDU as text, to compare decodes of the same bytes.</summary>
    public static string Fingerprint(in RtrPdu p)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"v{p.Version} t{(byte)p.Type} f{p.HeaderField:X4} l{p.Length} s{p.Serial.Value} ");
        sb.Append(CultureInfo.InvariantCulture, $"timers={p.Timers?.ToString() ?? "null"} ann={p.Announce} ");
        sb.Append(CultureInfo.InvariantCulture, $"vrp={p.Vrp.IsIPv6}/{p.Vrp.AddressBits:X}/{p.Vrp.PrefixLength}/{p.Vrp.MaxLength}/{p.Vrp.Asn} ");
        if (p.RouterKey is { } k)
            sb.Append(CultureInfo.InvariantCulture, $"key={ToHex(k.Ski.AsSpan())}/{k.Asn}/{ToHex(k.SubjectPublicKeyInfo.AsSpan())} ");
        else sb.Append("key=null ");
        sb.Append(CultureInfo.InvariantCulture, $"cust={p.AspaCustomer} prov={(p.AspaProviders is null ? "null" : string.Join(",", p.AspaProviders))} ");
        sb.Append(CultureInfo.InvariantCulture, $"encap={(p.EncapsulatedPdu is null ? "null" : ToHex(p.EncapsulatedPdu))} text={p.ErrorText ?? "null"}");
        return sb.ToString();
    }
}

/// <summary>Payload values for tests, written in readable form.</summary>
internal static class P
{
    public static Vrp Vrp(string prefix, int maxLength, uint asn)
        => RtrCache.Payload.Vrp.TryCreate(prefix, maxLength, asn, out var v, out var e) ? v : throw new ArgumentException(e);

    public static byte[] Repeat(byte value, int count) => Enumerable.Repeat(value, count).ToArray();

    /// <summary>The 91-byte DER SubjectPublicKeyInfo of a P-256 key.</summary>
    public static readonly byte[] P256Spki = Convert.FromBase64String(
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAET10FMBxP6P3r6aG/ICpfsktp7X6ylJIY8Kye6zkQhNOt0y+cRzYngH8MGzY3cXNvZ64z4CpZ22gf4teybGq8ow==");

    /// <summary>A short description of a payload PDU, to write expected PDU sequences by hand.</summary>
    public static string Describe(in RtrPdu p)
    {
        char sign = p.Announce ? '+' : '-';
        return p.Type switch
        {
            PduType.Ipv4Prefix or PduType.Ipv6Prefix
                => string.Create(CultureInfo.InvariantCulture, $"{(byte)p.Type}{sign} {p.Vrp.Address}/{p.Vrp.PrefixLength}-{p.Vrp.MaxLength} AS{p.Vrp.Asn}"),
            PduType.RouterKey
                => string.Create(CultureInfo.InvariantCulture,
                    $"9{sign} {Convert.ToHexString(p.RouterKey!.Ski.AsSpan(0, 2))} AS{p.RouterKey.Asn} spki{p.RouterKey.SubjectPublicKeyInfo.Length}:{p.RouterKey.SubjectPublicKeyInfo[^1]:X2}"),
            PduType.Aspa => p.Announce
                ? string.Create(CultureInfo.InvariantCulture, $"11+ AS{p.AspaCustomer} [{string.Join(",", p.AspaProviders!)}]")
                : string.Create(CultureInfo.InvariantCulture, $"11- AS{p.AspaCustomer}"),
            _ => $"unexpected {p.Type}",
        };
    }

    /// <summary>
    /// Asserts the §11.2 total order over a Cache Response body, implemented independently of the encoder:
    /// type 4, 6, 9, 11; announcements before withdrawals; prefixes announced descending and withdrawn ascending
    /// by (addr, mlen, plen, asn); router keys by (SKI, SPKI length, SPKI, ASN); ASPA by customer.
    /// </summary>
    public static void AssertSection11Order(IReadOnlyList<RtrPdu> pdus)
    {
        for (int i = 1; i < pdus.Count; i++)
        {
            int c = Compare11_2(pdus[i - 1], pdus[i]);
            if (c >= 0)
                Assert.Fail($"§11.2 order violated at PDU #{i}: '{Describe(pdus[i - 1])}' then '{Describe(pdus[i])}'");
        }
    }

    private static int TypeRank(PduType t) => t switch
    {
        PduType.Ipv4Prefix => 0,
        PduType.Ipv6Prefix => 1,
        PduType.RouterKey => 2,
        PduType.Aspa => 3,
        _ => throw new AssertionException($"{t} is not a payload PDU"),
    };

    private static int Compare11_2(in RtrPdu a, in RtrPdu b)
    {
        int c = TypeRank(a.Type).CompareTo(TypeRank(b.Type));
        if (c != 0) return c;
        if (a.Announce != b.Announce) return a.Announce ? -1 : 1;
        switch (a.Type)
        {
            case PduType.Ipv4Prefix:
            case PduType.Ipv6Prefix:
            {
                c = AddressOf(a.Vrp).CompareTo(AddressOf(b.Vrp));
                if (c == 0) c = a.Vrp.MaxLength.CompareTo(b.Vrp.MaxLength);
                if (c == 0) c = a.Vrp.PrefixLength.CompareTo(b.Vrp.PrefixLength);
                if (c == 0) c = a.Vrp.Asn.CompareTo(b.Vrp.Asn);
                return a.Announce ? -c : c;
            }
            case PduType.RouterKey:
            {
                var ka = a.RouterKey!;
                var kb = b.RouterKey!;
                c = ka.Ski.AsSpan().SequenceCompareTo(kb.Ski.AsSpan());
                if (c == 0) c = ka.SubjectPublicKeyInfo.Length.CompareTo(kb.SubjectPublicKeyInfo.Length);
                if (c == 0) c = ka.SubjectPublicKeyInfo.AsSpan().SequenceCompareTo(kb.SubjectPublicKeyInfo.AsSpan());
                if (c == 0) c = ka.Asn.CompareTo(kb.Asn);
                return c;
            }
            default:
                return a.AspaCustomer.CompareTo(b.AspaCustomer);
        }
    }

    /// <summary>The prefix as an unsigned integer in network bit order, from the address bytes.</summary>
    private static UInt128 AddressOf(in Vrp v)
    {
        Span<byte> b = stackalloc byte[16];
        int n = v.WriteAddress(b);
        UInt128 x = 0;
        for (int i = 0; i < n; i++) x = (x << 8) | b[i];
        return x;
    }

    /// <summary>A set holding what a router of <paramref name="version"/> may learn from <paramref name="set"/>.</summary>
    public static PayloadSet ForVersion(PayloadSet set, byte version)
    {
        var b = new PayloadSetBuilder();
        foreach (var v in set.Vrps) b.Add(v);
        if (version >= 1) foreach (var k in set.RouterKeys) b.Add(k);
        if (version >= 2) foreach (var a in set.Aspas) b.Add(a);
        return b.Build();
    }
}

/// <summary>
/// What a strict router holds from one cache, updated PDU by PDU: announcing a held VRP or router key,
/// withdrawing one not held, withdrawing an unknown ASPA customer or re-announcing an identical ASPA record
/// fails the test.
/// </summary>
internal sealed class StrictRouter
{
    private readonly HashSet<Vrp> _vrps = [];
    private readonly HashSet<RouterKey> _keys = [];
    private readonly Dictionary<uint, uint[]> _aspas = [];
    private readonly byte _version;

    public StrictRouter(PayloadSet initial, byte version)
    {
        _version = version;
        foreach (var v in initial.Vrps) _vrps.Add(v);
        if (version >= 1) foreach (var k in initial.RouterKeys) _keys.Add(k);
        if (version >= 2) foreach (var a in initial.Aspas) _aspas[a.Customer] = a.Providers.ToArray();
    }

    public void Apply(IEnumerable<RtrPdu> pdus)
    {
        int i = 0;
        foreach (var p in pdus)
        {
            Assert.That(p.Version, Is.EqualTo(_version), $"PDU #{i} version");
            switch (p.Type)
            {
                case PduType.Ipv4Prefix:
                case PduType.Ipv6Prefix:
                    Assert.That(p.Vrp.IsIPv6, Is.EqualTo(p.Type == PduType.Ipv6Prefix), $"PDU #{i} family");
                    if (p.Announce)
                        Assert.That(_vrps.Add(p.Vrp), Is.True, $"PDU #{i}: announcement of held VRP {p.Vrp}");
                    else
                        Assert.That(_vrps.Remove(p.Vrp), Is.True, $"PDU #{i}: withdrawal of unknown VRP {p.Vrp}");
                    break;
                case PduType.RouterKey:
                    Assert.That(_version, Is.GreaterThanOrEqualTo(1), "Router Key sent to a v0 session");
                    if (p.Announce)
                        Assert.That(_keys.Add(p.RouterKey!), Is.True, $"PDU #{i}: announcement of held key {p.RouterKey}");
                    else
                        Assert.That(_keys.Remove(p.RouterKey!), Is.True, $"PDU #{i}: withdrawal of unknown key {p.RouterKey}");
                    break;
                case PduType.Aspa:
                    Assert.That(_version, Is.EqualTo(2), "ASPA sent to a v0/v1 session");
                    if (p.Announce)
                    {
                        Assert.That(p.AspaProviders, Is.Not.Null.And.Not.Empty, $"PDU #{i}: empty ASPA announcement");
                        if (_aspas.TryGetValue(p.AspaCustomer, out var held))
                            Assert.That(held.SequenceEqual(p.AspaProviders!), Is.False, $"PDU #{i}: ASPA AS{p.AspaCustomer} re-announced unchanged");
                        _aspas[p.AspaCustomer] = p.AspaProviders!;
                    }
                    else
                    {
                        Assert.That(p.Length, Is.EqualTo(12), $"PDU #{i}: ASPA withdrawal length");
                        Assert.That(_aspas.Remove(p.AspaCustomer), Is.True, $"PDU #{i}: withdrawal of unknown ASPA customer AS{p.AspaCustomer}");
                    }
                    break;
                default:
                    Assert.Fail($"PDU #{i}: {p.Type} is not a payload PDU");
                    break;
            }
            i++;
        }
    }

    public PayloadSet ToSet()
    {
        var b = new PayloadSetBuilder();
        foreach (var v in _vrps) b.Add(v);
        foreach (var k in _keys) b.Add(k);
        foreach (var (c, providers) in _aspas) b.Add(Aspa.Create(c, providers));
        return b.Build();
    }
}

/// <summary>Random payload for property-style tests, from small pools so that keys collide in interesting ways.</summary>
internal static class RandomPayload
{
    private static readonly uint[] AsnPool = [0, 1, 64496, 64497, 64511, 65536, 4200000000, uint.MaxValue];
    private static readonly uint[] V4Bases = [0x0A000000, 0xC0000200, 0xC6336400, 0xCB007100, 0xFFFFFFFF, 0x00000000, 0x80000000];
    private static readonly UInt128[] V6Bases =
    [
        new UInt128(0x20010DB800000000, 0),
        new UInt128(0x20010DB880000000, 0),
        new UInt128(0x2A00000000000000, 0),
        UInt128.MaxValue,
        UInt128.Zero,
        new UInt128(0x8000000000000000, 0),
    ];

    public static uint Asn(Random rng) => rng.Next(3) == 0 ? (uint)rng.NextInt64(0, 1L << 32) : AsnPool[rng.Next(AsnPool.Length)];

    public static Vrp Vrp(Random rng)
    {
        if (rng.Next(2) == 0)
        {
            int plen = rng.Next(4) == 0 ? rng.Next(0, 33) : rng.Next(20, 25);
            uint mask = plen == 0 ? 0u : uint.MaxValue << (32 - plen);
            uint addr = (V4Bases[rng.Next(V4Bases.Length)] ^ (uint)rng.Next(0, 4) << 8) & mask;
            int mlen = plen + rng.Next(0, Math.Min(33 - plen, 5));
            return RtrCache.Payload.Vrp.V4(addr, plen, mlen, Asn(rng));
        }
        else
        {
            int plen = rng.Next(4) == 0 ? rng.Next(0, 129) : rng.Next(29, 49);
            UInt128 mask = plen == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - plen);
            UInt128 addr = (V6Bases[rng.Next(V6Bases.Length)] ^ ((UInt128)(uint)rng.Next(0, 4) << 80)) & mask;
            int mlen = plen + rng.Next(0, Math.Min(129 - plen, 5));
            return RtrCache.Payload.Vrp.V6(addr, plen, mlen, Asn(rng));
        }
    }

    public static RouterKey Key(Random rng)
    {
        var ski = new byte[20];
        ski[0] = (byte)(rng.Next(3) switch { 0 => 0x00, 1 => 0x7F, _ => 0xFF });
        ski[19] = (byte)rng.Next(3);
        int len = rng.Next(4) switch { 0 => 91, 1 => 1, 2 => 92, _ => rng.Next(1, 300) };
        var spki = len == 91 ? (byte[])P.P256Spki.Clone() : new byte[len];
        if (len != 91) rng.NextBytes(spki);
        if (rng.Next(2) == 0) spki[^1] ^= (byte)rng.Next(1, 3);
        return RouterKey.Create(ski, Asn(rng), spki);
    }

    public static void AddAspa(PayloadSetBuilder b, Random rng)
    {
        uint customer = (uint)rng.Next(1, 40) * 1000u;
        int n = rng.Next(0, 6) == 0 ? 1 : rng.Next(1, 8);
        var providers = new List<uint>();
        for (int i = 0; i < n; i++)
            providers.Add(rng.Next(8) == 0 ? 0u : rng.Next(4) == 0 ? uint.MaxValue - (uint)rng.Next(3) : (uint)rng.Next(1, 60) * 1000u + 1);
        b.AddAspa(customer, providers);
    }

    public static PayloadSet Set(Random rng, int vrps, int keys, int aspas)
    {
        var b = new PayloadSetBuilder();
        for (int i = 0; i < vrps; i++) b.Add(Vrp(rng));
        for (int i = 0; i < keys; i++) b.Add(Key(rng));
        for (int i = 0; i < aspas; i++) AddAspa(b, rng);
        return b.Build();
    }

    /// <summary>A changed copy of <paramref name="set"/>: some items dropped, some added, some ASPA provider sets replaced.</summary>
    public static PayloadSet Mutate(PayloadSet set, Random rng)
    {
        var b = new PayloadSetBuilder();
        foreach (var v in set.Vrps) if (rng.Next(5) != 0) b.Add(v);
        foreach (var k in set.RouterKeys) if (rng.Next(4) != 0) b.Add(k);
        foreach (var a in set.Aspas)
        {
            int r = rng.Next(5);
            if (r == 0) continue;
            if (r == 1) b.AddAspa(a.Customer, [.. a.Providers.Skip(1), (uint)rng.Next(1, 60) * 1000u + 7]);
            else b.Add(a);
        }
        for (int i = rng.Next(1, 10); i > 0; i--) b.Add(Vrp(rng));
        for (int i = rng.Next(0, 3); i > 0; i--) b.Add(Key(rng));
        for (int i = rng.Next(0, 4); i > 0; i--) AddAspa(b, rng);
        return b.Build();
    }
}
