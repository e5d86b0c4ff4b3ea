namespace RtrCache.Fetch.Tests.Support;

/// <summary>A clock the test sets (timers stay real).</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
}
