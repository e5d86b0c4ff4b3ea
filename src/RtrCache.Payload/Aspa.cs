using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace RtrCache.Payload;

/// <summary>
/// The validated ASPA payload of one customer AS: the complete set of its authorised provider ASes. Routers
/// hold at most one such record per customer and cache, so the cache delivers the union of all valid ASPA
/// objects for a customer as one value; a change of the set replaces the whole record.
/// </summary>
/// <remarks>
/// Invariants (draft-ietf-sidrops-8210bis §5.12, aspa-profile): at least one provider, strictly ascending,
/// AS 0 only as the single element, the customer never among its own providers, and no more providers than
/// fit into one RTR PDU (<see cref="MaxProviders"/>).
/// </remarks>
public sealed class Aspa : IEquatable<Aspa>, IComparable<Aspa>
{
    /// <summary>(65,535 − 12) / 4: the most providers one ASPA PDU can carry.</summary>
    public const int MaxProviders = 16380;

    public uint Customer { get; }
    public ImmutableArray<uint> Providers { get; }

    private Aspa(uint customer, ImmutableArray<uint> providers)
    {
        Customer = customer;
        Providers = providers;
    }

    /// <summary>Creates an ASPA from providers that already satisfy the invariants; throws otherwise.</summary>
    public static Aspa Create(uint customer, IEnumerable<uint> providers)
        => TryCreate(customer, providers.ToImmutableArray(), out var a, out var e) ? a : throw new ArgumentException(e);

    /// <summary>Checks the invariants on <paramref name="providers"/> as given (no sorting, no merging).</summary>
    public static bool TryCreate(uint customer, ImmutableArray<uint> providers, [NotNullWhen(true)] out Aspa? aspa, [NotNullWhen(false)] out string? error)
    {
        aspa = null;
        if (providers.IsDefaultOrEmpty)
        {
            error = $"ASPA for AS{customer} has no providers";
            return false;
        }
        if (providers.Length > MaxProviders)
        {
            error = $"ASPA for AS{customer} has {providers.Length} providers, more than the {MaxProviders} one RTR PDU can carry";
            return false;
        }
        for (int i = 0; i < providers.Length; i++)
        {
            if (i > 0 && providers[i] <= providers[i - 1])
            {
                error = $"ASPA for AS{customer}: providers not strictly ascending at AS{providers[i]}";
                return false;
            }
            if (providers[i] == customer)
            {
                error = $"ASPA for AS{customer} lists the customer among its providers";
                return false;
            }
        }
        if (providers[0] == 0 && providers.Length > 1)
        {
            error = $"ASPA for AS{customer} has AS0 together with other providers";
            return false;
        }
        aspa = new Aspa(customer, providers);
        error = null;
        return true;
    }

    /// <summary>
    /// The union of several provider lists for one customer, as a cache must serve it: sorted, duplicates
    /// removed, AS 0 dropped when other providers exist, the customer itself dropped. Returns null when nothing
    /// is left or the union is too large for one PDU (the customer is then not served, like Routinator does).
    /// </summary>
    public static Aspa? Merge(uint customer, IEnumerable<uint> providers)
    {
        var sorted = new SortedSet<uint>(providers);
        sorted.Remove(customer);
        if (sorted.Count > 1) sorted.Remove(0);
        if (sorted.Count == 0 || sorted.Count > MaxProviders) return null;
        return new Aspa(customer, sorted.ToImmutableArray());
    }

    public bool ProvidersEqual(Aspa other) => Providers.AsSpan().SequenceEqual(other.Providers.AsSpan());

    public bool Equals(Aspa? other) => other is not null && Customer == other.Customer && ProvidersEqual(other);
    public override bool Equals(object? obj) => Equals(obj as Aspa);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Customer);
        foreach (var p in Providers) h.Add(p);
        return h.ToHashCode();
    }

    /// <summary>Orders by customer only: a payload set holds one record per customer.</summary>
    public int CompareTo(Aspa? other) => other is null ? 1 : Customer.CompareTo(other.Customer);

    public override string ToString()
        => string.Create(CultureInfo.InvariantCulture, $"AS{Customer} => [{string.Join(", ", Providers.Select(p => "AS" + p.ToString(CultureInfo.InvariantCulture)))}]");
}
