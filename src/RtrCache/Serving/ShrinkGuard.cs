using System.Globalization;
using RtrCache.Payload;

namespace RtrCache.Host.Serving;

/// <summary>
/// A payload set the shrink guard did not publish, kept until the input recovers or an operator accepts it.
/// </summary>
/// <param name="Held">The set that would have been served (after SLURM).</param>
/// <param name="Reason">Why it was held, with the numbers and the limit.</param>
/// <param name="Serving">The serial that keeps being served meanwhile.</param>
/// <param name="Since">When the first round was held back.</param>
public sealed record ShrinkHold(PayloadSet Held, string Reason, Serial Serving, DateTimeOffset Since);

/// <summary>
/// Protects routers from a broken validator run: a run that suddenly loses a large part of the RPKI (a
/// repository that failed to fetch, a TA that expired, a truncated JSON file) would otherwise withdraw those
/// VRPs or ASPAs everywhere, turning routes Invalid or Unknown. "Dropped" counts entries of the served set that
/// the new set no longer holds (withdrawals), so a swap of many entries is caught as well as a shrink.
/// </summary>
public static class ShrinkGuard
{
    /// <summary>
    /// Null when <paramref name="next"/> may be published after <paramref name="served"/>; otherwise the reason,
    /// naming each family that drops more than <paramref name="limitPercent"/> percent.
    /// </summary>
    public static string? Check(PayloadSet served, PayloadSet next, double limitPercent)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(next);
        var problems = new List<string>(2);
        int droppedVrps = CountMissing(served.V4, next.V4) + CountMissing(served.V6, next.V6);
        if (Exceeds(droppedVrps, served.VrpCount, limitPercent, out double vrpShare))
            problems.Add(Describe("VRPs", droppedVrps, served.VrpCount, next.VrpCount, vrpShare));
        int droppedAspas = CountMissingCustomers(served.Aspas, next.Aspas);
        if (Exceeds(droppedAspas, served.AspaCount, limitPercent, out double aspaShare))
            problems.Add(Describe("ASPAs", droppedAspas, served.AspaCount, next.AspaCount, aspaShare));
        if (problems.Count == 0) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"the new payload drops {string.Join(" and ", problems)}, more than the shrink limit of {limitPercent:0.##}%");
    }

    private static bool Exceeds(int dropped, int total, double limitPercent, out double share)
    {
        share = total == 0 ? 0 : 100.0 * dropped / total;
        return dropped > 0 && share > limitPercent;
    }

    private static string Describe(string what, int dropped, int before, int after, double share)
        => string.Create(CultureInfo.InvariantCulture, $"{share:0.#}% of {what} ({dropped:N0} of {before:N0} withdrawn, {after:N0} after)");

    /// <summary>Entries of sorted <paramref name="from"/> not in sorted <paramref name="to"/>, by one merge.</summary>
    private static int CountMissing(ReadOnlySpan<Vrp> from, ReadOnlySpan<Vrp> to)
    {
        int missing = 0, j = 0;
        foreach (var v in from)
        {
            while (j < to.Length && to[j].CompareTo(v) < 0) j++;
            if (j == to.Length || !to[j].Equals(v)) missing++;
        }
        return missing;
    }

    private static int CountMissingCustomers(ReadOnlySpan<Aspa> from, ReadOnlySpan<Aspa> to)
    {
        int missing = 0, j = 0;
        foreach (var a in from)
        {
            while (j < to.Length && to[j].Customer < a.Customer) j++;
            if (j == to.Length || to[j].Customer != a.Customer) missing++;
        }
        return missing;
    }
}
