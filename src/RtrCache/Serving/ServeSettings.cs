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

    /// <summary>The local rsync-style repository tree the validator reads.</summary>
    public string? RepositoryDirectory { get; init; }

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
}
