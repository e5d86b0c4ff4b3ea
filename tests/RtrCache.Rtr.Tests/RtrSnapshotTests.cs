using RtrCache.Payload;
using RtrCache.Rtr.Cache;
using RtrCache.Rtr.Protocol;
using static RtrCache.Rtr.Tests.Bytes;

namespace RtrCache.Rtr.Tests;

/// <summary>rtr.md §6: current serial ⇒ empty body, retained serial ⇒ net delta, anything else ⇒ reset.</summary>
[TestFixture]
public class RtrSnapshotTests
{
    private static readonly SessionIds Sessions = new(new SessionId(100), new SessionId(200), new SessionId(300));
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A chain of snapshots with the payload set each serial held.</summary>
    private static (PayloadSnapshot Current, List<(Serial Serial, PayloadSet Set)> Past) Chain(int seed, uint startSerial, int steps, int historySize)
    {
        var rng = new Random(seed);
        var engine = new DiffEngine(historySize);
        var set = RandomPayload.Set(rng, 60, 6, 8);
        var snapshot = engine.Start(set, startSerial, Now);
        var past = new List<(Serial, PayloadSet)>();
        for (int i = 0; i < steps; i++)
        {
            past.Add((snapshot.Serial, snapshot.Payload));
            PayloadSet next;
            do next = RandomPayload.Mutate(snapshot.Payload, rng);
            while (next.Equals(snapshot.Payload));
            snapshot = engine.Advance(snapshot, next, Now.AddMinutes(i + 1));
        }
        return (snapshot, past);
    }

    [Test]
    public void Full_IsEncodedOnce_PerVersion()
    {
        var (current, _) = Chain(1, 10, 3, 5);
        var rtr = new RtrSnapshot(current, Sessions, RtrTimers.Default);
        for (byte v = 0; v <= 2; v++)
        {
            var first = rtr.Full(v);
            Assert.That(rtr.Full(v), Is.SameAs(first), $"v{v}");
            Assert.That(rtr.Full(v), Is.SameAs(first), $"v{v} third call");
        }
        Assert.That(rtr.Full(0), Is.Not.SameAs(rtr.Full(1)));
        Assert.That(rtr.Full(1), Is.Not.SameAs(rtr.Full(2)));
    }

    [Test]
    public void Prepare_EncodesTheSameInstancesFullReturns()
    {
        var (current, _) = Chain(2, 10, 1, 5);
        var rtr = new RtrSnapshot(current, Sessions, RtrTimers.Default);
        rtr.Prepare(2);
        var f = new[] { rtr.Full(0), rtr.Full(1), rtr.Full(2) };
        rtr.Prepare(2);
        Assert.That(rtr.Full(0), Is.SameAs(f[0]));
        Assert.That(rtr.Full(1), Is.SameAs(f[1]));
        Assert.That(rtr.Full(2), Is.SameAs(f[2]));
    }

    [Test]
    public void Properties_ComeFromTheSnapshot()
    {
        var (current, _) = Chain(3, 10, 2, 5);
        var timers = new RtrTimers(900, 300, 3600);
        var rtr = new RtrSnapshot(current, Sessions, timers);
        Assert.That(rtr.Payload, Is.SameAs(current));
        Assert.That(rtr.Sessions, Is.SameAs(Sessions));
        Assert.That(rtr.Timers, Is.EqualTo(timers));
        Assert.That(rtr.Serial, Is.EqualTo(new Serial(12)));
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void Full_DecodesToTheVersionsView_InOrder(byte version)
    {
        var (current, _) = Chain(4, 10, 2, 5);
        var rtr = new RtrSnapshot(current, Sessions, RtrTimers.Default);
        var body = rtr.Full(version);
        var pdus = DecodeAll(body.Bytes);
        Assert.That(pdus, Has.Count.EqualTo(body.PduCount));
        Assert.That(pdus.Sum(p => p.Length), Is.EqualTo(body.Length));
        P.AssertSection11Order(pdus);
        var router = new StrictRouter(PayloadSet.Empty, version);
        router.Apply(pdus);
        Assert.That(router.ToSet(), Is.EqualTo(P.ForVersion(current.Payload, version)));
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void DeltaFrom_CurrentSerial_IsEmpty(byte version)
    {
        var (current, _) = Chain(5, 10, 3, 5);
        var rtr = new RtrSnapshot(current, Sessions, RtrTimers.Default);
        var body = rtr.DeltaFrom(current.Serial, version);
        Assert.That(body, Is.SameAs(EncodedPayload.Empty));
        Assert.That(body!.PduCount, Is.Zero);
        Assert.That(body.Length, Is.Zero);
    }

    [TestCase((byte)0)]
    [TestCase((byte)1)]
    [TestCase((byte)2)]
    public void DeltaFrom_UnknownSerial_IsNull(byte version)
    {
        // History of 3: serials 10..14 were current before 15; only 12, 13, 14 are retained.
        var (current, past) = Chain(6, 10, 5, 3);
        Assert.That(current.Serial, Is.EqualTo(new Serial(15)));
        Assert.That(past.Select(p => p.Serial.Value), Is.EqualTo(new uint[] { 10, 11, 12, 13, 14 }).AsCollection);
        var rtr = new RtrSnapshot(current, Sessions, RtrTimers.Default);
        Assert.That(rtr.DeltaFrom(10, version), Is.Null, "older than the history");
        Assert.That(rtr.DeltaFrom(11, version), Is.Null, "older than the history");
        Assert.That(rtr.DeltaFrom(16, version), Is.Null, "in the future");
        Assert.That(rtr.DeltaFrom(0, version), Is.Null);
        Assert.That(rtr.DeltaFrom(uint.MaxValue, version), Is.Null);
        Assert.That(rtr.DeltaFrom(12, version), Is.Not.Null);
    }

    private static IEnumerable<TestCaseData> DeltaCases()
    {
        foreach (byte v in new byte[] { 1, 2, 0 })
            foreach (int seed in new[] { 11, 12, 13, 14 })
                yield return new TestCaseData(v, seed, seed == 13 ? uint.MaxValue - 3 : 1000u).SetName($"DeltaFrom_EveryRetainedSerial_v{v}_seed{seed}");
    }

    [TestCaseSource(nameof(DeltaCases))]
    public void DeltaFrom_EveryRetainedSerial_AppliesStrictlyToTheCurrentSet(byte version, int seed, uint start)
    {
        var (current, past) = Chain(seed, start, 8, 24);
        var rtr = new RtrSnapshot(current, Sessions, RtrTimers.Default);
        Assert.That(current.History, Has.Count.EqualTo(8));
        foreach (var (serial, oldSet) in past)
        {
            var body = rtr.DeltaFrom(serial, version);
            Assert.That(body, Is.Not.Null, $"serial {serial} is retained");
            Assert.That(rtr.DeltaFrom(serial, version), Is.SameAs(body), "each delta is encoded once");
            var pdus = DecodeAll(body!.Bytes);
            Assert.That(pdus, Has.Count.EqualTo(body.PduCount), $"from {serial}");
            Assert.That(pdus.Sum(p => p.Length), Is.EqualTo(body.Length));
            P.AssertSection11Order(pdus);
            var router = new StrictRouter(oldSet, version);
            router.Apply(pdus);
            Assert.That(router.ToSet(), Is.EqualTo(P.ForVersion(current.Payload, version)), $"v{version} from serial {serial} to {current.Serial}");
        }
    }

    [Test]
    public void DeltaFrom_ItemAddedThenRemoved_IsNotSent()
    {
        var engine = new DiffEngine();
        var a = P.Vrp("192.0.2.0/24", 24, 64496);
        var b = P.Vrp("198.51.100.0/24", 24, 64497);
        var c = P.Vrp("203.0.113.0/24", 24, 64498);
        var s0 = engine.Start(PayloadSet.Create([a], aspas: [Aspa.Create(10, [11])]), 1, Now);
        var s1 = engine.Advance(s0, PayloadSet.Create([a, b], aspas: [Aspa.Create(10, [12])]), Now);
        var s2 = engine.Advance(s1, PayloadSet.Create([a, c], aspas: [Aspa.Create(10, [11])]), Now);
        var rtr = new RtrSnapshot(s2, Sessions, RtrTimers.Default);
        var pdus = DecodeAll(rtr.DeltaFrom(1, 2)!.Bytes);
        Assert.That(pdus.Select(p => P.Describe(p)), Is.EqualTo(new[] { "4+ 203.0.113.0/24-24 AS64498" }).AsCollection,
            "b came and went, ASPA AS10 ended where it started: only c is new");
        var fromS1 = DecodeAll(rtr.DeltaFrom(2, 2)!.Bytes);
        Assert.That(fromS1.Select(p => P.Describe(p)), Is.EqualTo(new[]
        {
            "4+ 203.0.113.0/24-24 AS64498",
            "4- 198.51.100.0/24-24 AS64497",
            "11+ AS10 [11]",
        }).AsCollection);
    }
}
