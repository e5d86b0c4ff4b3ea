using System.Globalization;
using RtrCache.Rtr.Cache;

namespace RtrCache.Host.Serving;

/// <summary>
/// What the update loop knows about the data it serves, beyond the snapshot itself: when a round last loaded
/// or confirmed the input, whether the data came from the persisted state, and whether the shrink guard is
/// holding a set back. The loop is the only writer (it swaps one immutable <see cref="Facts"/>); <c>/readyz</c>,
/// the API and metrics read it without locks.
/// </summary>
public sealed class ServingState
{
    private readonly SafeguardMetrics _metrics;
    private Facts _facts = new(null, false, null);

    public ServingState(SafeguardMetrics metrics) => _metrics = metrics;

    /// <param name="LastSuccessfulRun">
    /// End of the last round that loaded the input, or found it unchanged, and serves it (not held back); for
    /// data restored from disk, the time saved with it. Null before any.
    /// </param>
    /// <param name="Restored">True while the data served is the persisted state and no round has succeeded since.</param>
    /// <param name="Hold">The set the shrink guard holds back, if any.</param>
    public sealed record Facts(DateTimeOffset? LastSuccessfulRun, bool Restored, ShrinkHold? Hold);

    public Facts Current => Volatile.Read(ref _facts);

    internal void RunSucceeded(DateTimeOffset at)
    {
        Volatile.Write(ref _facts, Current with { LastSuccessfulRun = at, Restored = false });
        _metrics.RunSucceeded(at);
    }

    internal void RestoredFromDisk(DateTimeOffset lastRun)
    {
        Volatile.Write(ref _facts, Current with { LastSuccessfulRun = lastRun, Restored = true });
        _metrics.RunSucceeded(lastRun);
    }

    internal void Held(ShrinkHold hold)
    {
        bool first = Current.Hold is null;
        Volatile.Write(ref _facts, Current with { Hold = first ? hold : hold with { Since = Current.Hold!.Since } });
        _metrics.ShrinkHeld();
    }

    internal void Released(bool acceptedByOperator)
    {
        if (Current.Hold is null) return;
        Volatile.Write(ref _facts, Current with { Hold = null });
        _metrics.ShrinkReleased(acceptedByOperator);
    }
}

/// <summary>
/// The readiness rule of <c>/readyz</c>: ready only when a complete run's data is served (or the persisted
/// state of one), that data was confirmed by a round less than the staleness limit ago, and the shrink guard
/// holds nothing back. A held-back set means the input says something the routers are not told, which an
/// operator must look at; the body says what, and how to accept it.
/// </summary>
public static class Readiness
{
    public sealed record Report(bool Ready, string Text);

    public static Report Evaluate(RtrSnapshot? current, ServingState.Facts facts, DateTimeOffset now, TimeSpan maxStaleness)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (current is null)
            return new Report(false, "not ready: no payload loaded yet");
        if (facts.Hold is { } hold)
            return new Report(false, string.Create(CultureInfo.InvariantCulture,
                $"not ready: shrink guard: {hold.Reason}; still serving serial {hold.Serving} (held since {hold.Since:yyyy-MM-ddTHH:mm:ssZ}); publish it with POST /api/v1/accept-shrink (needs --enable-admin-api) or restart with --accept-shrink"));
        if (facts.LastSuccessfulRun is not { } last)
            return new Report(false, $"not ready: serving serial {current.Serial} but no update round has completed yet");
        var age = now - last;
        if (age > maxStaleness)
            return new Report(false, string.Create(CultureInfo.InvariantCulture,
                $"not ready: served data is stale: the last successful update round was {Seconds(age)} ago at {last:yyyy-MM-ddTHH:mm:ssZ}, more than --max-staleness {Seconds(maxStaleness)}; still serving serial {current.Serial}"));
        return new Report(true, string.Create(CultureInfo.InvariantCulture,
            $"ready: serial {current.Serial}, {current.Payload.Payload}{(facts.Restored ? " (restored from the saved state)" : "")}"));
    }

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.#} s");
}
