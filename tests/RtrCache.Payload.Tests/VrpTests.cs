using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace RtrCache.Payload.Tests;

[TestFixture]
public class VrpTests
{
    [Test]
    public void SizeOf_Is24Bytes()
    {
        Assert.That(Unsafe.SizeOf<Vrp>(), Is.EqualTo(24));
    }

    [Test]
    public void V4_ValidTuple_ExposesFields()
    {
        var v = Vrp.V4(0xC0000200u, 24, 28, 64496);
        Assert.That(v.IsIPv4, Is.True);
        Assert.That(v.IsIPv6, Is.False);
        Assert.That(v.Family, Is.EqualTo(AddressFamily.InterNetwork));
        Assert.That(v.FamilyBits, Is.EqualTo(32));
        Assert.That(v.PrefixLength, Is.EqualTo((byte)24));
        Assert.That(v.MaxLength, Is.EqualTo((byte)28));
        Assert.That(v.Asn, Is.EqualTo(64496u));
        Assert.That(v.V4Address, Is.EqualTo(0xC0000200u));
        Assert.That(v.AddressBits, Is.EqualTo((UInt128)0xC0000200u));
        Assert.That(v.Address, Is.EqualTo(IPAddress.Parse("192.0.2.0")));
        Assert.That(v.Prefix, Is.EqualTo(IpPrefix.Parse("192.0.2.0/24")));
        Assert.That(v.ToString(), Is.EqualTo("192.0.2.0/24-28 AS64496"));
    }

    [Test]
    public void V6_ValidTuple_ExposesFields()
    {
        var addr = Make.Ip6("2001:db8::");
        var v = Vrp.V6(addr, 32, 48, 65000);
        Assert.That(v.IsIPv6, Is.True);
        Assert.That(v.IsIPv4, Is.False);
        Assert.That(v.Family, Is.EqualTo(AddressFamily.InterNetworkV6));
        Assert.That(v.FamilyBits, Is.EqualTo(128));
        Assert.That(v.PrefixLength, Is.EqualTo((byte)32));
        Assert.That(v.MaxLength, Is.EqualTo((byte)48));
        Assert.That(v.Asn, Is.EqualTo(65000u));
        Assert.That(v.AddressBits, Is.EqualTo(addr));
        Assert.That(v.Address, Is.EqualTo(IPAddress.Parse("2001:db8::")));
        Assert.That(v.Prefix, Is.EqualTo(IpPrefix.Parse("2001:db8::/32")));
        Assert.That(v.ToString(), Is.EqualTo("2001:db8::/32-48 AS65000"));
    }

    [TestCase("0.0.0.0/0", 0)]
    [TestCase("0.0.0.0/0", 32)]
    [TestCase("255.255.255.255/32", 32)]
    [TestCase("10.0.0.0/8", 24)]
    [TestCase("128.0.0.0/1", 1)]
    [TestCase("::/0", 0)]
    [TestCase("::/0", 128)]
    [TestCase("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 128)]
    [TestCase("2001:db8::/32", 48)]
    [TestCase("8000::/1", 1)]
    [TestCase("2001:db8:0:0:8000::/65", 65)]
    [TestCase(" 192.0.2.0/24 ", 24)]
    public void TryCreate_String_AcceptsValid(string prefix, int maxLength)
    {
        Assert.That(Vrp.TryCreate(prefix, maxLength, 64496, out var v, out var error), Is.True, () => error ?? "");
        Assert.That(error, Is.Null);
        var p = IpPrefix.Parse(prefix);
        Assert.That(v.IsIPv6, Is.EqualTo(p.IsIPv6));
        Assert.That(v.AddressBits, Is.EqualTo(p.AddressBits));
        Assert.That(v.PrefixLength, Is.EqualTo(p.Length));
        Assert.That(v.MaxLength, Is.EqualTo((byte)maxLength));
        Assert.That(v.Asn, Is.EqualTo(64496u));
    }

    [TestCase("192.0.2.1/24", 24, TestName = "v4 host bits set")]
    [TestCase("11.0.0.0/7", 8, TestName = "v4 host bit right after the prefix")]
    [TestCase("0.0.0.1/0", 0, TestName = "v4 /0 with any bit set")]
    [TestCase("192.0.2.0/24", 23, TestName = "v4 maxLength below prefix length")]
    [TestCase("192.0.2.0/24", 33, TestName = "v4 maxLength above 32")]
    [TestCase("192.0.2.0/33", 33, TestName = "v4 prefix length above 32")]
    [TestCase("192.0.2.0/24", -1, TestName = "v4 negative maxLength")]
    [TestCase("2001:db8::1/32", 32, TestName = "v6 host bits set")]
    [TestCase("2001:db8::/32", 31, TestName = "v6 maxLength below prefix length")]
    [TestCase("2001:db8::/32", 129, TestName = "v6 maxLength above 128")]
    [TestCase("2001:db8::/129", 129, TestName = "v6 prefix length above 128")]
    [TestCase("::1/127", 128, TestName = "v6 host bit in lowest bit")]
    [TestCase("192.0.2.0", 24, TestName = "missing length")]
    [TestCase("192.0.2.0/", 24, TestName = "empty length")]
    [TestCase("192.0.2.0/-1", 24, TestName = "negative prefix length")]
    [TestCase("192.0.2.0/+8", 24, TestName = "signed prefix length")]
    [TestCase("192.0.2.0/2x", 24, TestName = "garbage prefix length")]
    [TestCase("192.0.2.0/1000", 24, TestName = "four digit prefix length")]
    [TestCase("not-an-ip/24", 24, TestName = "garbage address")]
    [TestCase("fe80::%1/64", 64, TestName = "v6 with scope id")]
    [TestCase("", 0, TestName = "empty string")]
    public void TryCreate_String_RejectsInvalid(string prefix, int maxLength)
    {
        Assert.That(Vrp.TryCreate(prefix, maxLength, 64496, out var v, out var error), Is.False);
        Assert.That(error, Is.Not.Null.And.Not.Empty);
        Assert.That(v, Is.EqualTo(default(Vrp)));
    }

    [TestCase(0xC0000201u, 24, 24, TestName = "V4 host bits")]
    [TestCase(0xC0000200u, 24, 23, TestName = "V4 maxLength < prefixLength")]
    [TestCase(0xC0000200u, 24, 33, TestName = "V4 maxLength > 32")]
    [TestCase(0xC0000200u, 33, 33, TestName = "V4 prefixLength > 32")]
    [TestCase(0xC0000200u, -1, 24, TestName = "V4 prefixLength < 0")]
    [TestCase(0x80000000u, 0, 0, TestName = "V4 /0 host bits")]
    public void V4_Invalid_TryCreateFails_AndFactoryThrows(uint address, int plen, int mlen)
    {
        Assert.That(Vrp.TryCreateV4(address, plen, mlen, 1, out _, out var error), Is.False);
        Assert.That(error, Is.Not.Null.And.Not.Empty);
        Assert.That(() => Vrp.V4(address, plen, mlen, 1), Throws.ArgumentException);
    }

    [Test]
    public void V6_Invalid_TryCreateFails_AndFactoryThrows()
    {
        var cases = new (UInt128 Address, int Plen, int Mlen, string Why)[]
        {
            (Make.Ip6("2001:db8::1"), 32, 32, "host bits"),
            (Make.Ip6("2001:db8::"), 32, 31, "maxLength < prefixLength"),
            (Make.Ip6("2001:db8::"), 32, 129, "maxLength > 128"),
            (Make.Ip6("2001:db8::"), 129, 129, "prefixLength > 128"),
            (Make.Ip6("2001:db8::"), -1, 32, "prefixLength < 0"),
            (Make.Ip6("2001:db8::"), 16, 16, "host bits between /16 and /32"),
            (Make.Ip6("::1"), 64, 64, "host bit in low word"),
            (Make.Ip6("0:0:0:1::"), 63, 64, "host bit at the word boundary"),
        };
        foreach (var c in cases)
        {
            Assert.That(Vrp.TryCreateV6(c.Address, c.Plen, c.Mlen, 1, out _, out var error), Is.False, c.Why);
            Assert.That(error, Is.Not.Null.And.Not.Empty, c.Why);
            Assert.That(() => Vrp.V6(c.Address, c.Plen, c.Mlen, 1), Throws.ArgumentException, c.Why);
        }
    }

    [Test]
    public void V6_WordBoundary_Valid()
    {
        var v = Vrp.V6(Make.Ip6("0:0:0:1::"), 64, 64, 1);
        Assert.That(v.Address, Is.EqualTo(IPAddress.Parse("0:0:0:1::")));
        var w = Vrp.V6(Make.Ip6("::8000:0:0:0"), 65, 65, 1);
        Assert.That(w.Address, Is.EqualTo(IPAddress.Parse("::8000:0:0:0")));
    }

    [TestCase("192.0.2.0", 24)]
    [TestCase("0.0.0.0", 0)]
    [TestCase("255.255.255.255", 32)]
    [TestCase("128.0.0.0", 1)]
    [TestCase("2001:db8::", 32)]
    [TestCase("::", 0)]
    [TestCase("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128)]
    [TestCase("2001:db8:1234:5678:9abc:def0:1234:5678", 128)]
    [TestCase("::ffff:192.0.2.0", 120)]
    public void Create_IPAddress_AddressRoundTrips(string address, int plen)
    {
        var ip = IPAddress.Parse(address);
        var v = Vrp.Create(ip, plen, plen, 7);
        Assert.That(v.Address, Is.EqualTo(ip));
        Assert.That(v.Family, Is.EqualTo(ip.AddressFamily));

        Span<byte> buf = stackalloc byte[16];
        int n = v.WriteAddress(buf);
        Assert.That(buf[..n].ToArray(), Is.EqualTo(ip.GetAddressBytes()));

        // Through the string form and back again.
        Assert.That(Vrp.TryCreate($"{ip}/{plen}", plen, 7, out var again, out var error), Is.True, () => error ?? "");
        Assert.That(again, Is.EqualTo(v));
        Assert.That(IpPrefix.Parse(v.Prefix.ToString()), Is.EqualTo(v.Prefix));
    }

    [Test]
    public void Create_IPAddress_Invalid_Throws()
    {
        Assert.That(() => Vrp.Create(IPAddress.Parse("192.0.2.1"), 24, 24, 1), Throws.ArgumentException);
        Assert.That(Vrp.TryCreate(IPAddress.Parse("2001:db8::1"), 64, 64, 1, out _, out var e), Is.False);
        Assert.That(e, Is.Not.Null);
    }

    [Test]
    public void Ipv4MappedIpv6_StaysIpv6()
    {
        var v = Vrp.Create(IPAddress.Parse("::ffff:10.0.0.0"), 104, 104, 1);
        Assert.That(v.IsIPv6, Is.True);
        Assert.That(v, Is.Not.EqualTo(Vrp.V4(0x0A000000, 8, 8, 1)));
    }

    [Test]
    public void Factories_AgreeWithEachOther()
    {
        var a = Vrp.V4(Make.Ip4("198.51.100.0"), 24, 24, 64500);
        var b = Vrp.Create(IPAddress.Parse("198.51.100.0"), 24, 24, 64500);
        var c = Make.V4("198.51.100.0/24", 24, 64500);
        Assert.That(b, Is.EqualTo(a));
        Assert.That(c, Is.EqualTo(a));
        Assert.That(b.GetHashCode(), Is.EqualTo(a.GetHashCode()));
        Assert.That(c.GetHashCode(), Is.EqualTo(a.GetHashCode()));
    }

    [Test]
    public void Equals_DistinguishesEveryField()
    {
        var baseV = Vrp.V4(0x0A000000, 8, 16, 100);
        Assert.That(baseV, Is.EqualTo(Vrp.V4(0x0A000000, 8, 16, 100)));
        Assert.That(baseV == Vrp.V4(0x0A000000, 8, 16, 100), Is.True);
        Assert.That(baseV.Equals((object)Vrp.V4(0x0A000000, 8, 16, 100)), Is.True);
        Assert.That(baseV.Equals((object)"10.0.0.0/8"), Is.False);
        Assert.That(baseV.Equals(null), Is.False);

        var different = new[]
        {
            Vrp.V4(0x0B000000, 8, 16, 100),  // address
            Vrp.V4(0x0A000000, 9, 16, 100),  // prefix length
            Vrp.V4(0x0A000000, 8, 17, 100),  // max length
            Vrp.V4(0x0A000000, 8, 16, 101),  // asn
            Vrp.V6(0x0A000000, 104, 112, 100), // same low bits, other family
        };
        foreach (var d in different)
        {
            Assert.That(d, Is.Not.EqualTo(baseV), d.ToString());
            Assert.That(d != baseV, Is.True, d.ToString());
            Assert.That(d.CompareTo(baseV), Is.Not.EqualTo(0), d.ToString());
        }

        // v4 0.0.0.0/0 and v6 ::/0 with the same numbers are different records.
        var v4all = Vrp.V4(0, 0, 0, 0);
        var v6all = Vrp.V6(0, 0, 0, 0);
        Assert.That(v4all, Is.Not.EqualTo(v6all));
        Assert.That(v4all.CompareTo(v6all), Is.LessThan(0));
    }

    [Test]
    public void HashSet_DeduplicatesEqualVrps()
    {
        var set = new HashSet<Vrp>
        {
            Make.V4("10.0.0.0/8", 8, 1),
            Vrp.V4(0x0A000000, 8, 8, 1),
            Vrp.Create(IPAddress.Parse("10.0.0.0"), 8, 8, 1),
            Make.V6("2001:db8::/32", 32, 1),
            Vrp.V6(Make.Ip6("2001:db8::"), 32, 32, 1),
        };
        Assert.That(set, Has.Count.EqualTo(2));
    }

    [Test]
    public void Ordering_FollowsWithdrawalOrder()
    {
        // Expected order: IPv4 before IPv6; then address ascending (unsigned), max length, prefix length, ASN.
        var expected = new[]
        {
            Make.V4("0.0.0.0/0", 0, 0),
            Make.V4("0.0.0.0/0", 32, 0),
            Make.V4("9.255.255.0/24", 24, 5),
            Make.V4("10.0.0.0/8", 16, 0),            // same address: max length 16 …
            Make.V4("10.0.0.0/8", 16, 1),            // … ASN ascending
            Make.V4("10.0.0.0/8", 16, 4294967295),
            Make.V4("10.0.0.0/16", 16, 0),           // max length 16, prefix length 16 after 8
            Make.V4("10.0.0.0/8", 24, 0),            // max length 24 after all max-length-16 entries
            Make.V4("10.0.0.0/24", 24, 0),
            Make.V4("10.0.1.0/24", 24, 0),
            Make.V4("127.255.255.255/32", 32, 0),
            Make.V4("128.0.0.0/1", 1, 0),            // unsigned: high bit sorts after 127.x
            Make.V4("255.255.255.255/32", 32, 0),
            Make.V6("::/0", 0, 0),                   // every v6 after every v4
            Make.V6("::/0", 128, 0),
            Make.V6("::1/128", 128, 0),
            Make.V6("::ffff:ffff:ffff:ffff/128", 128, 0), // low word max, high word 0
            Make.V6("0:0:0:1::/64", 64, 0),          // high word 1 beats any low word
            Make.V6("2001:db8::/32", 32, 64496),
            Make.V6("2001:db8::/32", 48, 0),
            Make.V6("2001:db8::/48", 48, 0),
            Make.V6("2001:db8:0:1::/64", 64, 0),
            Make.V6("7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 128, 0),
            Make.V6("8000::/1", 1, 0),               // unsigned high bit
            Make.V6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 128, 0),
        };

        for (int i = 1; i < expected.Length; i++)
        {
            Assert.That(expected[i - 1].CompareTo(expected[i]), Is.LessThan(0), () => $"{expected[i - 1]} < {expected[i]}");
            Assert.That(expected[i].CompareTo(expected[i - 1]), Is.GreaterThan(0), () => $"{expected[i]} > {expected[i - 1]}");
            Assert.That(expected[i - 1] < expected[i], Is.True);
            Assert.That(expected[i - 1] <= expected[i], Is.True);
            Assert.That(expected[i] > expected[i - 1], Is.True);
            Assert.That(expected[i] >= expected[i - 1], Is.True);
        }

        var rng = new Random(5);
        for (int round = 0; round < 20; round++)
        {
            var shuffled = expected.ToList();
            Make.Shuffle(rng, shuffled);
            shuffled.Sort();
            Assert.That(shuffled, Is.EqualTo(expected).AsCollection);
        }
    }

    [TestCase(11)]
    [TestCase(12)]
    [TestCase(13)]
    public void Ordering_RandomVrps_MatchReferenceComparer(int seed)
    {
        var rng = new Random(seed);
        uint[] asns = [0, 1, 64496, 64497, 4294967295];
        var list = new List<Vrp>();
        for (int i = 0; i < 400; i++) list.Add(rng.Next(2) == 0 ? Make.RandomV4(rng, asns) : Make.RandomV6(rng, asns));

        static int Reference(Vrp a, Vrp b)
        {
            int c = a.IsIPv6.CompareTo(b.IsIPv6);
            if (c != 0) return c;
            c = a.AddressBits.CompareTo(b.AddressBits);
            if (c != 0) return c;
            c = a.MaxLength.CompareTo(b.MaxLength);
            if (c != 0) return c;
            c = a.PrefixLength.CompareTo(b.PrefixLength);
            if (c != 0) return c;
            return a.Asn.CompareTo(b.Asn);
        }

        foreach (var a in list.Take(60))
            foreach (var b in list)
            {
                Assert.That(Math.Sign(a.CompareTo(b)), Is.EqualTo(Math.Sign(Reference(a, b))), () => $"{a} vs {b}");
                Assert.That(a.CompareTo(b) == 0, Is.EqualTo(a.Equals(b)), () => $"{a} vs {b}: CompareTo consistent with Equals");
                if (a.Equals(b)) Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
            }
    }

    [Test]
    public void Default_IsV4ZeroRoute()
    {
        var d = default(Vrp);
        Assert.That(d.IsIPv4, Is.True);
        Assert.That(d, Is.EqualTo(Vrp.V4(0, 0, 0, 0)));
    }
}
