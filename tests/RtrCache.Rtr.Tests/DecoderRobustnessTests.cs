using System.Buffers;
using RtrCache.Rtr.Protocol;
using static RtrCache.Rtr.Tests.Bytes;

namespace RtrCache.Rtr.Tests;

/// <summary>
/// The reader must give the same result whatever the shape of the incoming sequence (rtr.md §2: transport is a
/// byte stream), handle several PDUs per buffer, and never consume anything on Incomplete.
/// </summary>
[TestFixture]
public class DecoderRobustnessTests
{
    private static string DecodeOne(ReadOnlySequence<byte> buffer)
    {
        var status = PduReader.TryRead(ref buffer, out var pdu, out var error);
        Assert.That(status, Is.EqualTo(ReadStatus.Pdu), () => error?.ToString() ?? "");
        Assert.That(buffer.Length, Is.Zero);
        return Fingerprint(pdu);
    }

    [TestCaseSource(typeof(GoldenVectors), nameof(GoldenVectors.Cases))]
    public void SameResult_ContiguousOneByteAndRandomSegments(GoldenVector g)
    {
        string expected = DecodeOne(Contiguous(g.Expected));
        Assert.That(DecodeOne(OneByteSegments(g.Expected)), Is.EqualTo(expected), "1-byte segments");
        var rng = new Random(g.Name.Length * 7919 + g.Expected.Length);
        for (int i = 0; i < 50; i++)
            Assert.That(DecodeOne(RandomSegments(g.Expected, rng)), Is.EqualTo(expected), $"random split #{i}");
    }

    [TestCaseSource(typeof(GoldenVectors), nameof(GoldenVectors.Cases))]
    public void DecodedFromOneByteSegments_PassesFieldChecks(GoldenVector g)
    {
        var buffer = OneByteSegments(g.Expected);
        Assert.That(PduReader.TryRead(ref buffer, out var pdu, out var error), Is.EqualTo(ReadStatus.Pdu), () => error?.ToString() ?? "");
        g.Check(pdu);
    }

    [TestCaseSource(typeof(GoldenVectors), nameof(GoldenVectors.Cases))]
    public void PartialPdu_IsIncomplete_AndLeavesBufferUnchanged(GoldenVector g)
    {
        for (int n = 0; n < g.Expected.Length; n++)
        {
            var partial = g.Expected[..n];
            foreach (var shape in new[] { Contiguous(partial), OneByteSegments(partial) })
            {
                var buffer = shape;
                var status = PduReader.TryRead(ref buffer, out var pdu, out var error);
                Assert.That(status, Is.EqualTo(ReadStatus.Incomplete), $"{n} of {g.Expected.Length} bytes");
                Assert.That(error, Is.Null);
                Assert.That(buffer.Length, Is.EqualTo(n), "length unchanged");
                Assert.That(buffer.Start, Is.EqualTo(shape.Start), "start unchanged");
                Assert.That(buffer.End, Is.EqualTo(shape.End), "end unchanged");
            }
        }
    }

    [Test]
    public void AllVectorsBackToBack_DecodeInOrder_InEveryShape()
    {
        var vectors = GoldenVectors.All().ToList();
        var expected = vectors.Select(g => DecodeOne(Contiguous(g.Expected))).ToList();
        var all = Concat(vectors.Select(g => g.Expected).ToArray());

        Assert.That(DecodeAll(Contiguous(all)).Select(p => Fingerprint(p)), Is.EqualTo(expected).AsCollection, "contiguous");
        Assert.That(DecodeAll(OneByteSegments(all)).Select(p => Fingerprint(p)), Is.EqualTo(expected).AsCollection, "1-byte segments");
        var rng = new Random(42);
        for (int i = 0; i < 20; i++)
            Assert.That(DecodeAll(RandomSegments(all, rng)).Select(p => Fingerprint(p)), Is.EqualTo(expected).AsCollection, $"random split #{i}");
    }

    [Test]
    public void BackToBack_WithTrailingPartialPdu_StopsAtIncompleteWithRestIntact()
    {
        var vectors = GoldenVectors.All().ToList();
        var whole = Concat(vectors.Select(g => g.Expected).ToArray());
        var tail = vectors[^1].Expected;
        var data = Concat(whole, tail[..(tail.Length - 1)]);
        foreach (var shape in new[] { Contiguous(data), OneByteSegments(data), RandomSegments(data, new Random(7)) })
        {
            var buffer = shape;
            int count = 0;
            ReadStatus status;
            while ((status = PduReader.TryRead(ref buffer, out _, out _)) == ReadStatus.Pdu) count++;
            Assert.That(status, Is.EqualTo(ReadStatus.Incomplete));
            Assert.That(count, Is.EqualTo(vectors.Count));
            Assert.That(buffer.Length, Is.EqualTo(tail.Length - 1));
            Assert.That(buffer.ToArray(), Is.EqualTo(tail[..(tail.Length - 1)]).AsCollection);
        }
    }

    [Test]
    public void StreamFedInRandomChunks_LikeAPipe_DecodesEverything()
    {
        // Simulates a pipe reader: bytes arrive in random chunks, the reader is called on whatever is buffered and
        // the unconsumed rest is kept for the next round.
        var vectors = GoldenVectors.All().ToList();
        var expected = vectors.Select(g => DecodeOne(Contiguous(g.Expected))).ToList();
        var all = Concat(vectors.Select(g => g.Expected).ToArray());
        var rng = new Random(1234);
        for (int round = 0; round < 10; round++)
        {
            var got = new List<string>();
            var pending = new List<byte>();
            int pos = 0;
            while (pos < all.Length)
            {
                int n = Math.Min(rng.Next(1, 40), all.Length - pos);
                pending.AddRange(all.AsSpan(pos, n).ToArray());
                pos += n;
                var buffer = RandomSegments([.. pending], rng);
                while (PduReader.TryRead(ref buffer, out var pdu, out var error) is var s && s != ReadStatus.Incomplete)
                {
                    Assert.That(s, Is.EqualTo(ReadStatus.Pdu), () => error?.ToString() ?? "");
                    got.Add(Fingerprint(pdu));
                }
                pending = [.. buffer.ToArray()];
            }
            Assert.That(pending, Is.Empty);
            Assert.That(got, Is.EqualTo(expected).AsCollection);
        }
    }

    [Test]
    public void EmptyBuffer_IsIncomplete()
    {
        var buffer = ReadOnlySequence<byte>.Empty;
        Assert.That(PduReader.TryRead(ref buffer, out _, out var error), Is.EqualTo(ReadStatus.Incomplete));
        Assert.That(error, Is.Null);
    }

    [Test]
    public void MaxLengthErrorReport_HeaderOnly_IsIncomplete()
    {
        // Length 65,535 is legal (rtr.md §2), so with only the header in the reader must wait, not fail.
        var header = Hex("02 0A 0000 0000FFFF");
        var buffer = Contiguous(header);
        Assert.That(PduReader.TryRead(ref buffer, out _, out var error), Is.EqualTo(ReadStatus.Incomplete));
        Assert.That(error, Is.Null);
        Assert.That(buffer.Length, Is.EqualTo(8));
    }

    [Test]
    public void ReservedBitsAndZeroFields_AreIgnored()
    {
        // §2 / §4: zero fields MUST be ignored on receipt; receivers mask flags with 0x01.
        var ipv4 = Hex("01 04 FFFF 00000014  FF 18 18 FF  C0000200 0000FBF0");
        var p = DecodeAll(ipv4).Single();
        Assert.That(p.Announce, Is.True);
        Assert.That(p.Vrp, Is.EqualTo(P.Vrp("192.0.2.0/24", 24, 64496)));

        var withdraw = Hex("02 06 0000 00000020  FE 20 30 00  20010DB8 00000000 00000000 00000000 0000FBF0");
        Assert.That(DecodeAll(withdraw).Single().Announce, Is.False, "flags 0xFE = withdraw");

        var aspa = Hex("02 0B 03 FF 00000010 0000FBF0 0000FBF1");
        var a = DecodeAll(aspa).Single();
        Assert.That(a.Announce, Is.True);
        Assert.That(a.AspaProviders, Is.EqualTo(new uint[] { 64497 }).AsCollection);

        var reset = Hex("02 02 ABCD 00000008");
        Assert.That(DecodeAll(reset).Single().Type, Is.EqualTo(PduType.ResetQuery));
    }
}
