using System.Net;
using RtrCache.Payload;
using RtrCache.Rtr.Protocol;

namespace RtrCache.Host.Serving;

/// <summary>Everything <c>rtrcache serve</c> needs, validated once at start-up.</summary>
public sealed record ServeSettings
{
    /// <summary>Path or http(s) URL of an rpki-client JSON file; null when the payload comes from <see cref="TalDirectory"/>.</summary>
    public string? JsonSource { get; init; }

    /// <summary>TALs for our own validator (with <see cref="RepositoryDirectory"/>), used when <see cref="JsonSource"/> is null.</summary>
    public string? TalDirectory { get; init; }

    /// <summary>The local rsync-style repository tree the validator reads as it is; null when repositories are fetched.</summary>
    public string? RepositoryDirectory { get; init; }

    /// <summary>Where fetched repositories (and the persisted serving state) live.</summary>
    public string CacheDirectory { get; init; } = "/var/lib/rtrcache";

    /// <summary>Set when repositories are fetched from the network (TALs without <see cref="RepositoryDirectory"/>).</summary>
    public FetchSettings? Fetch { get; init; }

    public IReadOnlyList<string> SlurmFiles { get; init; } = [];
    public IReadOnlyList<IPEndPoint> RtrListen { get; init; } = [new(IPAddress.Loopback, 3323)];
    public IReadOnlyList<IPEndPoint> HttpListen { get; init; } = [new(IPAddress.Loopback, 8323)];
    public RtrTimers Timers { get; init; } = RtrTimers.Default;
    public int History { get; init; } = DiffEngine.DefaultHistorySize;
    public byte MaxVersion { get; init; } = RtrVersion.Max;
    public int MaxConnections { get; init; }
    public int MaxConnectionsPerAddress { get; init; }
    public IReadOnlyList<IpPrefix> Allow { get; init; } = [];

    /// <summary>
    /// How often the input is checked for changes (file changes are also noticed at once); with a repository,
    /// how often it is validated again.
    /// </summary>
    public TimeSpan ReloadInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Least time between Serial Notify PDUs on one session (spec: one minute).</summary>
    public TimeSpan NotifyInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a router may leave a started PDU unfinished before its session is dropped (slowloris).</summary>
    public TimeSpan PduTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a router may leave our writes unread before its session is dropped.</summary>
    public TimeSpan WriteStallTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Shrink guard: a new payload that withdraws more than this percentage of the served VRPs or ASPAs is held
    /// back (the previous serial stays) until the input recovers or an operator accepts it. 100 = never.
    /// </summary>
    public double ShrinkLimit { get; init; } = 10;

    /// <summary>Publish every payload whatever it drops (the shrink guard only logs).</summary>
    public bool AcceptShrink { get; init; }

    /// <summary>Enables the operator endpoints that change state (<c>POST /api/v1/accept-shrink</c>); off by default.</summary>
    public bool EnableAdminApi { get; init; }

    /// <summary>
    /// <c>/readyz</c> fails when the last successful update round is older than this; null = twice
    /// <see cref="ReloadInterval"/> (the refresh interval when validating), i.e. one missed round is tolerated.
    /// </summary>
    public TimeSpan? MaxStaleness { get; init; }

    /// <summary>The staleness limit in effect.</summary>
    public TimeSpan EffectiveMaxStaleness => MaxStaleness ?? ReloadInterval * 2;

    /// <summary>RTR over TLS listen addresses (RFC 8210 §9, port 324 by convention), next to the plain ones.</summary>
    public IReadOnlyList<IPEndPoint> RtrTlsListen { get; init; } = [];

    /// <summary>PEM certificate (optionally followed by its intermediates) for <see cref="RtrTlsListen"/>.</summary>
    public string? TlsCertificateFile { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertificateFile"/>; null = the key is in the certificate file.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>PEM CA certificate(s): when set, RTR-over-TLS clients must present a certificate issued under one of them.</summary>
    public string? TlsClientCaFile { get; init; }

    /// <summary>Console log format.</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Text;
}

/// <summary>How log lines are written to the console.</summary>
public enum LogFormat
{
    /// <summary>One line per entry: UTC time, level, category, message.</summary>
    Text,

    /// <summary>One JSON object per line (Microsoft.Extensions.Logging JSON console formatter), with the message's structured values.</summary>
    Json,
}

/// <summary>How repositories are fetched: RRDP first, rsync as the fallback (rpki-client / Routinator rules).</summary>
public sealed record FetchSettings
{
    /// <summary>Extra trusted root CAs (PEM) for RRDP over HTTPS; certificate checks cannot be switched off.</summary>
    public IReadOnlyList<string> ExtraCaFiles { get; init; } = [];
    public string RsyncPath { get; init; } = "rsync";
    public bool RsyncEnabled { get; init; } = true;

    /// <summary>After an RRDP failure, rsync is tried only when RRDP last worked longer ago than this (Routinator's "stale" policy).</summary>
    public TimeSpan RrdpFallbackTime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Most time one repository fetch may take.</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most time a whole run may take; a run cut short publishes nothing.</summary>
    public TimeSpan RunTimeout { get; init; } = TimeSpan.FromMinutes(30);
}
