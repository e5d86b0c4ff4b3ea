using RtrCache.Rpki.Objects;
using RtrCache.Testbed.Publishing;

namespace RtrCache.Testbed.Tests.Publishing;

/// <summary><see cref="TestbedOptions.NotifyUri"/> and <see cref="TestbedOptions.HttpsTaBaseUri"/>: in the certificates and the TAL, in the cache key, and only there when set.</summary>
public class PublishingOptionsTests
{
    private const string Notify = "https://127.0.0.1:4443/rrdp/notification.xml";

    /// <summary>Trees cached before the options existed (a Global tree took 11 minutes) keep their key.</summary>
    [Test]
    public void UnsetOptionsLeaveTheDescriptionAsItWas()
    {
        var d = TestbedOptions.ForScale(TestbedScale.Tiny).Describe();
        Assert.That(d, Does.Not.Contain("notifyUri").And.Not.Contain("httpsTaBaseUri"));
        Assert.That(d, Does.EndWith("manifestLifetime=172800\n"));
    }

    [Test]
    public void NotifyUriAndTaBaseAreInTheCacheKey()
    {
        var plain = TestbedOptions.ForScale(TestbedScale.Tiny);
        var a = plain with { NotifyUri = Notify };
        var b = plain with { NotifyUri = Notify.Replace("4443", "4444") };
        var c = a with { HttpsTaBaseUri = "https://127.0.0.1:4443/" };
        var all = new[] { plain, a, b, c }.Select(o => o.Describe()).ToList();
        Assert.That(all.Distinct().Count(), Is.EqualTo(4));
        Assert.That(a.Describe(), Does.Contain("notifyUri=" + Notify + "\n"));
        Assert.That(c.Describe(), Does.Contain("httpsTaBaseUri=https://127.0.0.1:4443/\n"));
    }

    /// <summary>Materialize keeps trees for different notify URIs apart, and each carries its URI; the TAL gets the https line first.</summary>
    [Test]
    public void MaterializedTreesCarryTheirNotifyUri()
    {
        var cache = TinyRepository.NewWorkDir("options-cache");
        try
        {
            var o = TestbedOptions.ForScale(TestbedScale.Tiny) with { NotifyUri = Notify, HttpsTaBaseUri = "https://127.0.0.1:4443/" };
            var one = Repository.Build(o).Materialize(cache);
            var two = Repository.Build(o with { NotifyUri = Notify.Replace("4443", "4444") }).Materialize(cache);
            Assert.That(one.OutputDirectory, Is.Not.EqualTo(two.OutputDirectory));
            Assert.That(Repository.Build(o).Materialize(cache).ReusedFromCache, "same options, same tree");
            foreach (var (repo, uri) in new[] { (one, Notify), (two, Notify.Replace("4443", "4444")) })
                foreach (var ca in repo.AllCas)
                {
                    var cert = ResourceCertificate.Decode(File.ReadAllBytes(Renderer.LocalPath(repo.TreeRoot, ca.CertUri))).GetValueOrThrow();
                    Assert.That(cert.NotificationUri, Is.EqualTo(uri), ca.Name);
                }
            var tal = File.ReadAllLines(one.TalPaths.Single());
            Assert.That(tal[1..3], Is.EqualTo(new[] { "https://127.0.0.1:4443/repo/ta/ta.cer", "rsync://rpki.testbed.test/repo/ta/ta.cer" }));
        }
        finally
        {
            TinyRepository.TryDelete(cache);
        }
    }

    [Test]
    public void LegacyRrdpNotifyStillNamesTheHost()
    {
        var o = TestbedOptions.ForScale(TestbedScale.Tiny) with { RrdpNotify = true };
        Assert.That(o.EffectiveNotifyUri, Is.EqualTo("https://rpki.testbed.test/rrdp/notification.xml"));
        Assert.That((o with { NotifyUri = Notify }).EffectiveNotifyUri, Is.EqualTo(Notify));
        Assert.That(TestbedOptions.ForScale(TestbedScale.Tiny).EffectiveNotifyUri, Is.Null);
    }

    [Test]
    public void BadUrisAreRefused()
    {
        var o = TestbedOptions.ForScale(TestbedScale.Tiny);
        Assert.Throws<ArgumentException>(() => Repository.Build(o with { NotifyUri = "http://127.0.0.1/rrdp/notification.xml" }));
        Assert.Throws<ArgumentException>(() => Repository.Build(o with { HttpsTaBaseUri = "https://127.0.0.1:1" }));
        Assert.Throws<ArgumentException>(() => new RrdpPublisher(Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid().ToString("N")), "http://127.0.0.1/rrdp/"));
    }
}
