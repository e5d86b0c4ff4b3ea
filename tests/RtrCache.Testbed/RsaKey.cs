using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Asn1.X509;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace RtrCache.Testbed;

/// <summary>
/// An RSA-2048 key formed from two pool primes. The public part (modulus, SPKI, SKI) is cheap; the private
/// operations import the key into the platform's RSA (OpenSSL), which signs ~20x faster than BouncyCastle's
/// blinded engine, and keep it until <see cref="Dispose"/>.
/// </summary>
public sealed class RsaKey : IDisposable
{
    private static readonly BigInteger E = BigInteger.ValueOf(65537);
    private readonly BigInteger _p;
    private readonly BigInteger _q;
    private RSA? _rsa;
    private byte[]? _spki;
    private byte[]? _ski;

    public long Index { get; }
    public BigInteger Modulus { get; }

    internal RsaKey(long index, BigInteger p, BigInteger q)
    {
        Index = index;
        // CRT wants p > q for the conventional InverseQ = q^-1 mod p; either order works, keep it tidy.
        if (p.CompareTo(q) < 0) (p, q) = (q, p);
        _p = p;
        _q = q;
        Modulus = p.Multiply(q);
    }

    /// <summary>DER SubjectPublicKeyInfo: rsaEncryption with NULL parameters, RSAPublicKey {n, 65537}.</summary>
    public byte[] SubjectPublicKeyInfo => _spki ??= new SubjectPublicKeyInfo(
        new AlgorithmIdentifier(PkcsObjectIdentifiers.RsaEncryption, DerNull.Instance),
        new RsaPublicKeyStructure(Modulus, E)).GetDerEncoded();

    public SubjectPublicKeyInfo SpkiStructure => Org.BouncyCastle.Asn1.X509.SubjectPublicKeyInfo.GetInstance(SubjectPublicKeyInfo);

    /// <summary>RFC 6487 SKI: SHA-1 of the subjectPublicKey BIT STRING contents (the DER RSAPublicKey).</summary>
    public byte[] Ski => _ski ??= SHA1.HashData(SpkiStructure.PublicKey.GetOctets());

    public string SkiHex => Convert.ToHexString(Ski);

    /// <summary>PKCS #1 v1.5 signature with SHA-256 over <paramref name="data"/>.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var rsa = _rsa ??= Import();
        return rsa.SignData(data.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private RSA Import()
    {
        var one = BigInteger.One;
        var p1 = _p.Subtract(one);
        var q1 = _q.Subtract(one);
        var lambda = p1.Multiply(q1).Divide(p1.Gcd(q1));
        var d = E.ModInverse(lambda);
        var prm = new RSAParameters
        {
            Modulus = Fixed(Modulus, 256),
            Exponent = E.ToByteArrayUnsigned(),
            D = Fixed(d, 256),
            P = Fixed(_p, 128),
            Q = Fixed(_q, 128),
            DP = Fixed(d.Mod(p1), 128),
            DQ = Fixed(d.Mod(q1), 128),
            InverseQ = Fixed(_q.ModInverse(_p), 128),
        };
        var rsa = RSA.Create();
        rsa.ImportParameters(prm);
        return rsa;
    }

    private static byte[] Fixed(BigInteger v, int length)
    {
        var b = v.ToByteArrayUnsigned();
        if (b.Length == length) return b;
        if (b.Length > length) throw new InvalidOperationException("key component too long");
        var r = new byte[length];
        b.CopyTo(r, length - b.Length);
        return r;
    }

    /// <summary>PKCS #8 DER of the private key (for tools that want a file).</summary>
    public byte[] ExportPkcs8() => (_rsa ??= Import()).ExportPkcs8PrivateKey();

    public void Dispose()
    {
        _rsa?.Dispose();
        _rsa = null;
    }
}
