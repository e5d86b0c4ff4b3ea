using System.Collections.Immutable;
using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using RtrCache.Rpki.Asn1;
using RtrCache.Rpki.Crypto;

namespace RtrCache.Rpki.Objects;

/// <summary>The two key types of the RPKI profiles.</summary>
public enum PublicKeyAlgorithm
{
    /// <summary>RSA 2048, exponent 65537 (RFC 7935): CAs, EE certificates of signed objects, trust anchors.</summary>
    Rsa,

    /// <summary>ECDSA P-256 (RFC 8608): BGPsec router certificates.</summary>
    EcP256,
}

/// <summary>
/// A SubjectPublicKeyInfo that passed the RPKI algorithm profile, with its key identifier and the ability to
/// verify sha256WithRSAEncryption signatures (RSA keys).
/// </summary>
public sealed class RpkiPublicKey : IEquatable<RpkiPublicKey>
{
    private readonly byte[] _spki;
    private readonly byte[]? _modulus;
    private readonly byte[]? _exponent;
    private RsaPublicKey? _reusable;

    private RpkiPublicKey(byte[] spki, PublicKeyAlgorithm algorithm, KeyIdentifier keyIdentifier, byte[]? modulus, byte[]? exponent)
    {
        _spki = spki;
        Algorithm = algorithm;
        KeyIdentifier = keyIdentifier;
        _modulus = modulus;
        _exponent = exponent;
    }

    public PublicKeyAlgorithm Algorithm { get; }

    /// <summary>SHA-1 of the subjectPublicKey bits: the value the Subject Key Identifier must carry.</summary>
    public KeyIdentifier KeyIdentifier { get; }

    /// <summary>The DER SubjectPublicKeyInfo, byte for byte as it appeared.</summary>
    public ImmutableArray<byte> SubjectPublicKeyInfo => ImmutableArray.Create(_spki);

    public ReadOnlySpan<byte> SubjectPublicKeyInfoSpan => _spki;

    /// <summary>Key size in bits (2048 for RSA, 256 for P-256).</summary>
    public int KeySize => Algorithm == PublicKeyAlgorithm.Rsa ? _modulus!.Length * 8 : 256;

    /// <summary>Decodes and profile-checks a DER SubjectPublicKeyInfo (RSA 2048/65537 or EC P-256).</summary>
    public static Decoded<RpkiPublicKey> Decode(ReadOnlyMemory<byte> spki)
        => Decoding.Run("public key", spki, b => DecodeCore(b.ToArray(), "public key"));

    /// <param name="spkiDer">The SubjectPublicKeyInfo's bytes.</param>
    /// <param name="what">What to call it in rejection reasons.</param>
    /// <param name="parsed">The SubjectPublicKeyInfo as BouncyCastle parsed it with its certificate, when it was.</param>
    internal static RpkiPublicKey DecodeCore(byte[] spkiDer, string what, Asn1Object? parsed = null)
    {
        Org.BouncyCastle.Asn1.X509.SubjectPublicKeyInfo info;
        try
        {
            info = Org.BouncyCastle.Asn1.X509.SubjectPublicKeyInfo.GetInstance(Asn1Util.Parse(spkiDer, requireDer: true, what, parsed));
        }
        catch (ArgumentException e)
        {
            throw Decoding.Fail($"{what}: not a SubjectPublicKeyInfo ({e.Message})");
        }
        var alg = info.Algorithm;
        var keyBits = info.PublicKey;
        if (keyBits.PadBits != 0) throw Decoding.Fail($"{what}: subjectPublicKey is not a whole number of octets");
        byte[] keyOctets = keyBits.GetOctets();
        var ki = KeyIdentifier.Create(SHA1.HashData(keyOctets));
        switch (alg.Algorithm.Id)
        {
            case Oids.RsaEncryption:
            {
                if (alg.Parameters?.ToAsn1Object() is not Asn1Null)
                    throw Decoding.Fail($"{what}: rsaEncryption parameters must be NULL (RFC 7935)");
                var rsa = RsaPublicKeyStructure.GetInstance(Asn1Util.Parse(keyOctets, requireDer: true, what + " (RSAPublicKey)"));
                if (rsa.Modulus.SignValue <= 0 || rsa.Modulus.BitLength != 2048)
                    throw Decoding.Fail($"{what}: RSA modulus of {rsa.Modulus.BitLength} bits, RFC 7935 requires 2048");
                if (!rsa.PublicExponent.Equals(Org.BouncyCastle.Math.BigInteger.ValueOf(65537)))
                    throw Decoding.Fail($"{what}: RSA public exponent {rsa.PublicExponent}, RFC 7935 requires 65537");
                return new RpkiPublicKey(spkiDer, PublicKeyAlgorithm.Rsa, ki, rsa.Modulus.ToByteArrayUnsigned(), rsa.PublicExponent.ToByteArrayUnsigned());
            }
            case Oids.EcPublicKey:
            {
                if (alg.Parameters?.ToAsn1Object() is not DerObjectIdentifier curve || curve.Id != Oids.Secp256r1)
                    throw Decoding.Fail($"{what}: EC key not on the named curve secp256r1 (RFC 8608)");
                if (keyOctets.Length != 65 || keyOctets[0] != 0x04)
                    throw Decoding.Fail($"{what}: EC point must be uncompressed (65 octets starting 0x04), got {keyOctets.Length} octets");
                try
                {
                    if (PublicKeyFactory.CreateKey(info) is not ECPublicKeyParameters)
                        throw Decoding.Fail($"{what}: not an EC public key");
                }
                catch (ArgumentException e)
                {
                    throw Decoding.Fail($"{what}: invalid EC point ({e.Message})");
                }
                return new RpkiPublicKey(spkiDer, PublicKeyAlgorithm.EcP256, ki, null, null);
            }
            default:
                throw Decoding.Fail($"{what}: key algorithm {Oids.Describe(alg.Algorithm.Id)} is not allowed (RSA or, for router certificates, EC P-256)");
        }
    }

    /// <summary>Verifies an RSASSA-PKCS1-v1_5 SHA-256 signature over <paramref name="data"/>; false for EC keys.</summary>
    public bool VerifySha256WithRsa(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
        => Algorithm == PublicKeyAlgorithm.Rsa && RsaVerifier.VerifySha256(_modulus!, _exponent!, data, signature);

    /// <summary>
    /// As <see cref="VerifySha256WithRsa"/>, for a key that verifies many signatures (an issuer's: every child
    /// certificate, CRL and EE certificate of a publication point): keeps the native key between calls
    /// (<see cref="RsaPublicKey"/>, ~6.5 µs less per signature). One-time keys (EE) use the plain method, which
    /// keeps nothing.
    /// </summary>
    internal bool VerifySha256WithRsaReusingKey(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
        => Algorithm == PublicKeyAlgorithm.Rsa && (Volatile.Read(ref _reusable) ?? CreateReusable()).VerifySha256(data, signature);

    private RsaPublicKey CreateReusable()
    {
        // Racing threads may each build one; all but the first stored are dropped before holding any native key.
        Interlocked.CompareExchange(ref _reusable, new RsaPublicKey(_modulus!, _exponent!), null);
        return _reusable!;
    }

    internal bool VerifySha256HashWithRsa(ReadOnlySpan<byte> sha256, ReadOnlySpan<byte> signature)
        => Algorithm == PublicKeyAlgorithm.Rsa && RsaVerifier.VerifySha256Hash(_modulus!, _exponent!, sha256, signature);

    public bool Equals(RpkiPublicKey? other) => other is not null && _spki.AsSpan().SequenceEqual(other._spki);
    public override bool Equals(object? obj) => Equals(obj as RpkiPublicKey);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(_spki);
        return h.ToHashCode();
    }

    public override string ToString() => $"{Algorithm} key {KeyIdentifier}";
}
