using System.Buffers.Binary;

namespace RtrCache.Payload.Tests.Formats;

/// <summary>Deterministic random payload sets for format and SLURM tests.</summary>
internal static class TestPayload
{
    public static PayloadSet Random(int seed, int v4Count, int v6Count, int keyCount, int aspaCount)
    {
        var rng = new Random(seed);
        var b = new PayloadSetBuilder();
        // Edge cases first.
        if (v4Count > 0)
        {
            b.Add(Vrp.V4(0, 0, 0, 0));
            b.Add(Vrp.V4(0xFFFFFFFF, 32, 32, uint.MaxValue));
        }
        if (v6Count > 0)
        {
            b.Add(Vrp.V6(UInt128.Zero, 0, 128, 1));
            b.Add(Vrp.V6(UInt128.MaxValue, 128, 128, 2));
            b.Add(Vrp.V6(new UInt128(0, 0x0000_FFFF_0000_0000), 96, 128, 3)); // ::ffff:0:0/96
            b.Add(Vrp.V6(new UInt128(0x2001_0db8_0000_0001, 0), 64, 64, 4));  // 2001:db8:0:1::/64
            b.Add(Vrp.V6(new UInt128(0x0001_0000_0000_0000, 0), 16, 48, 5));  // 1::/16
        }
        for (int i = 0; i < v4Count; i++)
        {
            int len = rng.Next(8, 33);
            uint mask = len == 0 ? 0 : uint.MaxValue << (32 - len);
            uint addr = (uint)rng.NextInt64(0, 1L << 32) & mask;
            b.Add(Vrp.V4(addr, len, rng.Next(len, 33), RandomAsn(rng)));
        }
        Span<byte> sixteen = stackalloc byte[16];
        for (int i = 0; i < v6Count; i++)
        {
            int len = rng.Next(12, 65);
            rng.NextBytes(sixteen);
            UInt128 addr = BinaryPrimitives.ReadUInt128BigEndian(sixteen) & (UInt128.MaxValue << (128 - len));
            b.Add(Vrp.V6(addr, len, rng.Next(len, 129), RandomAsn(rng)));
        }
        for (int i = 0; i < keyCount; i++)
            b.Add(RouterKey.Create(RandomBytes(rng, 20), RandomAsn(rng), FakeSpki(rng)));
        for (int i = 0; i < aspaCount; i++)
        {
            uint customer = RandomAsn(rng) | 1;
            if (i % 17 == 0)
            {
                b.AddAspa(customer, [0u]);
                continue;
            }
            var providers = new SortedSet<uint>();
            int n = rng.Next(1, 6);
            while (providers.Count < n)
            {
                uint p = RandomAsn(rng);
                if (p != customer && p != 0) providers.Add(p);
            }
            b.AddAspa(customer, providers);
        }
        return b.Build();
    }

    public static uint RandomAsn(Random rng) => rng.Next(4) switch
    {
        0 => (uint)rng.Next(1, 65536),
        1 => (uint)rng.NextInt64(0, 1L << 32),
        _ => (uint)rng.Next(64496, 64512),
    };

    public static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>91 bytes shaped like a P-256 SubjectPublicKeyInfo: SEQUENCE (0x30 0x59) of random content.</summary>
    public static byte[] FakeSpki(Random rng)
    {
        var b = RandomBytes(rng, 91);
        b[0] = 0x30;
        b[1] = 0x59;
        return b;
    }

    /// <summary>A realistic-size global table: about 790,000 VRPs.</summary>
    public static PayloadSet Global() => Random(20261125, 600_000, 190_000, 300, 1_500);
}
