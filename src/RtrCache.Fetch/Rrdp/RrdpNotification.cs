namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// A parsed and checked Update Notification File (RFC 8182 §3.5.1): one snapshot for <see cref="Serial"/> and a
/// contiguous run of deltas (ascending, possibly empty) that ends at <see cref="Serial"/>.
/// </summary>
public sealed record RrdpNotification(Guid SessionId, long Serial, RrdpFileRef Snapshot, IReadOnlyList<RrdpFileRef> Deltas)
{
    /// <summary>The delta for <paramref name="serial"/>, or null when the notification does not list it.</summary>
    public RrdpFileRef? DeltaFor(long serial)
    {
        if (Deltas.Count == 0) return null;
        long index = serial - Deltas[0].Serial;
        return index >= 0 && index < Deltas.Count ? Deltas[(int)index] : null;
    }
}
