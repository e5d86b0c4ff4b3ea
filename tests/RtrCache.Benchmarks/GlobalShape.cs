using RtrCache.Payload;

namespace RtrCache.Benchmarks;

/// <summary>
/// Generates payload shaped like the global RPKI (Nov 2026: ~560k IPv4 and ~230k IPv6 VRPs, a few hundred
/// ASPAs with 1–12 providers, a handful of router keys), deterministic for a seed so runs are comparable.
/// </summary>
public sealed class GlobalShape
{
    private readonly Random _random;

    public GlobalShape(int seed = 20261125) => _random = new Random(seed);

    public int V4 { get; init; } = 560_000;
    public int V6 { get; init; } = 230_000;
    public int Aspas { get; init; } = 600;
    public int RouterKeys { get; init; } = 50;

    public (List<Vrp> Vrps, List<Aspa> Aspas, List<RouterKey> Keys) Generate()
    {
        var vrps = new List<Vrp>(V4 + V6);
        var seen = new HashSet<Vrp>();
        while (vrps.Count < V4)
        {
            var v = RandomV4();
            if (seen.Add(v)) vrps.Add(v);
        }
        while (vrps.Count < V4 + V6)
        {
            var v = RandomV6();
            if (seen.Add(v)) vrps.Add(v);
        }
        var aspas = new List<Aspa>(Aspas);
        var customers = new HashSet<uint>();
        while (aspas.Count < Aspas)
        {
            uint customer = RandomAsn();
            if (!customers.Add(customer)) continue;
            aspas.Add(RandomAspa(customer));
        }
        var keys = new List<RouterKey>(RouterKeys);
        for (int i = 0; i < RouterKeys; i++) keys.Add(RandomKey());
        return (vrps, aspas, keys);
    }

    /// <summary>A copy of <paramref name="current"/> with <paramref name="share"/> of its entries changed (half removed, half added) and a few ASPAs altered.</summary>
    public (List<Vrp> Vrps, List<Aspa> Aspas, List<RouterKey> Keys) Mutate((List<Vrp> Vrps, List<Aspa> Aspas, List<RouterKey> Keys) current, double share)
    {
        var vrps = new List<Vrp>(current.Vrps);
        int changes = (int)(vrps.Count * share);
        for (int i = 0; i < changes / 2; i++) vrps.RemoveAt(_random.Next(vrps.Count));
        for (int i = 0; i < changes - changes / 2; i++) vrps.Add(_random.Next(10) < 7 ? RandomV4() : RandomV6());
        var aspas = new List<Aspa>(current.Aspas);
        int aspaChanges = Math.Max(1, (int)(aspas.Count * share * 5));
        for (int i = 0; i < aspaChanges && aspas.Count > 0; i++)
        {
            int idx = _random.Next(aspas.Count);
            aspas[idx] = RandomAspa(aspas[idx].Customer);
        }
        return (vrps, aspas, new List<RouterKey>(current.Keys));
    }

    public Vrp RandomV4()
    {
        int plen = _random.Next(100) switch { < 55 => 24, < 70 => 22, < 80 => 23, < 88 => 20, < 94 => 21, _ => _random.Next(8, 20) };
        uint addr = (uint)_random.Next(1 << 24, int.MaxValue) << 1;
        addr &= plen == 0 ? 0 : uint.MaxValue << (32 - plen);
        int maxLen = _random.Next(100) < 80 ? plen : Math.Min(32, plen + _random.Next(1, 9));
        return Vrp.V4(addr, plen, maxLen, RandomAsn());
    }

    public Vrp RandomV6()
    {
        int plen = _random.Next(100) switch { < 45 => 48, < 65 => 32, < 80 => 44, < 90 => 36, _ => _random.Next(19, 64) };
        UInt128 addr = (UInt128)0x2000_0000_0000_0000UL << 64 | ((UInt128)(ulong)_random.NextInt64() << 64 >> 4);
        addr &= UInt128.MaxValue << (128 - plen);
        int maxLen = _random.Next(100) < 75 ? plen : Math.Min(128, plen + _random.Next(1, 17));
        return Vrp.V6(addr, plen, maxLen, RandomAsn());
    }

    public uint RandomAsn() => _random.Next(100) switch
    {
        < 1 => 0,
        < 70 => (uint)_random.Next(1, 65535),
        _ => (uint)_random.Next(131072, 401000),
    };

    private Aspa RandomAspa(uint customer)
    {
        int n = _random.Next(1, 13);
        var providers = new SortedSet<uint>();
        while (providers.Count < n)
        {
            uint p = (uint)_random.Next(1, 400000);
            if (p != customer) providers.Add(p);
        }
        return Aspa.Create(customer, providers);
    }

    private RouterKey RandomKey()
    {
        var ski = new byte[20];
        _random.NextBytes(ski);
        var spki = new byte[91];
        _random.NextBytes(spki);
        spki[0] = 0x30;
        spki[1] = 0x59;
        return RouterKey.Create(ski, RandomAsn() | 1, spki);
    }
}
