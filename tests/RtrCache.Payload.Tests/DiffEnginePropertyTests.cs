namespace RtrCache.Payload.Tests;

/// <summary>
/// Randomised end-to-end checks of the diff engine: random payload, random update sequences, and for every
/// retained serial a strict router that must end up with exactly the current set.
/// </summary>
[TestFixture]
public class DiffEnginePropertyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly uint[] Asns = [0, 64496, 64497, 64498, 64499, 65000, 4200000000];

    /// <summary>The raw input of one validation run: VRPs, router keys and ASPA objects (several per customer).</summary>
    private sealed class Model
    {
        public HashSet<Vrp> Vrps { get; } = [];
        public HashSet<RouterKey> Keys { get; } = [];
        public Dictionary<uint, List<uint[]>> AspaObjects { get; } = [];

        public PayloadSet Build()
        {
            var b = new PayloadSetBuilder();
            foreach (var v in Vrps) b.Add(v);
            foreach (var k in Keys) b.Add(k);
            foreach (var (customer, objects) in AspaObjects)
                foreach (var providers in objects) b.AddAspa(customer, providers);
            return b.Build();
        }
    }

    private sealed class Scenario
    {
        private readonly Random _rng;
        private readonly List<Vrp> _vrpPool = [];
        private readonly List<RouterKey> _keyPool = [];
        private readonly byte[][] _skis;
        private readonly List<Vrp> _removedVrps = [];
        private readonly List<RouterKey> _removedKeys = [];
        private readonly List<(uint Customer, List<uint[]> Objects)> _removedAspas = [];
        private readonly List<Action> _pendingRemovals = [];
        private uint _nextFreshCustomer = 70000;

        public Model Model { get; } = new();

        public Scenario(int seed, int initialSize)
        {
            _rng = new Random(seed);
            for (int i = 0; i < initialSize * 2; i++)
                _vrpPool.Add(_rng.Next(3) == 0 ? Make.RandomV6(_rng, Asns) : Make.RandomV4(_rng, Asns));
            _skis = Enumerable.Range(0, 8).Select(_ => { var b = new byte[20]; _rng.NextBytes(b); return b; }).ToArray();
            for (int i = 0; i < 24; i++) _keyPool.Add(Make.RandomKey(_rng, _skis));

            foreach (var v in _vrpPool) if (_rng.Next(2) == 0) Model.Vrps.Add(v);
            foreach (var k in _keyPool) if (_rng.Next(2) == 0) Model.Keys.Add(k);
            for (uint c = 64500; c < 64520; c++)
                if (_rng.Next(3) != 0) Model.AspaObjects[c] = RandomObjects(c);
        }

        private uint[] RandomProviders(uint customer)
        {
            int roll = _rng.Next(20);
            if (roll == 0) return [0];                              // AS0 ASPA
            if (roll == 1) return [0, (uint)_rng.Next(64490, 64530)]; // AS0 with another: AS0 must be dropped
            if (roll == 2) return [customer, (uint)_rng.Next(64490, 64530)]; // customer among its providers: dropped
            var n = _rng.Next(1, 5);
            return Enumerable.Range(0, n).Select(_ => (uint)_rng.Next(64490, 64530)).ToArray();
        }

        private List<uint[]> RandomObjects(uint customer)
            => Enumerable.Range(0, _rng.Next(1, 4)).Select(_ => RandomProviders(customer)).ToList();

        private TItem Pick<TItem>(IReadOnlyCollection<TItem> items) => items.ElementAt(_rng.Next(items.Count));

        /// <summary>Applies a random batch of changes for one update; returns a description for failure messages.</summary>
        public string Mutate()
        {
            foreach (var removal in _pendingRemovals) removal();
            _pendingRemovals.Clear();

            if (_rng.Next(12) == 0) return "no change";

            var log = new List<string>();
            int ops = _rng.Next(1, 7);
            for (int i = 0; i < ops; i++)
            {
                switch (_rng.Next(13))
                {
                    case 0:
                    {
                        var v = _vrpPool[_rng.Next(_vrpPool.Count)];
                        if (Model.Vrps.Add(v)) log.Add($"+{v}");
                        break;
                    }
                    case 1:
                    case 2:
                        if (Model.Vrps.Count > 0)
                        {
                            var v = Pick(Model.Vrps);
                            Model.Vrps.Remove(v);
                            _removedVrps.Add(v);
                            log.Add($"-{v}");
                        }
                        break;
                    case 3:
                    {
                        var v = _rng.Next(3) == 0 ? Make.RandomV6(_rng, Asns) : Make.RandomV4(_rng, Asns);
                        if (Model.Vrps.Add(v)) log.Add($"+new {v}");
                        break;
                    }
                    case 4:
                    {
                        var k = _rng.Next(2) == 0 ? _keyPool[_rng.Next(_keyPool.Count)] : Make.RandomKey(_rng, _skis);
                        if (Model.Keys.Add(k)) log.Add($"+key {k}");
                        break;
                    }
                    case 5:
                        if (Model.Keys.Count > 0)
                        {
                            var k = Pick(Model.Keys);
                            Model.Keys.Remove(k);
                            _removedKeys.Add(k);
                            log.Add($"-key {k}");
                        }
                        break;
                    case 6:
                        if (Model.AspaObjects.Count > 0)
                        {
                            var c = Pick(Model.AspaObjects.Keys);
                            Model.AspaObjects[c] = RandomObjects(c);
                            log.Add($"~aspa AS{c} replaced");
                        }
                        break;
                    case 7:
                        if (Model.AspaObjects.Count > 0)
                        {
                            var c = Pick(Model.AspaObjects.Keys);
                            Model.AspaObjects[c].Add(RandomProviders(c));
                            log.Add($"~aspa AS{c} extra object");
                        }
                        break;
                    case 8:
                        if (Model.AspaObjects.Count > 0)
                        {
                            var c = Pick(Model.AspaObjects.Keys);
                            var objects = Model.AspaObjects[c];
                            if (objects.Count > 1)
                            {
                                objects.RemoveAt(_rng.Next(objects.Count));
                                log.Add($"~aspa AS{c} one object gone");
                            }
                            else
                            {
                                Model.AspaObjects.Remove(c);
                                _removedAspas.Add((c, objects));
                                log.Add($"-aspa AS{c}");
                            }
                        }
                        break;
                    case 9:
                    {
                        uint c = (uint)_rng.Next(64500, 64530);
                        if (!Model.AspaObjects.ContainsKey(c))
                        {
                            Model.AspaObjects[c] = RandomObjects(c);
                            log.Add($"+aspa AS{c}");
                        }
                        break;
                    }
                    case 10:
                    {
                        // Transient: appears in this update and is gone again in the next one.
                        var v = _rng.Next(2) == 0 ? Make.RandomV6(_rng, Asns) : Make.RandomV4(_rng, Asns);
                        var k = Make.RandomKey(_rng, _skis);
                        uint c = _nextFreshCustomer++;
                        bool addedV = Model.Vrps.Add(v);
                        bool addedK = Model.Keys.Add(k);
                        Model.AspaObjects[c] = RandomObjects(c);
                        _pendingRemovals.Add(() =>
                        {
                            if (addedV) Model.Vrps.Remove(v);
                            if (addedK) Model.Keys.Remove(k);
                            Model.AspaObjects.Remove(c);
                        });
                        log.Add($"+transient {v}, {k}, AS{c}");
                        break;
                    }
                    case 11:
                    {
                        // Re-add something removed earlier (possibly inside the history window).
                        int which = _rng.Next(3);
                        if (which == 0 && _removedVrps.Count > 0)
                        {
                            var v = _removedVrps[_rng.Next(_removedVrps.Count)];
                            if (Model.Vrps.Add(v)) log.Add($"+again {v}");
                        }
                        else if (which == 1 && _removedKeys.Count > 0)
                        {
                            var k = _removedKeys[_rng.Next(_removedKeys.Count)];
                            if (Model.Keys.Add(k)) log.Add($"+again key {k}");
                        }
                        else if (_removedAspas.Count > 0)
                        {
                            var (c, objects) = _removedAspas[_rng.Next(_removedAspas.Count)];
                            if (Model.AspaObjects.TryAdd(c, [.. objects])) log.Add($"+again aspa AS{c}");
                        }
                        break;
                    }
                    default:
                    {
                        // Change a provider set and change it back within the same window (next update).
                        if (Model.AspaObjects.Count > 0)
                        {
                            var c = Pick(Model.AspaObjects.Keys);
                            var old = Model.AspaObjects[c];
                            Model.AspaObjects[c] = [.. old, [(uint)_rng.Next(80000, 80010)]];
                            _pendingRemovals.Add(() => { if (Model.AspaObjects.ContainsKey(c)) Model.AspaObjects[c] = old; });
                            log.Add($"~aspa AS{c} changed, to be changed back");
                        }
                        break;
                    }
                }
            }
            return string.Join("; ", log);
        }
    }

    private static void CheckSnapshot(PayloadSnapshot snap, Dictionary<uint, PayloadSet> setsBySerial, List<uint> serialOrder, int historySize, string context)
    {
        // Exactly the newest min(historySize, serials so far − 1) older serials are retained, newest first.
        int expectedRetained = Math.Min(historySize, serialOrder.Count - 1);
        var expectedFrom = serialOrder.AsEnumerable().Reverse().Skip(1).Take(expectedRetained).ToArray();
        Assert.That(snap.History.Select(h => h.From.Value), Is.EqualTo(expectedFrom).AsCollection, () => context + ": retained serials");

        var current = snap.Payload;
        Assert.That(snap.DeltaFrom(snap.Serial)!.IsEmpty, Is.True, () => context + ": current serial");
        Assert.That(snap.DeltaFrom(snap.Serial.Next()), Is.Null, () => context + ": future serial");

        foreach (var s in serialOrder)
        {
            var d = snap.DeltaFrom(s);
            bool retained = s == snap.Serial.Value || expectedFrom.Contains(s);
            if (!retained)
            {
                Assert.That(d, Is.Null, () => $"{context}: serial {s} fell out of the history but still has a delta");
                continue;
            }
            Assert.That(d, Is.Not.Null, () => $"{context}: no delta from retained serial {s}");
            string where = $"{context}, router at {s} -> {snap.Serial}";
            DeltaShape.AssertCanonical(d!, where);
            var router = RouterCopy.Of(setsBySerial[s]);
            router.Apply(d!, where);
            router.AssertHolds(current, where);
            // Minimal: the net delta is exactly the direct difference of the two sets.
            Make.AssertSameDelta(d!, PayloadDelta.Compute(setsBySerial[s], current), where);
        }
    }

    /// <summary>
    /// A cache restarted after any update must answer every retained serial exactly as before: the snapshot is
    /// written in the persisted binary form after each update, read back through a fresh engine, checked like the
    /// original, and the run continues from the restored copy (so later net deltas build on restored ones).
    /// </summary>
    [TestCase(5, 6, 40, 1000u)]
    [TestCase(6, 24, 40, 4294967285u)]  // wraps during the run
    [TestCase(8, 0, 15, 9u)]             // no history
    public void RandomUpdates_SurviveThePersistedBinaryForm(int seed, int historySize, int updates, uint startSerial)
    {
        var scenario = new Scenario(seed, initialSize: 60);
        var engine = new DiffEngine(historySize);
        var setsBySerial = new Dictionary<uint, PayloadSet>();
        var serialOrder = new List<uint>();
        var initial = scenario.Model.Build();
        var snap = engine.Start(initial, startSerial, T0);
        setsBySerial[startSerial] = initial;
        serialOrder.Add(startSerial);
        for (int u = 1; u <= updates; u++)
        {
            string what = scenario.Mutate();
            var next = scenario.Model.Build();
            var previous = snap;
            snap = engine.Advance(snap, next, T0.AddMinutes(u));
            if (!ReferenceEquals(snap, previous))
            {
                setsBySerial[snap.Serial.Value] = next;
                serialOrder.Add(snap.Serial.Value);
            }
            string context = $"seed {seed}, update {u} ({what}), restored";
            var bytes = global::RtrCache.Payload.Formats.PayloadSnapshotBinary.ToArray(snap);
            Assert.That(global::RtrCache.Payload.Formats.PayloadSnapshotBinary.TryRead(bytes, new DiffEngine(historySize), out var restored, out var error), Is.True, () => $"{context}: {error}");
            Assert.That(restored!.Serial, Is.EqualTo(snap.Serial), context);
            Assert.That(restored.CreatedAt, Is.EqualTo(snap.CreatedAt), context);
            Assert.That(restored.Payload, Is.EqualTo(snap.Payload), context);
            for (int i = 0; i < snap.History.Count; i++)
            {
                Assert.That(restored.History[i].From, Is.EqualTo(snap.History[i].From), context);
                Make.AssertSameDelta(restored.History[i].Delta, snap.History[i].Delta, $"{context}: net delta {i}");
            }
            CheckSnapshot(restored, setsBySerial, serialOrder, historySize, context);
            snap = restored;
        }
    }

    [TestCase(1, 5, 40, 1000u)]
    [TestCase(2, 8, 40, 4294967280u)]   // wraps during the run
    [TestCase(3, 24, 40, 0u)]            // default history size, fewer serials fall out
    [TestCase(42, 3, 50, 4294967294u)]
    [TestCase(1234, 10, 35, 2147483640u)]
    [TestCase(99991, 1, 30, 7u)]
    [TestCase(20261101, 6, 45, 4294967295u)]
    [TestCase(7, 0, 20, 55u)]            // no history at all: only the current serial
    public void RandomUpdates_EveryRetainedSerialReachesCurrentSet(int seed, int historySize, int updates, uint startSerial)
    {
        var scenario = new Scenario(seed, initialSize: 60);
        var engine = new DiffEngine(historySize);
        var setsBySerial = new Dictionary<uint, PayloadSet>();
        var serialOrder = new List<uint>();

        var initial = scenario.Model.Build();
        var snap = engine.Start(initial, startSerial, T0);
        setsBySerial[startSerial] = initial;
        serialOrder.Add(startSerial);
        Assert.That(initial.VrpCount, Is.GreaterThan(20));
        Assert.That(initial.V6Count, Is.GreaterThan(0));
        Assert.That(initial.RouterKeyCount, Is.GreaterThan(0));
        Assert.That(initial.AspaCount, Is.GreaterThan(0));

        int unchangedUpdates = 0, aspaReplacements = 0, aspaWithdrawals = 0, vrpWithdrawals = 0, keyWithdrawals = 0;
        for (int u = 1; u <= updates; u++)
        {
            string what = scenario.Mutate();
            var next = scenario.Model.Build();
            var previous = snap;
            snap = engine.Advance(snap, next, T0.AddMinutes(u));
            string context = $"seed {seed}, update {u} ({what})";

            if (next.Equals(previous.Payload))
            {
                Assert.That(snap, Is.SameAs(previous), () => context + ": no change must keep the snapshot");
                unchangedUpdates++;
            }
            else
            {
                Assert.That(snap, Is.Not.SameAs(previous), () => context);
                Assert.That(snap.Serial, Is.EqualTo(previous.Serial.Next()), () => context + ": serial + 1");
                Assert.That(snap.Serial.IsAfter(previous.Serial), Is.True, () => context + ": RFC 1982 after");
                Assert.That(snap.Payload, Is.SameAs(next));
                setsBySerial[snap.Serial.Value] = next;
                serialOrder.Add(snap.Serial.Value);
                var step = PayloadDelta.Compute(previous.Payload, next);
                aspaReplacements += step.AspaChanges.Count(c => c.Before is not null && c.After is not null);
                aspaWithdrawals += step.AspaChanges.Count(c => c.After is null);
                vrpWithdrawals += step.WithdrawnVrpCount;
                keyWithdrawals += step.WithdrawnRouterKeys.Count;
            }
            CheckSnapshot(snap, setsBySerial, serialOrder, historySize, context);
        }

        Assert.That(serialOrder.Count, Is.GreaterThan(updates / 2), "most updates changed something");
        // The random walk really exercised every kind of change.
        Assert.That(aspaReplacements, Is.GreaterThan(0), "ASPA provider-set replacements");
        Assert.That(aspaWithdrawals, Is.GreaterThan(0), "ASPA withdrawals");
        Assert.That(vrpWithdrawals, Is.GreaterThan(0), "VRP withdrawals");
        Assert.That(keyWithdrawals, Is.GreaterThan(0), "router key withdrawals");
        TestContext.Out.WriteLine($"serials {serialOrder.Count}, unchanged {unchangedUpdates}, ASPA replacements {aspaReplacements}, ASPA withdrawals {aspaWithdrawals}, VRP withdrawals {vrpWithdrawals}, key withdrawals {keyWithdrawals}");
        Assert.That(unchangedUpdates + serialOrder.Count - 1, Is.EqualTo(updates));
        Assert.That(snap.Serial.Value, Is.EqualTo(unchecked(startSerial + (uint)(serialOrder.Count - 1))));
        if (historySize < serialOrder.Count - 1)
            Assert.That(snap.DeltaFrom(serialOrder[0]), Is.Null, "the first serial fell out of the history");

        // Final snapshot, once more, explicitly: every retained serial.
        foreach (var h in snap.History)
        {
            var router = RouterCopy.Of(setsBySerial[h.From.Value]);
            router.Apply(snap.DeltaFrom(h.From)!, $"final from {h.From}");
            router.AssertHolds(snap.Payload, $"final from {h.From}");
        }
    }

    [TestCase(5)]
    [TestCase(6)]
    public void RandomUpdates_LargeHistory_AllSerialsRetained(int seed)
    {
        var scenario = new Scenario(seed, initialSize: 40);
        var engine = new DiffEngine(1000);
        var setsBySerial = new Dictionary<uint, PayloadSet>();
        var serialOrder = new List<uint>();
        var initial = scenario.Model.Build();
        var snap = engine.Start(initial, 4294967290u, T0);
        setsBySerial[snap.Serial.Value] = initial;
        serialOrder.Add(snap.Serial.Value);
        for (int u = 1; u <= 30; u++)
        {
            var what = scenario.Mutate();
            var next = scenario.Model.Build();
            var previous = snap;
            snap = engine.Advance(snap, next, T0);
            if (!ReferenceEquals(snap, previous))
            {
                setsBySerial[snap.Serial.Value] = next;
                serialOrder.Add(snap.Serial.Value);
            }
            CheckSnapshot(snap, setsBySerial, serialOrder, 1000, $"seed {seed}, update {u} ({what})");
        }
        Assert.That(snap.History, Has.Count.EqualTo(serialOrder.Count - 1));
    }
}
