using System.Text.Json;
using System.Text.Json.Serialization;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// What we know about an RRDP repository, stored inside the generation it describes (<c>.rrdp-state.json</c>), so
/// the state and the files can never disagree: both change with one pointer swap. The applied-delta hashes feed
/// the RFC 9697 check (a server that rewrites history is detected and resynchronised by snapshot).
/// </summary>
public sealed record RrdpState
{
    public const string FileName = ".rrdp-state.json";

    /// <summary>The notification URI this state belongs to.</summary>
    public required string NotifyUri { get; init; }

    /// <summary>The rsync authority (<c>host[:port]</c>) the objects were accepted for.</summary>
    public required string Authority { get; init; }

    public required Guid SessionId { get; init; }
    public required long Serial { get; init; }

    /// <summary>Recently applied (or, after a snapshot, announced) deltas, ascending by serial.</summary>
    public IReadOnlyList<RrdpDeltaRecord> Deltas { get; init; } = [];

    /// <summary>The notification's ETag, for If-None-Match.</summary>
    public string? ETag { get; init; }

    /// <summary>The notification's Last-Modified (RFC 1123 form), for If-Modified-Since.</summary>
    public string? LastModified { get; init; }

    /// <summary>When the last snapshot was applied (a periodic snapshot heals silent divergence).</summary>
    public DateTimeOffset LastSnapshot { get; init; }

    /// <summary>When the repository was last brought up to date over RRDP (also by a 304).</summary>
    public DateTimeOffset LastSuccess { get; init; }

    /// <summary>
    /// When <see cref="Serial"/> was applied: the time the repository last changed. A notification that names
    /// the same serial for more than <see cref="FetchOptions.UnchangedWarningAfter"/> is reported (the publisher may
    /// have stopped while its server keeps serving the old file). Null in state written before it was kept.
    /// </summary>
    public DateTimeOffset? SerialSince { get; init; }

    /// <summary>The state stored in <paramref name="generationRoot"/>, or null with <paramref name="error"/> when it is missing or unreadable.</summary>
    public static RrdpState? TryRead(string generationRoot, out string? error)
    {
        string path = Path.Combine(generationRoot, FileName);
        error = null;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) { error = "no RRDP state in the cached copy"; return null; }
            if (info.Length > 1024 * 1024) { error = "RRDP state file too large"; return null; }
            var state = JsonSerializer.Deserialize(File.ReadAllBytes(path), FetchJsonContext.Default.RrdpState);
            if (state is null || state.Serial <= 0 || state.NotifyUri.Length == 0 || Uris.RsyncUri.CheckAuthority(state.Authority) is not null
                || state.Deltas.Any(d => d is null || d.Serial <= 0 || d.Hash is not { Length: 64 }))
            { error = "RRDP state file is inconsistent"; return null; }
            return state;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            error = "RRDP state unreadable: " + e.Message;
            return null;
        }
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, FetchJsonContext.Default.RrdpState);
}

/// <summary>One delta we know the hash of.</summary>
public sealed record RrdpDeltaRecord(long Serial, string Hash);

/// <summary>Source-generated JSON for the state files (no reflection).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(RrdpState))]
[JsonSerializable(typeof(Rsync.RsyncState))]
internal sealed partial class FetchJsonContext : JsonSerializerContext;
