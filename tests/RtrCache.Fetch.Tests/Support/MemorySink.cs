using System.Security.Cryptography;
using RtrCache.Fetch.Rrdp;
using RtrCache.Fetch.Uris;

namespace RtrCache.Fetch.Tests.Support;

/// <summary>An in-memory <see cref="IRrdpChangeSink"/> with the RFC 8182 preconditions, for parser tests.</summary>
public sealed class MemorySink : IRrdpChangeSink
{
    public Dictionary<string, byte[]> Objects { get; } = new(StringComparer.Ordinal);

    public void Publish(RsyncUri uri, byte[]? replacesHash, RrdpObjectContent content)
    {
        if (replacesHash is null && Objects.ContainsKey(uri.Text)) throw new RrdpException($"{uri}: duplicate publish element");
        if (replacesHash is not null) Check(uri, replacesHash);
        Objects[uri.Text] = content.ToArray();
    }

    public void Withdraw(RsyncUri uri, byte[] hash)
    {
        Check(uri, hash);
        Objects.Remove(uri.Text);
    }

    private void Check(RsyncUri uri, byte[] hash)
    {
        if (!Objects.TryGetValue(uri.Text, out var current)) throw new RrdpException($"{uri}: not present");
        if (!SHA256.HashData(current).AsSpan().SequenceEqual(hash)) throw new RrdpException($"{uri}: hash mismatch");
    }
}
