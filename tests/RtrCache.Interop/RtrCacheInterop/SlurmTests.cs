using System.Net;
using RtrCache.Interop.Peers;

namespace RtrCache.Interop.RtrCacheInterop;

/// <summary>
/// <c>--slurm FILE</c> (RFC 8416): the routers must see the validated set with the filters applied and the
/// assertions added, and follow a change of the SLURM file incrementally like any other change.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SlurmTests : RtrCacheFixture
{
    private static readonly PeerRouterKey AssertedKey = InteropPayload.RouterKeyFor(65552);

    /// <summary>
    /// <see cref="InteropPayload.Initial"/> after <see cref="Slurm"/>: both origins of 192.0.2.0/24 filtered by prefix;
    /// of the VRPs inside 2001:db8::/32 only the AS0 one filtered (prefix and ASN must both match); 192.0.2.0/25
    /// asserted although a filter covers it (assertions are not filtered); 2001:db8:abcd::/48 asserted without
    /// maxPrefixLength (so max length 48).
    /// </summary>
    private static readonly PeerVrp[] Filtered =
    [
        PeerVrp.Parse("192.0.2.0/25", 25, 64511),
        PeerVrp.Parse("198.51.100.0/22", 24, 64497),
        PeerVrp.Parse("203.0.113.0/24", 32, 0),
        PeerVrp.Parse("2001:db8::/32", 48, 64496),
        PeerVrp.Parse("2001:db8:ff00::/40", 64, 4_294_967_294),
        PeerVrp.Parse("2001:db8:abcd::/48", 48, 65551),
    ];

    /// <summary><see cref="Filtered"/> once the 192.0.2.0/24 filter is dropped from the SLURM file.</summary>
    private static readonly PeerVrp[] FilteredWithout192 =
    [
        .. Filtered,
        PeerVrp.Parse("192.0.2.0/24", 24, 64496),
        PeerVrp.Parse("192.0.2.0/24", 24, 4_200_000_000),
    ];

    [Test]
    public async Task Routers_see_the_filtered_and_asserted_set_and_follow_a_SLURM_change()
    {
        string slurm = Dir.File("slurm.json");
        await File.WriteAllTextAsync(slurm, Slurm(filter192: true));
        var options = new RtrCacheServerOptions { SlurmFiles = [slurm], Refresh = 300, Expire = 600 };
        var server = await StartServerAsync(InteropPayload.Initial, [InteropPayload.RouterKey], InteropPayload.InitialAspas, options);
        ushort session = server.SessionIds.V1;

        var bird = await StartBirdAsync(server, new BirdOptions { RefreshSeconds = 300 });
        var client = StartRtrClient(server);
        await bird.WaitForVrpsAsync(Filtered, Timeout);
        // The router key of AS64496 is filtered; the asserted one (same key, AS65552) is added.
        await client.WaitForPayloadAsync(Filtered, Timeout, [AssertedKey]);
        var dump = (await RtrDump.RunAsync(IPAddress.Loopback, server.Port, 1, Dir.Path, Timeout)).EnsureComplete();
        Assert.Multiple(() =>
        {
            Assert.That(PeerSets.Diff(Filtered, dump.Vrps), Is.Empty, "rtrdump");
            Assert.That(dump.RouterKeys, Is.EquivalentTo(new[] { AssertedKey }));
            Assert.That(bird.LastEndOfData, Is.EqualTo(new PeerSyncState(1, session, 1)));
            Assert.That(client.LastSync, Is.EqualTo(new PeerSyncState(1, session, 1)));
        });

        var published = await server.UpdateAsync(() => WriteReplacing(slurm, Slurm(filter192: false)), Timeout);

        await bird.WaitForVrpsAsync(FilteredWithout192, Timeout);
        await client.WaitForPayloadAsync(FilteredWithout192, Timeout, [AssertedKey]);
        await Poll.UntilAsync(
            () => Task.FromResult(bird.LastEndOfData?.Serial == 2 && client.LastSync?.Serial == 2),
            Timeout,
            () => $"serial 2 not confirmed: BIRD {bird.LastEndOfData}, rtrclient {client.LastSync}");
        Assert.Multiple(() =>
        {
            Assert.That(published.Serial, Is.EqualTo(2u));
            Assert.That(published.Delta, Is.EqualTo("+2/-0 VRPs, +0/-0 router keys, 0 ASPA changes"));
            Assert.That(bird.ResetQueries, Is.EqualTo(1));
            Assert.That(bird.SerialQueries, Is.GreaterThanOrEqualTo(1));
            Assert.That(bird.CacheResets, Is.Zero);
            Assert.That(client.SawReset, Is.False);
            Assert.That(client.Errors, Is.Zero);
        });
    }

    /// <summary>A SLURM v1 file; <paramref name="filter192"/> adds the filter for 192.0.2.0/24.</summary>
    private static string Slurm(bool filter192)
    {
        string ski = Base64Url(Convert.FromHexString(AssertedKey.Ski));
        string spki = Base64Url(Convert.FromHexString(AssertedKey.Spki));
        string filter = filter192 ? """{ "prefix": "192.0.2.0/24", "comment": "both origins" },""" : "";
        return $$"""
            {
              "slurmVersion": 1,
              "validationOutputFilters": {
                "prefixFilters": [
                  {{filter}}
                  { "prefix": "2001:db8::/32", "asn": 0, "comment": "only the AS0 VRP inside" }
                ],
                "bgpsecFilters": [
                  { "asn": 64496, "comment": "the RPKI key of AS64496" }
                ]
              },
              "locallyAddedAssertions": {
                "prefixAssertions": [
                  { "asn": 64511, "prefix": "192.0.2.0/25", "maxPrefixLength": 25, "comment": "inside a filtered prefix" },
                  { "asn": 65551, "prefix": "2001:db8:abcd::/48" }
                ],
                "bgpsecAssertions": [
                  { "asn": 65552, "SKI": "{{ski}}", "routerPublicKey": "{{spki}}" }
                ]
              }
            }
            """;
    }

    private static string Base64Url(byte[] bytes)
        => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void WriteReplacing(string path, string content)
    {
        string temporary = path + ".new";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
