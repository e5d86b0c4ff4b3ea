using System.Security.Cryptography;
using RtrCache.Rpki.Crypto;
using RtrCache.Rpki.Objects;
using static RtrCache.Rpki.Tests.Fixtures;

namespace RtrCache.Rpki.Tests;

/// <summary>The native (libcrypto) and managed (.NET RSA) verification paths give the same answers.</summary>
[NonParallelizable]
public class SignatureVerifierTests
{
    [Test]
    public void NativePathIsInUseOnDebian()
    {
        // libcrypto.so.3 ships with every Debian machine that runs .NET (the runtime's own crypto needs it), so
        // the fast path must be active here; falling back silently would cost ~6x per signature.
        Assert.That(RsaVerifier.UsesNative, Is.True, "native libcrypto RSA verification is not in use");
    }

    [Test]
    public void FixtureChain_VerifiesTheSameInBothModes()
    {
        var ta = ResourceCertificate.Decode(Bytes(RpkiRs("ta.cer"))).GetValueOrThrow();
        var ca1 = ResourceCertificate.Decode(Bytes(RpkiRs("ca1.cer"))).GetValueOrThrow();
        var big = ResourceCertificate.Decode(Bytes(Prover("big_cert.cer"))).GetValueOrThrow();
        var crl = Crl.Decode(Bytes(RpkiRs("ca1.crl"))).GetValueOrThrow();
        RsaModes.InBoth(() => Assert.Multiple(() =>
        {
            Assert.That(ca1.VerifySignedBy(ta), Is.True);
            Assert.That(big.VerifySignedBy(ca1), Is.True);
            Assert.That(crl.VerifySignedBy(ca1), Is.True);
            Assert.That(ca1.VerifySignedBy(ca1), Is.False);
            Assert.That(big.VerifySignedBy(ta), Is.False);
            Assert.That(Manifest.Decode(Bytes(RpkiRs("ca1.mft"))).IsSuccess, Is.True);
            Assert.That(AspaObject.Decode(Bytes(Prover("AS204325.asa"))).IsSuccess, Is.True);
        }));
    }

    [Test]
    public void GeneratedKeys_VerifyTheSameInBothModes()
    {
        using var rsa = RSA.Create(2048);
        var key = RpkiPublicKey.Decode(rsa.ExportSubjectPublicKeyInfo()).GetValueOrThrow();
        var data = new byte[777];
        new Random(5).NextBytes(data);
        var signature = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var other = (byte[])data.Clone();
        other[0] ^= 1;
        var badSignature = (byte[])signature.Clone();
        badSignature[100] ^= 0x40;
        RsaModes.InBoth(() => Assert.Multiple(() =>
        {
            Assert.That(key.VerifySha256WithRsa(data, signature), Is.True);
            Assert.That(key.VerifySha256WithRsa(other, signature), Is.False);
            Assert.That(key.VerifySha256WithRsa(data, badSignature), Is.False);
            Assert.That(key.VerifySha256WithRsa(data, signature.AsSpan(1)), Is.False);
            Assert.That(key.VerifySha256WithRsa(data, new byte[256]), Is.False);
            Assert.That(key.VerifySha256WithRsa(data, Enumerable.Repeat((byte)0xFF, 256).ToArray()), Is.False);
        }));
    }

    [Test]
    public void KeyProfile_RejectsOtherSizesAndExponents()
    {
        using var small = RSA.Create(1024);
        Assert.That(RpkiPublicKey.Decode(small.ExportSubjectPublicKeyInfo()).Error, Does.Contain("1024 bits, RFC 7935 requires 2048"));
        using var ec384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.That(RpkiPublicKey.Decode(ec384.ExportSubjectPublicKeyInfo()).Error, Does.Contain("secp256r1"));
        using var ec256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ecKey = RpkiPublicKey.Decode(ec256.ExportSubjectPublicKeyInfo()).GetValueOrThrow();
        Assert.That(ecKey.Algorithm, Is.EqualTo(PublicKeyAlgorithm.EcP256));
        Assert.That(ecKey.KeyIdentifier, Is.EqualTo(KeyIdentifier.Create(SHA1.HashData(ec256.ExportSubjectPublicKeyInfo().AsSpan(^65)))));
    }
}
