namespace RtrCache.Fetch.Rrdp;

/// <summary>A snapshot or delta named by a notification: where to get it and the SHA-256 its bytes must have.</summary>
/// <param name="Serial">The serial the file brings the repository to (for the snapshot: the notification serial).</param>
/// <param name="Uri">https URI on the notification's origin.</param>
/// <param name="Hash">SHA-256 of the file as downloaded (after HTTP content decoding), 32 bytes.</param>
public sealed record RrdpFileRef(long Serial, Uri Uri, byte[] Hash)
{
    /// <summary>The hash as 64 lower-case hex digits (how it is stored and reported).</summary>
    public string HashHex => Convert.ToHexStringLower(Hash);
}
