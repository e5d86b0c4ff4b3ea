using System.Collections.Immutable;

namespace RtrCache.Payload.Tests;

[TestFixture]
public class AspaTests
{
    private static ImmutableArray<uint> Arr(params uint[] values) => [.. values];

    [Test]
    public void Create_Valid()
    {
        var a = Aspa.Create(64496, [64497, 64498]);
        Assert.That(a.Customer, Is.EqualTo(64496u));
        Assert.That(a.Providers, Is.EqualTo(new uint[] { 64497, 64498 }).AsCollection);
        Assert.That(a.ToString(), Is.EqualTo("AS64496 => [AS64497, AS64498]"));
    }

    [Test]
    public void Create_As0Alone_IsValid()
    {
        var a = Aspa.Create(64496, [0]);
        Assert.That(a.Providers, Is.EqualTo(new uint[] { 0 }).AsCollection);
    }

    [Test]
    public void Create_ExactlyMaxProviders_IsValid()
    {
        Assert.That(Aspa.MaxProviders, Is.EqualTo(16380));
        var providers = Enumerable.Range(1, Aspa.MaxProviders).Select(i => (uint)i).ToArray();
        Assert.That(Aspa.TryCreate(100000, [.. providers], out var a, out var error), Is.True, () => error ?? "");
        Assert.That(a!.Providers.Length, Is.EqualTo(16380));
    }

    [Test]
    public void TryCreate_RejectsEmpty()
    {
        Assert.That(Aspa.TryCreate(1, ImmutableArray<uint>.Empty, out var a, out var e), Is.False);
        Assert.That(a, Is.Null);
        Assert.That(e, Is.Not.Null.And.Not.Empty);
        Assert.That(Aspa.TryCreate(1, default, out _, out e), Is.False, "default ImmutableArray");
        Assert.That(e, Is.Not.Null);
        Assert.That(() => Aspa.Create(1, []), Throws.ArgumentException);
    }

    [TestCase(new uint[] { 3, 2 }, TestName = "unsorted pair")]
    [TestCase(new uint[] { 1, 5, 4, 9 }, TestName = "unsorted in the middle")]
    [TestCase(new uint[] { 5, 5 }, TestName = "duplicate")]
    [TestCase(new uint[] { 1, 2, 2, 3 }, TestName = "duplicate in the middle")]
    [TestCase(new uint[] { 0, 5 }, TestName = "AS0 with others")]
    [TestCase(new uint[] { 0, 1, 2 }, TestName = "AS0 with several others")]
    [TestCase(new uint[] { 5, 0 }, TestName = "AS0 last, unsorted")]
    [TestCase(new uint[] { 64496 }, TestName = "customer alone")]
    [TestCase(new uint[] { 1, 64496, 70000 }, TestName = "customer in the middle")]
    [TestCase(new uint[] { 1, 2, 64496 }, TestName = "customer last")]
    public void TryCreate_RejectsInvalidProviders(uint[] providers)
    {
        Assert.That(Aspa.TryCreate(64496, Arr(providers), out var a, out var e), Is.False);
        Assert.That(a, Is.Null);
        Assert.That(e, Is.Not.Null.And.Not.Empty);
        Assert.That(() => Aspa.Create(64496, providers), Throws.ArgumentException);
    }

    [Test]
    public void TryCreate_RejectsMoreThanMaxProviders()
    {
        var providers = Enumerable.Range(1, Aspa.MaxProviders + 1).Select(i => (uint)i).ToArray();
        Assert.That(Aspa.TryCreate(100000, [.. providers], out var a, out var e), Is.False);
        Assert.That(a, Is.Null);
        Assert.That(e, Is.Not.Null);
    }

    [Test]
    public void TryCreate_CustomerZero_WithAs0Provider_IsRejected()
    {
        // {0} for customer 0 would list the customer among its providers.
        Assert.That(Aspa.TryCreate(0, Arr(0), out _, out _), Is.False);
        Assert.That(Aspa.TryCreate(0, Arr(1, 2), out var ok, out _), Is.True);
        Assert.That(ok!.Customer, Is.EqualTo(0u));
    }

    [Test]
    public void Merge_UnionSortedUnique()
    {
        var m = Aspa.Merge(10, [30, 20, 30, 1, 20, 4294967295]);
        Assert.That(m, Is.Not.Null);
        Assert.That(m!.Customer, Is.EqualTo(10u));
        Assert.That(m.Providers, Is.EqualTo(new uint[] { 1, 20, 30, 4294967295 }).AsCollection);
        // The result always satisfies the invariants.
        Assert.That(Aspa.TryCreate(10, m.Providers, out _, out var e), Is.True, () => e ?? "");
    }

    [Test]
    public void Merge_DropsAs0WhenOthersExist()
    {
        Assert.That(Aspa.Merge(10, [0, 5])!.Providers, Is.EqualTo(new uint[] { 5 }).AsCollection);
        Assert.That(Aspa.Merge(10, [7, 0, 0, 5])!.Providers, Is.EqualTo(new uint[] { 5, 7 }).AsCollection);
    }

    [Test]
    public void Merge_KeepsAs0Alone()
    {
        Assert.That(Aspa.Merge(10, [0])!.Providers, Is.EqualTo(new uint[] { 0 }).AsCollection);
        Assert.That(Aspa.Merge(10, [0, 0, 0])!.Providers, Is.EqualTo(new uint[] { 0 }).AsCollection);
    }

    [Test]
    public void Merge_DropsCustomerItself()
    {
        Assert.That(Aspa.Merge(10, [10, 5])!.Providers, Is.EqualTo(new uint[] { 5 }).AsCollection);
        // Customer and AS0: the customer goes, AS0 remains as the only element.
        Assert.That(Aspa.Merge(10, [10, 0])!.Providers, Is.EqualTo(new uint[] { 0 }).AsCollection);
        // Customer, AS0 and another provider: only the other provider stays.
        Assert.That(Aspa.Merge(10, [10, 0, 3])!.Providers, Is.EqualTo(new uint[] { 3 }).AsCollection);
        Assert.That(Aspa.Merge(10, [10]), Is.Null);
        Assert.That(Aspa.Merge(10, [10, 10]), Is.Null);
    }

    [Test]
    public void Merge_EmptyIsNull()
    {
        Assert.That(Aspa.Merge(10, []), Is.Null);
    }

    [Test]
    public void Merge_TooManyProviders_IsNull_ExactlyMaxIsKept()
    {
        var exactly = Enumerable.Range(1, Aspa.MaxProviders).Select(i => (uint)i).ToList();
        Assert.That(Aspa.Merge(100000, exactly)!.Providers.Length, Is.EqualTo(Aspa.MaxProviders));

        // With AS0 among them it is dropped, so MaxProviders + AS0 still fits.
        Assert.That(Aspa.Merge(100000, exactly.Append(0u))!.Providers.Length, Is.EqualTo(Aspa.MaxProviders));
        // With the customer among them it is dropped too.
        Assert.That(Aspa.Merge(5, exactly.Append(16381u))!.Providers.Length, Is.EqualTo(Aspa.MaxProviders));

        Assert.That(Aspa.Merge(100000, exactly.Append(16381u)), Is.Null);
    }

    [Test]
    public void Equality_ComparesCustomerAndProviders_OrderByCustomerOnly()
    {
        var a = Aspa.Create(10, [1, 2]);
        var b = Aspa.Merge(10, [2, 1])!;
        var c = Aspa.Create(10, [1, 3]);
        var d = Aspa.Create(11, [1, 2]);

        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.Equals((object)b), Is.True);
        Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
        Assert.That(a.ProvidersEqual(b), Is.True);
        Assert.That(a, Is.Not.EqualTo(c));
        Assert.That(a.ProvidersEqual(c), Is.False);
        Assert.That(a, Is.Not.EqualTo(d));
        Assert.That(a.ProvidersEqual(d), Is.True);

        Assert.That(a.CompareTo(c), Is.EqualTo(0), "one record per customer: order ignores providers");
        Assert.That(a.CompareTo(d), Is.LessThan(0));
        Assert.That(d.CompareTo(a), Is.GreaterThan(0));
        Assert.That(a.CompareTo(null), Is.GreaterThan(0));
        Assert.That(Aspa.Create(4294967295, [1]).CompareTo(Aspa.Create(0, [1])), Is.GreaterThan(0), "unsigned customer order");
        Assert.That(a.Equals(null), Is.False);
    }

    [Test]
    public void Create_CopiesInput()
    {
        var providers = new uint[] { 1, 2, 3 };
        var a = Aspa.Create(10, providers);
        providers[0] = 99;
        Assert.That(a.Providers, Is.EqualTo(new uint[] { 1, 2, 3 }).AsCollection);
    }
}
