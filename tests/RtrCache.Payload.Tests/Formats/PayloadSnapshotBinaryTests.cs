using RtrCache.Payload.Formats;

namespace RtrCache.Payload.Tests.Formats;

/// <summary>
/// The persisted form of a snapshot: exact sizes (it is meant to be compact), round trips, and that anything
/// damaged or inconsistent is refused with a reason instead of reaching a router.
/// </summary>
[TestFixture]
public class PayloadSnapshotBinaryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 10, 0, 0, 123, TimeSpan.Zero);

    private static PayloadSet SetA() => Make.Set(
        [Make.V4("192.0.2.0/24", 24, 64496), Make.V4("198.51.100.0/22", 24, 64497), Make.V6("2001:db8::/32", 48, 64496)],
        [Make.Key(1, 64496, 0x30, 0x59, 1)],
        [Make.Aspa(64496, 64497, 64498), Make.Aspa(64500, 0)]);

    private static PayloadSet SetB() => Make.Set(
        [Make.V4("192.0.2.0/24", 24, 64496), Make.V4("203.0.113.0/24", 24, 64499), Make.V6("2001:db8::/32", 48, 64496)],
        [],
        [Make.Aspa(64496, 64497), Make.Aspa(64501, 64502)]);

    private static PayloadSet SetC() => Make.Set(
        [Make.V4("203.0.113.0/24", 24, 64499), Make.V6("2001:db8:1::/48", 48, 64510)],
        [Make.Key(2, 64499, 7, 7)],
        [Make.Aspa(64496, 64497)]);

    private static PayloadSnapshot ThreeSerials(int historySize = 24)
    {
        var engine = new DiffEngine(historySize);
        var s = engine.Start(SetA(), 41, T0);
        s = engine.Advance(s, SetB(), T0.AddMinutes(1));
        return engine.Advance(s, SetC(), T0.AddMinutes(2));
    }

    [Test]
    public void Empty_snapshot_is_header_and_five_counts()
    {
        var snap = new DiffEngine().Start(PayloadSet.Empty, 7, T0);
        var bytes = PayloadSnapshotBinary.ToArray(snap);
        Assert.That(bytes, Has.Length.EqualTo(4 + 8 + 4 * 4 + 4));
        Assert.That(bytes[..4], Is.EqualTo(new byte[] { 0, 0, 0, 7 }), "serial, big-endian");
        Assert.That(PayloadSnapshotBinary.TryRead(bytes, new DiffEngine(), out var back, out var error), Is.True, error);
        Assert.That(back!.Serial.Value, Is.EqualTo(7u));
        Assert.That(back.CreatedAt, Is.EqualTo(T0));
        Assert.That(back.Payload, Is.EqualTo(PayloadSet.Empty));
        Assert.That(back.History, Is.Empty);
    }

    [Test]
    public void Vrps_take_10_and_22_bytes()
    {
        var set = Make.Set([Make.V4("192.0.2.0/24", 24, 64496), Make.V4("10.0.0.0/8", 8, 1), Make.V6("2001:db8::/32", 48, 64496)]);
        var bytes = PayloadSnapshotBinary.ToArray(new DiffEngine().Start(set, 1, T0));
        Assert.That(bytes, Has.Length.EqualTo(4 + 8 + 4 * 4 + 4 + 2 * 10 + 22));
    }

    [Test]
    public void Round_trip_keeps_serial_set_and_every_net_delta()
    {
        var snap = ThreeSerials();
        Assert.That(snap.Serial.Value, Is.EqualTo(43u));
        Assert.That(PayloadSnapshotBinary.TryRead(PayloadSnapshotBinary.ToArray(snap), new DiffEngine(), out var back, out var error), Is.True, error);
        Assert.That(back!.Serial, Is.EqualTo(snap.Serial));
        Assert.That(back.Payload, Is.EqualTo(SetC()));
        Assert.That(back.History.Select(h => h.From.Value), Is.EqualTo(new uint[] { 42, 41 }).AsCollection);
        Make.AssertSameDelta(back.DeltaFrom(42)!, PayloadDelta.Compute(SetB(), SetC()), "from 42");
        Make.AssertSameDelta(back.DeltaFrom(41)!, PayloadDelta.Compute(SetA(), SetC()), "from 41");
    }

    [Test]
    public void Steps_are_the_single_updates_newest_first()
    {
        var steps = ThreeSerials().Steps();
        Assert.That(steps.Select(s => s.From.Value), Is.EqualTo(new uint[] { 42, 41 }).AsCollection);
        Make.AssertSameDelta(steps[0].Delta, PayloadDelta.Compute(SetB(), SetC()), "step 42 -> 43");
        Make.AssertSameDelta(steps[1].Delta, PayloadDelta.Compute(SetA(), SetB()), "step 41 -> 42");
    }

    [Test]
    public void Inverse_undoes_a_delta()
    {
        var d = PayloadDelta.Compute(SetA(), SetC());
        var router = RouterCopy.Of(SetC());
        router.Apply(d.Inverse(), "inverse");
        router.AssertHolds(SetA(), "after the inverse");
        Assert.That(PayloadDelta.Compose(d, d.Inverse()).IsEmpty, Is.True);
        Assert.That(PayloadDelta.Empty.Inverse(), Is.SameAs(PayloadDelta.Empty));
    }

    [Test]
    public void A_smaller_history_size_drops_the_oldest_serials()
    {
        var bytes = PayloadSnapshotBinary.ToArray(ThreeSerials());
        Assert.That(PayloadSnapshotBinary.TryRead(bytes, new DiffEngine(1), out var back, out var error), Is.True, error);
        Assert.That(back!.History.Select(h => h.From.Value), Is.EqualTo(new uint[] { 42 }).AsCollection);
        Assert.That(PayloadSnapshotBinary.TryRead(bytes, new DiffEngine(0), out back, out error), Is.True, error);
        Assert.That(back!.History, Is.Empty);
    }

    [Test]
    public void Every_truncation_is_refused_without_an_exception()
    {
        var bytes = PayloadSnapshotBinary.ToArray(ThreeSerials());
        for (int n = 0; n < bytes.Length; n++)
        {
            Assert.That(PayloadSnapshotBinary.TryRead(bytes.AsSpan(0, n), new DiffEngine(), out var snap, out var error), Is.False, $"first {n} bytes accepted");
            Assert.That(snap, Is.Null);
            Assert.That(error, Is.Not.Empty);
        }
        var longer = bytes.Concat(new byte[] { 0 }).ToArray();
        Assert.That(PayloadSnapshotBinary.TryRead(longer, new DiffEngine(), out _, out var trailing), Is.False);
        Assert.That(trailing, Does.Contain("after the end"));
    }

    [Test]
    public void Every_single_byte_change_is_refused_or_still_consistent()
    {
        // Without the file's checksum a flipped byte may still decode; what must never happen is an exception or
        // a snapshot whose deltas do not lead to its set.
        var bytes = PayloadSnapshotBinary.ToArray(ThreeSerials());
        for (int i = 0; i < bytes.Length; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x80, 0xFF })
            {
                var copy = (byte[])bytes.Clone();
                copy[i] ^= flip;
                if (!PayloadSnapshotBinary.TryRead(copy, new DiffEngine(), out var snap, out _)) continue;
                foreach (var h in snap!.History)
                    Assert.That(h.Delta.CheckLeadsTo(snap.Payload), Is.Null, $"byte {i} ^ {flip:X2}: delta from {h.From}");
            }
        }
    }

    [Test]
    public void A_count_larger_than_the_data_is_refused_before_allocating()
    {
        var bytes = PayloadSnapshotBinary.ToArray(new DiffEngine().Start(PayloadSet.Empty, 1, T0));
        bytes[12] = 0x7F; // the IPv4 VRP count's high byte
        Assert.That(PayloadSnapshotBinary.TryRead(bytes, new DiffEngine(), out _, out var error), Is.False);
        Assert.That(error, Does.Contain("cannot fit"));
    }

    [Test]
    public void A_history_that_does_not_lead_to_the_set_is_refused()
    {
        var engine = new DiffEngine();
        var wrong = PayloadDelta.Compute(SetA(), SetB());
        Assert.That(engine.TryRestore(43, SetC(), [new SerialDelta(42, wrong)], T0, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("net delta from serial 42 to 43"));
    }

    [TestCase(43u, "not before serial 43")]
    [TestCase(44u, "not before serial 43")]
    public void History_serials_must_run_backwards(uint from, string expected)
    {
        var step = PayloadDelta.Compute(SetB(), SetC());
        Assert.That(new DiffEngine().TryRestore(43, SetC(), [new SerialDelta(from, step)], T0, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(expected));
    }

    [Test]
    public void History_serials_may_wrap()
    {
        var step = PayloadDelta.Compute(SetB(), SetC());
        Assert.That(new DiffEngine().TryRestore(1, SetC(), [new SerialDelta(uint.MaxValue, step)], T0, out var snap, out var error), Is.True, error);
        Assert.That(snap!.DeltaFrom(uint.MaxValue), Is.Not.Null);
    }

    [Test]
    public void Sorted_sets_are_checked_not_sorted()
    {
        var a = Make.V4("10.0.0.0/8", 8, 1);
        var b = Make.V4("192.0.2.0/24", 24, 1);
        var six = Make.V6("2001:db8::/32", 32, 1);
        Assert.That(PayloadSet.TryCreateSorted([a, b], [six], [], [], out var set, out var error), Is.True, error);
        Assert.That(set!.VrpCount, Is.EqualTo(3));
        Assert.That(PayloadSet.TryCreateSorted([b, a], [], [], [], out _, out error), Is.False);
        Assert.That(error, Does.Contain("IPv4 VRPs not strictly ascending"));
        Assert.That(PayloadSet.TryCreateSorted([a, a], [], [], [], out _, out error), Is.False);
        Assert.That(PayloadSet.TryCreateSorted([six], [], [], [], out _, out error), Is.False);
        Assert.That(error, Does.Contain("among the IPv4"));
        Assert.That(PayloadSet.TryCreateSorted([], [], [], [Make.Aspa(5, 6), Make.Aspa(5, 7)], out _, out error), Is.False);
        Assert.That(error, Does.Contain("ASPAs"));
    }
}
