namespace RtrCache.Payload.Tests;

[TestFixture]
public class PayloadSetTests
{
    [Test]
    public void Empty_HasNothing()
    {
        var e = PayloadSet.Empty;
        Assert.That(e.VrpCount, Is.EqualTo(0));
        Assert.That(e.V4Count, Is.EqualTo(0));
        Assert.That(e.V6Count, Is.EqualTo(0));
        Assert.That(e.RouterKeyCount, Is.EqualTo(0));
        Assert.That(e.AspaCount, Is.EqualTo(0));
        Assert.That(e.Vrps, Is.Empty);
        Assert.That(e.FindAspa(0), Is.Null);
        Assert.That(e.Contains(default), Is.False);
        Assert.That(new PayloadSetBuilder().Build(), Is.EqualTo(e));
        Assert.That(PayloadSet.Create([]), Is.EqualTo(e));
    }

    [Test]
    public void Builder_DeduplicatesAndSortsVrps()
    {
        var a4 = Make.V4("10.0.0.0/8", 8, 1);
        var b4 = Make.V4("10.0.0.0/8", 16, 1);
        var c4 = Make.V4("192.0.2.0/24", 24, 2);
        var a6 = Make.V6("2001:db8::/32", 32, 1);
        var b6 = Make.V6("2001:db8::/32", 48, 1);

        var set = new PayloadSetBuilder()
            .Add(b6).Add(c4).Add(a4).Add(c4).Add(a6).Add(b4).Add(a4).Add(b6).Add(a6)
            .Build();

        Assert.That(set.V4.ToArray(), Is.EqualTo(new[] { a4, b4, c4 }).AsCollection);
        Assert.That(set.V6.ToArray(), Is.EqualTo(new[] { a6, b6 }).AsCollection);
        Assert.That(set.Vrps, Is.EqualTo(new[] { a4, b4, c4, a6, b6 }).AsCollection);
        Assert.That(set.V4Count, Is.EqualTo(3));
        Assert.That(set.V6Count, Is.EqualTo(2));
        Assert.That(set.VrpCount, Is.EqualTo(5));
    }

    [Test]
    public void Builder_DeduplicatesAndSortsRouterKeys()
    {
        var k1 = Make.Key(1, 10, 1, 2);
        var k2 = Make.Key(1, 10, 1, 3);
        var k3 = Make.Key(2, 10, 1);
        var set = new PayloadSetBuilder()
            .Add(k3).Add(Make.Key(1, 10, 1, 2)).Add(k2).Add(k1).Add(Make.Key(2, 10, 1))
            .Build();
        Assert.That(set.RouterKeys.ToArray(), Is.EqualTo(new[] { k1, k2, k3 }).AsCollection);
        Assert.That(set.RouterKeyCount, Is.EqualTo(3));
    }

    [Test]
    public void Builder_MergesSeveralAspaObjectsPerCustomer()
    {
        var set = new PayloadSetBuilder()
            .Add(Make.Aspa(300, 5, 7))
            .Add(Make.Aspa(100, 3))
            .Add(Make.Aspa(300, 1, 5))
            .AddAspa(100, [9, 2, 9])
            .Add(Make.Aspa(200, 0))          // AS0 alone stays
            .Add(Make.Aspa(400, 0))          // AS0 with others: dropped
            .Add(Make.Aspa(400, 8))
            .AddAspa(500, [500])             // only the customer itself: customer not served
            .AddAspa(600, [])                // nothing at all: customer not served
            .Build();

        Assert.That(set.AspaCount, Is.EqualTo(4));
        Assert.That(set.Aspas.ToArray().Select(a => a.Customer), Is.EqualTo(new uint[] { 100, 200, 300, 400 }).AsCollection);
        Assert.That(set.FindAspa(100)!.Providers, Is.EqualTo(new uint[] { 2, 3, 9 }).AsCollection);
        Assert.That(set.FindAspa(200)!.Providers, Is.EqualTo(new uint[] { 0 }).AsCollection);
        Assert.That(set.FindAspa(300)!.Providers, Is.EqualTo(new uint[] { 1, 5, 7 }).AsCollection);
        Assert.That(set.FindAspa(400)!.Providers, Is.EqualTo(new uint[] { 8 }).AsCollection);
        Assert.That(set.FindAspa(500), Is.Null);
        Assert.That(set.FindAspa(600), Is.Null);
    }

    [Test]
    public void Builder_AspaUnionTooLarge_DropsCustomer()
    {
        var b = new PayloadSetBuilder();
        b.AddAspa(1, Enumerable.Range(2, 10000).Select(i => (uint)i));
        b.AddAspa(1, Enumerable.Range(10002, Aspa.MaxProviders - 10000 + 1).Select(i => (uint)i));
        b.Add(Make.Aspa(7, 8));
        var set = b.Build();
        Assert.That(set.FindAspa(1), Is.Null);
        Assert.That(set.FindAspa(7), Is.Not.Null);
    }

    [Test]
    public void Builder_Count_CountsRawInput()
    {
        var b = new PayloadSetBuilder();
        Assert.That(b.Count, Is.EqualTo(0));
        b.Add(Make.V4("10.0.0.0/8", 8, 1)).Add(Make.V4("10.0.0.0/8", 8, 1)).Add(Make.V6("::/0", 0, 1));
        b.Add(Make.Key(1, 1, 1));
        b.Add(Make.Aspa(1, 2)).Add(Make.Aspa(1, 3)).Add(Make.Aspa(5, 2));
        Assert.That(b.Count, Is.EqualTo(3 + 1 + 2));
    }

    [Test]
    public void Create_IsIndependentOfInputOrder_AndEqual()
    {
        var rng = new Random(21);
        uint[] asns = [0, 1, 2, 3];
        var vrps = Enumerable.Range(0, 300).Select(i => i % 2 == 0 ? Make.RandomV4(rng, asns) : Make.RandomV6(rng, asns)).ToList();
        byte[][] skis = [Make.Ski(1), Make.Ski(2), Make.Ski(3)];
        var keys = Enumerable.Range(0, 30).Select(_ => Make.RandomKey(rng, skis)).ToList();
        var aspas = Enumerable.Range(0, 40).Select(_ => Make.Aspa((uint)rng.Next(1, 15), (uint)rng.Next(20, 30))).ToList();

        var first = PayloadSet.Create(vrps, keys, aspas);
        Make.Shuffle(rng, vrps);
        Make.Shuffle(rng, keys);
        Make.Shuffle(rng, aspas);
        var second = PayloadSet.Create(vrps.Concat(vrps.Take(50)), keys.Concat(keys.Take(5)), aspas.Concat(aspas.Take(5)));

        Assert.That(second, Is.EqualTo(first));
        Assert.That(second.Equals((object)first), Is.True);
        Assert.That(second.GetHashCode(), Is.EqualTo(first.GetHashCode()));
        Assert.That(second.Vrps, Is.EqualTo(first.Vrps).AsCollection);

        // Canonical: strictly ascending, families separated, v4 first.
        var v4 = first.V4.ToArray();
        var v6 = first.V6.ToArray();
        Assert.That(v4.All(v => v.IsIPv4), Is.True);
        Assert.That(v6.All(v => v.IsIPv6), Is.True);
        for (int i = 1; i < v4.Length; i++) Assert.That(v4[i - 1] < v4[i], Is.True);
        for (int i = 1; i < v6.Length; i++) Assert.That(v6[i - 1] < v6[i], Is.True);
        var k = first.RouterKeys.ToArray();
        for (int i = 1; i < k.Length; i++) Assert.That(k[i - 1].CompareTo(k[i]), Is.LessThan(0));
        var a = first.Aspas.ToArray();
        for (int i = 1; i < a.Length; i++) Assert.That(a[i - 1].Customer, Is.LessThan(a[i].Customer));
        Assert.That(first.VrpCount, Is.EqualTo(vrps.Distinct().Count()));
        Assert.That(first.RouterKeyCount, Is.EqualTo(keys.Distinct().Count()));
        Assert.That(first.AspaCount, Is.EqualTo(aspas.Select(x => x.Customer).Distinct().Count()));
    }

    [Test]
    public void Equals_DetectsEachKindOfDifference()
    {
        var v = Make.V4("10.0.0.0/8", 8, 1);
        var w = Make.V6("2001:db8::/32", 32, 1);
        var k = Make.Key(1, 1, 1);
        var a = Make.Aspa(1, 2, 3);
        var baseSet = Make.Set([v, w], [k], [a]);

        Assert.That(baseSet, Is.EqualTo(Make.Set([w, v], [k], [a])));
        Assert.That(baseSet.Equals(baseSet), Is.True);
        Assert.That(baseSet.Equals((object)"x"), Is.False);

        Assert.That(baseSet, Is.Not.EqualTo(Make.Set([v], [k], [a])), "missing v6");
        Assert.That(baseSet, Is.Not.EqualTo(Make.Set([w], [k], [a])), "missing v4");
        Assert.That(baseSet, Is.Not.EqualTo(Make.Set([v, w, Make.V4("10.0.0.0/8", 9, 1)], [k], [a])), "extra vrp");
        Assert.That(baseSet, Is.Not.EqualTo(Make.Set([v, w], [], [a])), "missing key");
        Assert.That(baseSet, Is.Not.EqualTo(Make.Set([v, w], [Make.Key(1, 1, 2)], [a])), "other SPKI");
        Assert.That(baseSet, Is.Not.EqualTo(Make.Set([v, w], [k], [])), "missing ASPA");
        Assert.That(baseSet, Is.Not.EqualTo(Make.Set([v, w], [k], [Make.Aspa(1, 2)])), "other provider set, same customer");
        Assert.That(baseSet, Is.Not.EqualTo(Make.Set([v, w], [k], [Make.Aspa(9, 2, 3)])), "other customer, same providers");
        Assert.That(baseSet, Is.EqualTo(Make.Set([v, w], [k], [Make.Aspa(1, 3), Make.Aspa(1, 2)])), "merged objects equal the union");
        Assert.That(baseSet.Equals(null), Is.False);
    }

    [Test]
    public void FindAspa_BinarySearchOverManyCustomers()
    {
        var customers = Enumerable.Range(0, 101).Select(i => (uint)(i * 3 + 1)).ToList(); // 1, 4, 7 …
        customers.Add(4294967295);
        var set = Make.Set(aspas: customers.Select(c => Make.Aspa(c, c == 2 ? 3u : 2u)));
        foreach (var c in customers)
        {
            var found = set.FindAspa(c);
            Assert.That(found, Is.Not.Null, () => $"AS{c}");
            Assert.That(found!.Customer, Is.EqualTo(c));
        }
        foreach (uint absent in new uint[] { 0, 2, 3, 5, 302, 303, 304, 1000, 4294967294 })
            Assert.That(set.FindAspa(absent), Is.Null, () => $"AS{absent}");

        var single = Make.Set(aspas: [Make.Aspa(10, 1)]);
        Assert.That(single.FindAspa(10), Is.Not.Null);
        Assert.That(single.FindAspa(9), Is.Null);
        Assert.That(single.FindAspa(11), Is.Null);
    }

    [Test]
    public void Contains_FindsExactVrpsOnly()
    {
        var rng = new Random(4);
        uint[] asns = [1, 2];
        var members = Enumerable.Range(0, 200).Select(i => i % 3 == 0 ? Make.RandomV6(rng, asns) : Make.RandomV4(rng, asns)).Distinct().ToList();
        var set = PayloadSet.Create(members);
        foreach (var m in members) Assert.That(set.Contains(m), Is.True, () => m.ToString());

        int checkedAbsent = 0;
        for (int i = 0; i < 500; i++)
        {
            var candidate = i % 2 == 0 ? Make.RandomV4(rng, [1, 2, 3]) : Make.RandomV6(rng, [1, 2, 3]);
            Assert.That(set.Contains(candidate), Is.EqualTo(members.Contains(candidate)), () => candidate.ToString());
            if (!members.Contains(candidate)) checkedAbsent++;
        }
        Assert.That(checkedAbsent, Is.GreaterThan(0));

        var v4 = Make.V4("0.0.0.0/0", 0, 0);
        var onlyV4 = PayloadSet.Create([v4]);
        Assert.That(onlyV4.Contains(v4), Is.True);
        Assert.That(onlyV4.Contains(Vrp.V6(0, 0, 0, 0)), Is.False, "same bits, other family");
        Assert.That(onlyV4.Contains(Make.V4("0.0.0.0/0", 1, 0)), Is.False, "other max length");
        Assert.That(onlyV4.Contains(Make.V4("0.0.0.0/0", 0, 1)), Is.False, "other ASN");
    }

    [Test]
    public void ToString_Summarises()
    {
        var s = Make.Set([Make.V4("10.0.0.0/8", 8, 1)], [Make.Key(1, 1, 1)], [Make.Aspa(1, 2)]);
        Assert.That(s.ToString(), Is.EqualTo("1 IPv4 VRPs, 0 IPv6 VRPs, 1 router keys, 1 ASPAs"));
    }
}
