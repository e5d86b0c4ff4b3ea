using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace RtrCache.Rpki.Crypto;

/// <summary>
/// RSASSA-PKCS1-v1_5 / SHA-256 verification with a public key given as modulus and exponent.
/// </summary>
/// <remarks>
/// Nearly every key in the RPKI is used exactly once (the one-time EE key of a signed object), so the cost of
/// importing a key dominates. .NET's <see cref="RSA"/> on OpenSSL 3.0 spends ~150 µs importing a public key
/// (measured on the 2-core build machine) against ~20 µs for the verification itself, and BouncyCastle's
/// <c>RsaKeyParameters</c> runs a ~16 ms modulus primality check per key. So when the process can load
/// libcrypto, the key is built with OpenSSL's RSA/BN functions directly (~23 µs per verification including
/// the key); otherwise .NET's <see cref="RSA"/> is used. Both give the same answers (tested). A key that
/// verifies many signatures (a CA's) goes through <see cref="RsaPublicKey"/> instead, which keeps its RSA*.
/// </remarks>
internal static class RsaVerifier
{
    private const string LibraryName = "rtrcache-libcrypto";
    private static readonly byte[] DigestInfoSha256 = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    private static readonly byte[] DigestInfoSha256NoNull = [0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20];
    private static readonly bool NativeAvailable = ProbeNative();

    /// <summary>Forces the managed (.NET <see cref="RSA"/>) path; for tests and as an escape hatch (RTRCACHE_RSA=managed).</summary>
    internal static bool ForceManaged { get; set; } = Environment.GetEnvironmentVariable("RTRCACHE_RSA") == "managed";

    internal static bool UsesNative => NativeAvailable && !ForceManaged;

    /// <summary>True when <paramref name="signature"/> is a valid PKCS#1 v1.5 SHA-256 signature of <paramref name="data"/>.</summary>
    public static bool VerifySha256(byte[] modulus, byte[] exponent, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return VerifySha256Hash(modulus, exponent, hash, signature);
    }

    public static bool VerifySha256Hash(byte[] modulus, byte[] exponent, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != modulus.Length || hash.Length != 32) return false;
        return UsesNative ? VerifyNative(modulus, exponent, hash, signature) : VerifyManaged(modulus, exponent, hash, signature);
    }

    private static bool VerifyManaged(byte[] modulus, byte[] exponent, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature)
    {
        try
        {
            using var rsa = RSA.Create(new RSAParameters { Modulus = modulus, Exponent = exponent });
            return rsa.VerifyHash(hash, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool VerifyNative(byte[] modulus, byte[] exponent, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature)
    {
        IntPtr rsa = CreateNativeKey(modulus, exponent, out bool useManaged);
        if (rsa == IntPtr.Zero) return useManaged && VerifyManaged(modulus, exponent, hash, signature);
        try
        {
            return VerifyNative(rsa, hash, signature);
        }
        finally
        {
            Native.RSA_free(rsa);
        }
    }

    /// <summary>
    /// Builds an RSA* holding the key, or returns zero: with <paramref name="useManaged"/> set when libcrypto could
    /// not even allocate the RSA (the caller verifies with .NET instead), clear when it refused the numbers (false).
    /// </summary>
    private static IntPtr CreateNativeKey(byte[] modulus, byte[] exponent, out bool useManaged)
    {
        useManaged = false;
        IntPtr rsa = Native.RSA_new();
        if (rsa == IntPtr.Zero)
        {
            useManaged = true;
            return IntPtr.Zero;
        }
        IntPtr n = Native.BN_bin2bn(ref MemoryMarshal.GetArrayDataReference(modulus), modulus.Length, IntPtr.Zero);
        IntPtr e = Native.BN_bin2bn(ref MemoryMarshal.GetArrayDataReference(exponent), exponent.Length, IntPtr.Zero);
        if (n == IntPtr.Zero || e == IntPtr.Zero || Native.RSA_set0_key(rsa, n, e, IntPtr.Zero) != 1)
        {
            if (n != IntPtr.Zero) Native.BN_free(n);
            if (e != IntPtr.Zero) Native.BN_free(e);
            Native.RSA_free(rsa);
            return IntPtr.Zero;
        }
        return rsa;
    }

    /// <summary>
    /// The one RSA public operation and the DigestInfo comparison. <paramref name="signature"/> has the modulus'
    /// length (checked by every caller). Safe on an RSA* shared between threads: OpenSSL builds the cached
    /// Montgomery context under the RSA's lock and only reads the key otherwise.
    /// </summary>
    private static bool VerifyNative(IntPtr rsa, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature)
    {
        Span<byte> decrypted = stackalloc byte[signature.Length];
        int length = Native.RSA_public_decrypt(signature.Length, ref MemoryMarshal.GetReference(signature), ref MemoryMarshal.GetReference(decrypted), rsa, 1 /* RSA_PKCS1_PADDING */);
        if (length <= 0)
        {
            Native.ERR_clear_error();
            return false;
        }
        var digestInfo = decrypted[..length];
        return MatchesDigestInfo(digestInfo, DigestInfoSha256, hash) || MatchesDigestInfo(digestInfo, DigestInfoSha256NoNull, hash);
    }

    private static bool MatchesDigestInfo(ReadOnlySpan<byte> digestInfo, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> hash)
        => digestInfo.Length == prefix.Length + hash.Length && digestInfo.StartsWith(prefix) && digestInfo[prefix.Length..].SequenceEqual(hash);

    /// <summary>
    /// Builds the native key for <see cref="RsaPublicKey"/>; null when libcrypto could not, with
    /// <paramref name="useManaged"/> as in <see cref="CreateNativeKey(byte[], byte[], out bool)"/>.
    /// </summary>
    internal static NativeKey? CreateReusableKey(byte[] modulus, byte[] exponent, out bool useManaged)
    {
        IntPtr rsa = CreateNativeKey(modulus, exponent, out useManaged);
        return rsa == IntPtr.Zero ? null : new NativeKey(rsa);
    }

    /// <summary>
    /// Verifies with a kept native key. Null when <paramref name="key"/> was released meanwhile (by
    /// <see cref="RsaPublicKey.ReleaseNativeKey"/> or its finalizer): the caller then takes the one-shot path.
    /// </summary>
    internal static bool? VerifyNative(NativeKey key, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature)
    {
        bool added = false;
        try
        {
            key.DangerousAddRef(ref added);
            return VerifyNative(key.DangerousGetHandle(), hash, signature);
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        finally
        {
            if (added) key.DangerousRelease();
        }
    }

    /// <summary>
    /// An RSA* kept for many verifications, freed with RSA_free when disposed or finalized. A SafeHandle so a
    /// release racing a verification on another thread waits for it (reference count) instead of freeing under it.
    /// </summary>
    internal sealed class NativeKey : SafeHandle
    {
        internal NativeKey(IntPtr rsa) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(rsa);

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
        {
            Native.RSA_free(handle);
            return true;
        }
    }

    private static bool ProbeNative()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(RsaVerifier).Assembly, Resolve);
            // One call proves the library and the legacy RSA entry points are there.
            IntPtr rsa = Native.RSA_new();
            if (rsa == IntPtr.Zero) return false;
            Native.RSA_free(rsa);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException or BadImageFormatException)
        {
            return false;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibraryName) return IntPtr.Zero;
        string[] candidates = OperatingSystem.IsMacOS()
            ? ["libcrypto.3.dylib", "libcrypto.dylib"]
            : ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so"];
        foreach (var candidate in candidates)
            if (NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        return IntPtr.Zero;
    }

    private static class Native
    {
        [DllImport(LibraryName)] public static extern IntPtr RSA_new();
        [DllImport(LibraryName)] public static extern void RSA_free(IntPtr rsa);
        [DllImport(LibraryName)] public static extern IntPtr BN_bin2bn(ref byte s, int len, IntPtr ret);
        [DllImport(LibraryName)] public static extern void BN_free(IntPtr bn);
        [DllImport(LibraryName)] public static extern int RSA_set0_key(IntPtr rsa, IntPtr n, IntPtr e, IntPtr d);
        [DllImport(LibraryName)] public static extern int RSA_public_decrypt(int flen, ref byte from, ref byte to, IntPtr rsa, int padding);
        [DllImport(LibraryName)] public static extern void ERR_clear_error();
    }
}
