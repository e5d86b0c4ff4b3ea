using System.Buffers;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RtrCache.Rtr.Cache;
using RtrCache.Rtr.Server;

namespace RtrCache.Host.Api;

/// <summary>
/// A named section of <c>GET /api/v1/status</c>. Parts of the program that have something to report (the
/// fetch/validation loop, persistence, the shrink guard …) register one in DI
/// (<c>services.AddSingleton&lt;IStatusContributor, MyStatus&gt;()</c>) instead of editing the status endpoint; each
/// appears as the member <see cref="Name"/> of the status object, in registration order.
/// </summary>
/// <remarks>
/// <see cref="WriteSection"/> is called on every status request, from any thread: read state that is cheap to get
/// and safe to read concurrently (an immutable snapshot, like <see cref="RunStatus"/>). A contributor that throws
/// does not break the document: its section becomes <c>{"error": "…"}</c> and the exception is logged.
/// </remarks>
public interface IStatusContributor
{
    /// <summary>The member name of the section, camelCase (e.g. <c>run</c>, <c>persistence</c>); unique, and not
    /// one of the core members (<see cref="StatusEndpoint.CoreMembers"/>).</summary>
    string Name { get; }

    /// <summary>Writes exactly one JSON value (normally an object) for the section.</summary>
    void WriteSection(Utf8JsonWriter writer, DateTimeOffset now);
}

/// <summary>When this server started and which build it is, for the status document.</summary>
public sealed class ApiServerInfo
{
    public ApiServerInfo(TimeProvider time)
    {
        StartedAt = time.GetUtcNow();
        var assembly = typeof(ApiServerInfo).Assembly;
        Version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                  ?? assembly.GetName().Version?.ToString() ?? "unknown";
    }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The assembly's informational version (the project version, plus <c>+commit</c> when built from git).</summary>
    public string Version { get; }
}

/// <summary>The <c>rtr</c> section: connected routers, from <see cref="RtrSessionRegistry"/>.</summary>
internal sealed class RtrSessionsStatusContributor(RtrSessionRegistry registry) : IStatusContributor
{
    public string Name => "rtr";

    public void WriteSection(Utf8JsonWriter w, DateTimeOffset now)
    {
        var sessions = registry.Sessions.OrderBy(s => s.ConnectedAt).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
        w.WriteStartObject();
        w.WriteNumber("sessionCount", sessions.Count);
        w.WriteStartArray("sessions");
        foreach (var s in sessions)
        {
            w.WriteStartObject();
            w.WriteString("id", s.Id);
            var address = s.Remote?.Address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : s.Remote?.Address;
            if (address is null) w.WriteNull("address");
            else w.WriteString("address", address.ToString());
            ApiJson.WriteNumberOrNull(w, "port", s.Remote?.Port);
            ApiJson.WriteNumberOrNull(w, "version", s.Version);
            ApiJson.WriteNumberOrNull(w, "serial", s.Serial?.Value);
            ApiJson.WriteTime(w, "connectedAt", s.ConnectedAt);
            ApiJson.WriteTime(w, "lastQueryAt", s.LastQueryAt);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}

/// <summary><c>GET /api/v1/status</c>: the core members, then one member per <see cref="IStatusContributor"/>.</summary>
public sealed class StatusEndpoint
{
    /// <summary>Members written by the endpoint itself; contributors may not use these names.</summary>
    public static readonly string[] CoreMembers = ["version", "startedAt", "uptimeSeconds", "now", "serial", "sessionIds", "lastUpdate", "payload"];

    private readonly ApiServerInfo _info;
    private readonly SnapshotStore _store;
    private readonly TimeProvider _time;
    private readonly IStatusContributor[] _contributors;
    private readonly ILogger _logger;

    public StatusEndpoint(ApiServerInfo info, SnapshotStore store, TimeProvider time, IEnumerable<IStatusContributor> contributors, ILoggerFactory loggers)
    {
        _info = info;
        _store = store;
        _time = time;
        _contributors = [.. contributors];
        _logger = loggers.CreateLogger("RtrCache.Host.Api");
        var seen = new HashSet<string>(CoreMembers, StringComparer.Ordinal);
        foreach (var c in _contributors)
        {
            // A clash would make the status document carry a duplicate member: refuse at start-up, not per request.
            if (string.IsNullOrEmpty(c.Name) || !seen.Add(c.Name))
                throw new InvalidOperationException($"status section name '{c.Name}' of {c.GetType().Name} is empty or already used");
        }
    }

    public Task HandleAsync(HttpContext context)
    {
        _ = new ApiQuery(context.Request);
        var now = _time.GetUtcNow();
        var current = _store.Current;
        return ApiJson.SendAsync(context, w =>
        {
            w.WriteStartObject();
            w.WriteString("version", _info.Version);
            ApiJson.WriteTime(w, "startedAt", _info.StartedAt);
            w.WriteNumber("uptimeSeconds", Math.Round((now - _info.StartedAt).TotalSeconds, 3));
            ApiJson.WriteTime(w, "now", now);
            if (current is null)
            {
                w.WriteNull("serial");
                w.WriteNull("sessionIds");
                w.WriteNull("lastUpdate");
                w.WriteNull("payload");
            }
            else
            {
                w.WriteNumber("serial", current.Serial.Value);
                w.WriteStartObject("sessionIds");
                w.WriteNumber("v0", current.Sessions.V0.Value);
                w.WriteNumber("v1", current.Sessions.V1.Value);
                w.WriteNumber("v2", current.Sessions.V2.Value);
                w.WriteEndObject();
                ApiJson.WriteTime(w, "lastUpdate", _store.PublishedAt ?? current.Payload.CreatedAt);
                var set = current.Payload.Payload;
                w.WriteStartObject("payload");
                w.WriteNumber("vrps", set.VrpCount);
                w.WriteNumber("vrpsV4", set.V4Count);
                w.WriteNumber("vrpsV6", set.V6Count);
                w.WriteNumber("aspas", set.AspaCount);
                w.WriteNumber("routerKeys", set.RouterKeyCount);
                w.WriteEndObject();
            }
            foreach (var c in _contributors)
            {
                w.WritePropertyName(c.Name);
                WriteContribution(w, c, now);
            }
            w.WriteEndObject();
        });
    }

    /// <summary>Writes the section into its own buffer first, so a contributor that throws halfway cannot leave
    /// broken JSON behind.</summary>
    private void WriteContribution(Utf8JsonWriter w, IStatusContributor contributor, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        try
        {
            using (var section = new Utf8JsonWriter(buffer, ApiJson.WriterOptions))
            {
                contributor.WriteSection(section, now);
            }
            w.WriteRawValue(buffer.WrittenSpan, skipInputValidation: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _logger.LogError(e, "Status section {Section} failed", contributor.Name);
            w.WriteStartObject();
            w.WriteString("error", $"{e.GetType().Name}: {e.Message}");
            w.WriteEndObject();
        }
    }
}
