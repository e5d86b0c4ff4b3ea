namespace RtrCache.Fetch.Tests.Support;

/// <summary>Object bytes for tests that do not look inside objects (the fetcher stores them as they are).</summary>
public static class TestData
{
    /// <summary>
    /// Arbitrary bytes of <paramref name="length"/>, the same for the same <paramref name="seed"/>, so a test can
    /// compare what was served with what it published without keeping a copy.
    /// </summary>
    public static byte[] Blob(int seed, int length = 200)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
