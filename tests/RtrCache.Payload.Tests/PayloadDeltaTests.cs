namespace RtrCache.Payload.Tests;

[TestFixture]
public class PayloadDeltaTests
{
    private static readonly Vrp A4 = Make.V4("10.0.0.0/8", 8, 1);
    private static readonly Vrp B4 = Make.V4("10.0.0.0/8", 16, 1);
    private static readonly Vrp C4 = Make.V4("192.0.2.0/24", 24, 2);
    private static readonly Vrp D4 = Make.V4("198.51.100.0/24", 24, 2);
    private static readonly Vrp A6 = Make.V6("2001:db8::/32", 32, 1);
    private static readonly Vrp B6 = Make.V6("2001:db8::/32", 48, 1);
    private static readonly Vrp C6 = Make.V6("2001:db8:1::/48", 48, 3);

    [Test]
    public void Compute_IdenticalSets_IsEmpty()
    {
        var s = Make.Set([A4, A6], [Make.Key(1, 1, 1)], [Make.Aspa(1, 2)]);
        var t = Make.Set([A6, A4], [Make.Key(1, 1, 1)], [Make.Aspa(1, 2)]);
        var d = PayloadDelta.Compute(s, t);
        Assert.That(d.IsEmpty, Is.True);
        Assert.That(d.Count, Is.EqualTo(0));
        Assert.That(PayloadDelta.Compute(PayloadSet.Empty, PayloadSet.Empty).IsEmpty, Is.True);
        Assert.That(PayloadDelta.Empty.IsEmpty, Is.True);
    }

    [Test]
    public void Compute_VrpAnnouncementsAndWithdrawals()
    {
        var from = Make.Set([A4, B4, C4, A6, B6]);
        var to = Make.Set([B4, D4, C4, B6, C6]);
        var d = PayloadDelta.Compute(from, to);

        Assert.That(d.AnnouncedV4, Is.EqualTo(new[] { D4 }).AsCollection);
        Assert.That(d.WithdrawnV4, Is.EqualTo(new[] { A4 }).AsCollection);
        Assert.That(d.AnnouncedV6, Is.EqualTo(new[] { C6 }).AsCollection);
        Assert.That(d.WithdrawnV6, Is.EqualTo(new[] { A6 }).AsCollection);
        Assert.That(d.AnnouncedVrpCount, Is.EqualTo(2));
        Assert.That(d.WithdrawnVrpCount, Is.EqualTo(2));
        Assert.That(d.Count, Is.EqualTo(4));
        Assert.That(d.IsEmpty, Is.False);
        Assert.That(d.ToString(), Is.EqualTo("+2/-2 VRPs, +0/-0 router keys, 0 ASPA changes"));

        var r = RouterCopy.Of(from);
        r.Apply(d);
        r.AssertHolds(to, "apply");
    }

    [Test]
    public void Compute_FromEmpty_AnnouncesEverything_ToEmpty_WithdrawsEverything()
    {
        var full = Make.Set([C4, A4, B6, A6], [Make.Key(2, 1, 1), Make.Key(1, 1, 1)], [Make.Aspa(5, 6), Make.Aspa(3, 0)]);
        var up = PayloadDelta.Compute(PayloadSet.Empty, full);
        Assert.That(up.AnnouncedV4, Is.EqualTo(new[] { A4, C4 }).AsCollection);
        Assert.That(up.AnnouncedV6, Is.EqualTo(new[] { A6, B6 }).AsCollection);
        Assert.That(up.AnnouncedRouterKeys, Is.EqualTo(new[] { Make.Key(1, 1, 1), Make.Key(2, 1, 1) }).AsCollection);
        Assert.That(up.WithdrawnV4.Count + up.WithdrawnV6.Count + up.WithdrawnRouterKeys.Count, Is.EqualTo(0));
        Assert.That(up.AspaChanges.Select(c => c.Customer), Is.EqualTo(new uint[] { 3, 5 }).AsCollection);
        Assert.That(up.AspaChanges.All(c => c.Before is null && c.After is not null && c.IsAnnouncement), Is.True);

        var down = PayloadDelta.Compute(full, PayloadSet.Empty);
        Assert.That(down.WithdrawnV4, Is.EqualTo(new[] { A4, C4 }).AsCollection);
        Assert.That(down.WithdrawnV6, Is.EqualTo(new[] { A6, B6 }).AsCollection);
        Assert.That(down.WithdrawnRouterKeys, Has.Count.EqualTo(2));
        Assert.That(down.AnnouncedVrpCount + down.AnnouncedRouterKeys.Count, Is.EqualTo(0));
        Assert.That(down.AspaChanges.All(c => c.Before is not null && c.After is null && !c.IsAnnouncement), Is.True);
        Assert.That(down.AspaChanges, Has.Count.EqualTo(2));
    }

    [Test]
    public void Compute_RouterKeys_SameSkiNewKey_IsWithdrawPlusAnnounce()
    {
        var oldKey = Make.Key(1, 64496, 0x30, 0x01);
        var newKey = Make.Key(1, 64496, 0x30, 0x02);
        var kept = Make.Key(2, 64496, 0x30);
        var d = PayloadDelta.Compute(Make.Set(keys: [oldKey, kept]), Make.Set(keys: [kept, newKey]));
        Assert.That(d.AnnouncedRouterKeys, Is.EqualTo(new[] { newKey }).AsCollection);
        Assert.That(d.WithdrawnRouterKeys, Is.EqualTo(new[] { oldKey }).AsCollection);
        Assert.That(d.Count, Is.EqualTo(2));
    }

    [Test]
    public void Compute_AspaProviderChange_IsOneReplacement()
    {
        var before = Make.Aspa(64496, 64497);
        var after = Make.Aspa(64496, 64497, 64498);
        var d = PayloadDelta.Compute(Make.Set(aspas: [before]), Make.Set(aspas: [after]));

        Assert.That(d.AspaChanges, Has.Count.EqualTo(1));
        var c = d.AspaChanges[0];
        Assert.That(c.Customer, Is.EqualTo(64496u));
        Assert.That(c.Before, Is.EqualTo(before));
        Assert.That(c.After, Is.EqualTo(after));
        Assert.That(c.IsAnnouncement, Is.True);
        Assert.That(d.Count, Is.EqualTo(1));
    }

    [Test]
    public void Compute_AspaRemovedCustomer_IsWithdrawal_NewCustomer_IsAnnouncement()
    {
        var gone = Make.Aspa(10, 1);
        var kept = Make.Aspa(20, 1);
        var added = Make.Aspa(30, 0);
        var d = PayloadDelta.Compute(Make.Set(aspas: [gone, kept]), Make.Set(aspas: [kept, added]));

        Assert.That(d.AspaChanges, Has.Count.EqualTo(2));
        Assert.That(d.AspaChanges[0], Is.EqualTo(new AspaChange(10, gone, null)));
        Assert.That(d.AspaChanges[0].After, Is.Null);
        Assert.That(d.AspaChanges[0].IsAnnouncement, Is.False);
        Assert.That(d.AspaChanges[1], Is.EqualTo(new AspaChange(30, null, added)));
        Assert.That(d.AspaChanges[1].Before, Is.Null);
        Assert.That(d.AspaChanges[1].IsAnnouncement, Is.True);
    }

    [Test]
    public void Compute_AspaChangesAreCustomerAscending_AndMixed()
    {
        var from = Make.Set(aspas: [Make.Aspa(1, 2), Make.Aspa(3, 4), Make.Aspa(5, 6), Make.Aspa(7, 8)]);
        var to = Make.Set(aspas: [Make.Aspa(2, 9), Make.Aspa(3, 4), Make.Aspa(5, 0), Make.Aspa(7, 8, 9), Make.Aspa(9, 1)]);
        var d = PayloadDelta.Compute(from, to);
        Assert.That(d.AspaChanges.Select(c => c.Customer), Is.EqualTo(new uint[] { 1, 2, 5, 7, 9 }).AsCollection);
        Assert.That(d.AspaChanges.Select(c => c.IsAnnouncement), Is.EqualTo(new[] { false, true, true, true, true }).AsCollection);
        Assert.That(d.AspaChanges[2].Before!.Providers, Is.EqualTo(new uint[] { 6 }).AsCollection);
        Assert.That(d.AspaChanges[2].After!.Providers, Is.EqualTo(new uint[] { 0 }).AsCollection);

        var r = RouterCopy.Of(from);
        r.Apply(d);
        r.AssertHolds(to, "apply");
    }

    [Test]
    public void Compose_AnnounceThenWithdraw_Cancels()
    {
        var s0 = Make.Set([A4], [], [Make.Aspa(1, 2)]);
        var s1 = Make.Set([A4, B4, A6], [Make.Key(1, 1, 1)], [Make.Aspa(1, 2), Make.Aspa(5, 6)]);
        var d = PayloadDelta.Compose(PayloadDelta.Compute(s0, s1), PayloadDelta.Compute(s1, s0));
        Assert.That(d.IsEmpty, Is.True, d.ToString());
    }

    [Test]
    public void Compose_WithdrawThenReannounce_Cancels()
    {
        var s0 = Make.Set([A4, A6], [Make.Key(1, 1, 1)], [Make.Aspa(1, 2)]);
        var s1 = Make.Set([], [], []);
        var d = PayloadDelta.Compose(PayloadDelta.Compute(s0, s1), PayloadDelta.Compute(s1, s0));
        Assert.That(d.IsEmpty, Is.True, d.ToString());
    }

    [Test]
    public void Compose_AspaChangedAndChangedBack_Cancels()
    {
        var s0 = Make.Set(aspas: [Make.Aspa(1, 2)]);
        var s1 = Make.Set(aspas: [Make.Aspa(1, 2, 3)]);
        var d = PayloadDelta.Compose(PayloadDelta.Compute(s0, s1), PayloadDelta.Compute(s1, s0));
        Assert.That(d.IsEmpty, Is.True);
    }

    [Test]
    public void Compose_AspaTwoChanges_IsOneReplacementFromFirstToLast()
    {
        var s0 = Make.Set(aspas: [Make.Aspa(1, 2)]);
        var s1 = Make.Set(aspas: [Make.Aspa(1, 2, 3)]);
        var s2 = Make.Set(aspas: [Make.Aspa(1, 4)]);
        var d = PayloadDelta.Compose(PayloadDelta.Compute(s0, s1), PayloadDelta.Compute(s1, s2));
        Assert.That(d.AspaChanges, Has.Count.EqualTo(1));
        Assert.That(d.AspaChanges[0].Before, Is.EqualTo(Make.Aspa(1, 2)));
        Assert.That(d.AspaChanges[0].After, Is.EqualTo(Make.Aspa(1, 4)));
    }

    [Test]
    public void Compose_AspaWithdrawnThenReannouncedDifferently_IsOneReplacement()
    {
        var s0 = Make.Set(aspas: [Make.Aspa(1, 2)]);
        var s1 = PayloadSet.Empty;
        var s2 = Make.Set(aspas: [Make.Aspa(1, 3)]);
        var d = PayloadDelta.Compose(PayloadDelta.Compute(s0, s1), PayloadDelta.Compute(s1, s2));
        Assert.That(d.AspaChanges, Has.Count.EqualTo(1));
        Assert.That(d.AspaChanges[0].Before, Is.EqualTo(Make.Aspa(1, 2)));
        Assert.That(d.AspaChanges[0].After, Is.EqualTo(Make.Aspa(1, 3)));
    }

    [Test]
    public void Compose_AspaNewThenRemoved_Cancels()
    {
        var s0 = PayloadSet.Empty;
        var s1 = Make.Set(aspas: [Make.Aspa(1, 2)]);
        var d = PayloadDelta.Compose(PayloadDelta.Compute(s0, s1), PayloadDelta.Compute(s1, s0));
        Assert.That(d.IsEmpty, Is.True);
    }

    [Test]
    public void Compose_WithEmpty_ReturnsOther()
    {
        var d = PayloadDelta.Compute(Make.Set([A4]), Make.Set([B4]));
        Assert.That(PayloadDelta.Compose(PayloadDelta.Empty, d), Is.SameAs(d));
        Assert.That(PayloadDelta.Compose(d, PayloadDelta.Empty), Is.SameAs(d));
    }

    [Test]
    public void Compose_DisjointChanges_Merges()
    {
        var s0 = Make.Set([A4, C4, A6], [Make.Key(1, 1, 1)], [Make.Aspa(1, 2), Make.Aspa(9, 2)]);
        var s1 = Make.Set([B4, C4, A6], [Make.Key(1, 1, 1), Make.Key(3, 1, 1)], [Make.Aspa(1, 2), Make.Aspa(9, 2, 3)]);
        var s2 = Make.Set([B4, D4, B6], [Make.Key(3, 1, 1)], [Make.Aspa(1, 2, 5), Make.Aspa(9, 2, 3)]);
        var composed = PayloadDelta.Compose(PayloadDelta.Compute(s0, s1), PayloadDelta.Compute(s1, s2));
        Make.AssertSameDelta(composed, PayloadDelta.Compute(s0, s2), "compose vs compute");
        DeltaShape.AssertCanonical(composed, "composed");
        var r = RouterCopy.Of(s0);
        r.Apply(composed);
        r.AssertHolds(s2, "apply");
    }

    [TestCase(31)]
    [TestCase(32)]
    [TestCase(33)]
    [TestCase(34)]
    public void Compose_RandomChains_EqualDirectCompute(int seed)
    {
        var rng = new Random(seed);
        uint[] asns = [0, 1, 2];
        var vrpPool = Enumerable.Range(0, 40).Select(i => i % 2 == 0 ? Make.RandomV4(rng, asns) : Make.RandomV6(rng, asns)).ToArray();
        byte[][] skis = [Make.Ski(1), Make.Ski(2)];
        var keyPool = Enumerable.Range(0, 10).Select(_ => Make.RandomKey(rng, skis)).ToArray();

        PayloadSet RandomSet() => PayloadSet.Create(
            vrpPool.Where(_ => rng.Next(2) == 0),
            keyPool.Where(_ => rng.Next(2) == 0),
            Enumerable.Range(1, 6).Where(_ => rng.Next(3) != 0)
                .Select(c => Aspa.Merge((uint)c, Enumerable.Range(0, rng.Next(1, 4)).Select(_ => (uint)rng.Next(0, 9)))!)
                .Where(a => a is not null));

        for (int round = 0; round < 30; round++)
        {
            var sets = Enumerable.Range(0, rng.Next(2, 7)).Select(_ => RandomSet()).ToList();
            var composed = PayloadDelta.Compute(sets[0], sets[1]);
            for (int i = 2; i < sets.Count; i++)
                composed = PayloadDelta.Compose(composed, PayloadDelta.Compute(sets[i - 1], sets[i]));
            var direct = PayloadDelta.Compute(sets[0], sets[^1]);
            Make.AssertSameDelta(composed, direct, $"round {round}");
            DeltaShape.AssertCanonical(composed, $"round {round}");
            var r = RouterCopy.Of(sets[0]);
            r.Apply(composed, $"round {round}");
            r.AssertHolds(sets[^1], $"round {round}");
        }
    }
}
