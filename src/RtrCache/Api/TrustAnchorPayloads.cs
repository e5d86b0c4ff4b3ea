using System.Collections.Immutable;
using RtrCache.Payload;

namespace RtrCache.Host.Api;

/// <summary>
/// Which trust anchor each entry came from, for the <c>ta</c> filter of the query API. The served set is one
/// merged set (routers need no attribution), so the attribution is kept beside it: the last run's payload per
/// TA, before SLURM. Filled by our own validator's runs; in <c>--json</c> mode nothing fills it and the filter
/// is refused with the reason.
/// </summary>
public sealed class TrustAnchorPayloads
{
    private ImmutableDictionary<string, PayloadSet>? _byName;

    /// <summary>Replaces the attribution with the latest run's (swap, no locks for readers).</summary>
    public void Update(IEnumerable<(string Name, PayloadSet Payload)> trustAnchors)
        => Volatile.Write(ref _byName, trustAnchors.ToImmutableDictionary(t => t.Name, t => t.Payload, StringComparer.Ordinal));

    /// <summary>The TA's payload; an <see cref="ApiException"/> (400) naming the problem when there is none.</summary>
    internal PayloadSet Get(string name)
    {
        var byName = Volatile.Read(ref _byName)
            ?? throw ApiException.BadParameter("ta", "ta: filtering by trust anchor needs rtrcache to validate itself (--tal-dir or the default TALs); an rpki-client JSON input does not say which trust anchor an entry came from");
        return byName.TryGetValue(name, out var set)
            ? set
            : throw ApiException.BadParameter("ta", $"ta '{ApiQuery.Clip(name)}': no such trust anchor; known: {string.Join(", ", byName.Keys.Order(StringComparer.Ordinal))}");
    }
}
