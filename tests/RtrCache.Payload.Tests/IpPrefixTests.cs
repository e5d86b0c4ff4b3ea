namespace RtrCache.Payload.Tests;

[TestFixture]
public class IpPrefixTests
{
    [TestCase("192.0.2.0/24", false, 24, "192.0.2.0/24")]
    [TestCase("0.0.0.0/0", false, 0, "0.0.0.0/0")]
    [TestCase("255.255.255.255/32", false, 32, "255.255.255.255/32")]
    [TestCase("10.0.0.0/8", false, 8, "10.0.0.0/8")]
    [TestCase("  10.0.0.0/8\t", false, 8, "10.0.0.0/8")]
    [TestCase("2001:db8::/32", true, 32, "2001:db8::/32")]
    [TestCase("2001:DB8:0:0::/32", true, 32, "2001:db8::/32")]
    [TestCase("::/0", true, 0, "::/0")]
    [TestCase("::1/128", true, 128, "::1/128")]
    [TestCase("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", true, 128, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")]
    [TestCase("2001:db8:0:1::/64", true, 64, "2001:db8:0:1::/64")]
    public void Parse_AndFormat(string text, bool v6, int length, string canonical)
    {
        Assert.That(IpPrefix.TryParse(text, out var p, out var error), Is.True, () => error ?? "");
        Assert.That(error, Is.Null);
        Assert.That(p.IsIPv6, Is.EqualTo(v6));
        Assert.That(p.IsIPv4, Is.EqualTo(!v6));
        Assert.That(p.FamilyBits, Is.EqualTo(v6 ? 128 : 32));
        Assert.That(p.Length, Is.EqualTo((byte)length));
        Assert.That(p.ToString(), Is.EqualTo(canonical));
        Assert.That(IpPrefix.Parse(canonical), Is.EqualTo(p), "format/parse round trip");
        Assert.That(IpPrefix.Parse(text), Is.EqualTo(p));
        Assert.That(IpPrefix.TryParse(text.AsSpan(), out var fromSpan, out _), Is.True);
        Assert.That(fromSpan, Is.EqualTo(p));
    }

    [Test]
    public void Parse_AddressBits_AreNetworkOrderIntegers()
    {
        Assert.That(IpPrefix.Parse("192.0.2.0/24").AddressBits, Is.EqualTo((UInt128)0xC0000200u));
        Assert.That(IpPrefix.Parse("128.0.0.0/1").AddressBits, Is.EqualTo((UInt128)0x80000000u));
        Assert.That(IpPrefix.Parse("8000::/1").AddressBits, Is.EqualTo(UInt128.One << 127));
        Assert.That(IpPrefix.Parse("::1/128").AddressBits, Is.EqualTo(UInt128.One));
        Assert.That(IpPrefix.Parse("2001:db8::/32").AddressBits, Is.EqualTo(new UInt128(0x20010DB800000000ul, 0)));
    }

    [TestCase("192.0.2.0", TestName = "no slash")]
    [TestCase("192.0.2.0/", TestName = "empty length")]
    [TestCase("192.0.2.0/33", TestName = "v4 length too long")]
    [TestCase("2001:db8::/129", TestName = "v6 length too long")]
    [TestCase("192.0.2.1/24", TestName = "v4 host bits")]
    [TestCase("2001:db8::1/64", TestName = "v6 host bits")]
    [TestCase("192.0.2.0/-1", TestName = "negative length")]
    [TestCase("192.0.2.0/+24", TestName = "plus sign")]
    [TestCase("192.0.2.0/ 24", TestName = "space before length")]
    [TestCase("010.0.0.0/8", TestName = "octal-looking octet")]
    [TestCase("0x0a.0.0.0/8", TestName = "hex octet")]
    [TestCase("167772160/8", TestName = "single-number IPv4")]
    [TestCase("10.0.0/24", TestName = "three octets")]
    [TestCase("256.0.0.0/8", TestName = "octet above 255")]
    [TestCase("10.0.0.0/008", TestName = "length with leading zeros")]
    [TestCase("192.0.2.0/1000", TestName = "four digits")]
    [TestCase("192.0.2.0/24/24", TestName = "two slashes")]
    [TestCase("192.0.2.0/0x18", TestName = "hex length")]
    [TestCase("300.0.0.0/8", TestName = "octet out of range")]
    [TestCase("hello/8", TestName = "garbage")]
    [TestCase("/8", TestName = "no address")]
    [TestCase("fe80::%eth0/64", TestName = "scope id name")]
    [TestCase("fe80::%1/64", TestName = "scope id number")]
    [TestCase("", TestName = "empty")]
    public void TryParse_RejectsInvalid(string text)
    {
        Assert.That(IpPrefix.TryParse(text, out var p, out var error), Is.False);
        Assert.That(error, Is.Not.Null.And.Not.Empty);
        Assert.That(p, Is.EqualTo(default(IpPrefix)));
        Assert.That(() => IpPrefix.Parse(text), Throws.TypeOf<FormatException>());
    }

    [TestCase("10.0.0.0/8", "10.0.0.0/8", true)]
    [TestCase("10.0.0.0/8", "10.1.0.0/16", true)]
    [TestCase("10.0.0.0/8", "10.255.255.255/32", true)]
    [TestCase("10.0.0.0/8", "11.0.0.0/16", false)]
    [TestCase("10.0.0.0/8", "10.0.0.0/7", false)]
    [TestCase("10.0.0.0/8", "9.255.255.255/32", false)]
    [TestCase("10.1.0.0/16", "10.0.0.0/8", false)]
    [TestCase("0.0.0.0/0", "255.255.255.255/32", true)]
    [TestCase("0.0.0.0/0", "0.0.0.0/0", true)]
    [TestCase("128.0.0.0/1", "192.0.2.0/24", true)]
    [TestCase("128.0.0.0/1", "127.0.0.0/8", false)]
    [TestCase("192.0.2.0/32", "192.0.2.0/32", true)]
    [TestCase("192.0.2.0/32", "192.0.2.1/32", false)]
    [TestCase("0.0.0.0/0", "::/0", false)]
    [TestCase("::/0", "0.0.0.0/0", false)]
    [TestCase("::/0", "::ffff:10.0.0.0/104", true)]
    [TestCase("0.0.0.0/0", "::ffff:10.0.0.0/104", false)]
    [TestCase("::/0", "ffff::/16", true)]
    [TestCase("2001:db8::/32", "2001:db8:ffff::/48", true)]
    [TestCase("2001:db8::/32", "2001:db9::/48", false)]
    [TestCase("2001:db8::/32", "2001:db8::/31", false)]
    [TestCase("2001:db8::/64", "2001:db8::1/128", true)]
    [TestCase("2001:db8::/64", "2001:db8:0:1::/64", false)]
    [TestCase("2001:db8:0:0:8000::/65", "2001:db8::/65", false)]
    [TestCase("2001:db8::1/128", "2001:db8::1/128", true)]
    [TestCase("8000::/1", "ffff::/16", true)]
    [TestCase("8000::/1", "7fff::/16", false)]
    public void Covers(string outer, string inner, bool expected)
    {
        Assert.That(IpPrefix.Parse(outer).Covers(IpPrefix.Parse(inner)), Is.EqualTo(expected));
    }

    [Test]
    public void Covers_RandomAgreesWithMaskDefinition()
    {
        var rng = new Random(17);
        for (int i = 0; i < 3000; i++)
        {
            bool v6 = rng.Next(2) == 0;
            int bits = v6 ? 128 : 32;
            UInt128 full = v6 ? UInt128.MaxValue : uint.MaxValue;
            var raw = new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64()) & full;
            int lo = rng.Next(0, bits + 1), li = rng.Next(0, bits + 1);
            UInt128 Mask(int len) => len == 0 ? UInt128.Zero : (full << (bits - len)) & full;
            var outer = new IpPrefix(v6, raw & Mask(lo), (byte)lo);
            var raw2 = rng.Next(2) == 0 ? raw : new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64()) & full;
            var inner = new IpPrefix(v6, raw2 & Mask(li), (byte)li);
            bool expected = li >= lo && (inner.AddressBits & Mask(lo)) == outer.AddressBits;
            Assert.That(outer.Covers(inner), Is.EqualTo(expected), () => $"{outer} covers {inner}");
        }
    }

    [Test]
    public void RecordEquality()
    {
        Assert.That(IpPrefix.Parse("10.0.0.0/8"), Is.EqualTo(IpPrefix.Parse("10.0.0.0/8")));
        Assert.That(IpPrefix.Parse("10.0.0.0/8"), Is.Not.EqualTo(IpPrefix.Parse("10.0.0.0/9")));
        Assert.That(IpPrefix.Parse("0.0.0.0/0"), Is.Not.EqualTo(IpPrefix.Parse("::/0")));
        Assert.That(IpPrefix.Parse("10.0.0.0/8").GetHashCode(), Is.EqualTo(IpPrefix.Parse("10.0.0.0/8").GetHashCode()));
    }
}
