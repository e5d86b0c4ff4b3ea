using System.Text.Json;

namespace RtrCache.Fetch.Rsync;

/// <summary>What we know about an rsync module, stored in the generation it describes (<c>.rsync-state.json</c>).</summary>
public sealed record RsyncState
{
    public const string FileName = ".rsync-state.json";

    /// <summary>The module URI (<c>rsync://HOST/MODULE/</c>).</summary>
    public required string ModuleUri { get; init; }

    /// <summary>When rsync last completed for this module.</summary>
    public DateTimeOffset LastSuccess { get; init; }

    public static RsyncState? TryRead(string generationRoot)
    {
        try
        {
            string path = Path.Combine(generationRoot, FileName);
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > 64 * 1024) return null;
            var state = JsonSerializer.Deserialize(File.ReadAllBytes(path), Rrdp.FetchJsonContext.Default.RsyncState);
            return state is null || state.ModuleUri.Length == 0 ? null : state;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Rrdp.FetchJsonContext.Default.RsyncState);
}
