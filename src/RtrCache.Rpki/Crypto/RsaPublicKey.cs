using System.Security.Cryptography;

namespace RtrCache.Rpki.Crypto;

/// <summary>
/// An RSA public key that verifies many signatures: a CA's key verifies every child CA certificate, the CRL and
/// the EE certificate of every signed object of its publication point. Unlike <see cref="RsaVerifier"/>, which
/// builds OpenSSL's RSA* for each signature, this keeps it between verifications, so the modulus is converted
/// once and the Montgomery context OpenSSL caches inside the RSA (RSA_FLAG_CACHE_PUBLIC) is computed once.
/// </summary>
/// <remarks>
/// <para>
/// Building the RSA* is ~6.5 of the ~23 µs of a one-shot verification of a 2048-bit signature (measured on the
/// 2-core build machine: ~16.5 µs with a kept key). Same answers as <see cref="RsaVerifier"/> in every case: bad
/// lengths, the managed path (<see cref="RsaVerifier.ForceManaged"/>) and any failure to build the native key go
/// through it unchanged.
/// </para>
/// <para>
/// The RSA* (~1.6 KB of native memory once its Montgomery context exists) is held only weakly. The validator's
/// publication point cache keeps every child CA certificate between runs, and a global-shaped tree has ~50k CAs:
/// held strongly, their keys would pin ~80 MB for nothing, since a CA's verifications all happen while its own
/// publication point is processed. That is nearly always between two garbage collections, so the weak reference
/// keeps the gain (global-shaped tree: 52.8k keys built for 500.7k issuer verifications by ~50k CAs); a
/// collection drops the keys no verification is using (the SafeHandle's finalizer calls RSA_free), and a later
/// verification with the key, if any, builds it again.
/// </para>
/// <para>
/// Thread-safe: several threads may verify with one instance. OpenSSL builds the Montgomery context under the
/// RSA's lock and only reads the key otherwise; two threads that find no key both build one and the loser frees
/// its own.
/// </para>
/// </remarks>
internal sealed class RsaPublicKey
{
    private readonly byte[] _modulus;
    private readonly byte[] _exponent;
    private WeakReference<RsaVerifier.NativeKey>? _native;

    /// <param name="modulus">Big-endian unsigned modulus, without a leading zero byte (its length is the signature length).</param>
    /// <param name="exponent">Big-endian unsigned public exponent.</param>
    public RsaPublicKey(byte[] modulus, byte[] exponent)
    {
        _modulus = modulus;
        _exponent = exponent;
    }

    /// <summary>True when <paramref name="signature"/> is a valid PKCS#1 v1.5 SHA-256 signature of <paramref name="data"/>.</summary>
    public bool VerifySha256(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return VerifySha256Hash(hash, signature);
    }

    /// <summary>As <see cref="VerifySha256"/>, given the SHA-256 of the data.</summary>
    public bool VerifySha256Hash(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature)
    {
        if (RsaVerifier.UsesNative && signature.Length == _modulus.Length && hash.Length == 32
            && GetNativeKey() is { } key && RsaVerifier.VerifyNative(key, hash, signature) is { } result)
            return result;
        return RsaVerifier.VerifySha256Hash(_modulus, _exponent, hash, signature);
    }

    /// <summary>
    /// Frees the native key now rather than at a later garbage collection; the key stays usable (the next
    /// verification builds it again). A verification running on another thread finishes first (SafeHandle).
    /// </summary>
    public void ReleaseNativeKey()
    {
        if (Interlocked.Exchange(ref _native, null) is { } current && current.TryGetTarget(out var key)) key.Dispose();
    }

    /// <summary>True while a native key is held (for tests).</summary>
    internal bool HoldsNativeKey => Volatile.Read(ref _native) is { } current && current.TryGetTarget(out var key) && !key.IsClosed;

    /// <summary>The kept native key, built if there is none (or the collector took it); null if libcrypto could not build it.</summary>
    private RsaVerifier.NativeKey? GetNativeKey()
    {
        var current = Volatile.Read(ref _native);
        RsaVerifier.NativeKey? created = null;
        while (true)
        {
            if (current is not null && current.TryGetTarget(out var kept) && !kept.IsClosed)
            {
                created?.Dispose();
                return kept;
            }
            created ??= RsaVerifier.CreateReusableKey(_modulus, _exponent, out _);
            if (created is null) return null;
            var seen = Interlocked.CompareExchange(ref _native, new WeakReference<RsaVerifier.NativeKey>(created), current);
            if (ReferenceEquals(seen, current)) return created;
            current = seen;
        }
    }
}
