using System.Security.Cryptography;
using RtrCache.Testbed;

namespace RtrCache.Testbed.Tests;

public class KeyPoolTests
{
    [Test]
    public void PrimesAreDeterministicAndSuitable()
    {
        var a = KeyPool.GeneratePrime(3);
        var b = KeyPool.GeneratePrime(3);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.BitLength, Is.EqualTo(1024));
        Assert.That(a.TestBit(1022), Is.True, "top two bits set so that products have 2048 bits");
        Assert.That(a.IsProbablePrime(64), Is.True);
        Assert.That(a.Mod(Org.BouncyCastle.Math.BigInteger.ValueOf(65537)).IntValue, Is.Not.EqualTo(1));
    }

    [Test]
    public void PairIndexingCoversEveryPairOnce()
    {
        Assert.That(KeyPool.KeysFor(15), Is.EqualTo(105));
        Assert.That(KeyPool.PrimesFor(105), Is.EqualTo(15));
        Assert.That(KeyPool.PrimesFor(106), Is.EqualTo(16));
        Assert.That(KeyPool.PrimesFor(450_000), Is.LessThan(1000), "the global shape needs fewer than 1,000 primes");
    }

    [Test]
    public void KeysAreDistinctRsa2048AndSign()
    {
        var pool = TinyRepository.Good.Pool;
        var skis = new HashSet<string>();
        for (int i = 0; i < 60; i++)
        {
            using var key = pool.GetKey(i);
            Assert.That(key.Modulus.BitLength, Is.EqualTo(2048));
            Assert.That(skis.Add(key.SkiHex), Is.True, $"key {i} repeats an SKI");
        }
        using var k = pool.GetKey(7);
        var data = "signed"u8.ToArray();
        var sig = k.Sign(data);
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(k.SubjectPublicKeyInfo, out _);
        Assert.That(rsa.KeySize, Is.EqualTo(2048));
        Assert.That(rsa.VerifyData(data, sig, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), Is.True);
        Assert.That(k.ExportPkcs8(), Is.Not.Empty);
    }
}
