using System.Globalization;
using System.Text;

namespace RtrCache.Testbed;

/// <summary>Named sizes. See <see cref="TestbedOptions.ForScale"/>.</summary>
public enum TestbedScale
{
    /// <summary>One TA, two levels of two CAs, a few ROAs, ASPAs and router certs: ~40 objects, ~40 keys.</summary>
    Tiny,
    /// <summary>~30 CAs, ~300 objects: quick CI runs that still have some breadth.</summary>
    Small,
    /// <summary>~2,000 CAs, ~20,000 objects: the rpki-client comparison.</summary>
    Medium,
    /// <summary>~50,000 CAs, ~350,000 ROAs, ~790,000 VRPs, ~600 ASPAs: the benchmark.</summary>
    Global,
}

/// <summary>
/// Everything that determines a generated repository. Two equal option sets (see <see cref="Describe"/>)
/// produce byte-identical trees with the same key pool, which is what lets a tree on disk be reused.
/// </summary>
public sealed record TestbedOptions
{
    /// <summary>Seeds the shape (resources, ROA contents, ASPA providers, router keys).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The pinned clock: every validity window is relative to it. Whole seconds, UTC.</summary>
    public DateTimeOffset Now { get; init; } = DefaultNow();

    public string Host { get; init; } = "rpki.testbed.test";
    public string Module { get; init; } = "repo";

    /// <summary>TAL file name without <c>.tal</c>; further TAs get <c>-2</c>, <c>-3</c>, ...</summary>
    public string TalName { get; init; } = "testbed";

    public int TrustAnchors { get; init; } = 1;

    /// <summary>
    /// Resources of each TA certificate as prefixes and AS ranges (<c>"0.0.0.0/0"</c>, <c>"::/0"</c>,
    /// <c>"AS1-AS4294967295"</c>, <c>"AS64496"</c>); null = all resources. They must cover what the CAs get:
    /// IPv4 from 1.0.0.0 in blocks of <see cref="V4BlockHostBits"/>, IPv6 from 2001::, ASNs from <see cref="FirstAsn"/>.
    /// </summary>
    public IReadOnlyList<string>? TrustAnchorResources { get; init; }

    /// <summary>Children per CA at each level below a TA: <c>[5, 10000]</c> = 5 CAs under the TA, 10,000 under each of them.</summary>
    public IReadOnlyList<int> FanOut { get; init; } = [2, 2];

    /// <summary>Mean ROAs per CA below the TA (the TA issues none). Whole values are exact, fractions vary per CA.</summary>
    public double RoasPerCa { get; init; } = 2;

    /// <summary>Mean prefixes (VRPs) per ROA, at least 1.</summary>
    public double VrpsPerRoa { get; init; } = 2.5;

    /// <summary>Share of IPv6 prefixes among ROA prefixes.</summary>
    public double V6Share { get; init; } = 0.3;

    /// <summary>Total ASPA objects (current profile, version 1), spread over the CAs.</summary>
    public int Aspas { get; init; } = 3;

    /// <summary>Total BGPsec router certificates (EC P-256), spread over the CAs.</summary>
    public int RouterCerts { get; init; } = 2;

    /// <summary>Add an https URI (before the rsync one) to the TAL.</summary>
    public bool HttpsTaUri { get; init; }

    /// <summary>Add an rpkiNotify (RRDP) URI to every CA certificate's SIA. Off by default: rpki-client would try RRDP.</summary>
    public bool RrdpNotify { get; init; }

    /// <summary>
    /// The https URI of the RRDP Update Notification File put into every TA and CA certificate's SIA as
    /// id-ad-rpkiNotify (1.3.6.1.5.5.7.48.13), e.g. <c>https://127.0.0.1:PORT/rrdp/notification.xml</c> of an
    /// in-test server (<see cref="Publishing.RrdpTestServer"/>). It wins over <see cref="RrdpNotify"/>, whose URI
    /// names <see cref="Host"/>, which nothing on the test machine answers. Null = no such URI from this option.
    /// </summary>
    public string? NotifyUri { get; init; }

    /// <summary>
    /// Base of an https URI for each TA certificate, listed in the TAL before the rsync one (as the RIRs do):
    /// <c>BASE + MODULE/ta/ta.cer</c>, e.g. <c>https://127.0.0.1:PORT/repo/ta/ta.cer</c>, so a fetcher can load
    /// the TA certificate from an in-test HTTPS server. Must end with '/'. Wins over <see cref="HttpsTaUri"/>.
    /// </summary>
    public string? HttpsTaBaseUri { get; init; }

    /// <summary>The rpkiNotify URI the certificates carry, or null when they carry none.</summary>
    public string? EffectiveNotifyUri => NotifyUri ?? (RrdpNotify ? $"https://{Host}/rrdp/notification.xml" : null);

    /// <summary>Host bits of each CA's own IPv4 block (12 = a /20).</summary>
    public int V4BlockHostBits { get; init; } = 12;

    /// <summary>Length of each CA's own IPv6 block.</summary>
    public int V6BlockLength { get; init; } = 32;

    public int AsnsPerCa { get; init; } = 4;
    public uint FirstAsn { get; init; } = 64496;

    /// <summary>Manifest and CRL lifetime after <see cref="Now"/> (thisUpdate is one hour before it).</summary>
    public TimeSpan ManifestLifetime { get; init; } = TimeSpan.FromDays(2);

    public static DateTimeOffset DefaultNow()
    {
        var n = DateTimeOffset.UtcNow;
        return new DateTimeOffset(n.Year, n.Month, n.Day, 0, 0, 0, TimeSpan.Zero);
    }

    public static TestbedOptions ForScale(TestbedScale scale, int seed = 1, DateTimeOffset? now = null)
    {
        var o = new TestbedOptions { Seed = seed, Now = now ?? DefaultNow() };
        return scale switch
        {
            TestbedScale.Tiny => o,
            TestbedScale.Small => o with { FanOut = [3, 3, 2], RoasPerCa = 4, VrpsPerRoa = 2.3, Aspas = 10, RouterCerts = 4 },
            // 10 + 200 + 2,000 = 2,210 CAs... keep ~20,000 objects: 2,010 CAs x (cert + crl + mft + 7 ROAs)
            TestbedScale.Medium => o with { FanOut = [10, 200], RoasPerCa = 7, VrpsPerRoa = 2.26, Aspas = 60, RouterCerts = 20 },
            TestbedScale.Global => o with { FanOut = [5, 10000], RoasPerCa = 7, VrpsPerRoa = 2.26, Aspas = 600, RouterCerts = 50 },
            _ => throw new ArgumentOutOfRangeException(nameof(scale)),
        };
    }

    /// <summary>
    /// Options for a benchmark that is generated once and reused: <see cref="Now"/> is the first day of the
    /// current month and manifests/CRLs live 40 days, so the cached tree stays valid (also for rpki-client, which
    /// validates against the real clock) until next month's run regenerates it.
    /// </summary>
    public static TestbedOptions ForBenchmark(TestbedScale scale, int seed = 1)
    {
        var n = DateTimeOffset.UtcNow;
        return ForScale(scale, seed, new DateTimeOffset(n.Year, n.Month, 1, 0, 0, 0, TimeSpan.Zero)) with { ManifestLifetime = TimeSpan.FromDays(40) };
    }

    /// <summary>A canonical text of every option: equal text, equal repository.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        void Add(string k, object v) => sb.Append(k).Append('=').Append(Convert.ToString(v, CultureInfo.InvariantCulture)).Append('\n');
        Add("generator", Repository.GeneratorVersion);
        Add("seed", Seed);
        Add("now", Now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        Add("host", Host);
        Add("module", Module);
        Add("tal", TalName);
        Add("trustAnchors", TrustAnchors);
        Add("taResources", TrustAnchorResources is null ? "all" : string.Join(",", TrustAnchorResources));
        Add("fanOut", string.Join(",", FanOut));
        Add("roasPerCa", RoasPerCa);
        Add("vrpsPerRoa", VrpsPerRoa);
        Add("v6Share", V6Share);
        Add("aspas", Aspas);
        Add("routerCerts", RouterCerts);
        Add("httpsTaUri", HttpsTaUri);
        Add("rrdpNotify", RrdpNotify);
        Add("v4BlockHostBits", V4BlockHostBits);
        Add("v6BlockLength", V6BlockLength);
        Add("asnsPerCa", AsnsPerCa);
        Add("firstAsn", FirstAsn);
        Add("manifestLifetime", (long)ManifestLifetime.TotalSeconds);
        // Only when set: every tree cached before these options existed keeps its key (a Global tree took 11 minutes).
        if (NotifyUri is not null) Add("notifyUri", NotifyUri);
        if (HttpsTaBaseUri is not null) Add("httpsTaBaseUri", HttpsTaBaseUri);
        return sb.ToString();
    }
}
