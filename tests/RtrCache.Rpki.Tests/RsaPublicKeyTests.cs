using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using RtrCache.Rpki.Crypto;
using RtrCache.Rpki.Objects;
using static RtrCache.Rpki.Tests.Fixtures;

namespace RtrCache.Rpki.Tests;

/// <summary>
/// A kept key (<see cref="RsaPublicKey"/>) answers exactly as the one-shot <see cref="RsaVerifier"/>, in both
/// modes, over many calls, from several threads, and across releases and garbage collections of its native key.
/// </summary>
[NonParallelizable]
public class RsaPublicKeyTests
{
    private static RSA _signer = null!;
    private static RSAParameters _public;
    private static List<(string Name, byte[] Hash, byte[] Signature, bool Valid)> _cases = null!;

    [OneTimeSetUp]
    public static void CreateKeysAndCases()
    {
        _signer = RSA.Create(2048);
        _public = _signer.ExportParameters(false);
        using var other = RSA.Create(2048);
        var random = new Random(11);
        _cases = [];
        for (int i = 0; i < 8; i++)
        {
            var data = new byte[100 + i * 37];
            random.NextBytes(data);
            var hash = SHA256.HashData(data);
            var signature = _signer.SignHash(hash, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var otherHash = (byte[])hash.Clone();
            otherHash[i] ^= 1;
            var flipped = (byte[])signature.Clone();
            flipped[i * 31] ^= 0x10;
            _cases.Add(($"valid {i}", hash, signature, true));
            _cases.Add(($"wrong hash {i}", otherHash, signature, false));
            _cases.Add(($"flipped signature bit {i}", hash, flipped, false));
            _cases.Add(($"short signature {i}", hash, signature[1..], false));
            _cases.Add(($"long signature {i}", hash, [0, .. signature], false));
            _cases.Add(($"short hash {i}", hash[..31], signature, false));
            _cases.Add(($"long hash {i}", [.. hash, 0], signature, false));
            _cases.Add(($"other key {i}", hash, other.SignHash(hash, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), false));
        }
        _cases.Add(("zero signature", _cases[0].Hash, new byte[256], false));
        _cases.Add(("0xFF signature", _cases[0].Hash, Enumerable.Repeat((byte)0xFF, 256).ToArray(), false));
        _cases.Add(("signature = modulus", _cases[0].Hash, _public.Modulus!, false));
        _cases.Add(("empty signature", _cases[0].Hash, [], false));
    }

    [OneTimeTearDown]
    public static void DisposeSigner() => _signer.Dispose();

    private static RsaPublicKey NewKey() => new(_public.Modulus!, _public.Exponent!);

    [Test]
    public void ReusedKey_AnswersAsOneShot_OverManyCalls_InBothModes()
    {
        var key = NewKey();
        RsaModes.InBoth(() => Assert.Multiple(() =>
        {
            for (int round = 0; round < 5; round++)
                foreach (var (name, hash, signature, valid) in _cases)
                {
                    bool oneShot = RsaVerifier.VerifySha256Hash(_public.Modulus!, _public.Exponent!, hash, signature);
                    Assert.That(oneShot, Is.EqualTo(valid), $"one-shot, {name}, managed={RsaVerifier.ForceManaged}");
                    Assert.That(key.VerifySha256Hash(hash, signature), Is.EqualTo(valid), $"kept key, {name}, round {round}, managed={RsaVerifier.ForceManaged}");
                }
        }));
    }

    [Test]
    public void ReusedKey_VerifiesData_AsOneShot()
    {
        var key = NewKey();
        var data = new byte[777];
        new Random(5).NextBytes(data);
        var signature = _signer.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var other = (byte[])data.Clone();
        other[^1] ^= 1;
        RsaModes.InBoth(() => Assert.Multiple(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                Assert.That(key.VerifySha256(data, signature), Is.True);
                Assert.That(key.VerifySha256(other, signature), Is.False);
                Assert.That(RsaVerifier.VerifySha256(_public.Modulus!, _public.Exponent!, data, signature), Is.True);
                Assert.That(RsaVerifier.VerifySha256(_public.Modulus!, _public.Exponent!, other, signature), Is.False);
            }
        }));
    }

    [Test]
    public void NativePath_KeepsTheKey_ManagedPathDoesNot()
    {
        Assume.That(RsaVerifier.UsesNative, "libcrypto not loadable");
        var key = NewKey();
        Assert.That(key.HoldsNativeKey, Is.False, "nothing is built before the first verification");
        Assert.That(key.VerifySha256Hash(_cases[0].Hash, _cases[0].Signature), Is.True);
        Assert.That(key.HoldsNativeKey, Is.True);

        var managedOnly = NewKey();
        bool saved = RsaVerifier.ForceManaged;
        RsaVerifier.ForceManaged = true;
        try
        {
            Assert.That(managedOnly.VerifySha256Hash(_cases[0].Hash, _cases[0].Signature), Is.True);
            Assert.That(managedOnly.HoldsNativeKey, Is.False);
        }
        finally
        {
            RsaVerifier.ForceManaged = saved;
        }
    }

    [Test]
    public void ConcurrentVerifications_GiveTheOneShotAnswers_WhileTheKeyIsReleasedAndCollected()
    {
        var key = NewKey();
        using var stop = new CancellationTokenSource();
        // Releases and collections race the verifications: a verification that loses its native key mid-way
        // must still answer (one-shot), never crash or free memory under another thread.
        var churn = Task.Run(() =>
        {
            int n = 0;
            while (!stop.IsCancellationRequested)
            {
                if (n++ % 4 == 0) GC.Collect();
                else key.ReleaseNativeKey();
                Thread.Sleep(1);
            }
        });
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        try
        {
            Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
            {
                for (int round = 0; round < 40; round++)
                    for (int i = worker % 3; i < _cases.Count; i += 3)
                    {
                        var (name, hash, signature, valid) = _cases[i];
                        if (key.VerifySha256Hash(hash, signature) != valid) failures.Add($"worker {worker}, round {round}: {name}");
                    }
            });
        }
        finally
        {
            stop.Cancel();
            churn.Wait();
        }
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void ConcurrentFirstUse_BuildsOneKeptKey()
    {
        Assume.That(RsaVerifier.UsesNative, "libcrypto not loadable");
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var key = NewKey();
            using var start = new Barrier(4);
            var results = new bool[4];
            var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                results[t] = key.VerifySha256Hash(_cases[0].Hash, _cases[0].Signature);
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.That(results, Is.All.True);
            Assert.That(key.HoldsNativeKey, Is.True);
        }
    }

    [Test]
    public void ReleasedKey_StaysUsable()
    {
        var key = NewKey();
        key.ReleaseNativeKey();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(key.VerifySha256Hash(_cases[0].Hash, _cases[0].Signature), Is.True);
            Assert.That(key.VerifySha256Hash(_cases[1].Hash, _cases[1].Signature), Is.False);
            key.ReleaseNativeKey();
            Assert.That(key.HoldsNativeKey, Is.False);
            key.ReleaseNativeKey();
        }
    }

    [Test]
    public void GarbageCollection_FreesTheNativeKey_AndTheKeyStaysUsable()
    {
        Assume.That(RsaVerifier.UsesNative, "libcrypto not loadable");
        var key = NewKey();
        VerifyOnce(key);
        Assert.That(key.HoldsNativeKey, Is.True);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The native key is only weakly held: a CA certificate kept in the publication point cache must not pin it.
        Assert.That(key.HoldsNativeKey, Is.False);
        Assert.That(key.VerifySha256Hash(_cases[0].Hash, _cases[0].Signature), Is.True);
        Assert.That(key.HoldsNativeKey, Is.True);
    }

    [Test]
    public void DroppedKeys_AreFinalizedWithoutCrashing()
    {
        for (int i = 0; i < 200; i++) VerifyOnce(NewKey());
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.That(NewKey().VerifySha256Hash(_cases[0].Hash, _cases[0].Signature), Is.True);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void VerifyOnce(RsaPublicKey key) => Assert.That(key.VerifySha256Hash(_cases[0].Hash, _cases[0].Signature), Is.True);

    [Test]
    public void IssuerCertificates_VerifyChildrenRepeatedly_InBothModes()
    {
        var ta = ResourceCertificate.Decode(Bytes(RpkiRs("ta.cer"))).GetValueOrThrow();
        var ca1 = ResourceCertificate.Decode(Bytes(RpkiRs("ca1.cer"))).GetValueOrThrow();
        var big = ResourceCertificate.Decode(Bytes(Prover("big_cert.cer"))).GetValueOrThrow();
        var crl = Crl.Decode(Bytes(RpkiRs("ca1.crl"))).GetValueOrThrow();
        RsaModes.InBoth(() => Assert.Multiple(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                Assert.That(ta.VerifySignedBy(ta), Is.True);
                Assert.That(ca1.VerifySignedBy(ta), Is.True);
                Assert.That(big.VerifySignedBy(ca1), Is.True);
                Assert.That(crl.VerifySignedBy(ca1), Is.True);
                Assert.That(ca1.VerifySignedBy(ca1), Is.False);
                Assert.That(big.VerifySignedBy(ta), Is.False);
                Assert.That(crl.VerifySignedBy(ta), Is.False);
                Assert.That(big.VerifySignedBy(ca1.PublicKey), Is.True, "one-shot path");
            }
        }));
    }

    [Test]
    public void RpkiPublicKey_ReusingPath_AnswersAsOneShot()
    {
        var key = RpkiPublicKey.Decode(_signer.ExportSubjectPublicKeyInfo()).GetValueOrThrow();
        var data = new byte[300];
        new Random(3).NextBytes(data);
        var signature = _signer.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var bad = (byte[])signature.Clone();
        bad[^1] ^= 1;
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ecKey = RpkiPublicKey.Decode(ec.ExportSubjectPublicKeyInfo()).GetValueOrThrow();
        RsaModes.InBoth(() => Assert.Multiple(() =>
        {
            foreach (var (sig, valid) in new[] { (signature, true), (bad, false), (signature[1..], false) })
                for (int i = 0; i < 3; i++)
                {
                    Assert.That(key.VerifySha256WithRsaReusingKey(data, sig), Is.EqualTo(valid));
                    Assert.That(key.VerifySha256WithRsa(data, sig), Is.EqualTo(valid));
                }
            Assert.That(ecKey.VerifySha256WithRsaReusingKey(data, signature), Is.False, "EC keys verify no RSA signature");
        }));
    }
}
