namespace RtrCache.Payload;

/// <summary>The net change from an older serial to the snapshot that holds it.</summary>
public sealed record SerialDelta(Serial From, PayloadDelta Delta);

/// <summary>
/// The cache's state at one serial: the full payload set plus, for every retained older serial, the net delta
/// from that serial to this one. Immutable; the writer publishes a new snapshot by one reference swap and
/// every reader keeps using the one it picked up.
/// </summary>
public sealed class PayloadSnapshot
{
    private readonly SerialDelta[] _history;

    internal PayloadSnapshot(Serial serial, PayloadSet payload, SerialDelta[] history, DateTimeOffset createdAt)
    {
        Serial = serial;
        Payload = payload;
        _history = history;
        CreatedAt = createdAt;
    }

    /// <summary>Restores a snapshot from persisted parts (serial, set, net deltas from older serials, newest first).</summary>
    public static PayloadSnapshot Restore(Serial serial, PayloadSet payload, IEnumerable<SerialDelta> history, DateTimeOffset createdAt)
        => new(serial, payload, [.. history], createdAt);

    public Serial Serial { get; }
    public PayloadSet Payload { get; }
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Net deltas to this snapshot, newest source serial first.</summary>
    public IReadOnlyList<SerialDelta> History => _history;

    /// <summary>
    /// What a router at <paramref name="routerSerial"/> needs to reach this snapshot: an empty delta when it is
    /// current, the net delta when its serial is retained, or null when it must reset (too old, unknown, or
    /// ahead of us).
    /// </summary>
    public PayloadDelta? DeltaFrom(Serial routerSerial)
    {
        if (routerSerial == Serial) return PayloadDelta.Empty;
        foreach (var h in _history)
            if (h.From == routerSerial) return h.Delta;
        return null;
    }

    /// <summary>
    /// The history as single steps, newest first: entry i goes from <c>History[i].From</c> to the next newer
    /// retained serial (<c>History[i-1].From</c>, or <see cref="Serial"/> for i = 0). Net deltas repeat every
    /// older change once per newer serial, so 24 of them hold about twelve times what the 24 steps hold; the steps
    /// are what gets persisted, and <see cref="DiffEngine.TryRestore"/> composes the net deltas again.
    /// </summary>
    public IReadOnlyList<SerialDelta> Steps()
    {
        var steps = new SerialDelta[_history.Length];
        for (int i = 0; i < _history.Length; i++)
        {
            var delta = i == 0 ? _history[0].Delta : PayloadDelta.Compose(_history[i].Delta, _history[i - 1].Delta.Inverse());
            steps[i] = new SerialDelta(_history[i].From, delta);
        }
        return steps;
    }

    public override string ToString() => $"serial {Serial}: {Payload}, {_history.Length} deltas retained";
}

/// <summary>
/// Turns each new payload set into the next snapshot: the next serial, the delta from the current set, and
/// the net deltas from every retained older serial (each the composition of the old net delta with the new
/// step, so a query costs a lookup, never a replay).
/// </summary>
public sealed class DiffEngine
{
    public const int DefaultHistorySize = 24;

    public DiffEngine(int historySize = DefaultHistorySize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historySize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(historySize, 100_000);
        HistorySize = historySize;
    }

    /// <summary>How many older serials keep a delta; older ones get Cache Reset.</summary>
    public int HistorySize { get; }

    /// <summary>The first snapshot of a session: no history.</summary>
    public PayloadSnapshot Start(PayloadSet payload, Serial serial, DateTimeOffset now) => new(serial, payload, [], now);

    /// <summary>
    /// Rebuilds a snapshot from persisted parts: the serial, the payload set and the single steps of its history
    /// (newest first, as <see cref="PayloadSnapshot.Steps"/> gives them). The net deltas are composed again and
    /// checked before any router could be given them: serials must run back in RFC 1982 order, every delta must
    /// be well-formed and lead to <paramref name="payload"/>. Steps beyond <see cref="HistorySize"/> (a smaller
    /// <c>--history</c> than when they were saved) are dropped, oldest first.
    /// </summary>
    public bool TryRestore(Serial serial, PayloadSet payload, IReadOnlyList<SerialDelta> steps, DateTimeOffset createdAt,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PayloadSnapshot? snapshot,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(steps);
        snapshot = null;
        int keep = Math.Min(HistorySize, steps.Count);
        var history = new SerialDelta[keep];
        var newer = serial;
        for (int i = 0; i < keep; i++)
        {
            var step = steps[i];
            if (step.From.DistanceTo(newer) is not > 0 || step.From.DistanceTo(serial) is not > 0)
            {
                error = $"history entry {i} starts at serial {step.From}, which is not before serial {newer}";
                return false;
            }
            if (step.Delta.CheckWellFormed() is { } malformed)
            {
                error = $"history step from serial {step.From}: {malformed}";
                return false;
            }
            var net = i == 0 ? step.Delta : PayloadDelta.Compose(step.Delta, history[i - 1].Delta);
            if (net.CheckLeadsTo(payload) is { } mismatch)
            {
                error = $"net delta from serial {step.From} to {serial} {mismatch}";
                return false;
            }
            history[i] = new SerialDelta(step.From, net);
            newer = step.From;
        }
        snapshot = new PayloadSnapshot(serial, payload, history, createdAt);
        error = null;
        return true;
    }

    /// <summary>
    /// The snapshot after <paramref name="current"/> holding <paramref name="next"/>, or <paramref name="current"/>
    /// itself when the two sets are equal (no new serial is made for no change).
    /// </summary>
    public PayloadSnapshot Advance(PayloadSnapshot current, PayloadSet next, DateTimeOffset now)
    {
        var step = PayloadDelta.Compute(current.Payload, next);
        if (step.IsEmpty) return current;
        int keep = Math.Min(HistorySize, current.History.Count + 1);
        var history = new SerialDelta[keep];
        if (keep > 0)
        {
            history[0] = new SerialDelta(current.Serial, step);
            for (int i = 1; i < keep; i++)
            {
                var older = current.History[i - 1];
                history[i] = new SerialDelta(older.From, PayloadDelta.Compose(older.Delta, step));
            }
        }
        return new PayloadSnapshot(current.Serial.Next(), next, history, now);
    }
}
