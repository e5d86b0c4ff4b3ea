using RtrCache.Payload;
using RtrCache.Payload.Slurm;

namespace RtrCache.Host.Input;

/// <summary>
/// The operator's SLURM files, re-read when one changes. All files are parsed and checked together (RFC 8416
/// §4.2 overlap rules); if any is rejected the previous rules stay in force, so a typo in a SLURM file never
/// changes what routers see.
/// </summary>
public sealed class SlurmSource : IDisposable
{
    private readonly IReadOnlyList<string> _paths;
    private readonly FileWatch _watch;
    private (DateTime, long)[]? _seen;
    private SlurmPolicy? _policy;

    public SlurmSource(IReadOnlyList<string> paths, bool watch = true)
    {
        _paths = paths.Select(Path.GetFullPath).ToArray();
        _watch = new FileWatch(watch ? _paths : []);
    }

    public Task ChangeSignal => _watch.Changed;

    /// <summary>The result of looking at the files: whether the rules in force changed, and why a new version was rejected.</summary>
    public readonly record struct RefreshResult(bool Changed, string? Error);

    /// <summary>Re-reads the files if any changed since the last look.</summary>
    public RefreshResult Refresh()
    {
        if (_paths.Count == 0) return new RefreshResult(false, null);
        var stamps = new (DateTime, long)[_paths.Count];
        for (int i = 0; i < _paths.Count; i++)
        {
            var info = new FileInfo(_paths[i]);
            stamps[i] = info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
        }
        if (_seen is not null && stamps.AsSpan().SequenceEqual(_seen)) return new RefreshResult(false, null);
        _seen = stamps;

        var files = new List<SlurmFile>(_paths.Count);
        foreach (var path in _paths)
        {
            byte[] bytes;
            try
            {
                bytes = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new RefreshResult(false, $"{path}: {ex.Message}");
            }
            var parsed = SlurmFile.Parse(bytes, path);
            if (!parsed.Success) return new RefreshResult(false, parsed.Error);
            files.Add(parsed.File);
        }
        if (!SlurmPolicy.TryCreate(files, out var policy, out var error)) return new RefreshResult(false, error);
        _policy = policy;
        return new RefreshResult(true, null);
    }

    /// <summary>
    /// False while SLURM files are configured but none has been read successfully yet: serving the input
    /// without the operator's rules would announce exactly what they filter out.
    /// </summary>
    public bool IsReady => _paths.Count == 0 || _policy is not null;

    /// <summary>Parses and checks the files once, as at start-up; null when they are good, else why not.</summary>
    public static string? Check(IReadOnlyList<string> paths)
    {
        using var probe = new SlurmSource(paths, watch: false);
        return probe.Refresh().Error;
    }

    /// <summary>The payload with the rules in force applied (unchanged when there are none).</summary>
    public SlurmApplyResult Apply(PayloadSet input) => _policy is null ? new SlurmApplyResult(input, 0, 0, 0, 0, 0, 0, 0) : _policy.Apply(input);

    public void Dispose()
    {
        _watch.Dispose();
    }
}
