namespace RtrCache.Payload;

/// <summary>
/// A change of one customer's ASPA record between two payload sets. Both ends are kept because two changes
/// compose into nothing when the record ends up as it started (announce then withdraw, or a provider set
/// changed and changed back), which a router must never see.
/// </summary>
/// <param name="Customer">The customer AS whose record changed.</param>
/// <param name="Before">The record the router holds before the change; null when the customer is new.</param>
/// <param name="After">The record after the change; null for a withdrawal.</param>
public sealed record AspaChange(uint Customer, Aspa? Before, Aspa? After)
{
    /// <summary>True when this is sent as an announcement (new customer or replaced provider set).</summary>
    public bool IsAnnouncement => After is not null;
}

/// <summary>
/// The net change between two payload sets: what to announce and what to withdraw so that a router holding
/// the older set ends up with exactly the newer one. Every array is in natural (ascending) order; each key
/// appears at most once, announcements are never already held and withdrawals always are.
/// </summary>
public sealed class PayloadDelta
{
    public static PayloadDelta Empty { get; } = new([], [], [], [], [], [], []);

    public PayloadDelta(Vrp[] announcedV4, Vrp[] withdrawnV4, Vrp[] announcedV6, Vrp[] withdrawnV6,
        RouterKey[] announcedKeys, RouterKey[] withdrawnKeys, AspaChange[] aspaChanges)
    {
        AnnouncedV4 = announcedV4;
        WithdrawnV4 = withdrawnV4;
        AnnouncedV6 = announcedV6;
        WithdrawnV6 = withdrawnV6;
        AnnouncedRouterKeys = announcedKeys;
        WithdrawnRouterKeys = withdrawnKeys;
        AspaChanges = aspaChanges;
    }

    public IReadOnlyList<Vrp> AnnouncedV4 { get; }
    public IReadOnlyList<Vrp> WithdrawnV4 { get; }
    public IReadOnlyList<Vrp> AnnouncedV6 { get; }
    public IReadOnlyList<Vrp> WithdrawnV6 { get; }
    public IReadOnlyList<RouterKey> AnnouncedRouterKeys { get; }
    public IReadOnlyList<RouterKey> WithdrawnRouterKeys { get; }

    /// <summary>ASPA changes by customer ascending; announcements and withdrawals mixed (see <see cref="AspaChange.IsAnnouncement"/>).</summary>
    public IReadOnlyList<AspaChange> AspaChanges { get; }

    public int AnnouncedVrpCount => AnnouncedV4.Count + AnnouncedV6.Count;
    public int WithdrawnVrpCount => WithdrawnV4.Count + WithdrawnV6.Count;

    /// <summary>Number of payload records touched (one PDU each on the wire).</summary>
    public int Count => AnnouncedV4.Count + WithdrawnV4.Count + AnnouncedV6.Count + WithdrawnV6.Count
                        + AnnouncedRouterKeys.Count + WithdrawnRouterKeys.Count + AspaChanges.Count;

    public bool IsEmpty => Count == 0;

    /// <summary>The delta that turns <paramref name="from"/> into <paramref name="to"/>, by one linear merge per kind.</summary>
    public static PayloadDelta Compute(PayloadSet from, PayloadSet to)
    {
        MergeDiff(from.V4, to.V4, out var a4, out var w4);
        MergeDiff(from.V6, to.V6, out var a6, out var w6);
        MergeDiff(from.RouterKeys, to.RouterKeys, out var ak, out var wk);
        var aspa = DiffAspas(from.Aspas, to.Aspas);
        return new PayloadDelta(a4, w4, a6, w6, ak, wk, aspa);
    }

    /// <summary>
    /// The single delta equivalent to applying <paramref name="first"/> and then <paramref name="second"/>.
    /// An item announced by one and withdrawn by the other cancels out; so does an ASPA record that ends where
    /// it started.
    /// </summary>
    public static PayloadDelta Compose(PayloadDelta first, PayloadDelta second)
    {
        if (first.IsEmpty) return second;
        if (second.IsEmpty) return first;
        ComposeSets(first.AnnouncedV4, first.WithdrawnV4, second.AnnouncedV4, second.WithdrawnV4, out var a4, out var w4);
        ComposeSets(first.AnnouncedV6, first.WithdrawnV6, second.AnnouncedV6, second.WithdrawnV6, out var a6, out var w6);
        ComposeSets(first.AnnouncedRouterKeys, first.WithdrawnRouterKeys, second.AnnouncedRouterKeys, second.WithdrawnRouterKeys, out var ak, out var wk);
        var aspa = ComposeAspas(first.AspaChanges, second.AspaChanges);
        return new PayloadDelta(a4, w4, a6, w6, ak, wk, aspa);
    }

    /// <summary>
    /// The delta that undoes this one: what was announced is withdrawn and the reverse; an ASPA change goes back
    /// from its <see cref="AspaChange.After"/> to its <see cref="AspaChange.Before"/>. Composing a net delta with
    /// the inverse of a newer one yields the step between two older serials, which is how the history is stored
    /// compactly (see <see cref="PayloadSnapshot.Steps"/>).
    /// </summary>
    public PayloadDelta Inverse()
    {
        if (IsEmpty) return this;
        var aspa = new AspaChange[AspaChanges.Count];
        for (int i = 0; i < aspa.Length; i++)
        {
            var c = AspaChanges[i];
            aspa[i] = new AspaChange(c.Customer, c.After, c.Before);
        }
        return new PayloadDelta([.. WithdrawnV4], [.. AnnouncedV4], [.. WithdrawnV6], [.. AnnouncedV6],
            [.. WithdrawnRouterKeys], [.. AnnouncedRouterKeys], aspa);
    }

    /// <summary>
    /// Null when applying this delta to some set yields exactly <paramref name="result"/>: every announcement is
    /// in it, no withdrawal is, and every ASPA change ends in the record it holds. Otherwise the first mismatch;
    /// used to check a history read back from disk before routers are given it.
    /// </summary>
    public string? CheckLeadsTo(PayloadSet result)
    {
        foreach (var v in AnnouncedV4) if (!result.Contains(v)) return $"announces {v}, which the set does not hold";
        foreach (var v in AnnouncedV6) if (!result.Contains(v)) return $"announces {v}, which the set does not hold";
        foreach (var v in WithdrawnV4) if (result.Contains(v)) return $"withdraws {v}, which the set still holds";
        foreach (var v in WithdrawnV6) if (result.Contains(v)) return $"withdraws {v}, which the set still holds";
        foreach (var k in AnnouncedRouterKeys) if (!result.ContainsRouterKey(k)) return $"announces router key {k}, which the set does not hold";
        foreach (var k in WithdrawnRouterKeys) if (result.ContainsRouterKey(k)) return $"withdraws router key {k}, which the set still holds";
        foreach (var c in AspaChanges)
        {
            var held = result.FindAspa(c.Customer);
            bool matches = c.After is null ? held is null : held is not null && held.ProvidersEqual(c.After);
            if (!matches) return $"changes the ASPA of AS{c.Customer} to {(c.After?.ToString() ?? "nothing")}, but the set holds {(held?.ToString() ?? "none")}";
        }
        return null;
    }

    /// <summary>
    /// True when the arrays hold what the constructor's contract asks (each ascending without repeats, IPv4 and
    /// IPv6 apart, nothing both announced and withdrawn, ASPA changes by customer with distinct ends); for data
    /// read back from disk.
    /// </summary>
    public string? CheckWellFormed()
    {
        string? e = CheckSorted(AnnouncedV4, "announced IPv4") ?? CheckSorted(WithdrawnV4, "withdrawn IPv4")
            ?? CheckSorted(AnnouncedV6, "announced IPv6") ?? CheckSorted(WithdrawnV6, "withdrawn IPv6")
            ?? CheckSorted(AnnouncedRouterKeys, "announced router keys") ?? CheckSorted(WithdrawnRouterKeys, "withdrawn router keys");
        if (e is not null) return e;
        foreach (var v in AnnouncedV4.Concat(WithdrawnV4)) if (!v.IsIPv4) return $"IPv6 VRP {v} among the IPv4 ones";
        foreach (var v in AnnouncedV6.Concat(WithdrawnV6)) if (!v.IsIPv6) return $"IPv4 VRP {v} among the IPv6 ones";
        if (Except(AnnouncedV4, WithdrawnV4).Count != AnnouncedV4.Count || Except(AnnouncedV6, WithdrawnV6).Count != AnnouncedV6.Count
            || Except(AnnouncedRouterKeys, WithdrawnRouterKeys).Count != AnnouncedRouterKeys.Count)
            return "an item is both announced and withdrawn";
        for (int i = 0; i < AspaChanges.Count; i++)
        {
            var c = AspaChanges[i];
            if (i > 0 && AspaChanges[i - 1].Customer >= c.Customer) return $"ASPA changes not ascending by customer at AS{c.Customer}";
            if (c.Before is not null && c.Before.Customer != c.Customer || c.After is not null && c.After.Customer != c.Customer)
                return $"ASPA change of AS{c.Customer} holds a record of another customer";
            if (c.Before is null ? c.After is null : c.After is not null && c.Before.ProvidersEqual(c.After))
                return $"ASPA change of AS{c.Customer} changes nothing";
        }
        return null;
    }

    private static string? CheckSorted<T>(IReadOnlyList<T> items, string what) where T : IComparable<T>
    {
        for (int i = 1; i < items.Count; i++)
            if (items[i - 1].CompareTo(items[i]) >= 0) return $"{what} not strictly ascending at {items[i]}";
        return null;
    }

    private static void MergeDiff<T>(ReadOnlySpan<T> from, ReadOnlySpan<T> to, out T[] announced, out T[] withdrawn)
        where T : IComparable<T>
    {
        var ann = new List<T>();
        var wd = new List<T>();
        int i = 0, j = 0;
        while (i < from.Length && j < to.Length)
        {
            int c = from[i].CompareTo(to[j]);
            if (c == 0) { i++; j++; }
            else if (c < 0) wd.Add(from[i++]);
            else ann.Add(to[j++]);
        }
        while (i < from.Length) wd.Add(from[i++]);
        while (j < to.Length) ann.Add(to[j++]);
        announced = [.. ann];
        withdrawn = [.. wd];
    }

    private static AspaChange[] DiffAspas(ReadOnlySpan<Aspa> from, ReadOnlySpan<Aspa> to)
    {
        var changes = new List<AspaChange>();
        int i = 0, j = 0;
        while (i < from.Length || j < to.Length)
        {
            if (j == to.Length || (i < from.Length && from[i].Customer < to[j].Customer))
            {
                changes.Add(new AspaChange(from[i].Customer, from[i], null));
                i++;
            }
            else if (i == from.Length || to[j].Customer < from[i].Customer)
            {
                changes.Add(new AspaChange(to[j].Customer, null, to[j]));
                j++;
            }
            else
            {
                if (!from[i].ProvidersEqual(to[j])) changes.Add(new AspaChange(to[j].Customer, from[i], to[j]));
                i++;
                j++;
            }
        }
        return [.. changes];
    }

    /// <summary>
    /// Net effect of (A1, W1) then (A2, W2) where each side holds distinct keys:
    /// announced = (A1 − W2) ∪ (A2 − W1), withdrawn = (W1 − A2) ∪ (W2 − A1).
    /// All four inputs are sorted; each output is built by a linear merge.
    /// </summary>
    private static void ComposeSets<T>(IReadOnlyList<T> a1, IReadOnlyList<T> w1, IReadOnlyList<T> a2, IReadOnlyList<T> w2,
        out T[] announced, out T[] withdrawn) where T : IComparable<T>
    {
        announced = UnionOfDifferences(a1, w2, a2, w1);
        withdrawn = UnionOfDifferences(w1, a2, w2, a1);
    }

    private static T[] UnionOfDifferences<T>(IReadOnlyList<T> x, IReadOnlyList<T> xMinus, IReadOnlyList<T> y, IReadOnlyList<T> yMinus)
        where T : IComparable<T>
    {
        var left = Except(x, xMinus);
        var right = Except(y, yMinus);
        var result = new T[left.Count + right.Count];
        int i = 0, j = 0, n = 0;
        while (i < left.Count && j < right.Count)
            result[n++] = left[i].CompareTo(right[j]) <= 0 ? left[i++] : right[j++];
        while (i < left.Count) result[n++] = left[i++];
        while (j < right.Count) result[n++] = right[j++];
        return result;
    }

    private static List<T> Except<T>(IReadOnlyList<T> x, IReadOnlyList<T> minus) where T : IComparable<T>
    {
        var result = new List<T>(x.Count);
        int j = 0;
        for (int i = 0; i < x.Count; i++)
        {
            while (j < minus.Count && minus[j].CompareTo(x[i]) < 0) j++;
            if (j < minus.Count && minus[j].CompareTo(x[i]) == 0) continue;
            result.Add(x[i]);
        }
        return result;
    }

    private static AspaChange[] ComposeAspas(IReadOnlyList<AspaChange> first, IReadOnlyList<AspaChange> second)
    {
        var result = new List<AspaChange>(first.Count + second.Count);
        int i = 0, j = 0;
        while (i < first.Count || j < second.Count)
        {
            if (j == second.Count || (i < first.Count && first[i].Customer < second[j].Customer))
                result.Add(first[i++]);
            else if (i == first.Count || second[j].Customer < first[i].Customer)
                result.Add(second[j++]);
            else
            {
                var before = first[i].Before;
                var after = second[j].After;
                bool unchanged = before is null ? after is null : after is not null && before.ProvidersEqual(after);
                if (!unchanged) result.Add(new AspaChange(first[i].Customer, before, after));
                i++;
                j++;
            }
        }
        return [.. result];
    }

    public override string ToString()
        => $"+{AnnouncedVrpCount}/-{WithdrawnVrpCount} VRPs, +{AnnouncedRouterKeys.Count}/-{WithdrawnRouterKeys.Count} router keys, {AspaChanges.Count} ASPA changes";
}
