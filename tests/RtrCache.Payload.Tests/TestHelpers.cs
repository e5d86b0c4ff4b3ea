using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net;

namespace RtrCache.Payload.Tests;

/// <summary>Small factories shared by the tests.</summary>
internal static class Make
{
    public static Vrp V4(string prefix, int maxLength, uint asn)
    {
        Assert.That(Vrp.TryCreate(prefix, maxLength, asn, out var vrp, out var error), Is.True, () => $"{prefix}-{maxLength}: {error}");
        Assert.That(vrp.IsIPv4, Is.True);
        return vrp;
    }

    public static Vrp V6(string prefix, int maxLength, uint asn)
    {
        Assert.That(Vrp.TryCreate(prefix, maxLength, asn, out var vrp, out var error), Is.True, () => $"{prefix}-{maxLength}: {error}");
        Assert.That(vrp.IsIPv6, Is.True);
        return vrp;
    }

    public static uint Ip4(string text) => BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(text).GetAddressBytes());

    public static UInt128 Ip6(string text) => BinaryPrimitives.ReadUInt128BigEndian(IPAddress.Parse(text).GetAddressBytes());

    /// <summary>A 20-byte SKI whose first byte is <paramref name="first"/> and last byte <paramref name="last"/>.</summary>
    public static byte[] Ski(byte first, byte last = 0)
    {
        var b = new byte[RouterKey.SkiLength];
        b[0] = first;
        b[^1] = last;
        return b;
    }

    public static RouterKey Key(byte skiFirst, uint asn, params byte[] spki) => RouterKey.Create(Ski(skiFirst), asn, spki);

    public static Aspa Aspa(uint customer, params uint[] providers) => Payload.Aspa.Create(customer, providers);

    public static PayloadSet Set(IEnumerable<Vrp>? vrps = null, IEnumerable<RouterKey>? keys = null, IEnumerable<Aspa>? aspas = null)
        => PayloadSet.Create(vrps ?? [], keys, aspas);

    public static void Shuffle<TItem>(Random rng, IList<TItem> list)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    public static Vrp RandomV4(Random rng, uint[] asns)
    {
        int plen = rng.Next(10) == 0 ? rng.Next(0, 33) : rng.Next(8, 25);
        uint mask = plen == 0 ? 0u : uint.MaxValue << (32 - plen);
        uint addr = (uint)rng.NextInt64(0, 1L << 32) & mask;
        int mlen = rng.Next(plen, 33);
        return Vrp.V4(addr, plen, mlen, asns[rng.Next(asns.Length)]);
    }

    public static Vrp RandomV6(Random rng, uint[] asns)
    {
        int plen = rng.Next(10) == 0 ? rng.Next(0, 129) : rng.Next(16, 65);
        UInt128 mask = plen == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - plen);
        var addr = new UInt128((ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 33), (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40)) & mask;
        int mlen = rng.Next(plen, 129);
        return Vrp.V6(addr, plen, mlen, asns[rng.Next(asns.Length)]);
    }

    public static RouterKey RandomKey(Random rng, byte[][] skis)
    {
        var ski = skis[rng.Next(skis.Length)];
        var spki = new byte[rng.Next(1, 6)];
        rng.NextBytes(spki);
        if (rng.Next(3) == 0) spki = [0x30, 0x59, (byte)rng.Next(2)];
        return RouterKey.Create(ski, (uint)rng.Next(64496, 64500), spki);
    }

    public static bool SameProviders(Aspa? a, Aspa? b)
        => a is null ? b is null : b is not null && a.Customer == b.Customer && a.Providers.SequenceEqual(b.Providers);

    /// <summary>Asserts two deltas are element-wise identical (same items, same order).</summary>
    public static void AssertSameDelta(PayloadDelta actual, PayloadDelta expected, string context)
    {
        Assert.That(actual.AnnouncedV4, Is.EqualTo(expected.AnnouncedV4).AsCollection, () => context + ": AnnouncedV4");
        Assert.That(actual.WithdrawnV4, Is.EqualTo(expected.WithdrawnV4).AsCollection, () => context + ": WithdrawnV4");
        Assert.That(actual.AnnouncedV6, Is.EqualTo(expected.AnnouncedV6).AsCollection, () => context + ": AnnouncedV6");
        Assert.That(actual.WithdrawnV6, Is.EqualTo(expected.WithdrawnV6).AsCollection, () => context + ": WithdrawnV6");
        Assert.That(actual.AnnouncedRouterKeys, Is.EqualTo(expected.AnnouncedRouterKeys).AsCollection, () => context + ": AnnouncedRouterKeys");
        Assert.That(actual.WithdrawnRouterKeys, Is.EqualTo(expected.WithdrawnRouterKeys).AsCollection, () => context + ": WithdrawnRouterKeys");
        Assert.That(actual.AspaChanges.Count, Is.EqualTo(expected.AspaChanges.Count), () => context + ": AspaChanges.Count");
        for (int i = 0; i < actual.AspaChanges.Count; i++)
        {
            var a = actual.AspaChanges[i];
            var e = expected.AspaChanges[i];
            Assert.That(a.Customer, Is.EqualTo(e.Customer), () => $"{context}: ASPA change #{i} customer");
            Assert.That(SameProviders(a.Before, e.Before), Is.True, () => $"{context}: ASPA change #{i} Before {a.Before} vs {e.Before}");
            Assert.That(SameProviders(a.After, e.After), Is.True, () => $"{context}: ASPA change #{i} After {a.After} vs {e.After}");
        }
    }
}

/// <summary>
/// What a router holds from one cache, with a deliberately strict applier: announcing something already held,
/// withdrawing something not held, withdrawing an unknown ASPA customer, or touching a key twice in one
/// delta all fail the test. An ASPA announcement replaces the customer's record (8210bis §5.12).
/// </summary>
internal sealed class RouterCopy
{
    private readonly HashSet<Vrp> _vrps = [];
    private readonly HashSet<RouterKey> _keys = [];
    private readonly Dictionary<uint, Aspa> _aspas = [];

    public static RouterCopy Of(PayloadSet set)
    {
        var r = new RouterCopy();
        foreach (var v in set.Vrps) Assert.That(r._vrps.Add(v), Is.True, () => $"set holds {v} twice");
        foreach (var k in set.RouterKeys) Assert.That(r._keys.Add(k), Is.True, () => $"set holds {k} twice");
        foreach (var a in set.Aspas)
        {
            Assert.That(r._aspas.ContainsKey(a.Customer), Is.False, () => $"set holds AS{a.Customer} twice");
            r._aspas[a.Customer] = a;
        }
        return r;
    }

    public int VrpCount => _vrps.Count;
    public int KeyCount => _keys.Count;
    public int AspaCount => _aspas.Count;

    public void Apply(PayloadDelta delta, string context = "")
    {
        var seenVrps = new HashSet<Vrp>();
        var seenKeys = new HashSet<RouterKey>();
        var seenCustomers = new HashSet<uint>();

        // Wire order: announcements first, then withdrawals (§11.2). Each key is touched at most once, so
        // the order cannot matter for the result, but follow the wire anyway.
        ApplyVrps(delta.AnnouncedV4, announce: true, v4: true, seenVrps, context);
        ApplyVrps(delta.WithdrawnV4, announce: false, v4: true, seenVrps, context);
        ApplyVrps(delta.AnnouncedV6, announce: true, v4: false, seenVrps, context);
        ApplyVrps(delta.WithdrawnV6, announce: false, v4: false, seenVrps, context);

        foreach (var k in delta.AnnouncedRouterKeys)
        {
            Assert.That(seenKeys.Add(k), Is.True, () => $"{context}: router key {k} twice in one delta");
            Assert.That(_keys.Add(k), Is.True, () => $"{context}: announcement of router key {k} already held");
        }
        foreach (var k in delta.WithdrawnRouterKeys)
        {
            Assert.That(seenKeys.Add(k), Is.True, () => $"{context}: router key {k} twice in one delta");
            Assert.That(_keys.Remove(k), Is.True, () => $"{context}: withdrawal of router key {k} not held");
        }

        foreach (var c in delta.AspaChanges)
        {
            Assert.That(seenCustomers.Add(c.Customer), Is.True, () => $"{context}: ASPA customer AS{c.Customer} twice in one delta");
            Assert.That(c.Before is not null || c.After is not null, Is.True, () => $"{context}: ASPA change for AS{c.Customer} with neither Before nor After");
            _aspas.TryGetValue(c.Customer, out var held);
            // The documented contract of AspaChange: Before is exactly what the router holds.
            Assert.That(Make.SameProviders(c.Before, held), Is.True, () => $"{context}: ASPA change Before {c.Before} but router holds {held}");
            if (c.After is null)
            {
                Assert.That(c.IsAnnouncement, Is.False);
                Assert.That(_aspas.Remove(c.Customer), Is.True, () => $"{context}: withdrawal of unknown ASPA customer AS{c.Customer}");
            }
            else
            {
                Assert.That(c.IsAnnouncement, Is.True);
                Assert.That(c.After.Customer, Is.EqualTo(c.Customer));
                // What goes on the wire must satisfy the PDU rules.
                Assert.That(Aspa.TryCreate(c.Customer, c.After.Providers, out _, out var err), Is.True, () => $"{context}: announced ASPA invalid: {err}");
                if (held is not null)
                    Assert.That(held.ProvidersEqual(c.After), Is.False, () => $"{context}: no-op ASPA replacement for AS{c.Customer}");
                _aspas[c.Customer] = c.After; // announcement replaces
            }
        }
    }

    private void ApplyVrps(IReadOnlyList<Vrp> list, bool announce, bool v4, HashSet<Vrp> seen, string context)
    {
        foreach (var v in list)
        {
            Assert.That(v.IsIPv4, Is.EqualTo(v4), () => $"{context}: {v} in the wrong family list");
            Assert.That(seen.Add(v), Is.True, () => $"{context}: VRP {v} twice in one delta");
            if (announce)
                Assert.That(_vrps.Add(v), Is.True, () => $"{context}: announcement of VRP {v} already held");
            else
                Assert.That(_vrps.Remove(v), Is.True, () => $"{context}: withdrawal of VRP {v} not held");
        }
    }

    public PayloadSet ToPayloadSet() => PayloadSet.Create(_vrps, _keys, _aspas.Values);

    public void AssertHolds(PayloadSet expected, string context)
    {
        var expectedVrps = expected.Vrps.ToHashSet();
        Assert.That(_vrps.Where(v => !expectedVrps.Contains(v)).Select(v => v.ToString()), Is.Empty, () => context + ": router holds extra VRPs");
        Assert.That(expectedVrps.Where(v => !_vrps.Contains(v)).Select(v => v.ToString()), Is.Empty, () => context + ": router lacks VRPs");
        var expectedKeys = expected.RouterKeys.ToArray().ToHashSet();
        Assert.That(_keys.Where(k => !expectedKeys.Contains(k)).Select(k => k.ToString()), Is.Empty, () => context + ": router holds extra keys");
        Assert.That(expectedKeys.Where(k => !_keys.Contains(k)).Select(k => k.ToString()), Is.Empty, () => context + ": router lacks keys");
        Assert.That(_aspas.Count, Is.EqualTo(expected.AspaCount), () => context + ": ASPA count differs");
        foreach (var a in expected.Aspas)
        {
            Assert.That(_aspas.TryGetValue(a.Customer, out var held), Is.True, () => $"{context}: router lacks ASPA AS{a.Customer}");
            Assert.That(held, Is.EqualTo(a), () => $"{context}: router holds {held}, expected {a}");
        }
        Assert.That(ToPayloadSet(), Is.EqualTo(expected), () => context + ": rebuilt set differs");
    }
}

/// <summary>Checks the structural promises of a delta: every list strictly ascending.</summary>
internal static class DeltaShape
{
    public static void AssertCanonical(PayloadDelta d, string context)
    {
        AssertStrictlyAscending(d.AnnouncedV4, context + ": AnnouncedV4");
        AssertStrictlyAscending(d.WithdrawnV4, context + ": WithdrawnV4");
        AssertStrictlyAscending(d.AnnouncedV6, context + ": AnnouncedV6");
        AssertStrictlyAscending(d.WithdrawnV6, context + ": WithdrawnV6");
        AssertStrictlyAscending(d.AnnouncedRouterKeys, context + ": AnnouncedRouterKeys");
        AssertStrictlyAscending(d.WithdrawnRouterKeys, context + ": WithdrawnRouterKeys");
        for (int i = 1; i < d.AspaChanges.Count; i++)
            Assert.That(d.AspaChanges[i - 1].Customer, Is.LessThan(d.AspaChanges[i].Customer), () => context + ": AspaChanges not ascending");
    }

    private static void AssertStrictlyAscending<TItem>(IReadOnlyList<TItem> list, string context) where TItem : IComparable<TItem>
    {
        for (int i = 1; i < list.Count; i++)
            Assert.That(list[i - 1].CompareTo(list[i]), Is.LessThan(0), () => $"{context} not strictly ascending at {i}");
    }
}
