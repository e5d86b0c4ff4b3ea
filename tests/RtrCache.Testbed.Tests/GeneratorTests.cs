using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Cms;
using Org.BouncyCastle.X509;
using RtrCache.Payload;
using RtrCache.Testbed;

namespace RtrCache.Testbed.Tests;

public class GeneratorTests
{
    [Test]
    public void TinyRepositoryHasTheExpectedShape()
    {
        var repo = TinyRepository.Good;
        var expected = repo.Expected();
        Assert.Multiple(() =>
        {
            Assert.That(repo.AllCas.Count(), Is.EqualTo(7), "TA + 2 + 4");
            Assert.That(expected.VrpCount, Is.GreaterThan(10));
            Assert.That(expected.V6Count, Is.GreaterThan(0));
            Assert.That(expected.RouterKeyCount, Is.EqualTo(3), "two router certificates, one of them for two ASes");
            Assert.That(expected.AspaCount, Is.EqualTo(2), "three ASPA objects, two for the same customer (merged)");
            Assert.That(File.Exists(Path.Combine(repo.OutputDirectory!, "expected.json")));
            Assert.That(File.ReadAllText(repo.TalPaths.Single()), Does.Contain("rsync://rpki.testbed.test/repo/ta/ta.cer\n\nMII"));
        });
    }

    [Test]
    public void EveryFileIsListedOnItsManifestWithItsHash()
    {
        var repo = TinyRepository.Good;
        foreach (var ca in repo.AllCas)
        {
            var dir = Renderer.LocalPath(repo.TreeRoot, ca.PublicationPoint);
            var mft = new CmsSignedData(File.ReadAllBytes(Path.Combine(dir, ca.Manifest.FileName)));
            using var ms = new MemoryStream();
            mft.SignedContent.Write(ms);
            var content = Asn1Sequence.GetInstance(ms.ToArray());
            var list = Asn1Sequence.GetInstance(content[4]);
            var onManifest = new Dictionary<string, byte[]>();
            foreach (var e in list)
            {
                var pair = Asn1Sequence.GetInstance(e);
                onManifest[DerIA5String.GetInstance(pair[0]).GetString()] = DerBitString.GetInstance(pair[1]).GetOctets();
            }
            var files = Directory.GetFiles(dir).Select(Path.GetFileName).Where(f => f != ca.Manifest.FileName && f != "ta.cer").ToList();
            Assert.That(onManifest.Keys, Is.EquivalentTo(files), ca.Name);
            foreach (var f in files)
                Assert.That(onManifest[f!], Is.EqualTo(SHA256.HashData(File.ReadAllBytes(Path.Combine(dir, f!)))), f);
        }
    }

    [Test]
    public void CertificatesAndSignedObjectsVerifyWithBouncyCastle()
    {
        var repo = TinyRepository.Good;
        var parser = new X509CertificateParser();
        var byUri = new Dictionary<string, X509Certificate>();
        foreach (var file in Directory.EnumerateFiles(repo.TreeRoot, "*.cer", SearchOption.AllDirectories))
        {
            var uri = "rsync://" + Path.GetRelativePath(repo.TreeRoot, file).Replace('\\', '/');
            byUri[uri] = parser.ReadCertificate(File.ReadAllBytes(file));
        }
        foreach (var ca in repo.AllCas)
        {
            var caCert = byUri[ca.CertUri];
            var issuer = ca.IsTrustAnchor ? caCert : byUri[ca.Parent!.CertUri];
            caCert.Verify(issuer.GetPublicKey());
            Assert.That(caCert.GetBasicConstraints(), Is.EqualTo(int.MaxValue), "cA without pathLen");
            Assert.That(caCert.GetExtensionValue(new DerObjectIdentifier("1.3.6.1.5.5.7.1.7")), Is.Not.Null);
            foreach (var r in ca.Routers)
            {
                var rc = byUri[r.Uri];
                rc.Verify(caCert.GetPublicKey());
                Assert.That(rc.GetExtendedKeyUsage().Select(o => o.Id), Is.EqualTo(new[] { "1.3.6.1.5.5.7.3.30" }));
            }
            var dir = Renderer.LocalPath(repo.TreeRoot, ca.PublicationPoint);
            foreach (var so in ca.SignedObjects().Cast<SignedObjectNode>().Append(ca.Manifest))
            {
                var cms = new CmsSignedData(File.ReadAllBytes(Path.Combine(dir, so.FileName)));
                Assert.That(cms.SignedContentType.Id, Is.EqualTo(so.ContentType.Id));
                var ee = cms.GetCertificates().EnumerateMatches(null).Single();
                ee.Verify(caCert.GetPublicKey());
                var signer = cms.GetSignerInfos().GetSigners().Single();
                Assert.That(signer.Version, Is.EqualTo(3));
                Assert.That(signer.SignedAttributes.Count, Is.EqualTo(3), "content-type, signing-time, message-digest only");
                Assert.That(signer.Verify(ee), Is.True, so.Uri);
            }
        }
    }

    [Test]
    public void RenderingIsDeterministic()
    {
        var a = TinyRepository.NewWorkDir("det-a");
        var b = TinyRepository.NewWorkDir("det-b");
        try
        {
            var o = TinyRepository.Good.Options;
            Repository.Build(o, TinyRepository.Good.Pool).WriteTo(a);
            Repository.Build(o, TinyRepository.Good.Pool).WriteTo(b);
            var fa = Directory.GetFiles(Path.Combine(a, "repo"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(a, f)).Order().ToList();
            var fb = Directory.GetFiles(Path.Combine(b, "repo"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(b, f)).Order().ToList();
            Assert.That(fa, Is.EqualTo(fb));
            foreach (var f in fa)
                Assert.That(File.ReadAllBytes(Path.Combine(a, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(b, f))), f);
            var other = Repository.Build(o with { Seed = 2 }, TinyRepository.Good.Pool);
            Assert.That(other.Expected(), Is.Not.EqualTo(TinyRepository.Good.Expected()), "another seed, other content");
        }
        finally
        {
            TinyRepository.TryDelete(a);
            TinyRepository.TryDelete(b);
        }
    }

    [Test]
    public void CachedRepositoryIsReused()
    {
        var again = Repository.Generate(TinyRepository.Good.Options);
        Assert.That(again.ReusedFromCache, Is.True);
        Assert.That(again.OutputDirectory, Is.EqualTo(TinyRepository.Good.OutputDirectory));
    }

    [TestCase("10.0.0.0/8", "0302000A")]
    [TestCase("10.64.0.0/10", "0303060A40")]
    [TestCase("0.0.0.0/0", "030100")]
    [TestCase("2001:db8::/32", "03050020010DB8")]
    [TestCase("2001:db8::/33", "03060720010DB800")]
    public void PrefixBitStrings(string prefix, string hex)
    {
        var p = IpPrefix.Parse(prefix);
        var bits = ResourceSet.PrefixBits(p.AddressBits, p.Length, p.FamilyBits);
        Assert.That(Convert.ToHexString(bits.GetEncoded()), Is.EqualTo(hex));
    }

    [Test]
    public void ResourceEncodingIsCanonical()
    {
        // adjacent prefixes merge into one prefix; a non-prefix block becomes a trimmed range; AS single vs range
        var set = new ResourceSet
        {
            V4 = [IpRange.Parse("10.0.1.0/24"), IpRange.Parse("10.0.0.0/24"), new IpRange(false, 0x0A000200, 0x0A0004FF)],
            As = [new AsRange(65000, 65000), new AsRange(65001, 65005), new AsRange(64496, 64496)],
        };
        var ip = Convert.ToHexString(set.EncodeIpAddrBlocks()!.ToAsn1Object().GetDerEncoded());
        // family 0001: one range 10.0.0.0 - 10.0.4.255: min 0A (trailing zeros dropped: 7 bits -> 0A, unused 1... ) max 0A0004
        Assert.That(ip, Is.EqualTo("30143012040200013" + "00C300A0302010A0304000A0004"));
        var asn = Convert.ToHexString(set.EncodeAsIdentifiers()!.ToAsn1Object().GetDerEncoded());
        Assert.That(asn, Is.EqualTo("3015A0133011020300FBF0300A020300FDE8020300FDED"));
        Assert.That(new IpRange(false, 0, uint.MaxValue).PrefixLength, Is.EqualTo(0));
        Assert.That(new IpRange(true, UInt128.Zero, UInt128.MaxValue).PrefixLength, Is.EqualTo(0));
        Assert.That(new IpRange(false, 0x0A000000, 0x0A0004FF).PrefixLength, Is.EqualTo(-1));
    }

    [Test]
    public void EveryVariantBreaksOneThingAndKeepsTheRest()
    {
        var good = TinyRepository.Good;
        var goodSet = good.Expected();
        foreach (var v in BrokenVariants.All)
        {
            var broken = v.Apply(good);
            Assert.That(broken.Rejection, Is.Not.Null, v.Name);
            Assert.That(broken.Rejection!.Variant, Is.EqualTo(v.Name));
            var e = broken.Expected();
            Assert.That(e.Vrps.All(goodSet.Contains), Is.True, $"{v.Name}: expected VRPs must be a subset of the good set");
            bool sameAsGood = e.Equals(goodSet);
            bool shouldBeSame = v.Name is "file-not-on-manifest" or "manifest-number-regression" or "duplicate-ski-self-loop" or "duplicate-ski-ancestor-loop";
            Assert.That(sameAsGood, Is.EqualTo(shouldBeSame), $"{v.Name}: expected payload {(shouldBeSame ? "equal to" : "smaller than")} the good one");
            Assert.That(TinyRepository.Good.Expected(), Is.EqualTo(goodSet), "variants must not touch the good repository");
        }
    }

    [Test]
    public void DeepNestingIsDefiniteAndDeep()
    {
        var der = BrokenVariants.DeepNesting(1000);
        Assert.That(der[0], Is.EqualTo(0x30));
        Assert.That(der[^2..], Is.EqualTo(new byte[] { 0x30, 0x00 }));
        int depth = 0, i = 0;
        while (i < der.Length)
        {
            Assert.That(der[i], Is.EqualTo(0x30));
            int len = der[i + 1];
            i += 2;
            if (len >= 0x80) { int n = len & 0x7F; len = 0; for (int k = 0; k < n; k++) len = len * 256 + der[i++]; }
            Assert.That(len, Is.EqualTo(der.Length - i), $"level {depth}");
            depth++;
        }
        Assert.That(depth, Is.EqualTo(1000));
    }
}

public class OptionsTests
{
    [Test]
    public void ConfiguredTrustAnchorResourcesAreUsedAndChecked()
    {
        var pool = TinyRepository.Good.Pool;
        var o = TinyRepository.Good.Options with { TrustAnchorResources = ["1.0.0.0/8", "2001::/16", "AS64496-AS65535"] };
        var repo = Repository.Build(o, pool);
        Assert.That(repo.TrustAnchors[0].Resources.ToString(), Is.EqualTo("1.0.0.0/8, 2001::/16, AS64496-AS65535"));
        Assert.That(o.Describe(), Is.Not.EqualTo(TinyRepository.Good.Options.Describe()));
        Assert.Throws<ArgumentException>(() => Repository.Build(o with { TrustAnchorResources = ["10.0.0.0/8", "::/0", "AS1-AS4294967295"] }, pool));
    }

    [Test]
    public void ScalesHaveTheirShape()
    {
        var pool = TinyRepository.Good.Pool;
        var medium = Repository.Build(TestbedOptions.ForScale(TestbedScale.Medium), pool);
        Assert.That(medium.ObjectCount, Is.InRange(19_000, 22_000));
        var global = Repository.Build(TestbedOptions.ForScale(TestbedScale.Global), pool);
        Assert.That(global.AllCas.Count(), Is.EqualTo(1 + 5 + 50_000));
        Assert.That(global.AllCas.Sum(c => c.Roas.Count), Is.EqualTo(7 * 50_005));
        Assert.That(global.AllCas.Sum(c => c.Aspas.Count), Is.EqualTo(600));
        var expected = global.Expected();
        Assert.That(expected.VrpCount, Is.InRange(760_000, 820_000));
        Assert.That(expected.AspaCount, Is.InRange(550, 600));
        Assert.That(KeyPool.PrimesFor(global.KeyCount), Is.LessThan(1_000));
    }
}
