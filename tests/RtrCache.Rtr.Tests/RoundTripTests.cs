using RtrCache.Payload;
using RtrCache.Rtr.Protocol;
using static RtrCache.Rtr.Tests.Bytes;

namespace RtrCache.Rtr.Tests;

/// <summary>Random payload sets survive EncodeFull(v2) → decode → rebuild unchanged.</summary>
[TestFixture]
public class RoundTripTests
{
    private static PayloadSet Rebuild(IEnumerable<RtrPdu> pdus)
    {
        var b = new PayloadSetBuilder();
        foreach (var p in pdus)
        {
            Assert.That(p.Announce, Is.True);
            switch (p.Type)
            {
                case PduType.Ipv4Prefix:
                case PduType.Ipv6Prefix: b.Add(p.Vrp); break;
                case PduType.RouterKey: b.Add(p.RouterKey!); break;
                case PduType.Aspa: b.Add(Aspa.Create(p.AspaCustomer, p.AspaProviders!)); break;
                default: Assert.Fail($"unexpected {p.Type}"); break;
            }
        }
        return b.Build();
    }

    [Test]
    public void RandomSet_EncodeFullV2_DecodeAll_RebuildsTheSameSet([Range(1, 30)] int seed)
    {
        var rng = new Random(seed);
        var set = RandomPayload.Set(rng, rng.Next(0, 300), rng.Next(0, 20), rng.Next(0, 30));
        var body = PayloadEncoder.EncodeFull(set, 2);
        var bytes = body.Bytes.ToArray();

        var pdus = DecodeAll(bytes);
        Assert.That(pdus, Has.Count.EqualTo(set.VrpCount + set.RouterKeyCount + set.AspaCount), "one PDU per item, no duplicates");
        Assert.That(pdus, Has.Count.EqualTo(body.PduCount));
        Assert.That(pdus.Sum(p => p.Length), Is.EqualTo(body.Length));
        P.AssertSection11Order(pdus);

        var rebuilt = Rebuild(pdus);
        Assert.That(rebuilt.Equals(set), Is.True, () => $"rebuilt {rebuilt} differs from {set}");
        Assert.That(rebuilt, Is.EqualTo(set));

        // Same through arbitrary segmentation.
        var segmented = DecodeAll(RandomSegments(bytes, rng));
        Assert.That(segmented.Select(p => Fingerprint(p)), Is.EqualTo(pdus.Select(p => Fingerprint(p))).AsCollection);
    }

    [Test]
    public void LargeAspa_MaxProviders_RoundTrips()
    {
        var providers = Enumerable.Range(1, Aspa.MaxProviders).Select(i => (uint)i * 3).ToArray();
        var set = PayloadSet.Create([], aspas: [Aspa.Create(2, providers)]);
        var body = PayloadEncoder.EncodeFull(set, 2);
        Assert.That(body.Length, Is.EqualTo(65532), "12 + 4 x 16,380");
        var pdus = DecodeAll(OneByteSegments(body.Bytes.ToArray()));
        Assert.That(pdus, Has.Count.EqualTo(1));
        Assert.That(pdus[0].AspaProviders, Is.EqualTo(providers).AsCollection);
        Assert.That(Rebuild(pdus), Is.EqualTo(set));
    }
}
