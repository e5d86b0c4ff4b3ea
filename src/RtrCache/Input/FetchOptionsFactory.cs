using Microsoft.Extensions.Logging;
using RtrCache.Fetch;
using RtrCache.Host.Serving;

namespace RtrCache.Host.Input;

/// <summary>
/// Turns the fetch options of the command line (<see cref="FetchSettings"/>) into the fetcher's
/// <see cref="FetchOptions"/> and names the fetcher's directory inside <c>--cache-dir</c>. One place for both
/// <c>serve</c> and <c>validate</c>, so a one-shot <c>validate</c> fetches exactly as the server would (same
/// timeouts, same fallback rule) and the two can share a cache directory.
/// </summary>
public static class FetchOptionsFactory
{
    /// <summary>
    /// The fetcher's directory below <paramref name="cacheDirectory"/>: a subdirectory, because <c>serve</c> keeps
    /// its persisted serving state in the cache directory itself.
    /// </summary>
    public static string RepositoryDirectory(string cacheDirectory) => Path.Combine(cacheDirectory, "repository");

    /// <summary>
    /// The fetcher options for <paramref name="fetch"/>. <see cref="FetchSettings.FetchTimeout"/> bounds a whole
    /// repository and also caps a single request (a request can never usefully outlive its repository's deadline).
    /// </summary>
    public static FetchOptions Create(FetchSettings fetch, Action<FetchLogLevel, string>? log) => new()
    {
        ExtraCaFiles = fetch.ExtraCaFiles,
        RsyncPath = fetch.RsyncPath,
        RsyncEnabled = fetch.RsyncEnabled,
        RrdpFallbackWindow = fetch.RrdpFallbackTime,
        RepositoryTimeout = fetch.FetchTimeout,
        RequestTimeout = fetch.FetchTimeout < FetchOptions.Default.RequestTimeout ? fetch.FetchTimeout : FetchOptions.Default.RequestTimeout,
        Log = log,
    };

    /// <summary>
    /// Opens the fetcher of <paramref name="cacheDirectory"/>, or says which option is wrong: a cache held by
    /// another rtrcache or not writable (<c>--cache-dir</c>), an unusable extra root (<c>--extra-ca</c>). Both
    /// commands call it before doing anything, so such a mistake stops start-up with a message, not a stack trace.
    /// </summary>
    public static RepositoryFetcher? TryOpen(string cacheDirectory, FetchSettings fetch, Action<FetchLogLevel, string>? log, out string? error)
    {
        error = null;
        try
        {
            return new RepositoryFetcher(RepositoryDirectory(cacheDirectory), Create(fetch, log));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"--cache-dir {cacheDirectory}: {e.Message}";
        }
        catch (InvalidDataException e)
        {
            error = $"--extra-ca: {e.Message}";
        }
        return null;
    }

    /// <summary>Forwards fetcher messages to <paramref name="logger"/> at the matching level (the server's console log).</summary>
    public static Action<FetchLogLevel, string> LogTo(ILogger logger) => (level, message) => logger.Log(level switch
    {
        FetchLogLevel.Debug => LogLevel.Debug,
        FetchLogLevel.Information => LogLevel.Information,
        FetchLogLevel.Warning => LogLevel.Warning,
        _ => LogLevel.Error,
    }, "{Message}", message);
}
