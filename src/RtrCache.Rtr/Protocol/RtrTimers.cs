using System.Diagnostics.CodeAnalysis;

namespace RtrCache.Rtr.Protocol;

/// <summary>
/// The Refresh, Retry and Expire intervals a cache sends in a v1/v2 End of Data. Routers enforce the ranges
/// (OpenBGPD even tears the session down when Expire is not larger than both others), so values are checked
/// once when the options are read rather than discovered by a router.
/// </summary>
public readonly record struct RtrTimers(uint Refresh, uint Retry, uint Expire)
{
    public const uint MinRefresh = 1, MaxRefresh = 86400;
    public const uint MinRetry = 1, MaxRetry = 7200;
    public const uint MinExpire = 600, MaxExpire = 172800;

    /// <summary>The recommended defaults: 3600 / 600 / 7200 seconds.</summary>
    public static RtrTimers Default { get; } = new(3600, 600, 7200);

    public bool IsValid(out string? error) => TryValidate(Refresh, Retry, Expire, out error);

    public static bool TryValidate(uint refresh, uint retry, uint expire, [NotNullWhen(false)] out string? error)
    {
        if (refresh is < MinRefresh or > MaxRefresh)
            error = $"refresh interval {refresh} s outside {MinRefresh}..{MaxRefresh}";
        else if (retry is < MinRetry or > MaxRetry)
            error = $"retry interval {retry} s outside {MinRetry}..{MaxRetry}";
        else if (expire is < MinExpire or > MaxExpire)
            error = $"expire interval {expire} s outside {MinExpire}..{MaxExpire}";
        else if (expire <= refresh || expire <= retry)
            error = $"expire interval {expire} s must be larger than refresh ({refresh} s) and retry ({retry} s)";
        else
            error = null;
        return error is null;
    }
}
