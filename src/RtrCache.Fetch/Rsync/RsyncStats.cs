using System.Globalization;
using System.Text.RegularExpressions;

namespace RtrCache.Fetch.Rsync;

/// <summary>Figures from rsync's <c>--stats</c> output (numbers may carry thousands separators).</summary>
internal static partial class RsyncStats
{
    /// <summary>"Total bytes received: N"; 0 when absent.</summary>
    public static long BytesReceived(string stats) => Math.Max(0, Number(BytesReceivedPattern().Match(stats)));

    /// <summary>"Number of regular files transferred: N"; -1 when absent.</summary>
    public static long FilesTransferred(string stats) => Number(FilesTransferredPattern().Match(stats));

    private static long Number(Match m)
        => m.Success && long.TryParse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal),
            NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : -1;

    [GeneratedRegex(@"Total bytes received: ([0-9][0-9,.]*)")]
    private static partial Regex BytesReceivedPattern();

    [GeneratedRegex(@"Number of regular files transferred: ([0-9][0-9,.]*)")]
    private static partial Regex FilesTransferredPattern();
}
