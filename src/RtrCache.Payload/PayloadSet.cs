using System.Collections.Immutable;

namespace RtrCache.Payload;

/// <summary>
/// One complete, immutable set of validated payload: what a router holds after a full sync. Built once per
/// update and then shared by every reader (RTR sessions, HTTP handlers) without locks.
/// </summary>
/// <remarks>
/// Each kind is kept sorted in its natural order (see <see cref="Vrp"/>, <see cref="RouterKey"/>,
/// <see cref="Aspa"/>) with duplicates removed, which is what lets the diff engine compare two sets by a
/// single linear merge and the encoder write the §11.2 order without sorting again.
/// </remarks>
public sealed class PayloadSet : IEquatable<PayloadSet>
{
    private readonly Vrp[] _v4;
    private readonly Vrp[] _v6;
    private readonly RouterKey[] _routerKeys;
    private readonly Aspa[] _aspas;

    public static PayloadSet Empty { get; } = new([], [], [], []);

    /// <summary>Wraps arrays that are already sorted and unique. Only for code in this assembly that guarantees it.</summary>
    internal PayloadSet(Vrp[] v4, Vrp[] v6, RouterKey[] routerKeys, Aspa[] aspas)
    {
        _v4 = v4;
        _v6 = v6;
        _routerKeys = routerKeys;
        _aspas = aspas;
    }

    /// <summary>IPv4 VRPs in ascending (withdrawal) order.</summary>
    public ReadOnlySpan<Vrp> V4 => _v4;

    /// <summary>IPv6 VRPs in ascending (withdrawal) order.</summary>
    public ReadOnlySpan<Vrp> V6 => _v6;

    public ReadOnlySpan<RouterKey> RouterKeys => _routerKeys;
    public ReadOnlySpan<Aspa> Aspas => _aspas;

    public int VrpCount => _v4.Length + _v6.Length;
    public int V4Count => _v4.Length;
    public int V6Count => _v6.Length;
    public int RouterKeyCount => _routerKeys.Length;
    public int AspaCount => _aspas.Length;

    /// <summary>All VRPs, IPv4 first, each family ascending.</summary>
    public IEnumerable<Vrp> Vrps
    {
        get
        {
            foreach (var v in _v4) yield return v;
            foreach (var v in _v6) yield return v;
        }
    }

    /// <summary>Finds the ASPA record of <paramref name="customer"/>, if any (binary search).</summary>
    public Aspa? FindAspa(uint customer)
    {
        int lo = 0, hi = _aspas.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            uint c = _aspas[mid].Customer;
            if (c == customer) return _aspas[mid];
            if (c < customer) lo = mid + 1; else hi = mid - 1;
        }
        return null;
    }

    public bool Contains(Vrp vrp) => (vrp.IsIPv4 ? _v4 : _v6).AsSpan().BinarySearch(vrp) >= 0;

    public bool ContainsRouterKey(RouterKey key) => _routerKeys.AsSpan().BinarySearch(key) >= 0;

    /// <summary>
    /// Wraps arrays that should already be in canonical form (each kind strictly ascending, IPv4 and IPv6 apart,
    /// one ASPA per customer), checking that in one linear pass instead of sorting again: loading a persisted
    /// global set this way costs a scan, not an n·log n sort. The arrays are taken over, not copied.
    /// </summary>
    public static bool TryCreateSorted(Vrp[] v4, Vrp[] v6, RouterKey[] routerKeys, Aspa[] aspas,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PayloadSet? set,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        set = null;
        error = CheckAscending(v4, "IPv4 VRPs") ?? CheckAscending(v6, "IPv6 VRPs")
            ?? CheckAscending(routerKeys, "router keys") ?? CheckAscending(aspas, "ASPAs");
        if (error is not null) return false;
        foreach (var v in v4)
            if (!v.IsIPv4) { error = $"IPv6 VRP {v} among the IPv4 ones"; return false; }
        foreach (var v in v6)
            if (!v.IsIPv6) { error = $"IPv4 VRP {v} among the IPv6 ones"; return false; }
        set = new PayloadSet(v4, v6, routerKeys, aspas);
        return true;
    }

    private static string? CheckAscending<T>(T[] items, string what) where T : IComparable<T>
    {
        for (int i = 1; i < items.Length; i++)
            if (items[i - 1].CompareTo(items[i]) >= 0) return $"{what} not strictly ascending at {items[i]}";
        return null;
    }

    public static PayloadSet Create(IEnumerable<Vrp> vrps, IEnumerable<RouterKey>? routerKeys = null, IEnumerable<Aspa>? aspas = null)
    {
        var b = new PayloadSetBuilder();
        foreach (var v in vrps) b.Add(v);
        if (routerKeys is not null) foreach (var k in routerKeys) b.Add(k);
        if (aspas is not null) foreach (var a in aspas) b.Add(a);
        return b.Build();
    }

    public bool Equals(PayloadSet? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (!_v4.AsSpan().SequenceEqual(other._v4) || !_v6.AsSpan().SequenceEqual(other._v6)) return false;
        if (_routerKeys.Length != other._routerKeys.Length || _aspas.Length != other._aspas.Length) return false;
        for (int i = 0; i < _routerKeys.Length; i++)
            if (!_routerKeys[i].Equals(other._routerKeys[i])) return false;
        for (int i = 0; i < _aspas.Length; i++)
            if (!_aspas[i].Equals(other._aspas[i])) return false;
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as PayloadSet);
    public override int GetHashCode() => HashCode.Combine(_v4.Length, _v6.Length, _routerKeys.Length, _aspas.Length);

    public override string ToString() => $"{_v4.Length} IPv4 VRPs, {_v6.Length} IPv6 VRPs, {_routerKeys.Length} router keys, {_aspas.Length} ASPAs";
}

/// <summary>
/// Collects payload in any order, with duplicates, and turns it into a canonical <see cref="PayloadSet"/>:
/// sorted, unique, and with the ASPA objects of each customer merged into one record.
/// </summary>
public sealed class PayloadSetBuilder
{
    private readonly List<Vrp> _v4 = [];
    private readonly List<Vrp> _v6 = [];
    private readonly List<RouterKey> _keys = [];
    private readonly Dictionary<uint, List<uint>> _aspaProviders = [];

    public PayloadSetBuilder Add(Vrp vrp)
    {
        (vrp.IsIPv4 ? _v4 : _v6).Add(vrp);
        return this;
    }

    public PayloadSetBuilder Add(RouterKey key)
    {
        _keys.Add(key);
        return this;
    }

    /// <summary>Adds an ASPA; providers of several ASPAs for one customer are merged (union).</summary>
    public PayloadSetBuilder Add(Aspa aspa) => AddAspa(aspa.Customer, aspa.Providers);

    /// <summary>Adds the providers of one ASPA object; they need not be sorted (they are merged at build).</summary>
    public PayloadSetBuilder AddAspa(uint customer, IEnumerable<uint> providers)
    {
        if (!_aspaProviders.TryGetValue(customer, out var list))
            _aspaProviders[customer] = list = [];
        list.AddRange(providers);
        return this;
    }

    public int Count => _v4.Count + _v6.Count + _keys.Count + _aspaProviders.Count;

    public PayloadSet Build()
    {
        var v4 = SortUnique(_v4);
        var v6 = SortUnique(_v6);
        var keys = _keys.ToArray();
        Array.Sort(keys);
        keys = Unique(keys);
        var aspas = new List<Aspa>(_aspaProviders.Count);
        foreach (var (customer, providers) in _aspaProviders)
        {
            var merged = Aspa.Merge(customer, providers);
            if (merged is not null) aspas.Add(merged);
        }
        var aspaArray = aspas.ToArray();
        Array.Sort(aspaArray);
        return new PayloadSet(v4, v6, keys, aspaArray);
    }

    private static Vrp[] SortUnique(List<Vrp> list)
    {
        var a = list.ToArray();
        a.AsSpan().Sort();
        int n = 0;
        for (int i = 0; i < a.Length; i++)
            if (n == 0 || !a[i].Equals(a[n - 1])) a[n++] = a[i];
        return n == a.Length ? a : a[..n];
    }

    private static T[] Unique<T>(T[] sorted) where T : class, IEquatable<T>
    {
        int n = 0;
        for (int i = 0; i < sorted.Length; i++)
            if (n == 0 || !sorted[i].Equals(sorted[n - 1])) sorted[n++] = sorted[i];
        return n == sorted.Length ? sorted : sorted[..n];
    }
}
