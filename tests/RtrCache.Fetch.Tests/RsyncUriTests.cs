using RtrCache.Fetch.Uris;
using RtrCache.Rpki.Validation;

namespace RtrCache.Fetch.Tests;

/// <summary>rsync URIs become paths and command-line arguments: only safe ones parse, and they map where the validator looks.</summary>
public class RsyncUriTests
{
    [TestCase("rsync://rpki.example.net/repo/ca/a.roa", "rpki.example.net", "repo", false)]
    [TestCase("rsync://127.0.0.1:8873/repo/ca/", "127.0.0.1:8873", "repo", true)]
    [TestCase("rsync://[::1]:873/repo/x.cer", "[::1]:873", "repo", false)]
    [TestCase("rsync://rpki.example.net/repo/", "rpki.example.net", "repo", true)]
    [TestCase("RSYNC://rpki.example.net/re_po.1-2/x.cer", "rpki.example.net", "re_po.1-2", false)]
    public void Valid_URIs_parse(string text, string authority, string module, bool directory)
    {
        Assert.That(RsyncUri.TryParse(text, out var uri, out var error), Is.True, error);
        Assert.That(uri!.Authority, Is.EqualTo(authority));
        Assert.That(uri.Module, Is.EqualTo(module));
        Assert.That(uri.IsDirectory, Is.EqualTo(directory));
        Assert.That(uri.ModuleUri, Is.EqualTo($"rsync://{authority}/{module}/"));
    }

    [TestCase("rsync://-oProxyCommand=x/repo/a.cer")]
    [TestCase("rsync://.hidden/repo/a.cer")]
    [TestCase("rsync://host..name/repo/a.cer")]
    [TestCase("rsync://ho_st/repo/a.cer")]
    [TestCase("rsync://host:0/repo/a.cer")]
    [TestCase("rsync://host:70000/repo/a.cer")]
    [TestCase("rsync://host:/repo/a.cer")]
    [TestCase("rsync://user@host/repo/a.cer")]
    [TestCase("rsync:///repo/a.cer")]
    [TestCase("rsync://host")]
    [TestCase("rsync://host/")]
    [TestCase("rsync://host/-repo/a.cer")]
    [TestCase("rsync://host/.repo/a.cer")]
    [TestCase("rsync://host/../a.cer")]
    [TestCase("rsync://host/re po/a.cer")]
    [TestCase("rsync://host/repo/../../a.cer")]
    [TestCase("rsync://host/repo/a/./b.cer")]
    [TestCase("rsync://host/repo/a//b.cer")]
    [TestCase("rsync://host/repo/a\\b.cer")]
    [TestCase("rsync://host/repo/a\u0001b.cer")]
    [TestCase("rsync://host/repo/\u00e9.cer")]
    [TestCase("https://host/repo/a.cer")]
    [TestCase("-rsync://host/repo/a.cer")]
    [TestCase("")]
    public void Unsafe_URIs_do_not_parse(string text)
        => Assert.That(RsyncUri.TryParse(text, out _, out var error), Is.False, "accepted " + text + " " + error);

    [Test]
    public void Overlong_URI_does_not_parse()
        => Assert.That(RsyncUri.TryParse("rsync://host/repo/" + new string('a', 2100), out _, out _), Is.False);

    [Test]
    public void Overlong_segment_does_not_parse()
        => Assert.That(RsyncUri.TryParse("rsync://host/repo/" + new string('a', 256) + ".cer", out _, out _), Is.False);

    [TestCase("rsync://rpki.example.net/repo/ca/a.roa")]
    [TestCase("rsync://127.0.0.1:8873/repo/x/y/z.mft")]
    public void Local_path_is_the_validators_mapping(string text)
    {
        var uri = RsyncUri.Parse(text);
        Assert.That(uri.LocalPath("/cache/gen-1"), Is.EqualTo(Validator.LocalPath("/cache/gen-1", text)));
    }

    [Test]
    public void Authority_comparison_ignores_host_case_but_not_port()
    {
        var uri = RsyncUri.Parse("rsync://RPKI.example.net/repo/a.roa");
        Assert.That(uri.SameAuthority("rpki.EXAMPLE.net"), Is.True);
        Assert.That(uri.SameAuthority("rpki.example.net:873"), Is.False);
    }

    [TestCase("https://rrdp.example.net/notification.xml", true)]
    [TestCase("https://rrdp.example.net:8443/n.xml", true)]
    [TestCase("http://rrdp.example.net/notification.xml", false)]
    [TestCase("https://user:pw@rrdp.example.net/n.xml", false)]
    [TestCase("https://rrdp.example.net/n.xml#frag", false)]
    [TestCase("https:///n.xml", false)]
    [TestCase("ftp://rrdp.example.net/n.xml", false)]
    [TestCase("https://rrdp.example.net/a b.xml", false)]
    public void Https_URIs(string text, bool valid)
        => Assert.That(HttpsUri.TryParse(text, out _, out _), Is.EqualTo(valid));
}
