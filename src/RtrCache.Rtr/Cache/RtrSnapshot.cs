using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Rtr.Cache;

/// <summary>
/// What every RTR session reads: one <see cref="PayloadSnapshot"/> plus its encoded Cache Response bodies,
/// created lazily and at most once per protocol version (full) and per (retained serial, version) (delta).
/// A thousand routers resetting at once share one encoding; no session copies the table.
/// </summary>
public sealed class RtrSnapshot
{
    private const int Versions = RtrVersion.Max + 1;
    private readonly Lazy<EncodedPayload>[] _full;
    private readonly Lazy<EncodedPayload>[,] _deltas;

    public RtrSnapshot(PayloadSnapshot payload, SessionIds sessions, RtrTimers timers)
    {
        Payload = payload;
        Sessions = sessions;
        Timers = timers;
        _full = new Lazy<EncodedPayload>[Versions];
        for (byte v = 0; v < Versions; v++)
        {
            byte version = v;
            _full[v] = new Lazy<EncodedPayload>(() => PayloadEncoder.EncodeFull(payload.Payload, version));
        }
        var history = payload.History;
        _deltas = new Lazy<EncodedPayload>[history.Count, Versions];
        for (int i = 0; i < history.Count; i++)
            for (byte v = 0; v < Versions; v++)
            {
                var delta = history[i].Delta;
                byte version = v;
                _deltas[i, v] = new Lazy<EncodedPayload>(() => PayloadEncoder.EncodeDelta(delta, version));
            }
    }

    public PayloadSnapshot Payload { get; }
    public SessionIds Sessions { get; }
    public RtrTimers Timers { get; }
    public Serial Serial => Payload.Serial;

    /// <summary>Encoded payload of the full set for <paramref name="version"/>.</summary>
    public EncodedPayload Full(byte version) => _full[version].Value;

    /// <summary>
    /// Encoded net delta from <paramref name="routerSerial"/> for <paramref name="version"/>: empty when the
    /// router is current, null when it must reset.
    /// </summary>
    public EncodedPayload? DeltaFrom(Serial routerSerial, byte version)
    {
        if (routerSerial == Payload.Serial) return EncodedPayload.Empty;
        var history = Payload.History;
        for (int i = 0; i < history.Count; i++)
            if (history[i].From == routerSerial) return _deltas[i, version].Value;
        return null;
    }

    /// <summary>Encodes every version's full body now, so the first routers after an update don't wait for it.</summary>
    public void Prepare(byte maxVersion)
    {
        for (byte v = 0; v <= maxVersion; v++) _ = Full(v);
    }
}
