namespace RtrCache.Payload.Tests;

[TestFixture]
public class RouterKeyTests
{
    [Test]
    public void Create_Valid()
    {
        var ski = Make.Ski(0xAB, 0xCD);
        var k = RouterKey.Create(ski, 64496, [0x30, 0x59, 0x01]);
        Assert.That(k.Ski, Is.EqualTo(ski).AsCollection);
        Assert.That(k.Asn, Is.EqualTo(64496u));
        Assert.That(k.SubjectPublicKeyInfo, Is.EqualTo(new byte[] { 0x30, 0x59, 0x01 }).AsCollection);
        Assert.That(k.ToString(), Does.StartWith("AB000000").And.Contain("AS64496").And.Contain("3-byte key"));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(19)]
    [TestCase(21)]
    [TestCase(32)]
    public void SkiLength_Not20_IsRejected(int length)
    {
        Assert.That(RouterKey.SkiLength, Is.EqualTo(20));
        var ski = new byte[length];
        Assert.That(RouterKey.TryCreate(ski, 1, [1], out var k, out var e), Is.False);
        Assert.That(k, Is.Null);
        Assert.That(e, Is.Not.Null.And.Not.Empty);
        Assert.That(() => RouterKey.Create(ski, 1, [1]), Throws.ArgumentException);
    }

    [Test]
    public void SpkiLength_Bounds()
    {
        var ski = Make.Ski(1);
        Assert.That(RouterKey.TryCreate(ski, 1, [], out _, out var e), Is.False, "empty SPKI");
        Assert.That(e, Is.Not.Null);
        Assert.That(RouterKey.MaxSpkiLength, Is.EqualTo(65535 - 32));
        Assert.That(RouterKey.TryCreate(ski, 1, new byte[RouterKey.MaxSpkiLength], out var max, out e), Is.True, () => e ?? "");
        Assert.That(max!.SubjectPublicKeyInfo.Length, Is.EqualTo(RouterKey.MaxSpkiLength));
        Assert.That(RouterKey.TryCreate(ski, 1, new byte[RouterKey.MaxSpkiLength + 1], out _, out e), Is.False, "SPKI too long");
        Assert.That(e, Is.Not.Null);
    }

    [Test]
    public void Create_CopiesInput()
    {
        var ski = Make.Ski(1);
        var spki = new byte[] { 1, 2, 3 };
        var k = RouterKey.Create(ski, 1, spki);
        ski[0] = 9;
        spki[0] = 9;
        Assert.That(k.Ski[0], Is.EqualTo((byte)1));
        Assert.That(k.SubjectPublicKeyInfo[0], Is.EqualTo((byte)1));
    }

    [Test]
    public void Ordering_SkiThenSpkiLengthThenSpkiBytesThenAsn()
    {
        var expected = new[]
        {
            RouterKey.Create(Make.Ski(0x00, 0x00), 9, [0xFF, 0xFF, 0xFF]),
            RouterKey.Create(Make.Ski(0x00, 0x01), 1, [0x00]),           // SKI last byte decides
            RouterKey.Create(Make.Ski(0x7F), 9, [0xFF]),
            RouterKey.Create(Make.Ski(0x80), 9, [0xFF]),                 // unsigned bytes: 0x80 after 0x7F
            RouterKey.Create(Make.Ski(0x90), 9, [0xFF]),                 // SPKI length 1 …
            RouterKey.Create(Make.Ski(0x90), 1, [0x00, 0x00]),           // … before length 2 even with smaller bytes and ASN
            RouterKey.Create(Make.Ski(0x90), 9, [0x00, 0x01]),           // same length: bytes decide
            RouterKey.Create(Make.Ski(0x90), 0, [0x00, 0x80]),
            RouterKey.Create(Make.Ski(0x90), 1, [0x00, 0x80]),           // same SKI and SPKI: ASN decides
            RouterKey.Create(Make.Ski(0x90), 4294967295, [0x00, 0x80]),
            RouterKey.Create(Make.Ski(0xFF, 0xFF), 0, [0x00]),
        };
        for (int i = 1; i < expected.Length; i++)
        {
            Assert.That(expected[i - 1].CompareTo(expected[i]), Is.LessThan(0), () => $"#{i - 1} < #{i}");
            Assert.That(expected[i].CompareTo(expected[i - 1]), Is.GreaterThan(0), () => $"#{i} > #{i - 1}");
        }
        var rng = new Random(3);
        for (int round = 0; round < 20; round++)
        {
            var list = expected.ToList();
            Make.Shuffle(rng, list);
            list.Sort();
            Assert.That(list, Is.EqualTo(expected).AsCollection);
        }
        Assert.That(expected[0].CompareTo(null), Is.GreaterThan(0));
    }

    [Test]
    public void Equality_IsWholeTuple()
    {
        var a = RouterKey.Create(Make.Ski(1), 10, [1, 2, 3]);
        var same = RouterKey.Create(Make.Ski(1), 10, [1, 2, 3]);
        Assert.That(a, Is.EqualTo(same));
        Assert.That(a.Equals((object)same), Is.True);
        Assert.That(a.GetHashCode(), Is.EqualTo(same.GetHashCode()));
        Assert.That(a.CompareTo(same), Is.EqualTo(0));

        var others = new[]
        {
            RouterKey.Create(Make.Ski(2), 10, [1, 2, 3]),    // SKI
            RouterKey.Create(Make.Ski(1), 11, [1, 2, 3]),    // ASN
            RouterKey.Create(Make.Ski(1), 10, [1, 2, 4]),    // same SKI, other key bytes
            RouterKey.Create(Make.Ski(1), 10, [1, 2, 3, 0]), // longer key
        };
        foreach (var o in others)
        {
            Assert.That(a, Is.Not.EqualTo(o), o.ToString());
            Assert.That(a.CompareTo(o), Is.Not.EqualTo(0), o.ToString());
        }
        Assert.That(new HashSet<RouterKey>([a, same, .. others]), Has.Count.EqualTo(5));
        Assert.That(a.Equals(null), Is.False);
    }
}
