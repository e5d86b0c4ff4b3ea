using RtrCache.Payload;
using RtrCache.Rtr.Protocol;
using static RtrCache.Rtr.Tests.Bytes;

namespace RtrCache.Rtr.Tests;

/// <summary>
/// Cache Response bodies in the §11.2 order (rtr.md §11) with the per-version payload filter (§1, §7). The
/// expected PDU sequences are written out by hand.
/// </summary>
[TestFixture]
public class PayloadEncoderTests
{
    private static readonly byte[] SkiA = P.Repeat(0x01, 20);
    private static readonly byte[] SkiB = [0x00, .. P.Repeat(0xFF, 19)];
    private static readonly byte[] SkiC = [0x80, .. P.Repeat(0x00, 19)];
    private static readonly byte[] SpkiHigh = [.. P.P256Spki[..^1], 0xFF];

    private static readonly RouterKey K1 = RouterKey.Create(SkiA, 64496, P.P256Spki);
    private static readonly RouterKey K2 = RouterKey.Create(SkiA, 64497, P.P256Spki);
    private static readonly RouterKey K3 = RouterKey.Create(SkiB, 65000, [1, 2, 3, 4, 5]);
    private static readonly RouterKey K4 = RouterKey.Create(SkiA, 1, P.Repeat(0xFF, 81));
    private static readonly RouterKey K5 = RouterKey.Create(SkiA, 1, SpkiHigh);
    private static readonly RouterKey K6 = RouterKey.Create(SkiC, 1, [0, 0, 0, 0, 0]);

    private static PayloadSet FullSet()
    {
        var b = new PayloadSetBuilder();
        // Added in a scrambled order on purpose.
        b.Add(P.Vrp("192.0.2.0/24", 24, 0));
        b.Add(P.Vrp("2001:db8::/32", 32, 0));
        b.Add(P.Vrp("10.0.0.0/8", 8, 64497));
        b.Add(P.Vrp("::/0", 0, 0));
        b.Add(P.Vrp("192.0.2.0/24", 24, 64496));
        b.Add(P.Vrp("2001:db8::/32", 48, 64496));
        b.Add(P.Vrp("192.0.2.0/23", 24, 64496));
        b.Add(P.Vrp("2a00::/16", 16, 64501));
        b.Add(P.Vrp("203.0.113.0/24", 24, 64498));
        b.Add(P.Vrp("2001:db8:8000::/33", 33, 64500));
        b.Add(P.Vrp("192.0.2.0/24", 28, 64496));
        b.Add(P.Vrp("2001:db8::/32", 32, 64496));
        b.Add(P.Vrp("128.0.0.0/1", 1, 5));
        b.Add(P.Vrp("2001:db8::/33", 48, 64496));
        b.Add(P.Vrp("192.0.2.0/24", 24, 64499));
        b.Add(P.Vrp("ffff::/16", 16, 1));
        b.Add(P.Vrp("192.0.2.0/24", 24, 64496)); // duplicate tuple: one PDU
        foreach (var k in new[] { K5, K1, K6, K3, K2, K4, K1 }) b.Add(k);
        b.AddAspa(4200000000, [3, 1, 2]);
        b.AddAspa(64510, [64512]);
        b.AddAspa(100, [0]);
        b.AddAspa(65000, [4200000000, 1]);
        b.AddAspa(64510, [64511]); // merged with the other AS64510 object
        return b.Build();
    }

    private static readonly string[] FullV4 =
    [
        "4+ 203.0.113.0/24-24 AS64498",
        "4+ 192.0.2.0/24-28 AS64496",
        "4+ 192.0.2.0/24-24 AS64499",
        "4+ 192.0.2.0/24-24 AS64496",
        "4+ 192.0.2.0/24-24 AS0",
        "4+ 192.0.2.0/23-24 AS64496",
        "4+ 128.0.0.0/1-1 AS5",
        "4+ 10.0.0.0/8-8 AS64497",
    ];

    private static readonly string[] FullV6 =
    [
        "6+ ffff::/16-16 AS1",
        "6+ 2a00::/16-16 AS64501",
        "6+ 2001:db8:8000::/33-33 AS64500",
        "6+ 2001:db8::/33-48 AS64496",
        "6+ 2001:db8::/32-48 AS64496",
        "6+ 2001:db8::/32-32 AS64496",
        "6+ 2001:db8::/32-32 AS0",
        "6+ ::/0-0 AS0",
    ];

    private static readonly string[] FullKeys =
    [
        "9+ 00FF AS65000 spki5:05",
        "9+ 0101 AS1 spki81:FF",
        "9+ 0101 AS64496 spki91:A3",
        "9+ 0101 AS64497 spki91:A3",
        "9+ 0101 AS1 spki91:FF",
        "9+ 8000 AS1 spki5:00",
    ];

    private static readonly string[] FullAspas =
    [
        "11+ AS100 [0]",
        "11+ AS64510 [64511,64512]",
        "11+ AS65000 [1,4200000000]",
        "11+ AS4200000000 [1,2,3]",
    ];

    private static List<RtrPdu> DecodeBody(EncodedPayload body, byte version)
    {
        var pdus = DecodeAll(body.Bytes);
        Assert.That(pdus, Has.Count.EqualTo(body.PduCount), "PduCount = PDUs decoded");
        Assert.That(pdus.Sum(p => p.Length), Is.EqualTo(body.Length), "Length = sum of PDU lengths");
        Assert.That(body.Bytes.Length, Is.EqualTo(body.Length));
        Assert.That(pdus.Select(p => p.Version), Is.All.EqualTo(version), "every PDU carries the session version");
        return pdus;
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void EncodeFull_Section11Order_AndVersionFilter(byte version)
    {
        var set = FullSet();
        Assert.That(set.V4Count, Is.EqualTo(8));
        Assert.That(set.V6Count, Is.EqualTo(8));
        Assert.That(set.RouterKeyCount, Is.EqualTo(6));
        Assert.That(set.AspaCount, Is.EqualTo(4));

        var pdus = DecodeBody(PayloadEncoder.EncodeFull(set, version), version);
        var expected = new List<string>();
        expected.AddRange(FullV4);
        expected.AddRange(FullV6);
        if (version >= 1) expected.AddRange(FullKeys);
        if (version >= 2) expected.AddRange(FullAspas);

        Assert.That(pdus.Select(p => P.Describe(p)), Is.EqualTo(expected).AsCollection);
        Assert.That(pdus.Select(p => p.Announce), Is.All.True, "a full response only announces (§3.4)");
        P.AssertSection11Order(pdus);
    }

    [TestCase((byte)0, 16 * 0 + 8 * 20 + 8 * 32)]
    [TestCase((byte)1, 8 * 20 + 8 * 32 + 6 * 32 + 5 + 81 + 91 + 91 + 91 + 5)]
    [TestCase((byte)2, 8 * 20 + 8 * 32 + 6 * 32 + 5 + 81 + 91 + 91 + 91 + 5 + 16 + 20 + 20 + 24)]
    public void EncodeFull_LengthAndCount_AreExact(byte version, int length)
    {
        var body = PayloadEncoder.EncodeFull(FullSet(), version);
        Assert.That(body.Length, Is.EqualTo(length));
        Assert.That(body.PduCount, Is.EqualTo(version switch { 0 => 16, 1 => 22, _ => 26 }));
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void EncodeFull_EmptySet_IsEmpty(byte version)
    {
        var body = PayloadEncoder.EncodeFull(PayloadSet.Empty, version);
        Assert.That(body.Length, Is.Zero);
        Assert.That(body.PduCount, Is.Zero);
    }

    [Test]
    public void EncodeFull_FirstPdus_AreTheHandWrittenBytes()
    {
        var set = PayloadSet.Create([P.Vrp("192.0.2.0/24", 24, 64496), P.Vrp("2001:db8::/32", 48, 64496)],
            aspas: [Aspa.Create(64496, [64497, 64498])]);
        var body = PayloadEncoder.EncodeFull(set, 2);
        Assert.That(ToHex(body.Bytes.Span), Is.EqualTo(ToHex(Hex(
            "02 04 00 00  00 00 00 14  01 18 18 00  C0 00 02 00  00 00 FB F0",           // §3.11.0 IPv4
            "02 06 00 00  00 00 00 20  01 20 30 00  20 01 0D B8 00 00 00 00",             // §3.11.0 IPv6
            "00 00 00 00 00 00 00 00  00 00 FB F0",
            "02 0B 01 00   00 00 00 14   00 00 FB F0   00 00 FB F1   00 00 FB F2"))));   // §3.11 ASPA
    }

    private static PayloadSet FromSet()
    {
        var b = new PayloadSetBuilder();
        b.Add(P.Vrp("192.0.2.0/24", 24, 64496));       // A: kept
        b.Add(P.Vrp("198.51.100.0/24", 24, 64497));    // withdrawn
        b.Add(P.Vrp("10.0.0.0/8", 8, 0));              // withdrawn
        b.Add(P.Vrp("198.51.100.0/24", 24, 0));        // withdrawn
        b.Add(P.Vrp("198.51.100.0/23", 24, 1));        // withdrawn
        b.Add(P.Vrp("198.51.100.0/24", 25, 0));        // withdrawn
        b.Add(P.Vrp("2001:db8::/32", 32, 64496));      // kept
        b.Add(P.Vrp("2001:db8::/32", 32, 0));          // withdrawn
        b.Add(P.Vrp("::/0", 0, 0));                    // withdrawn
        b.Add(K1).Add(K2).Add(K5);
        b.AddAspa(100, [1, 2]);
        b.AddAspa(200, [5]);
        b.AddAspa(300, [7]);
        return b.Build();
    }

    private static PayloadSet ToSet()
    {
        var b = new PayloadSetBuilder();
        b.Add(P.Vrp("192.0.2.0/24", 24, 64496));
        b.Add(P.Vrp("203.0.113.0/24", 24, 64498));     // new
        b.Add(P.Vrp("192.0.2.0/24", 28, 64496));       // new
        b.Add(P.Vrp("192.0.2.0/24", 24, 0));           // new
        b.Add(P.Vrp("2001:db8::/32", 32, 64496));
        b.Add(P.Vrp("2001:db8::/32", 48, 64496));      // new
        b.Add(P.Vrp("2001:db8:1::/48", 48, 64499));    // new
        b.Add(K2).Add(K3).Add(K6);
        b.AddAspa(50, [9]);            // new customer
        b.AddAspa(100, [1, 2, 3]);     // provider set changed
        b.AddAspa(300, [7]);           // unchanged
        b.AddAspa(400, [0]);           // new AS0 ASPA
        return b.Build();
    }

    private static readonly string[] DeltaExpectedV2 =
    [
        "4+ 203.0.113.0/24-24 AS64498",
        "4+ 192.0.2.0/24-28 AS64496",
        "4+ 192.0.2.0/24-24 AS0",
        "4- 10.0.0.0/8-8 AS0",
        "4- 198.51.100.0/23-24 AS1",
        "4- 198.51.100.0/24-24 AS0",
        "4- 198.51.100.0/24-24 AS64497",
        "4- 198.51.100.0/24-25 AS0",
        "6+ 2001:db8:1::/48-48 AS64499",
        "6+ 2001:db8::/32-48 AS64496",
        "6- ::/0-0 AS0",
        "6- 2001:db8::/32-32 AS0",
        "9+ 00FF AS65000 spki5:05",
        "9+ 8000 AS1 spki5:00",
        "9- 0101 AS64496 spki91:A3",
        "9- 0101 AS1 spki91:FF",
        "11+ AS50 [9]",
        "11+ AS100 [1,2,3]",
        "11+ AS400 [0]",
        "11- AS200",
    ];

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void EncodeDelta_Section11Order_AndVersionFilter(byte version)
    {
        var from = FromSet();
        var to = ToSet();
        var delta = PayloadDelta.Compute(from, to);
        var pdus = DecodeBody(PayloadEncoder.EncodeDelta(delta, version), version);

        var expected = DeltaExpectedV2
            .Where(s => version >= 2 || !s.StartsWith("11", StringComparison.Ordinal))
            .Where(s => version >= 1 || !s.StartsWith('9'))
            .ToList();
        Assert.That(pdus.Select(p => P.Describe(p)), Is.EqualTo(expected).AsCollection);
        P.AssertSection11Order(pdus);

        if (version == 2)
        {
            var withdrawal = pdus.Single(p => p.Type == PduType.Aspa && !p.Announce);
            Assert.That(withdrawal.Length, Is.EqualTo(12), "ASPA withdrawal is exactly 12 bytes");
            Assert.That(withdrawal.AspaProviders, Is.Empty);
            var changed = pdus.Where(p => p.Type == PduType.Aspa && p.AspaCustomer == 100).ToList();
            Assert.That(changed, Has.Count.EqualTo(1), "a changed provider set is one announcement, not withdraw + announce");
            Assert.That(changed[0].Announce, Is.True);
        }

        var router = new StrictRouter(from, version);
        router.Apply(pdus);
        Assert.That(router.ToSet(), Is.EqualTo(P.ForVersion(to, version)));
    }

    [Test]
    public void EncodeDelta_AspaWithdrawal_Bytes()
    {
        var from = PayloadSet.Create([], aspas: [Aspa.Create(64496, [64497, 64498])]);
        var delta = PayloadDelta.Compute(from, PayloadSet.Empty);
        var body = PayloadEncoder.EncodeDelta(delta, 2);
        Assert.That(ToHex(body.Bytes.Span), Is.EqualTo(ToHex(Hex("02 0B 00 00   00 00 00 0C   00 00 FB F0"))));
        Assert.That(body.PduCount, Is.EqualTo(1));
    }

    [Test]
    public void EncodeDelta_AspaReplacement_Bytes()
    {
        var from = PayloadSet.Create([], aspas: [Aspa.Create(64496, [64497])]);
        var to = PayloadSet.Create([], aspas: [Aspa.Create(64496, [64497, 64498])]);
        var body = PayloadEncoder.EncodeDelta(PayloadDelta.Compute(from, to), 2);
        Assert.That(ToHex(body.Bytes.Span), Is.EqualTo(ToHex(Hex("02 0B 01 00   00 00 00 14   00 00 FB F0   00 00 FB F1   00 00 FB F2"))));
        Assert.That(body.PduCount, Is.EqualTo(1));
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    public void EncodeDelta_OnlyAspaChanges_IsEmptyBeforeV2(byte version)
    {
        var from = PayloadSet.Create([P.Vrp("192.0.2.0/24", 24, 1)], [K1], [Aspa.Create(10, [11])]);
        var to = PayloadSet.Create([P.Vrp("192.0.2.0/24", 24, 1)], [K1], [Aspa.Create(10, [12]), Aspa.Create(20, [0])]);
        var body = PayloadEncoder.EncodeDelta(PayloadDelta.Compute(from, to), version);
        Assert.That(body.PduCount, Is.Zero);
        Assert.That(body.Length, Is.Zero);
        Assert.That(PayloadEncoder.EncodeDelta(PayloadDelta.Compute(from, to), 2).PduCount, Is.EqualTo(2));
    }

    [Test]
    public void EncodeDelta_OnlyRouterKeyChanges_IsEmptyForV0()
    {
        var from = PayloadSet.Create([], [K1]);
        var to = PayloadSet.Create([], [K2]);
        var delta = PayloadDelta.Compute(from, to);
        Assert.That(PayloadEncoder.EncodeDelta(delta, 0).PduCount, Is.Zero);
        Assert.That(PayloadEncoder.EncodeDelta(delta, 0).Length, Is.Zero);
        var v1 = DecodeBody(PayloadEncoder.EncodeDelta(delta, 1), 1);
        Assert.That(v1.Select(p => P.Describe(p)), Is.EqualTo(new[] { "9+ 0101 AS64497 spki91:A3", "9- 0101 AS64496 spki91:A3" }).AsCollection);
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void EncodeDelta_Empty_IsEmpty(byte version)
    {
        Assert.That(PayloadEncoder.EncodeDelta(PayloadDelta.Empty, version), Is.SameAs(EncodedPayload.Empty));
        var set = FullSet();
        var body = PayloadEncoder.EncodeDelta(PayloadDelta.Compute(set, FullSet()), version);
        Assert.That(body.PduCount, Is.Zero);
        Assert.That(body.Length, Is.Zero);
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void EncodeDelta_FromEmpty_EqualsFullBody(byte version)
    {
        var set = FullSet();
        var delta = PayloadEncoder.EncodeDelta(PayloadDelta.Compute(PayloadSet.Empty, set), version);
        var full = PayloadEncoder.EncodeFull(set, version);
        Assert.That(ToHex(delta.Bytes.Span), Is.EqualTo(ToHex(full.Bytes.Span)));
        Assert.That(delta.PduCount, Is.EqualTo(full.PduCount));
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void EncodeDelta_ToEmpty_WithdrawsAscending(byte version)
    {
        var set = FullSet();
        var pdus = DecodeBody(PayloadEncoder.EncodeDelta(PayloadDelta.Compute(set, PayloadSet.Empty), version), version);
        Assert.That(pdus.Select(p => p.Announce), Is.All.False);
        P.AssertSection11Order(pdus);
        var expectedV4 = FullV4.Reverse().Select(s => s.Replace("4+", "4-", StringComparison.Ordinal));
        Assert.That(pdus.Where(p => p.Type == PduType.Ipv4Prefix).Select(p => P.Describe(p)), Is.EqualTo(expectedV4).AsCollection);
        var expectedV6 = FullV6.Reverse().Select(s => s.Replace("6+", "6-", StringComparison.Ordinal));
        Assert.That(pdus.Where(p => p.Type == PduType.Ipv6Prefix).Select(p => P.Describe(p)), Is.EqualTo(expectedV6).AsCollection);
        var router = new StrictRouter(set, version);
        router.Apply(pdus);
        Assert.That(router.ToSet(), Is.EqualTo(PayloadSet.Empty));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    [TestCase(7)]
    [TestCase(8)]
    public void EncodeDelta_Random_AppliesStrictlyAndInOrder(int seed)
    {
        var rng = new Random(seed);
        var from = RandomPayload.Set(rng, 80, 8, 10);
        var to = RandomPayload.Mutate(from, rng);
        var delta = PayloadDelta.Compute(from, to);
        foreach (byte v in new byte[] { 0, 1, 2 })
        {
            var pdus = DecodeBody(PayloadEncoder.EncodeDelta(delta, v), v);
            P.AssertSection11Order(pdus);
            var router = new StrictRouter(from, v);
            router.Apply(pdus);
            Assert.That(router.ToSet(), Is.EqualTo(P.ForVersion(to, v)), $"v{v}");
        }
    }
}
