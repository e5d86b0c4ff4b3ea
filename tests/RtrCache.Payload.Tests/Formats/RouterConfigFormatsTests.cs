using System.Text;
using RtrCache.Payload.Formats;

namespace RtrCache.Payload.Tests.Formats;

/// <summary>
/// The text exports, byte for byte against hand-written expected files in the shapes rpki-client writes
/// (output-csv.c, output-bgpd.c 1.35, output-bird.c output_bird2) and bgpd.conf(5) / BIRD 2 accept.
/// </summary>
public sealed class RouterConfigFormatsTests
{
    private static readonly PayloadSet Set = PayloadSet.Create(
        [
            Make.V4("192.0.2.0/24", 24, 64496),
            Make.V4("198.51.100.0/22", 24, 64496),
            Make.V6("2001:db8::/32", 48, 4200000000),
        ],
        null,
        [Make.Aspa(64496, 64497, 64498), Make.Aspa(64499, 0)]);

    private static async Task<string> Run(Func<Stream, Task> write)
    {
        using var stream = new MemoryStream();
        await write(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Test]
    public async Task Csv_has_rpki_client_columns()
    {
        string text = await Run(s => RouterConfigFormats.WriteCsvAsync(s, Set, "ripe"));
        Assert.That(text, Is.EqualTo(
            "ASN,IP Prefix,Max Length,Trust Anchor\n" +
            "AS64496,192.0.2.0/24,24,ripe\n" +
            "AS64496,198.51.100.0/22,24,ripe\n" +
            "AS4200000000,2001:db8::/32,48,ripe\n"));
    }

    [Test]
    public async Task Csv_quotes_a_trust_anchor_that_needs_it()
    {
        string text = await Run(s => RouterConfigFormats.WriteCsvAsync(s, Set, "a,\"b\""));
        Assert.That(text.Split('\n')[1], Is.EqualTo("AS64496,192.0.2.0/24,24,\"a,\"\"b\"\"\""));
    }

    [Test]
    public async Task OpenBgpd_roa_set_and_aspa_set()
    {
        // maxlen only when longer than the prefix; providers comma-separated inside braces; tab-indented entries.
        string text = await Run(s => RouterConfigFormats.WriteOpenBgpdAsync(s, Set, includeAspa: true, ["made by a test"]));
        Assert.That(text, Is.EqualTo(
            "# made by a test\n" +
            "\n" +
            "roa-set {\n" +
            "\t192.0.2.0/24 source-as 64496\n" +
            "\t198.51.100.0/22 maxlen 24 source-as 64496\n" +
            "\t2001:db8::/32 maxlen 48 source-as 4200000000\n" +
            "}\n" +
            "\n" +
            "aspa-set {\n" +
            "\tcustomer-as 64496 provider-as { 64497, 64498 }\n" +
            "\tcustomer-as 64499 provider-as { 0 }\n" +
            "}\n"));
    }

    [Test]
    public async Task OpenBgpd_without_aspa_and_with_an_empty_set()
    {
        Assert.That(await Run(s => RouterConfigFormats.WriteOpenBgpdAsync(s, Set, includeAspa: false)), Does.Not.Contain("aspa-set"));
        Assert.That(await Run(s => RouterConfigFormats.WriteOpenBgpdAsync(s, PayloadSet.Empty)), Is.EqualTo("roa-set {\n}\n\naspa-set {\n}\n"));
    }

    [Test]
    public async Task Comment_lines_cannot_break_out_of_the_comment()
    {
        string text = await Run(s => RouterConfigFormats.WriteOpenBgpdAsync(s, PayloadSet.Empty, true, ["evil\nroa-set { }"]));
        Assert.That(text, Does.StartWith("# evil roa-set { }\n"));
    }

    [Test]
    public async Task Bird2_static_roa_tables()
    {
        string text = await Run(s => RouterConfigFormats.WriteBirdAsync(s, Set, "RPKI", 1764028800));
        Assert.That(text, Is.EqualTo(
            "define force_roa_table_update = 1764028800;\n" +
            "\n" +
            "roa4 table RPKI4;\n" +
            "roa6 table RPKI6;\n" +
            "\n" +
            "protocol static {\n" +
            "\troa4 { table RPKI4; };\n" +
            "\n" +
            "\troute 192.0.2.0/24 max 24 as 64496;\n" +
            "\troute 198.51.100.0/22 max 24 as 64496;\n" +
            "}\n" +
            "\n" +
            "protocol static {\n" +
            "\troa6 { table RPKI6; };\n" +
            "\n" +
            "\troute 2001:db8::/32 max 48 as 4200000000;\n" +
            "}\n"));
    }

    [TestCase("ROAS", true)]
    [TestCase("_t1", true)]
    [TestCase("1abc", false)]
    [TestCase("a-b", false)]
    [TestCase("a;b", false)]
    [TestCase("", false)]
    public void Bird_table_names_are_checked(string name, bool ok)
    {
        Assert.That(RouterConfigFormats.IsBirdSymbol(name), Is.EqualTo(ok));
        if (!ok)
            Assert.ThrowsAsync<ArgumentException>(() => RouterConfigFormats.WriteBirdAsync(Stream.Null, Set, name));
    }

    [Test]
    public async Task Large_sets_stream_in_chunks_and_keep_every_line()
    {
        // 20,000 VRPs are ~600 KB of OpenBGPD text: several 64 KiB flushes. Count what arrives, and that writes
        // really were chunked (no single write of the whole text).
        var vrps = Enumerable.Range(0, 20000).Select(i => Vrp.V4((uint)(0x0A000000 + (i << 8)), 24, 24, 64496 + (uint)(i % 7)));
        var set = PayloadSet.Create(vrps);
        var stream = new CountingStream();
        await RouterConfigFormats.WriteOpenBgpdAsync(stream, set, includeAspa: false);
        string text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.That(text.Split('\n').Count(l => l.StartsWith("\t10.", StringComparison.Ordinal)), Is.EqualTo(20000));
        Assert.That(stream.Writes, Is.GreaterThan(5));
        Assert.That(stream.LargestWrite, Is.LessThan(80 * 1024));
    }

    [Test]
    public async Task Json_WriteAsync_writes_the_same_bytes_as_Write()
    {
        var vrps = Enumerable.Range(0, 5000).Select(i => Vrp.V4((uint)(0x0A000000 + (i << 8)), 24, 24, 64496));
        var set = PayloadSet.Create(vrps.Append(Make.V6("2001:db8::/32", 48, 1)), [Make.Key(1, 64496, 0x30, 0x00)], [Make.Aspa(64496, 64497)]);
        var meta = new RpkiClientJsonMetadata { BuildMachine = "test", BuildTime = DateTimeOffset.FromUnixTimeSeconds(1764028800), TrustAnchor = "ta" };
        var expected = RpkiClientJson.WriteToArray(set, meta);
        var stream = new CountingStream();
        await RpkiClientJson.WriteAsync(stream, set, meta);
        Assert.That(stream.ToArray(), Is.EqualTo(expected));
        Assert.That(stream.Writes, Is.GreaterThan(1), "written in chunks");
        var back = RpkiClientJson.Parse(stream.ToArray(), DateTimeOffset.FromUnixTimeSeconds(1764028800));
        Assert.That(back.Set, Is.EqualTo(set));
    }

    /// <summary>A write-only stream that records how it was written to and fails on synchronous writes (as
    /// Kestrel's response body does by default).</summary>
    private sealed class CountingStream : Stream
    {
        private readonly MemoryStream _inner = new();

        public int Writes { get; private set; }
        public int LargestWrite { get; private set; }

        public byte[] ToArray() => _inner.ToArray();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            LargestWrite = Math.Max(LargestWrite, buffer.Length);
            _inner.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Write(byte[] buffer, int offset, int count) => throw new InvalidOperationException("synchronous write");
        public override void Flush() => throw new InvalidOperationException("synchronous flush");
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _inner.Length;
        public override long Position { get => _inner.Position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
