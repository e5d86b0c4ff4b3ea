using RtrCache.Payload.Verification;

namespace RtrCache.Payload.Tests.Verification;

/// <summary>The AS_PATH text form every caller (API, CLI) uses: wire order, AS_SETs in braces.</summary>
public sealed class AsPathTests
{
    [Test]
    public void Parses_sequences_and_sets_in_wire_order()
    {
        Assert.That(AsPath.TryParse("64500 AS64501 {64502,64503} as64504", out var path, out var error), Is.True, error);
        Assert.Multiple(() =>
        {
            Assert.That(path!.Segments, Has.Length.EqualTo(3));
            Assert.That(path.Segments[0].IsSet, Is.False);
            Assert.That(path.Segments[0].Asns, Is.EqualTo(new uint[] { 64500, 64501 }));
            Assert.That(path.Segments[1].IsSet, Is.True);
            Assert.That(path.Segments[1].Asns, Is.EqualTo(new uint[] { 64502, 64503 }));
            Assert.That(path.Segments[2].Asns, Is.EqualTo(new uint[] { 64504 }));
            Assert.That(path.AsnCount, Is.EqualTo(5));
            Assert.That(path.HasAsSet, Is.True);
            Assert.That(path.ToString(), Is.EqualTo("64500 64501 {64502,64503} 64504"));
        });
    }

    [TestCase("{64502 64503}", new uint[] { 64502, 64503 })]
    [TestCase("{ 64502 , 64503 }", new uint[] { 64502, 64503 })]
    [TestCase("{64502,,64503,}", new uint[] { 64502, 64503 })]
    public void AS_SET_members_may_be_separated_by_commas_or_spaces(string text, uint[] members)
    {
        Assert.That(AsPath.TryParse(text, out var path, out var error), Is.True, error);
        Assert.That(path!.Segments.Single().Asns, Is.EqualTo(members));
    }

    [Test]
    public void Prepends_are_kept_by_the_parser_and_the_extremes_parse()
    {
        Assert.That(AsPath.TryParse("  0 4294967295 4294967295\t", out var path, out _), Is.True);
        Assert.That(path!.Segments.Single().Asns, Is.EqualTo(new uint[] { 0, 4294967295, 4294967295 }));
    }

    [Test]
    public void Empty_text_is_the_empty_path()
    {
        Assert.That(AsPath.TryParse("   ", out var path, out _), Is.True);
        Assert.That(path!.IsEmpty, Is.True);
        Assert.That(AsPath.TryParse(null, out path, out _), Is.True);
        Assert.That(path!.IsEmpty, Is.True);
    }

    [TestCase("64500 x", "position 7")]
    [TestCase("64500,64501", "unexpected ','")]
    [TestCase("4294967296", "larger than 4294967295")]
    [TestCase("1.10", "asdot")]
    [TestCase("{64500", "not closed")]
    [TestCase("{}", "empty AS_SET")]
    [TestCase("64500 }", "found '}'")]
    [TestCase("AS", "found the end")]
    [TestCase("-1", "found '-'")]
    [TestCase("(64500 64501)", "found '('")]
    public void Bad_text_is_refused_with_a_position(string text, string expected)
    {
        Assert.That(AsPath.TryParse(text, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(expected));
    }

    [Test]
    public void Too_many_ASNs_are_refused()
    {
        string text = string.Join(' ', Enumerable.Repeat("64500", AsPath.MaxAsns + 1));
        Assert.That(AsPath.TryParse(text, out _, out var error), Is.False);
        Assert.That(error, Does.Contain("more than"));
    }

    [TestCase("64496", true, 64496u)]
    [TestCase("AS64496", true, 64496u)]
    [TestCase("as0", true, 0u)]
    [TestCase("4294967295", true, 4294967295u)]
    [TestCase("4294967296", false, 0u)]
    [TestCase("64496 ", false, 0u)]
    [TestCase("", false, 0u)]
    [TestCase("AS", false, 0u)]
    [TestCase("+1", false, 0u)]
    public void TryParseAsn_takes_one_whole_AS_number(string text, bool ok, uint asn)
    {
        Assert.That(AsPath.TryParseAsn(text, out uint parsed), Is.EqualTo(ok));
        if (ok) Assert.That(parsed, Is.EqualTo(asn));
    }
}
