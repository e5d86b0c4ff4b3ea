namespace RtrCache.Payload.Tests;

[TestFixture]
public class SerialTests
{
    private const uint Half = 2147483648u; // 2^31

    /// <summary>RFC 1982 §3.2 comparison written out literally: -1 (a before b), 0, 1, or null (undefined).</summary>
    private static int? ReferenceCompare(uint a, uint b)
    {
        long i1 = a, i2 = b;
        const long h = 1L << 31;
        if (i1 == i2) return 0;
        if ((i1 < i2 && i2 - i1 < h) || (i1 > i2 && i1 - i2 > h)) return -1;
        if ((i1 < i2 && i2 - i1 > h) || (i1 > i2 && i1 - i2 < h)) return 1;
        return null;
    }

    [Test]
    public void Next_WrapsFromMaxToZero()
    {
        Assert.That(new Serial(uint.MaxValue).Next().Value, Is.EqualTo(0u));
        Assert.That(new Serial(4294967294u).Next().Value, Is.EqualTo(4294967295u));
        Assert.That(new Serial(0).Next().Value, Is.EqualTo(1u));
        Assert.That(new Serial(Half - 1).Next().Value, Is.EqualTo(Half));
    }

    [Test]
    public void Next_IsAfterPrevious_EvenAcrossTheWrap()
    {
        foreach (uint v in new[] { 0u, 1u, Half - 1, Half, uint.MaxValue - 1, uint.MaxValue })
        {
            var s = new Serial(v);
            Assert.That(s.Next().IsAfter(s), Is.True, () => $"{v}");
            Assert.That(s.IsBefore(s.Next()), Is.True, () => $"{v}");
            Assert.That(s.DistanceTo(s.Next()), Is.EqualTo(1), () => $"{v}");
            Assert.That(s.Next() > s, Is.True, () => $"{v}");
        }
    }

    [TestCase(0u, 0u, 0u)]
    [TestCase(5u, 7u, 12u)]
    [TestCase(0u, 2147483647u, 2147483647u)]
    [TestCase(4294967295u, 1u, 0u)]
    [TestCase(4294967295u, 2u, 1u)]
    [TestCase(4294967000u, 2147483647u, 2147483351u)]
    public void Add_WrapsModulo2To32(uint start, uint n, uint expected)
    {
        Assert.That(new Serial(start).Add(n).Value, Is.EqualTo(expected));
    }

    [TestCase(2147483648u)]
    [TestCase(2147483649u)]
    [TestCase(4294967295u)]
    public void Add_RejectsTwoTo31AndAbove(uint n)
    {
        Assert.That(() => new Serial(1).Add(n), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Add_MaximumStepIsStillAfter()
    {
        var s = new Serial(123);
        var t = s.Add(int.MaxValue);
        Assert.That(t.IsAfter(s), Is.True);
        Assert.That(s.DistanceTo(t), Is.EqualTo(int.MaxValue));
    }

    [TestCase(0u, 0u, 0)]
    [TestCase(0u, 1u, 1)]
    [TestCase(1u, 0u, -1)]
    [TestCase(4294967295u, 0u, 1)]
    [TestCase(0u, 4294967295u, -1)]
    [TestCase(4294967294u, 1u, 3)]
    [TestCase(0u, 2147483647u, 2147483647)]
    [TestCase(2147483647u, 0u, -2147483647)]
    [TestCase(0u, 2147483649u, -2147483647)]
    [TestCase(2147483649u, 0u, 2147483647)]
    [TestCase(1u, 2147483648u, 2147483647)]
    [TestCase(4294967295u, 2147483646u, 2147483647)]
    [TestCase(4294967295u, 2147483648u, -2147483647)]
    public void DistanceTo_IsSignedRfc1982Distance(uint from, uint to, int expected)
    {
        Assert.That(new Serial(from).DistanceTo(new Serial(to)), Is.EqualTo(expected));
    }

    [TestCase(0u, 2147483648u)]
    [TestCase(2147483648u, 0u)]
    [TestCase(1u, 2147483649u)]
    [TestCase(2147483649u, 1u)]
    [TestCase(4294967295u, 2147483647u)]
    [TestCase(2147483647u, 4294967295u)]
    public void DistanceTo_ExactlyTwoTo31Apart_IsUndefined(uint a, uint b)
    {
        var s1 = new Serial(a);
        var s2 = new Serial(b);
        Assert.That(s1.DistanceTo(s2), Is.Null);
        Assert.That(s1.IsBefore(s2), Is.False);
        Assert.That(s1.IsAfter(s2), Is.False);
        Assert.That(s1 < s2, Is.False);
        Assert.That(s1 > s2, Is.False);
        Assert.That(s1 <= s2, Is.False);
        Assert.That(s1 >= s2, Is.False);
        Assert.That(s1 == s2, Is.False);
        Assert.That(s1 != s2, Is.True);
    }

    [TestCase(0u, 1u)]
    [TestCase(0u, 2147483647u)]
    [TestCase(4294967295u, 0u)]
    [TestCase(4294967295u, 2147483646u)]
    [TestCase(2147483648u, 4294967295u)]
    [TestCase(2147483648u, 1u)]
    [TestCase(2147483648u, 0u)] // undefined: neither before nor after
    [TestCase(3000000000u, 100u)]
    [TestCase(2147483649u, 0u)]
    public void Comparison_MatchesRfc1982(uint a, uint b)
    {
        int? expected = ReferenceCompare(a, b);
        var s1 = new Serial(a);
        var s2 = new Serial(b);
        Assert.That(s1.IsBefore(s2), Is.EqualTo(expected == -1));
        Assert.That(s1.IsAfter(s2), Is.EqualTo(expected == 1));
        Assert.That(s2.IsBefore(s1), Is.EqualTo(expected == 1));
        Assert.That(s2.IsAfter(s1), Is.EqualTo(expected == -1));
        Assert.That(s1 < s2, Is.EqualTo(expected == -1));
        Assert.That(s1 > s2, Is.EqualTo(expected == 1));
    }

    [Test]
    public void Comparison_NearHalfDistance()
    {
        var zero = new Serial(0);
        Assert.That(zero.IsBefore(new Serial(Half - 1)), Is.True, "2^31 - 1 ahead is after");
        Assert.That(zero.IsAfter(new Serial(Half + 1)), Is.True, "2^31 + 1 ahead is really 2^31 - 1 behind");
        Assert.That(zero.IsBefore(new Serial(Half)), Is.False);
        Assert.That(zero.IsAfter(new Serial(Half)), Is.False);

        // Plain uint order would say the opposite here.
        Assert.That(new Serial(uint.MaxValue).IsBefore(new Serial(5)), Is.True);
        Assert.That(new Serial(5).IsAfter(new Serial(uint.MaxValue)), Is.True);
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(20260101)]
    public void Comparison_RandomPairs_MatchReference(int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < 20000; i++)
        {
            uint a = (uint)rng.NextInt64(0, 1L << 32);
            uint b = rng.Next(4) switch
            {
                0 => (uint)rng.NextInt64(0, 1L << 32),
                1 => unchecked(a + Half + (uint)rng.Next(-3, 4)), // around the undefined point
                2 => unchecked(a + (uint)rng.Next(-3, 4)),        // close by
                _ => unchecked(a + Half),                          // exactly undefined
            };
            int? expected = ReferenceCompare(a, b);
            var s1 = new Serial(a);
            var s2 = new Serial(b);
            int? d = s1.DistanceTo(s2);
            if (expected is null)
            {
                Assert.That(d, Is.Null, () => $"{a} vs {b}");
            }
            else
            {
                Assert.That(d, Is.Not.Null, () => $"{a} vs {b}");
                Assert.That(Math.Sign(d!.Value), Is.EqualTo(-expected.Value), () => $"{a} vs {b}");
                Assert.That(unchecked(s1.Value + (uint)d.Value), Is.EqualTo(b), () => $"{a} + distance");
            }
            Assert.That(s1.IsBefore(s2), Is.EqualTo(expected == -1), () => $"{a} before {b}");
            Assert.That(s1.IsAfter(s2), Is.EqualTo(expected == 1), () => $"{a} after {b}");
            Assert.That(s1 <= s2, Is.EqualTo(expected is -1 or 0), () => $"{a} <= {b}");
            Assert.That(s1 >= s2, Is.EqualTo(expected is 1 or 0), () => $"{a} >= {b}");
        }
    }

    [Test]
    public void Equality_HashAndToString()
    {
        Serial a = 42u; // implicit conversion
        var b = new Serial(42);
        var c = new Serial(43);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a == b, Is.True);
        Assert.That(a != c, Is.True);
        Assert.That(a.Equals((object)b), Is.True);
        Assert.That(a.Equals((object)42u), Is.False);
        Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
        Assert.That(a <= b && a >= b, Is.True);
        Assert.That(new Serial(uint.MaxValue).ToString(), Is.EqualTo("4294967295"));
        Assert.That(default(Serial).Value, Is.EqualTo(0u));
    }

    [Test]
    public void SessionId_ValueAndToString()
    {
        var s = new SessionId(0x1234);
        Assert.That(s.Value, Is.EqualTo((ushort)0x1234));
        Assert.That(s.ToString(), Is.EqualTo("4660"));
        Assert.That(s, Is.EqualTo(new SessionId(0x1234)));
        Assert.That(s, Is.Not.EqualTo(new SessionId(0x1235)));
        // NewRandom yields values in range; over many draws it is not constant.
        var seen = new HashSet<ushort>();
        for (int i = 0; i < 50; i++) seen.Add(SessionId.NewRandom().Value);
        Assert.That(seen.Count, Is.GreaterThan(1));
    }
}
