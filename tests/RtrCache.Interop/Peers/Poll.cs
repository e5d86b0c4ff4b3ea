using System.Diagnostics;

namespace RtrCache.Interop.Peers;

/// <summary>Bounded polling: re-evaluates a condition until it holds or a timeout passes.</summary>
public static class Poll
{
    /// <summary>
    /// Calls <paramref name="probe"/> every <paramref name="interval"/> (default 100 ms) until it returns
    /// true; throws <see cref="TimeoutException"/> after <paramref name="timeout"/>, with
    /// <paramref name="describe"/>'s text (e.g. the last observed state) in the message.
    /// </summary>
    public static async Task UntilAsync(
        Func<Task<bool>> probe,
        TimeSpan timeout,
        Func<string> describe,
        TimeSpan? interval = null,
        CancellationToken cancellationToken = default)
    {
        var stopwatch = Stopwatch.StartNew();
        var pause = interval ?? TimeSpan.FromMilliseconds(100);
        while (true)
        {
            if (await probe().ConfigureAwait(false))
            {
                return;
            }

            if (stopwatch.Elapsed >= timeout)
            {
                throw new TimeoutException($"Condition not met within {timeout.TotalSeconds:0.#} s: {describe()}");
            }

            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
    }
}
