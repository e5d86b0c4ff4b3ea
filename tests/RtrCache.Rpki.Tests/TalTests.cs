using RtrCache.Rpki.Objects;
using static RtrCache.Rpki.Tests.Fixtures;

namespace RtrCache.Rpki.Tests;

public class TalTests
{
    private static string Key => string.Concat(File.ReadAllLines(RpkiRs("ripe.tal")).SkipWhile(l => l.Length > 0).Skip(1));

    [Test]
    public void CommentsSeveralUrisAndCrLf_AreParsed()
    {
        string text = "# RIPE NCC\r\n# second comment\r\nrsync://rpki.ripe.net/ta/ripe-ncc-ta.cer\r\nhttps://rpki.ripe.net/ta/ripe-ncc-ta.cer\r\n\r\n"
            + string.Join("\r\n", Key.Chunk(64).Select(c => new string(c))) + "\r\n";
        var tal = Tal.Parse(text, "ripe").GetValueOrThrow();
        Assert.Multiple(() =>
        {
            Assert.That(tal.Name, Is.EqualTo("ripe"));
            Assert.That(tal.Comments, Is.EqualTo(new[] { "RIPE NCC", "second comment" }));
            Assert.That(tal.Uris, Is.EqualTo(new[] { "rsync://rpki.ripe.net/ta/ripe-ncc-ta.cer", "https://rpki.ripe.net/ta/ripe-ncc-ta.cer" }));
            Assert.That(tal.PreferredUris.First(), Does.StartWith("https://"));
            Assert.That(tal.MatchesKey(ResourceCertificate.Decode(Bytes(RpkiRs("ta.cer"))).GetValueOrThrow()), Is.True);
        });
    }

    [TestCase("ftp://example.net/ta.cer\n\n{KEY}", "neither an rsync:// nor an https:// URI")]
    [TestCase("\n{KEY}", "no TA certificate URI")]
    [TestCase("rsync://a.example/ta/x.cer\nhttps://a.example/ta/y.cer\n\n{KEY}", "name different files")]
    [TestCase("rsync://a.example/ta/x.cer\n{KEY}", "is neither an rsync")]
    [TestCase("rsync://a.example/ta/x.cer\n\n", "no public key")]
    [TestCase("rsync://a.example/ta/x.cer\n\n!!notbase64!!", "not valid base64")]
    [TestCase("rsync://a.example/ta/x.cer\n\nMAMCAQE=", "public key")]
    [TestCase("rsync://a.example/ta/x.cer", "no empty line")]
    [TestCase("rsync://a.example/\n\n{KEY}", "does not name a file")]
    public void MalformedTals_AreRejected(string text, string reason)
    {
        var result = Tal.Parse(text.Replace("{KEY}", Key, StringComparison.Ordinal), "t");
        Assert.That(result.IsSuccess, Is.False);
        Assert.That(result.Error, Does.StartWith("TAL t:").And.Contain(reason));
    }

    [Test]
    public void NonUtf8Bytes_AreRejected()
        => Assert.That(Tal.Decode(new byte[] { 0x72, 0xFF, 0xFE }, "t").Error, Does.Contain("not UTF-8"));

    [Test]
    public void EcKeyInTal_IsRejected()
    {
        var routerSpki = RouterCertificate.Decode(Bytes(Prover("bgp_router_cert.cer"))).GetValueOrThrow().SubjectPublicKeyInfo.ToArray();
        var result = Tal.Parse("https://a.example/ta.cer\n\n" + Convert.ToBase64String(routerSpki), "t");
        Assert.That(result.Error, Does.Contain("must be RSA"));
    }
}
