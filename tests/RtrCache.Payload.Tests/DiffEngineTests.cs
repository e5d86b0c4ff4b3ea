namespace RtrCache.Payload.Tests;

[TestFixture]
public class DiffEngineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A distinct payload set for step <paramref name="i"/>: one VRP whose ASN is the step number.</summary>
    private static PayloadSet SetNo(int i) => PayloadSet.Create([Vrp.V4(0x0A000000, 8, 8, (uint)i)]);

    [Test]
    public void Constructor_Defaults_AndBounds()
    {
        Assert.That(DiffEngine.DefaultHistorySize, Is.EqualTo(24));
        Assert.That(new DiffEngine().HistorySize, Is.EqualTo(24));
        Assert.That(new DiffEngine(0).HistorySize, Is.EqualTo(0));
        Assert.That(new DiffEngine(100_000).HistorySize, Is.EqualTo(100_000));
        Assert.That(() => new DiffEngine(-1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new DiffEngine(100_001), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Start_HasNoHistory()
    {
        var payload = SetNo(1);
        var snap = new DiffEngine().Start(payload, 77, T0);
        Assert.That(snap.Serial, Is.EqualTo(new Serial(77)));
        Assert.That(snap.Payload, Is.SameAs(payload));
        Assert.That(snap.CreatedAt, Is.EqualTo(T0));
        Assert.That(snap.History, Is.Empty);
        Assert.That(snap.DeltaFrom(77)!.IsEmpty, Is.True);
        Assert.That(snap.DeltaFrom(76), Is.Null);
        Assert.That(snap.DeltaFrom(78), Is.Null);
    }

    [Test]
    public void Advance_EqualSet_ReturnsSameSnapshot_NoNewSerial()
    {
        var engine = new DiffEngine();
        var s0 = engine.Start(Make.Set([Make.V4("10.0.0.0/8", 8, 1)], [Make.Key(1, 1, 1)], [Make.Aspa(1, 2, 3)]), 5, T0);
        // A different instance with the same content (built from differently shaped input).
        var equal = Make.Set([Make.V4("10.0.0.0/8", 8, 1), Make.V4("10.0.0.0/8", 8, 1)], [Make.Key(1, 1, 1)], [Make.Aspa(1, 3), Make.Aspa(1, 2)]);
        Assert.That(equal, Is.Not.SameAs(s0.Payload));

        var s1 = engine.Advance(s0, equal, T0.AddMinutes(1));
        Assert.That(s1, Is.SameAs(s0));
        Assert.That(s1.Serial, Is.EqualTo(new Serial(5)));
        Assert.That(s1.CreatedAt, Is.EqualTo(T0));

        // Also after some history exists.
        var s2 = engine.Advance(s0, SetNo(9), T0.AddMinutes(2));
        Assert.That(engine.Advance(s2, SetNo(9), T0.AddMinutes(3)), Is.SameAs(s2));
    }

    [Test]
    public void Advance_IncrementsSerialByExactlyOne()
    {
        var engine = new DiffEngine();
        var snap = engine.Start(SetNo(0), 1000, T0);
        for (int i = 1; i <= 10; i++)
        {
            var next = engine.Advance(snap, SetNo(i), T0.AddMinutes(i));
            Assert.That(next, Is.Not.SameAs(snap));
            Assert.That(next.Serial.Value, Is.EqualTo(snap.Serial.Value + 1));
            Assert.That(next.Serial.IsAfter(snap.Serial), Is.True);
            Assert.That(next.CreatedAt, Is.EqualTo(T0.AddMinutes(i)));
            Assert.That(next.Payload, Is.EqualTo(SetNo(i)));
            snap = next;
        }
        Assert.That(snap.Serial.Value, Is.EqualTo(1010u));
    }

    [Test]
    public void Advance_HistoryNewestFirst()
    {
        var engine = new DiffEngine(5);
        var snap = engine.Start(SetNo(0), 10, T0);
        for (int i = 1; i <= 3; i++) snap = engine.Advance(snap, SetNo(i), T0);
        Assert.That(snap.Serial.Value, Is.EqualTo(13u));
        Assert.That(snap.History.Select(h => h.From.Value), Is.EqualTo(new uint[] { 12, 11, 10 }).AsCollection);
    }

    [Test]
    public void DefaultHistory_Keeps24Serials()
    {
        var engine = new DiffEngine();
        var sets = new Dictionary<uint, PayloadSet>();
        var snap = engine.Start(SetNo(0), 0, T0);
        sets[0] = SetNo(0);
        for (int i = 1; i <= 30; i++)
        {
            snap = engine.Advance(snap, SetNo(i), T0);
            sets[snap.Serial.Value] = SetNo(i);
            Assert.That(snap.History, Has.Count.EqualTo(Math.Min(i, 24)));
        }
        Assert.That(snap.Serial.Value, Is.EqualTo(30u));
        for (uint s = 0; s <= 30; s++)
        {
            var d = snap.DeltaFrom(s);
            if (s < 30 - 24)
            {
                Assert.That(d, Is.Null, () => $"serial {s} is older than the history");
                continue;
            }
            Assert.That(d, Is.Not.Null, () => $"serial {s} is retained");
            var r = RouterCopy.Of(sets[s]);
            r.Apply(d!, $"from {s}");
            r.AssertHolds(snap.Payload, $"from {s}");
        }
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(7)]
    public void SmallHistory_DropsOlderSerials(int historySize)
    {
        var engine = new DiffEngine(historySize);
        var snap = engine.Start(SetNo(0), 500, T0);
        for (int i = 1; i <= 10; i++) snap = engine.Advance(snap, SetNo(i), T0);
        Assert.That(snap.Serial.Value, Is.EqualTo(510u));
        Assert.That(snap.History, Has.Count.EqualTo(historySize));
        for (uint s = 500; s < 510; s++)
            Assert.That(snap.DeltaFrom(s) is not null, Is.EqualTo(s >= 510 - historySize), () => $"serial {s}");
    }

    [Test]
    public void ZeroHistory_OnlyCurrentSerialWorks()
    {
        var engine = new DiffEngine(0);
        var s0 = engine.Start(SetNo(0), 1, T0);
        var s1 = engine.Advance(s0, SetNo(1), T0);
        Assert.That(s1.Serial.Value, Is.EqualTo(2u));
        Assert.That(s1.History, Is.Empty);
        Assert.That(s1.DeltaFrom(1), Is.Null);
        Assert.That(s1.DeltaFrom(2)!.IsEmpty, Is.True);
    }

    [Test]
    public void DeltaFrom_CurrentIsEmpty_UnknownAndFutureAreNull()
    {
        var engine = new DiffEngine();
        var snap = engine.Start(SetNo(0), 100, T0);
        for (int i = 1; i <= 3; i++) snap = engine.Advance(snap, SetNo(i), T0);

        var current = snap.DeltaFrom(103);
        Assert.That(current, Is.Not.Null);
        Assert.That(current!.IsEmpty, Is.True);
        Assert.That(current.Count, Is.EqualTo(0));

        Assert.That(snap.DeltaFrom(104), Is.Null, "future serial");
        Assert.That(snap.DeltaFrom(200), Is.Null, "far future serial");
        Assert.That(snap.DeltaFrom(99), Is.Null, "before the session started");
        Assert.That(snap.DeltaFrom(0), Is.Null, "unrelated serial");
        Assert.That(snap.DeltaFrom(uint.MaxValue), Is.Null, "unrelated serial");
        Assert.That(snap.DeltaFrom(100), Is.Not.Null);
    }

    [Test]
    public void Wraparound_SerialsAndDeltasSurviveTheWrap()
    {
        var engine = new DiffEngine();
        var sets = new List<PayloadSet>
        {
            Make.Set([Make.V4("10.0.0.0/8", 8, 1)], [], [Make.Aspa(1, 2)]),
            Make.Set([Make.V4("10.0.0.0/8", 8, 1), Make.V6("2001:db8::/32", 32, 1)], [Make.Key(1, 1, 1)], [Make.Aspa(1, 2, 3)]),
            Make.Set([Make.V6("2001:db8::/32", 32, 1)], [Make.Key(1, 1, 1)], [Make.Aspa(1, 2, 3), Make.Aspa(5, 0)]),
            Make.Set([Make.V4("10.0.0.0/8", 8, 1), Make.V4("192.0.2.0/24", 24, 2)], [], [Make.Aspa(5, 0)]),
        };
        var snap = engine.Start(sets[0], 4294967294u, T0);
        var serials = new List<uint> { snap.Serial.Value };
        for (int i = 1; i < sets.Count; i++)
        {
            var prev = snap;
            snap = engine.Advance(snap, sets[i], T0.AddMinutes(i));
            serials.Add(snap.Serial.Value);
            Assert.That(snap.Serial.IsAfter(prev.Serial), Is.True, () => $"{snap.Serial} after {prev.Serial}");
            Assert.That(prev.Serial < snap.Serial, Is.True);
        }
        Assert.That(serials, Is.EqualTo(new uint[] { 4294967294, 4294967295, 0, 1 }).AsCollection);
        Assert.That(snap.History.Select(h => h.From.Value), Is.EqualTo(new uint[] { 0, 4294967295, 4294967294 }).AsCollection);

        for (int i = 0; i < serials.Count; i++)
        {
            var d = snap.DeltaFrom(serials[i]);
            Assert.That(d, Is.Not.Null, () => $"from {serials[i]}");
            var r = RouterCopy.Of(sets[i]);
            r.Apply(d!, $"from {serials[i]}");
            r.AssertHolds(snap.Payload, $"from {serials[i]}");
            Make.AssertSameDelta(d!, PayloadDelta.Compute(sets[i], snap.Payload), $"from {serials[i]}");
        }
        Assert.That(snap.DeltaFrom(4294967293u), Is.Null);
        Assert.That(snap.DeltaFrom(2), Is.Null);
    }

    [Test]
    public void Wraparound_HistoryWindowAcrossTheWrap()
    {
        var engine = new DiffEngine(3);
        var snap = engine.Start(SetNo(0), 4294967293u, T0);
        for (int i = 1; i <= 6; i++) snap = engine.Advance(snap, SetNo(i), T0);
        Assert.That(snap.Serial.Value, Is.EqualTo(3u)); // 4294967293 + 6 mod 2^32
        Assert.That(snap.History.Select(h => h.From.Value), Is.EqualTo(new uint[] { 2, 1, 0 }).AsCollection);
        Assert.That(snap.DeltaFrom(4294967295u), Is.Null);
        Assert.That(snap.DeltaFrom(0), Is.Not.Null);
    }

    [Test]
    public void Advance_ItemAddedThenRemoved_NotInNetDelta()
    {
        var engine = new DiffEngine();
        var baseSet = Make.Set([Make.V4("10.0.0.0/8", 8, 1)], [], [Make.Aspa(1, 2)]);
        var transient = Make.Set([Make.V4("10.0.0.0/8", 8, 1), Make.V6("2001:db8::/32", 32, 9)], [Make.Key(7, 7, 7)], [Make.Aspa(1, 2), Make.Aspa(8, 9)]);
        var s0 = engine.Start(baseSet, 1, T0);
        var s1 = engine.Advance(s0, transient, T0);
        var s2 = engine.Advance(s1, Make.Set([Make.V4("10.0.0.0/8", 8, 1), Make.V4("192.0.2.0/24", 24, 1)], [], [Make.Aspa(1, 2)]), T0);
        var d = s2.DeltaFrom(1)!;
        Assert.That(d.AnnouncedV4, Is.EqualTo(new[] { Make.V4("192.0.2.0/24", 24, 1) }).AsCollection);
        Assert.That(d.Count, Is.EqualTo(1), d.ToString());
    }

    [Test]
    public void Restore_RoundTrips()
    {
        var engine = new DiffEngine();
        var snap = engine.Start(SetNo(0), 10, T0);
        for (int i = 1; i <= 4; i++) snap = engine.Advance(snap, SetNo(i), T0.AddHours(i));
        var restored = PayloadSnapshot.Restore(snap.Serial, snap.Payload, snap.History, snap.CreatedAt);
        Assert.That(restored.Serial, Is.EqualTo(snap.Serial));
        Assert.That(restored.Payload, Is.SameAs(snap.Payload));
        Assert.That(restored.CreatedAt, Is.EqualTo(snap.CreatedAt));
        Assert.That(restored.History, Is.EqualTo(snap.History).AsCollection);
        var next = engine.Advance(restored, SetNo(5), T0);
        Assert.That(next.Serial.Value, Is.EqualTo(15u));
        var r = RouterCopy.Of(SetNo(0));
        r.Apply(next.DeltaFrom(10)!);
        r.AssertHolds(SetNo(5), "after restore");
        Assert.That(snap.ToString(), Does.StartWith("serial 14:").And.EndWith("4 deltas retained"));
    }

    [Test]
    public void Restore_WithLongerHistoryThanEngine_IsTrimmed()
    {
        var big = new DiffEngine(10);
        var snap = big.Start(SetNo(0), 10, T0);
        for (int i = 1; i <= 8; i++) snap = big.Advance(snap, SetNo(i), T0);
        var small = new DiffEngine(3);
        var next = small.Advance(snap, SetNo(9), T0);
        Assert.That(next.History.Select(h => h.From.Value), Is.EqualTo(new uint[] { 18, 17, 16 }).AsCollection);
    }
}
