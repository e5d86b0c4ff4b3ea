using RtrCache.Fetch.Uris;

namespace RtrCache.Fetch.Rrdp;

/// <summary>
/// Receives the changes of a snapshot or delta as the parser meets them, so no file is ever held whole in memory.
/// The semantics are those of RFC 8182 §3.5.3 for both file kinds (a snapshot simply starts from nothing):
/// a publish without hash creates an object that must not exist yet (so a duplicate in a snapshot fails), a
/// publish with hash replaces an object whose current SHA-256 is that hash, a withdraw deletes an object whose
/// current SHA-256 is its hash. A sink throws <see cref="RrdpException"/> when a precondition does not hold.
/// </summary>
public interface IRrdpChangeSink
{
    /// <summary>Creates (<paramref name="replacesHash"/> null) or replaces an object; the sink reads the bytes from <paramref name="content"/>.</summary>
    void Publish(RsyncUri uri, byte[]? replacesHash, RrdpObjectContent content);

    /// <summary>Deletes an object whose current content hashes to <paramref name="hash"/>.</summary>
    void Withdraw(RsyncUri uri, byte[] hash);
}
