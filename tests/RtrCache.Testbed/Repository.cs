using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RtrCache.Payload;
using RtrCache.Payload.Formats;

namespace RtrCache.Testbed;

/// <summary>What a correct validator must reject in a broken variant, and why.</summary>
public sealed record ExpectedRejection(string Variant, string Uri, string Reason, RejectionScope Scope);

public enum RejectionScope
{
    /// <summary>Only the object at the URI is dropped.</summary>
    Object,
    /// <summary>The CA certificate at the URI is rejected: its whole subtree is dropped.</summary>
    CaSubtree,
    /// <summary>The manifest at the URI is rejected: the whole publication point (and the CAs below) is dropped.</summary>
    PublicationPoint,
    /// <summary>The new manifest at the URI is rejected; a validator keeping the previous state continues with it.</summary>
    ManifestFallback,
}

/// <summary>
/// A generated RPKI repository: the model (TAs, CAs, objects), the files it renders to, the TALs, and the
/// payload a correct validator must produce from it. <see cref="Build"/> creates the model (fast, no
/// cryptography); <see cref="WriteTo"/> or <see cref="Materialize"/> issue and write the files.
/// </summary>
public sealed class Repository
{
    public const string GeneratorVersion = "2";
    public const string ManifestFileName = "testbed.txt";

    private readonly List<CaNode> _trustAnchors = [];
    private readonly List<string> _talNames = [];

    public TestbedOptions Options { get; }
    public KeyPool Pool { get; }
    public IReadOnlyList<CaNode> TrustAnchors => _trustAnchors;
    public IReadOnlyList<string> TalNames => _talNames;

    /// <summary>Number of RSA keys the model uses (pool indexes 0..KeyCount-1).</summary>
    public long KeyCount { get; private set; }

    /// <summary>Set by broken variants: what must be rejected.</summary>
    public ExpectedRejection? Rejection { get; set; }

    /// <summary>Set by variants that need history (manifest number regression): the state a validator saw before this one.</summary>
    public Repository? PreviousState { get; set; }

    /// <summary>Where <see cref="WriteTo"/> put the files, once written.</summary>
    public string? OutputDirectory { get; private set; }
    public string TreeRoot => Path.Combine(OutputDirectory ?? throw new InvalidOperationException("not written yet"), "repo");
    public string TalDirectory => Path.Combine(OutputDirectory ?? throw new InvalidOperationException("not written yet"), "tals");
    public IEnumerable<string> TalPaths => _talNames.Select(n => Path.Combine(TalDirectory, n + ".tal"));

    /// <summary>Time spent issuing and writing files in the last <see cref="WriteTo"/> (zero when reused).</summary>
    public TimeSpan RenderTime { get; private set; }
    public bool ReusedFromCache { get; private set; }

    private Repository(TestbedOptions options, KeyPool pool)
    {
        Options = options;
        Pool = pool;
    }

    public IEnumerable<CaNode> AllCas => _trustAnchors.SelectMany(t => t.SelfAndDescendants());

    /// <summary>The publication point of every CA, breadth-first from the trust anchors: the order a top-down validator needs them in.</summary>
    public IReadOnlyList<string> PublicationPointsTopDown()
    {
        var order = new List<string>();
        var queue = new Queue<CaNode>(_trustAnchors);
        while (queue.TryDequeue(out var ca))
        {
            order.Add(ca.PublicationPoint);
            foreach (var child in ca.Children) queue.Enqueue(child);
        }
        return order;
    }

    public int ObjectCount => AllCas.Sum(c => 2 + c.Children.Count + c.Roas.Count + c.Aspas.Count + c.Routers.Count) + _trustAnchors.Count;

    public CaNode FindCa(string name) => AllCas.First(c => c.Name == name);

    // ------------------------------------------------------------------ model

    /// <summary>Builds the model of the repository <paramref name="options"/> describes. Deterministic.</summary>
    public static Repository Build(TestbedOptions options, KeyPool? pool = null)
    {
        if (options.Now.Offset != TimeSpan.Zero || options.Now.Millisecond != 0 || options.Now.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentException("Now must be UTC and whole seconds", nameof(options));
        if (options.NotifyUri is { } notify && !notify.StartsWith("https://", StringComparison.Ordinal))
            throw new ArgumentException("NotifyUri must be an https URI (RFC 8182)", nameof(options));
        if (options.HttpsTaBaseUri is { } taBase && (!taBase.StartsWith("https://", StringComparison.Ordinal) || !taBase.EndsWith('/')))
            throw new ArgumentException("HttpsTaBaseUri must be an https URI ending with '/'", nameof(options));
        var repo = new Repository(options, pool ?? KeyPool.OpenPool());
        new ModelBuilder(repo, options).Build();
        return repo;
    }

    private sealed class ModelBuilder(Repository repo, TestbedOptions o)
    {
        private readonly Random _rnd = new(o.Seed);
        private long _keys;
        private uint _v4Next = 0x01000000; // 1.0.0.0
        private UInt128 _v6Next = (UInt128)0x2001_0000 << 96;
        private uint _asNext = o.FirstAsn;
        private long _serial = 1;
        private int _routerKeys;

        public void Build()
        {
            for (int t = 0; t < o.TrustAnchors; t++)
            {
                string taName = t == 0 ? "ta" : $"ta{t + 1}";
                string talName = t == 0 ? o.TalName : $"{o.TalName}-{t + 1}";
                string pp = $"rsync://{o.Host}/{o.Module}/{taName}/";
                var ta = NewCa(taName, null, t, pp, pp + "ta.cer");
                ta.Resources = o.TrustAnchorResources is null ? ResourceSet.All() : ResourceSet.Parse(o.TrustAnchorResources);
                var prefix = t == 0 ? "ca" : $"t{t + 1}-ca";
                for (int i = 0; i < (o.FanOut.Count > 0 ? o.FanOut[0] : 0); i++)
                    ta.Children.Add(BuildSubtree(ta, 1, $"{prefix}{i}"));
                repo._trustAnchors.Add(ta);
                repo._talNames.Add(talName);
            }
            var cas = repo.AllCas.Where(c => !c.IsTrustAnchor).ToList();
            if (cas.Count > 0)
            {
                for (int i = 0; i < o.Aspas; i++) AddAspa(cas, i);
                for (int i = 0; i < o.RouterCerts; i++) AddRouter(cas, i);
            }
            repo.KeyCount = _keys;
            foreach (var ta in repo._trustAnchors)
                foreach (var child in ta.Children)
                    if (!child.Resources.IsCoveredBy(ta.Resources))
                        throw new ArgumentException($"TrustAnchorResources do not cover {child.Name}: {child.Resources}");
        }

        private CaNode NewCa(string name, CaNode? parent, int ta, string pp, string certUri, IpRange? v4 = null, IpRange? v6 = null, AsRange? asr = null)
        {
            var ca = new CaNode
            {
                Name = name,
                Parent = parent,
                TrustAnchorIndex = ta,
                KeyIndex = _keys++,
                Resources = new ResourceSet(),
                PublicationPoint = pp,
                CertUri = certUri,
                Serial = _serial++,
                OwnV4 = v4,
                OwnV6 = v6,
                OwnAs = asr,
            };
            ca.Manifest = NewManifest(ca);
            return ca;
        }

        internal ManifestNode NewManifest(CaNode ca) => new()
        {
            Issuer = ca,
            FileName = ca.Name + ".mft",
            EeKeyIndex = _keys++,
            Serial = _serial++,
            Number = 1,
        };

        private CaNode BuildSubtree(CaNode parent, int depth, string name)
        {
            uint v4Size = 1u << o.V4BlockHostBits;
            var v4 = new IpRange(false, _v4Next, _v4Next + v4Size - 1);
            _v4Next += v4Size;
            UInt128 v6Size = UInt128.One << (128 - o.V6BlockLength);
            var v6 = new IpRange(true, _v6Next, _v6Next + v6Size - 1);
            _v6Next += v6Size;
            var asr = new AsRange(_asNext, _asNext + (uint)o.AsnsPerCa - 1);
            _asNext += (uint)o.AsnsPerCa;

            var ca = NewCa(name, parent, parent.TrustAnchorIndex, $"rsync://{o.Host}/{o.Module}/{name}/", parent.PublicationPoint + name + ".cer", v4, v6, asr);
            AddRoas(ca);
            if (depth < o.FanOut.Count)
                for (int i = 0; i < o.FanOut[depth]; i++)
                    ca.Children.Add(BuildSubtree(ca, depth + 1, $"{name}-{i}"));

            // resources: own blocks plus everything below (contiguous in pre-order)
            var last = ca.SelfAndDescendants().Last();
            ca.Resources = new ResourceSet
            {
                V4 = [new IpRange(false, v4.Min, last.OwnV4!.Value.Max)],
                V6 = [new IpRange(true, v6.Min, last.OwnV6!.Value.Max)],
                As = [new AsRange(asr.Min, last.OwnAs!.Value.Max)],
            };
            return ca;
        }

        private int Draw(double mean)
        {
            int whole = (int)Math.Floor(mean);
            double frac = mean - whole;
            return whole + (_rnd.NextDouble() < frac ? 1 : 0);
        }

        private void AddRoas(CaNode ca)
        {
            int roas = o.RoasPerCa == Math.Floor(o.RoasPerCa) ? (int)o.RoasPerCa : Draw(o.RoasPerCa);
            var used = new HashSet<IpPrefix>();
            for (int r = 0; r < roas; r++)
            {
                int n = Math.Max(1, o.VrpsPerRoa == Math.Floor(o.VrpsPerRoa) ? (int)o.VrpsPerRoa : Draw(o.VrpsPerRoa));
                var prefixes = new List<RoaPrefix>();
                for (int k = 0; k < n; k++)
                {
                    bool v6 = _rnd.NextDouble() < o.V6Share;
                    IpPrefix p = default;
                    for (int attempt = 0; attempt < 8; attempt++)
                    {
                        p = RandomSubPrefix(v6 ? ca.OwnV6!.Value : ca.OwnV4!.Value, v6 ? 16 : 4);
                        if (!used.Contains(p)) break;
                    }
                    used.Add(p);
                    int? maxLen = null;
                    double roll = _rnd.NextDouble();
                    if (roll < 0.25) maxLen = Math.Min(p.FamilyBits, p.Length + 1 + _rnd.Next(8));
                    else if (roll < 0.35) maxLen = p.Length; // explicit but equal: valid too
                    if (prefixes.Any(x => x.Prefix == p)) continue;
                    prefixes.Add(new RoaPrefix(p, maxLen));
                }
                uint asn = _rnd.NextDouble() < 0.01 ? 0u : ca.OwnAs!.Value.Min + (uint)_rnd.Next(o.AsnsPerCa);
                ca.Roas.Add(new RoaNode
                {
                    Issuer = ca,
                    FileName = $"roa-{r}.roa",
                    EeKeyIndex = _keys++,
                    Serial = _serial++,
                    Asn = asn,
                    Prefixes = prefixes,
                });
            }
        }

        private IpPrefix RandomSubPrefix(IpRange block, int extraBits)
        {
            int blockLen = block.PrefixLength;
            int len = blockLen + _rnd.Next(extraBits + 1);
            int bits = block.Bits;
            UInt128 count = UInt128.One << (len - blockLen);
            UInt128 index = (UInt128)(ulong)_rnd.NextInt64(0, (long)Math.Min((ulong)long.MaxValue, (ulong)count));
            UInt128 addr = block.Min + (index << (bits - len));
            return new IpPrefix(block.IsIPv6, addr, (byte)len);
        }

        private void AddAspa(List<CaNode> cas, int i)
        {
            var ca = cas[(int)((long)i * cas.Count / Math.Max(1, o.Aspas))];
            uint customer = ca.OwnAs!.Value.Min + (uint)_rnd.Next(o.AsnsPerCa);
            // the third ASPA repeats the first customer (same CA): validators must merge the two provider sets
            if (i == 2 && o.Aspas >= 3)
            {
                ca = cas[0];
                customer = cas[0].Aspas.Count > 0 ? cas[0].Aspas[0].Customer : customer;
            }
            List<uint> providers;
            if (i % 7 == 6) providers = [0];
            else
            {
                var set = new SortedSet<uint>();
                int n = 1 + _rnd.Next(4);
                while (set.Count < n)
                {
                    uint p = o.FirstAsn + (uint)_rnd.Next((int)Math.Max(1, _asNext - o.FirstAsn));
                    if (p != customer) set.Add(p);
                }
                providers = set.ToList();
            }
            ca.Aspas.Add(new AspaNode
            {
                Issuer = ca,
                FileName = $"aspa-{customer}-{ca.Aspas.Count}.asa",
                EeKeyIndex = _keys++,
                Serial = _serial++,
                Customer = customer,
                Providers = providers,
            });
        }

        private void AddRouter(List<CaNode> cas, int i)
        {
            var ca = cas[(int)((long)(i * 2 + 1) * cas.Count / Math.Max(1, 2 * o.RouterCerts))];
            uint asn = ca.OwnAs!.Value.Min + (uint)_rnd.Next(o.AsnsPerCa);
            var asns = new List<uint> { asn };
            if (i == 0 && o.AsnsPerCa > 1) asns = [ca.OwnAs.Value.Min, ca.OwnAs.Value.Min + 1]; // one cert for two ASes
            ca.Routers.Add(new RouterNode
            {
                Issuer = ca,
                FileName = $"router-{asns[0]}-{ca.Routers.Count}.cer",
                Asns = asns,
                KeyNumber = _routerKeys++,
                Serial = _serial++,
            });
        }

        public long AllocateKey() => _keys++;
    }

    // ------------------------------------------------------------------ expected payload

    /// <summary>The payload a correct validator produces (RFC 6487 strict, RFC 9286 manifest handling, current ASPA profile).</summary>
    public PayloadSet Expected()
    {
        var b = new PayloadSetBuilder();
        foreach (var ta in _trustAnchors)
        {
            if (ta.CertTweak.ExpectRejected) continue;
            Walk(ta, b, new HashSet<long>());
        }
        return b.Build();
    }

    private void Walk(CaNode ca, PayloadSetBuilder b, HashSet<long> path)
    {
        if (ca.ExpectPublicationPointFails) return;
        path.Add(ca.CertTweak.KeyIndex ?? ca.KeyIndex);
        foreach (var child in ca.Children)
            if (!child.CertTweak.ExpectRejected && !path.Contains(child.CertTweak.KeyIndex ?? child.KeyIndex))
                Walk(child, b, path);
        foreach (var roa in ca.Roas)
            if (!roa.Tweak.ExpectRejected)
                foreach (var v in roa.Vrps()) b.Add(v);
        foreach (var aspa in ca.Aspas)
            if (!aspa.Tweak.ExpectRejected)
                b.AddAspa(aspa.Customer, aspa.Providers);
        foreach (var r in ca.Routers)
            if (!r.Tweak.ExpectRejected)
            {
                var (spki, ski) = Renderer.RouterKeyPair(Options.Seed, r.KeyNumber);
                foreach (var asn in r.Asns) b.Add(RouterKey.Create(ski, asn, spki));
            }
        path.Remove(ca.CertTweak.KeyIndex ?? ca.KeyIndex);
    }

    /// <summary>The TAL of trust anchor <paramref name="index"/> (RFC 8630): URIs, empty line, base64 SPKI.</summary>
    public string Tal(int index)
    {
        var ta = _trustAnchors[index];
        var sb = new StringBuilder();
        sb.Append("# RtrCache testbed trust anchor ").Append(_talNames[index]).Append(", seed ").Append(Options.Seed.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (Options.HttpsTaBaseUri is not null)
            sb.Append(Options.HttpsTaBaseUri).Append(ta.CertUri["rsync://".Length..].Split('/', 2)[1]).Append('\n');
        else if (Options.HttpsTaUri)
            sb.Append("https://").Append(Options.Host).Append('/').Append(ta.CertUri["rsync://".Length..].Split('/', 2)[1]).Append('\n');
        sb.Append(ta.CertUri).Append('\n').Append('\n');
        var b64 = Convert.ToBase64String(Pool.GetKey(ta.CertTweak.KeyIndex ?? ta.KeyIndex).SubjectPublicKeyInfo);
        for (int i = 0; i < b64.Length; i += 64) sb.Append(b64.AsSpan(i, Math.Min(64, b64.Length - i))).Append('\n');
        return sb.ToString();
    }

    // ------------------------------------------------------------------ writing

    /// <summary>
    /// Issues every object and writes <c>DIR/repo/HOST/MODULE/...</c>, <c>DIR/tals/NAME.tal</c>,
    /// <c>DIR/expected.json</c> (rpki-client JSON of <see cref="Expected"/>) and <c>DIR/testbed.txt</c>
    /// (the options; written last, so its presence means the tree is complete). Publication points are issued
    /// in parallel on all cores.
    /// </summary>
    public Repository WriteTo(string directory)
    {
        var sw = Stopwatch.StartNew();
        directory = Path.GetFullPath(directory);
        if (Directory.Exists(directory)) Directory.Delete(directory, true);
        Directory.CreateDirectory(directory);
        OutputDirectory = directory;
        Pool.EnsureKeys(KeyCount + 64); // a little headroom for variants that add keys
        var renderer = new Renderer(Pool, Options);
        var tree = TreeRoot;
        Parallel.ForEach(AllCas.Where(c => !c.IsAlias).ToList(), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            ca => renderer.Write(ca, tree));
        Directory.CreateDirectory(TalDirectory);
        for (int i = 0; i < _trustAnchors.Count; i++)
            File.WriteAllText(Path.Combine(TalDirectory, _talNames[i] + ".tal"), Tal(i));
        var expected = Expected();
        File.WriteAllBytes(Path.Combine(directory, "expected.json"), RpkiClientJson.WriteToArray(expected,
            new RpkiClientJsonMetadata { BuildMachine = "rtrcache-testbed", Generated = Options.Now, TrustAnchor = _talNames[0] }, indented: true));
        if (Rejection is not null)
            File.WriteAllText(Path.Combine(directory, "rejection.txt"),
                $"variant={Rejection.Variant}\nuri={Rejection.Uri}\nscope={Rejection.Scope}\nreason={Rejection.Reason}\n");
        if (PreviousState is not null)
            PreviousState.WriteTo(Path.Combine(directory, "previous"));
        File.WriteAllText(Path.Combine(directory, ManifestFileName), Describe());
        RenderTime = sw.Elapsed;
        return this;
    }

    /// <summary>The options plus a summary of the content; the reuse key of <see cref="Materialize"/>.</summary>
    public string Describe()
        => Options.Describe() + $"keys={KeyCount}\nobjects={ObjectCount}\nrejection={Rejection?.Variant ?? "-"}\n";

    /// <summary>
    /// Writes the repository into the cache (<c>CACHE_ROOT/repos/HASH</c>) unless an identical one is already
    /// there, and returns it with <see cref="OutputDirectory"/> set. Safe against concurrent processes.
    /// </summary>
    public Repository Materialize(string? cacheRoot = null)
    {
        cacheRoot ??= KeyPool.DefaultCacheRoot;
        var description = Describe();
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(description)))[..16].ToLowerInvariant();
        var dir = Path.Combine(cacheRoot, "repos", hash);
        var marker = Path.Combine(dir, ManifestFileName);
        if (File.Exists(marker) && File.ReadAllText(marker) == description)
        {
            OutputDirectory = dir;
            ReusedFromCache = true;
            return this;
        }
        Directory.CreateDirectory(Path.Combine(cacheRoot, "repos"));
        PruneCache(Path.Combine(cacheRoot, "repos"), TimeSpan.FromDays(45));
        using (var lockFile = LockFile(Path.Combine(cacheRoot, "repos", hash + ".lock")))
        {
            if (File.Exists(marker) && File.ReadAllText(marker) == description)
            {
                OutputDirectory = dir;
                ReusedFromCache = true;
                return this;
            }
            var tmp = dir + ".tmp-" + Environment.ProcessId;
            WriteTo(tmp);
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            Directory.Move(tmp, dir);
            OutputDirectory = dir;
        }
        return this;
    }

    /// <summary>Deletes cached trees not written for <paramref name="age"/> (their clock has run out anyway).</summary>
    private static void PruneCache(string reposDir, TimeSpan age)
    {
        foreach (var dir in Directory.EnumerateDirectories(reposDir))
        {
            try
            {
                var marker = Path.Combine(dir, ManifestFileName);
                var written = File.Exists(marker) ? File.GetLastWriteTimeUtc(marker) : Directory.GetLastWriteTimeUtc(dir);
                if (DateTime.UtcNow - written > age) Directory.Delete(dir, true);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static FileStream LockFile(string path)
    {
        var deadline = DateTime.UtcNow.AddHours(2);
        while (true)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline) { Thread.Sleep(250); }
        }
    }

    /// <summary>Generates (or reuses) the repository for <paramref name="options"/> in the cache.</summary>
    public static Repository Generate(TestbedOptions options, string? cacheRoot = null)
        => Build(options, KeyPool.OpenPool(cacheRoot is null ? null : Path.Combine(cacheRoot, "keys"))).Materialize(cacheRoot);

    /// <summary>A fresh copy of this repository's model (same options, no tweaks): the input of a broken variant.</summary>
    public Repository CloneGood() => Build(Options, Pool);

    /// <summary>Allocates a fresh, unused pool key index (for variants that add objects).</summary>
    public long AllocateKey() => KeyCount++;

    /// <summary>Allocates a fresh serial number (for variants that add objects).</summary>
    public long AllocateSerial() => 1_000_000_000L + KeyCount++;
}
