using Microsoft.AspNetCore.Http;
using RtrCache.Payload;
using RtrCache.Payload.Verification;
using RtrCache.Rtr.Cache;

namespace RtrCache.Host.Api;

/// <summary>
/// The <see cref="VrpAsnIndex"/> of the payload set currently served, built on the first query that needs it
/// and kept until a query meets a newer set. Building it costs one sort of the set (tens of milliseconds for the
/// global table); keeping one per set makes every further <c>?asn=</c> query a binary search.
/// </summary>
/// <remarks>
/// Only the latest set's index is kept: a request still working on an older snapshot builds a private one instead
/// of evicting the current one. Concurrent first queries share one build (<see cref="Lazy{T}"/>).
/// </remarks>
public sealed class PayloadIndexCache
{
    private sealed class Entry(PayloadSet set)
    {
        public PayloadSet Set { get; } = set;
        public Lazy<VrpAsnIndex> Index { get; } = new(() => new VrpAsnIndex(set), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    private Entry? _entry;

    public VrpAsnIndex For(PayloadSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var current = Volatile.Read(ref _entry);
        if (current is not null && ReferenceEquals(current.Set, set)) return current.Index.Value;
        var fresh = new Entry(set);
        var seen = Interlocked.CompareExchange(ref _entry, fresh, current);
        if (ReferenceEquals(seen, current)) return fresh.Index.Value;
        return seen is not null && ReferenceEquals(seen.Set, set) ? seen.Index.Value : fresh.Index.Value;
    }
}

/// <summary>The snapshot an API request works on.</summary>
internal static class ApiPayload
{
    /// <summary>
    /// The current snapshot, picked up once so the whole response describes one serial; 503 before the first
    /// payload was loaded (routers get no data then either).
    /// </summary>
    public static RtrSnapshot Current(SnapshotStore store)
        => store.Current ?? throw new ApiException(StatusCodes.Status503ServiceUnavailable,
            "no payload has been loaded yet; the first validation run or input file is still pending");
}
