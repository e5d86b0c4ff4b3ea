using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RtrCache.Payload;
using RtrCache.Rtr.Cache;

using RtrCache.Fetch.Store;

namespace RtrCache.Host.Serving.Persistence;

/// <summary>
/// The update loop's access to the state file under <see cref="ServeSettings.CacheDirectory"/>: load once at
/// start, save on every new serial. Neither ever throws: a missing or damaged file means a fresh start, a
/// failed save is logged and counted and the cache keeps serving.
/// </summary>
/// <remarks>
/// Invariant: the file on disk never claims a serial routers may have seen with other data. The loop saves a
/// new serial before publishing it (a crash in between leaves a serial no router saw, harmless), and when a save
/// fails the old file is deleted, because serving the new serial while the file still holds the old one would
/// let a restart hand out the old serial number again with different data after a later update.
/// </remarks>
public sealed class StateStore
{
    private readonly ILogger<StateStore> _logger;
    private readonly SafeguardMetrics _metrics;
    private readonly string _directory;

    public StateStore(ServeSettings settings, SafeguardMetrics metrics, ILogger<StateStore> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _directory = Path.GetFullPath(settings.CacheDirectory);
        _metrics = metrics;
        _logger = logger;
        FilePath = Path.Combine(_directory, StateFile.FileName);
    }

    public string FilePath { get; }

    /// <summary>The outcome of the last save or load, for the status API; null before either.</summary>
    /// <param name="Action"><c>saved</c>, <c>loaded</c> or <c>save failed</c>.</param>
    /// <param name="Serial">The serial written or read.</param>
    /// <param name="At">When.</param>
    /// <param name="Bytes">File size; 0 when it failed.</param>
    /// <param name="Error">Why it failed; null on success.</param>
    public sealed record Outcome(string Action, uint Serial, DateTimeOffset At, long Bytes, string? Error);

    public Outcome? Last => Volatile.Read(ref _last);

    private Outcome? _last;

    /// <summary>The persisted state, or null (absent, unreadable, damaged: logged, and set aside for inspection).</summary>
    public PersistedState? Load(DiffEngine engine)
    {
        try
        {
            AtomicFile.RemoveLeftovers(_directory, StateFile.FileName);
            if (!File.Exists(FilePath))
            {
                _logger.LogInformation("No saved state at {Path}; starting a new RTR session", FilePath);
                return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Cannot read the saved state at {Path}: {Error}; starting a new RTR session", FilePath, e.Message);
            return null;
        }

        var clock = Stopwatch.StartNew();
        if (!StateFile.TryLoad(FilePath, engine, out var state, out var error, out long size))
        {
            string aside = FilePath + ".unusable";
            try { File.Move(FilePath, aside, overwrite: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { aside = "(could not be moved aside: " + e.Message + ")"; }
            _logger.LogWarning("Ignoring the saved state {Path}: {Error}; kept as {Aside}; starting a new RTR session (routers will reset)", FilePath, error, aside);
            return null;
        }
        _metrics.StateLoaded(size, state.Snapshot.Serial.Value);
        Volatile.Write(ref _last, new Outcome("loaded", state.Snapshot.Serial.Value, DateTimeOffset.UtcNow, size, null));
        _logger.LogInformation("Loaded saved state {Path} ({Bytes} bytes) in {Milliseconds} ms", FilePath, size, clock.ElapsedMilliseconds);
        return state;
    }

    /// <summary>Saves atomically; false (logged, counted, old file removed) when it could not be written.</summary>
    public bool Save(PayloadSnapshot snapshot, SessionIds sessions, DateTimeOffset lastRunAt)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            Directory.CreateDirectory(_directory);
            long size = StateFile.Write(FilePath, new PersistedState(snapshot, sessions, lastRunAt));
            _metrics.StateSaved(size, snapshot.Serial.Value, clock.Elapsed);
            Volatile.Write(ref _last, new Outcome("saved", snapshot.Serial.Value, DateTimeOffset.UtcNow, size, null));
            _logger.LogDebug("Saved serial {Serial} to {Path} ({Bytes} bytes, {Milliseconds} ms)", snapshot.Serial, FilePath, size, clock.ElapsedMilliseconds);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _metrics.StateSaveFailed();
            string removed;
            try
            {
                File.Delete(FilePath);
                removed = "the old state file was removed, so a restart starts a new RTR session";
            }
            catch (Exception d) when (d is IOException or UnauthorizedAccessException)
            {
                removed = $"the old state file could not be removed either ({d.Message})";
            }
            _logger.LogError("Cannot save serial {Serial} to {Path}: {Error}; {Removed}", snapshot.Serial, FilePath, e.Message, removed);
            Volatile.Write(ref _last, new Outcome("save failed", snapshot.Serial.Value, DateTimeOffset.UtcNow, 0, $"{e.Message}; {removed}"));
            return false;
        }
    }
}
