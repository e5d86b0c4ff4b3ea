using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using RtrCache.Payload.Formats;

namespace RtrCache.Payload.Slurm;

/// <summary>
/// The combined local exceptions of one or more SLURM files, compiled for fast application to every new payload
/// set. It exists separately from <see cref="SlurmFile"/> because files must be checked against each other first
/// (RFC 8416 §4.2) and because applying them to ~790,000 VRPs on every validator run has to be cheap.
/// </summary>
/// <remarks>
/// <para>Processing (RFC 8416 §4, draft-ietf-sidrops-aspa-slurm-04): remove every VRP, router key and ASPA record that
/// matches a filter, then add every assertion. Assertions are never filtered, and an assertion is not an implicit
/// filter. Asserted providers are united with the RPKI provider set still present for the same customer (the
/// router may hold only one record per customer), after which AS 0 is dropped when other providers exist.</para>
/// <para>Multiple files (§4.2, extended to ASPA): no prefix of one file's prefix filters/assertions may equal, cover
/// or be covered by a prefix of another file's; no ASN or SKI may appear in the BGPsec entries of two files; no
/// customer AS in the ASPA entries of two files. A conflict rejects the whole set of files.</para>
/// <para>Cost of <see cref="Apply"/>: a prefix filter touches only the VRPs inside its address range (binary search
/// on the sorted set), an ASN-only filter is one hash lookup per VRP, and assertions are merged in one linear pass;
/// nothing is allocated per VRP.</para>
/// </remarks>
public sealed class SlurmPolicy
{
    private readonly struct RangeFilter(UInt128 start, UInt128 end, byte length, uint? asn)
    {
        public readonly UInt128 Start = start;
        public readonly UInt128 End = end;
        public readonly byte Length = length;
        public readonly bool HasAsn = asn.HasValue;
        public readonly uint Asn = asn.GetValueOrDefault();
    }

    private readonly RangeFilter[] _v4Filters;
    private readonly RangeFilter[] _v6Filters;
    private readonly HashSet<uint> _asnFilters;
    private readonly SlurmBgpsecFilter[] _keyFilters;
    private readonly HashSet<uint> _aspaFilters;
    private readonly Vrp[] _v4Assertions;
    private readonly Vrp[] _v6Assertions;
    private readonly RouterKey[] _keyAssertions;
    private readonly (uint Customer, uint[] Providers)[] _aspaAssertions;

    /// <summary>No files: <see cref="Apply"/> returns its input unchanged.</summary>
    public static SlurmPolicy Empty { get; } = new([]);

    private SlurmPolicy(ImmutableArray<SlurmFile> files)
    {
        Files = files;
        var v4 = new List<RangeFilter>();
        var v6 = new List<RangeFilter>();
        _asnFilters = [];
        var keyFilters = new List<SlurmBgpsecFilter>();
        _aspaFilters = [];
        var vrpAssertions = new List<Vrp>();
        var keyAssertions = new List<RouterKey>();
        var aspaAssertions = new SortedDictionary<uint, SortedSet<uint>>();
        foreach (var file in files)
        {
            foreach (var f in file.PrefixFilters)
            {
                if (f.Prefix is IpPrefix p)
                {
                    UInt128 familyMax = p.IsIPv6 ? UInt128.MaxValue : uint.MaxValue;
                    UInt128 hostMask = p.Length == p.FamilyBits ? UInt128.Zero : familyMax >> p.Length;
                    (p.IsIPv6 ? v6 : v4).Add(new RangeFilter(p.AddressBits, p.AddressBits | hostMask, p.Length, f.Asn));
                }
                else if (f.Asn is uint asn)
                {
                    _asnFilters.Add(asn);
                }
            }
            keyFilters.AddRange(file.BgpsecFilters);
            foreach (var f in file.AspaFilters) _aspaFilters.Add(f.CustomerAsn);
            foreach (var a in file.PrefixAssertions) vrpAssertions.Add(a.ToVrp());
            foreach (var a in file.BgpsecAssertions) keyAssertions.Add(a.ToRouterKey());
            foreach (var a in file.AspaAssertions)
            {
                if (!aspaAssertions.TryGetValue(a.CustomerAsn, out var set)) aspaAssertions[a.CustomerAsn] = set = [];
                set.UnionWith(a.ProviderAsns);
            }
        }
        _v4Filters = [.. v4];
        _v6Filters = [.. v6];
        _keyFilters = [.. keyFilters];
        var built = PayloadSet.Create(vrpAssertions, keyAssertions);
        _v4Assertions = built.V4.ToArray();
        _v6Assertions = built.V6.ToArray();
        _keyAssertions = built.RouterKeys.ToArray();
        _aspaAssertions = [.. aspaAssertions.Select(kv => (kv.Key, kv.Value.ToArray()))];
    }

    /// <summary>The files this policy was built from, in the order given.</summary>
    public ImmutableArray<SlurmFile> Files { get; }

    /// <summary>True when the policy has no filters and no assertions.</summary>
    public bool IsEmpty => _v4Filters.Length == 0 && _v6Filters.Length == 0 && _asnFilters.Count == 0 && _keyFilters.Length == 0
                           && _aspaFilters.Count == 0 && _v4Assertions.Length == 0 && _v6Assertions.Length == 0
                           && _keyAssertions.Length == 0 && _aspaAssertions.Length == 0;

    /// <summary>Combines <paramref name="files"/> after the RFC 8416 §4.2 overlap check; on a conflict the error names
    /// both files, the entries and the overlapping values.</summary>
    public static bool TryCreate(IEnumerable<SlurmFile> files, [NotNullWhen(true)] out SlurmPolicy? policy, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(files);
        var list = files.ToImmutableArray();
        policy = null;
        error = list.Length > 1 ? FindConflict(list) : null;
        if (error is not null) return false;
        policy = new SlurmPolicy(list);
        return true;
    }

    /// <summary>Like <see cref="TryCreate"/>, but throws <see cref="ArgumentException"/> on a conflict.</summary>
    public static SlurmPolicy Create(params IEnumerable<SlurmFile> files)
        => TryCreate(files, out var policy, out var error) ? policy : throw new ArgumentException(error, nameof(files));

    // ------------------------------------------------------------------ overlap check

    private readonly record struct Use(int File, string Where);

    private static string? FindConflict(ImmutableArray<SlurmFile> files)
    {
        // Prefixes: sort, then sweep with a stack of enclosing prefixes; any enclosing prefix of another file conflicts.
        var prefixes = new List<(IpPrefix Prefix, Use Use)>();
        for (int f = 0; f < files.Length; f++)
        {
            var file = files[f];
            for (int i = 0; i < file.PrefixFilters.Length; i++)
                if (file.PrefixFilters[i].Prefix is IpPrefix p) prefixes.Add((p, new Use(f, Where("validationOutputFilters.prefixFilters", i))));
            for (int i = 0; i < file.PrefixAssertions.Length; i++)
                prefixes.Add((file.PrefixAssertions[i].Prefix, new Use(f, Where("locallyAddedAssertions.prefixAssertions", i))));
        }
        prefixes.Sort((a, b) =>
        {
            int c = a.Prefix.IsIPv6.CompareTo(b.Prefix.IsIPv6);
            if (c != 0) return c;
            c = a.Prefix.AddressBits.CompareTo(b.Prefix.AddressBits);
            return c != 0 ? c : a.Prefix.Length.CompareTo(b.Prefix.Length);
        });
        var stack = new List<(IpPrefix Prefix, Use Use)>();
        foreach (var item in prefixes)
        {
            while (stack.Count > 0 && !stack[^1].Prefix.Covers(item.Prefix)) stack.RemoveAt(stack.Count - 1);
            foreach (var outer in stack)
            {
                if (outer.Use.File != item.Use.File)
                    return Conflict(files, outer.Use, $"prefix {PrefixText.ToString(outer.Prefix)}", item.Use, $"prefix {PrefixText.ToString(item.Prefix)}");
            }
            stack.Add(item);
        }

        var asns = new Dictionary<uint, Use>();
        var skis = new Dictionary<string, Use>(StringComparer.Ordinal);
        var customers = new Dictionary<uint, Use>();
        for (int f = 0; f < files.Length; f++)
        {
            var file = files[f];
            for (int i = 0; i < file.BgpsecFilters.Length; i++)
            {
                var entry = file.BgpsecFilters[i];
                var use = new Use(f, Where("validationOutputFilters.bgpsecFilters", i));
                if (entry.Asn is uint asn && Check(asns, asn, use) is Use other1)
                    return Conflict(files, other1, $"BGPsec AS{asn}", use, $"BGPsec AS{asn}");
                if (entry.Ski is ImmutableArray<byte> ski && Check(skis, Convert.ToHexString(ski.AsSpan()), use) is Use other2)
                    return Conflict(files, other2, $"SKI {Convert.ToHexString(ski.AsSpan())}", use, $"SKI {Convert.ToHexString(ski.AsSpan())}");
            }
            for (int i = 0; i < file.BgpsecAssertions.Length; i++)
            {
                var entry = file.BgpsecAssertions[i];
                var use = new Use(f, Where("locallyAddedAssertions.bgpsecAssertions", i));
                if (Check(asns, entry.Asn, use) is Use other1)
                    return Conflict(files, other1, $"BGPsec AS{entry.Asn}", use, $"BGPsec AS{entry.Asn}");
                string hex = Convert.ToHexString(entry.Ski.AsSpan());
                if (Check(skis, hex, use) is Use other2)
                    return Conflict(files, other2, $"SKI {hex}", use, $"SKI {hex}");
            }
            for (int i = 0; i < file.AspaFilters.Length; i++)
            {
                uint c = file.AspaFilters[i].CustomerAsn;
                var use = new Use(f, Where("validationOutputFilters.aspaFilters", i));
                if (Check(customers, c, use) is Use other) return Conflict(files, other, $"ASPA customer AS{c}", use, $"ASPA customer AS{c}");
            }
            for (int i = 0; i < file.AspaAssertions.Length; i++)
            {
                uint c = file.AspaAssertions[i].CustomerAsn;
                var use = new Use(f, Where("locallyAddedAssertions.aspaAssertions", i));
                if (Check(customers, c, use) is Use other) return Conflict(files, other, $"ASPA customer AS{c}", use, $"ASPA customer AS{c}");
            }
        }
        return null;
    }

    /// <summary>Records the first use of <paramref name="key"/>; returns an earlier use from another file, if any.</summary>
    private static Use? Check<TKey>(Dictionary<TKey, Use> seen, TKey key, Use use) where TKey : notnull
    {
        if (!seen.TryGetValue(key, out var earlier))
        {
            seen[key] = use;
            return null;
        }
        return earlier.File != use.File ? earlier : null;
    }

    private static string Where(string array, int index) => string.Create(CultureInfo.InvariantCulture, $"{array}[{index}]");

    private static string Conflict(ImmutableArray<SlurmFile> files, Use a, string whatA, Use b, string whatB)
    {
        string nameA = files[a.File].SourceName, nameB = files[b.File].SourceName;
        return $"SLURM files '{nameA}' and '{nameB}' overlap (RFC 8416 section 4.2): {whatA} at {nameA} {a.Where} "
               + $"conflicts with {whatB} at {nameB} {b.Where}";
    }

    // ------------------------------------------------------------------ application

    /// <summary>Filters, then asserts; returns the new set and what was done. Does not modify <paramref name="input"/>.</summary>
    public SlurmApplyResult Apply(PayloadSet input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (IsEmpty) return new SlurmApplyResult(input, 0, 0, 0, 0, 0, 0, 0);

        int vrpsFiltered = 0, vrpsAdded = 0;
        var v4 = ApplyVrps(input.V4, _v4Filters, _v4Assertions, ref vrpsFiltered, ref vrpsAdded);
        var v6 = ApplyVrps(input.V6, _v6Filters, _v6Assertions, ref vrpsFiltered, ref vrpsAdded);

        // Router keys: a few hundred at most, filters checked one by one.
        var keys = new List<RouterKey>(input.RouterKeyCount + _keyAssertions.Length);
        int keysFiltered = 0;
        foreach (var key in input.RouterKeys)
        {
            bool drop = false;
            foreach (var f in _keyFilters)
            {
                if (f.Matches(key))
                {
                    drop = true;
                    break;
                }
            }
            if (drop) keysFiltered++;
            else keys.Add(key);
        }
        int keptKeys = keys.Count;
        keys.AddRange(_keyAssertions);
        var keyArray = SortUnique(keys);
        int keysAdded = keyArray.Length - keptKeys;

        // ASPA: filter by customer, then unite assertions with what remains.
        var aspas = new List<Aspa?>(input.AspaCount + _aspaAssertions.Length);
        int aspasFiltered = 0, aspasAdded = 0, aspasExtended = 0;
        bool aspaDropped = false;
        foreach (var a in input.Aspas)
        {
            if (_aspaFilters.Contains(a.Customer)) aspasFiltered++;
            else aspas.Add(a);
        }
        int kept = aspas.Count;
        foreach (var (customer, providers) in _aspaAssertions)
        {
            int index = FindAspa(aspas, kept, customer);
            if (index >= 0)
            {
                var existing = aspas[index]!;
                var merged = Aspa.Merge(customer, existing.Providers.Concat(providers));
                if (merged is null)
                {
                    aspas[index] = null; // union too large for one PDU: the customer is not served
                    aspaDropped = true;
                }
                else if (!merged.ProvidersEqual(existing))
                {
                    aspas[index] = merged;
                    aspasExtended++;
                }
            }
            else if (Aspa.Merge(customer, providers) is Aspa added)
            {
                aspas.Add(added);
                aspasAdded++;
            }
        }
        var aspaArray = aspas.Where(a => a is not null).Select(a => a!).ToArray();
        Array.Sort(aspaArray);

        bool changed = vrpsFiltered + vrpsAdded + keysFiltered + keysAdded + aspasFiltered + aspasAdded + aspasExtended > 0 || aspaDropped;
        var set = changed ? new PayloadSet(v4, v6, keyArray, aspaArray) : input;
        return new SlurmApplyResult(set, vrpsFiltered, vrpsAdded, keysFiltered, keysAdded, aspasFiltered, aspasAdded, aspasExtended);
    }

    private static int FindAspa(List<Aspa?> sortedPrefix, int count, uint customer)
    {
        int lo = 0, hi = count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            uint c = sortedPrefix[mid]!.Customer;
            if (c == customer) return mid;
            if (c < customer) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    private Vrp[] ApplyVrps(ReadOnlySpan<Vrp> input, RangeFilter[] filters, Vrp[] assertions, ref int filtered, ref int added)
    {
        bool[]? removed = null;
        int removedCount = 0;
        foreach (var f in filters)
        {
            for (int i = LowerBound(input, f.Start); i < input.Length; i++)
            {
                ref readonly var v = ref input[i];
                if (v.AddressBits > f.End) break;
                if (v.PrefixLength < f.Length || (f.HasAsn && v.Asn != f.Asn)) continue;
                removed ??= new bool[input.Length];
                if (!removed[i])
                {
                    removed[i] = true;
                    removedCount++;
                }
            }
        }
        if (_asnFilters.Count > 0)
        {
            for (int i = 0; i < input.Length; i++)
            {
                if ((removed is null || !removed[i]) && _asnFilters.Contains(input[i].Asn))
                {
                    removed ??= new bool[input.Length];
                    removed[i] = true;
                    removedCount++;
                }
            }
        }

        // One merge pass: kept RPKI VRPs (sorted, unique) with the asserted ones (sorted, unique).
        var result = new Vrp[input.Length - removedCount + assertions.Length];
        int n = 0, j = 0, newlyAdded = 0;
        for (int i = 0; i < input.Length; i++)
        {
            if (removed is not null && removed[i]) continue;
            var v = input[i];
            while (j < assertions.Length && assertions[j] < v)
            {
                result[n++] = assertions[j++];
                newlyAdded++;
            }
            if (j < assertions.Length && assertions[j] == v) j++;
            result[n++] = v;
        }
        while (j < assertions.Length)
        {
            result[n++] = assertions[j++];
            newlyAdded++;
        }
        filtered += removedCount;
        added += newlyAdded;
        return n == result.Length ? result : result[..n];
    }

    private static int LowerBound(ReadOnlySpan<Vrp> sorted, UInt128 address)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid].AddressBits < address) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static RouterKey[] SortUnique(List<RouterKey> keys)
    {
        var a = keys.ToArray();
        Array.Sort(a);
        int n = 0;
        for (int i = 0; i < a.Length; i++)
            if (n == 0 || !a[i].Equals(a[n - 1])) a[n++] = a[i];
        return n == a.Length ? a : a[..n];
    }

    public override string ToString()
        => Files.IsEmpty ? "no SLURM files" : string.Join("; ", Files.Select(f => f.ToString()));
}
