using RtrCache.Payload.Verification;

namespace RtrCache.Payload.Tests.Verification;

/// <summary>
/// ASPA path verification against the worked examples of shared/spec/aspa-verification.md §9 (draft-ietf-sidrops-
/// aspa-verification-28 §5) plus the edge cases the spec text names. Every expected value is derived by hand in
/// the comment above it, from the §3 definitions, not from running the code.
/// </summary>
/// <remarks>
/// Notation: paths are written in wire order (neighbor first) as the API takes them; A = compressed path from the
/// origin, A(1) = origin; hop i (up) is authorized(A(i), A(i+1)); hop j (down) is authorized(A(j), A(j−1));
/// P+ = Provider+, NP+ = Not Provider+, NA = No Attestation.
/// </remarks>
public sealed class AspaVerifierTests
{
    private static PayloadSet Aspas(params (uint Customer, uint[] Providers)[] aspas)
        => PayloadSet.Create([], null, aspas.Select(a => Aspa.Create(a.Customer, a.Providers.Order())));

    private static AspaVerificationResult Verify(PayloadSet set, string path, AspaDirection direction, uint? neighbor = null)
    {
        Assert.That(AsPath.TryParse(path, out var parsed, out var error), Is.True, error);
        return AspaVerifier.Verify(set, parsed!, direction, neighbor);
    }

    [Test]
    public void Example1_upstream_customer_route_is_valid()
    {
        // From customer 64510, path 64510 64520; ASPA 64520 → {64510}.
        // A = (64520, 64510), N = 2. Hop 1: authorized(64520, 64510) = P+ (64510 ∈ {64510}).
        // max_up = min_up = N = 2 (no hop below N is NP+/NA) ⇒ not Invalid, not Unknown ⇒ Valid.
        var r = Verify(Aspas((64520, [64510])), "64510 64520", AspaDirection.Upstream, neighbor: 64510);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Valid));
            Assert.That(r.Reason, Is.EqualTo(AspaReason.Attested));
            Assert.That(r.CompressedPath, Is.EqualTo(new uint[] { 64520, 64510 }));
            Assert.That((r.MaxUpRamp, r.MinUpRamp), Is.EqualTo((2, 2)));
            Assert.That(r.UpHops, Is.EqualTo(new[] { new AspaHop(1, 64520, 64510, AspaHopCheck.ProviderPlus, true) }));
            Assert.That(r.DecidingHops, Is.Empty);
        });
    }

    [Test]
    public void Example2_upstream_route_leak_is_invalid_at_the_leaking_hop()
    {
        // From customer 64510, path 64510 64530 64520; ASPAs 64520 → {64530}, 64530 → {64999}, 64510 → {64500, 64530}.
        // A = (64520, 64530, 64510), N = 3.
        // Hop 1: authorized(64520, 64530) = P+. Hop 2: authorized(64530, 64510): 64530 has an ASPA without 64510 ⇒ NP+.
        // max_up = smallest i with NP+ = 2; min_up = smallest i with NP+/NA = 2. max_up 2 < 3 ⇒ Invalid, decided by hop 2.
        var set = Aspas((64520, [64530]), (64530, [64999]), (64510, [64500, 64530]));
        var r = Verify(set, "64510 64530 64520", AspaDirection.Upstream, neighbor: 64510);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Invalid));
            Assert.That(r.Reason, Is.EqualTo(AspaReason.NotProviderPlus));
            Assert.That((r.MaxUpRamp, r.MinUpRamp), Is.EqualTo((2, 2)));
            Assert.That(r.DecidingHops, Is.EqualTo(new[] { new AspaHop(2, 64530, 64510, AspaHopCheck.NotProviderPlus, true) }));
            Assert.That(r.Description, Does.Contain("AS64530").And.Contain("AS64510"));
        });
    }

    [Test]
    public void Example3_upstream_unattested_hop_is_unknown()
    {
        // Example 2 without 64530's ASPA. Hop 1: P+ (64520 → {64530}); hop 2: authorized(64530, 64510) = NA.
        // max_up = N = 3 (no NP+); min_up = 2 (first NA). 3 < 3 false ⇒ not Invalid; 2 < 3 ⇒ Unknown, decided by hop 2.
        var set = Aspas((64520, [64530]), (64510, [64500, 64530]));
        var r = Verify(set, "64510 64530 64520", AspaDirection.Upstream);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Unknown));
            Assert.That(r.Reason, Is.EqualTo(AspaReason.NoAttestation));
            Assert.That((r.MaxUpRamp, r.MinUpRamp), Is.EqualTo((3, 2)));
            Assert.That(r.DecidingHops, Is.EqualTo(new[] { new AspaHop(2, 64530, 64510, AspaHopCheck.NoAttestation, true) }));
        });
    }

    [Test]
    public void Example4_downstream_peering_at_the_top_is_valid()
    {
        // From provider 64501, path 64501 64502 64503 64504; ASPAs 64504 → {64503}, 64503 → {64900}, 64502 → {64901}, 64501 → {64502}.
        // A = (64504, 64503, 64502, 64501), N = 4.
        // Up: hop 1 authorized(64504, 64503) = P+; hop 2 authorized(64503, 64502) = NP+ ⇒ max_up = min_up = 2.
        //     (hop 3 authorized(64502, 64501) = NP+ too, but the bounds take the smallest i.)
        // Down: j = 4 authorized(64501, 64502) = P+; j = 3 authorized(64502, 64503) = NP+ ⇒ max_down = min_down = 4 − 3 + 1 = 2.
        //     (j = 2 authorized(64503, 64504) = NP+, but the bounds take the largest j.)
        // max: 2 + 2 = 4 ≥ 4 ⇒ not Invalid; min: 2 + 2 = 4 ≥ 4 ⇒ not Unknown ⇒ Valid.
        var set = Aspas((64504, [64503]), (64503, [64900]), (64502, [64901]), (64501, [64502]));
        var r = Verify(set, "64501 64502 64503 64504", AspaDirection.Downstream, neighbor: 64501);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Valid));
            Assert.That(r.CompressedPath, Is.EqualTo(new uint[] { 64504, 64503, 64502, 64501 }));
            Assert.That((r.MaxUpRamp, r.MinUpRamp, r.MaxDownRamp, r.MinDownRamp), Is.EqualTo((2, 2, 2, 2)));
            Assert.That(r.UpHops.Select(h => h.Check), Is.EqualTo(new[] { AspaHopCheck.ProviderPlus, AspaHopCheck.NotProviderPlus, AspaHopCheck.NotProviderPlus }));
            // Down hops are listed from the neighbor end: j = 4, 3, 2.
            Assert.That(r.DownHops, Is.EqualTo(new[]
            {
                new AspaHop(4, 64501, 64502, AspaHopCheck.ProviderPlus, false),
                new AspaHop(3, 64502, 64503, AspaHopCheck.NotProviderPlus, false),
                new AspaHop(2, 64503, 64504, AspaHopCheck.NotProviderPlus, false),
            }));
        });
    }

    [Test]
    public void Example4_without_the_apex_ASPAs_is_still_valid()
    {
        // Same path, only 64504 → {64503} and 64501 → {64502}.
        // Up: hop 1 P+, hop 2 authorized(64503, 64502) = NA, hop 3 authorized(64502, 64501) = NA ⇒ max_up = 4, min_up = 2.
        // Down: j = 4 authorized(64501, 64502) = P+, j = 3 authorized(64502, 64503) = NA, j = 2 authorized(64503, 64504) = NA
        //   ⇒ max_down = 4, min_down = 4 − 3 + 1 = 2. Sums 8 ≥ 4 and 4 ≥ 4 ⇒ Valid (as the spec notes).
        var set = Aspas((64504, [64503]), (64501, [64502]));
        var r = Verify(set, "64501 64502 64503 64504", AspaDirection.Downstream);
        Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Valid));
        Assert.That((r.MaxUpRamp, r.MinUpRamp, r.MaxDownRamp, r.MinDownRamp), Is.EqualTo((4, 2, 4, 2)));
    }

    [Test]
    public void Example5_downstream_valley_is_invalid_with_both_ramp_ends()
    {
        // From provider 64501, path 64501 64502 64503 64504 64505; ASPAs 64505 → {64504}, 64504 → {64950},
        // 64503 → {64502, 64504}, 64502 → {64951}, 64501 → {64502}. A = (64505, 64504, 64503, 64502, 64501), N = 5.
        // Up: hop 1 authorized(64505, 64504) = P+; hop 2 authorized(64504, 64503) = NP+ ⇒ max_up = min_up = 2.
        // Down: j = 5 authorized(64501, 64502) = P+; j = 4 authorized(64502, 64503) = NP+ ⇒ max_down = min_down = 5 − 4 + 1 = 2.
        // 2 + 2 = 4 < 5 ⇒ Invalid; deciding hops: up hop 2 (64504 → 64503) and down hop j = 4 (64502 → 64503).
        var set = Aspas((64505, [64504]), (64504, [64950]), (64503, [64502, 64504]), (64502, [64951]), (64501, [64502]));
        var r = Verify(set, "64501 64502 64503 64504 64505", AspaDirection.Downstream);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Invalid));
            Assert.That(r.Reason, Is.EqualTo(AspaReason.NotProviderPlus));
            Assert.That((r.MaxUpRamp, r.MinUpRamp, r.MaxDownRamp, r.MinDownRamp), Is.EqualTo((2, 2, 2, 2)));
            Assert.That(r.DecidingHops, Is.EqualTo(new[]
            {
                new AspaHop(2, 64504, 64503, AspaHopCheck.NotProviderPlus, true),
                new AspaHop(4, 64502, 64503, AspaHopCheck.NotProviderPlus, false),
            }));
        });
    }

    [Test]
    public void Example6_downstream_with_sparse_ASPAs_is_unknown()
    {
        // Path 64501 64502 64503 64504 64505, ASPAs only 64505 → {64504} and 64501 → {64502}.
        // Up: hop 1 P+, hops 2..4 NA ⇒ max_up = 5, min_up = 2. Down: j = 5 P+, j = 4..2 NA ⇒ max_down = 5, min_down = 5 − 4 + 1 = 2.
        // max 5 + 5 = 10 ≥ 5 ⇒ not Invalid; min 2 + 2 = 4 < 5 ⇒ Unknown; deciding: up hop 2 (64504 → 64503, NA)
        // and down hop j = 4 (64502 → 64503, NA).
        var set = Aspas((64505, [64504]), (64501, [64502]));
        var r = Verify(set, "64501 64502 64503 64504 64505", AspaDirection.Downstream);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Unknown));
            Assert.That((r.MaxUpRamp, r.MinUpRamp, r.MaxDownRamp, r.MinDownRamp), Is.EqualTo((5, 2, 5, 2)));
            Assert.That(r.DecidingHops, Is.EqualTo(new[]
            {
                new AspaHop(2, 64504, 64503, AspaHopCheck.NoAttestation, true),
                new AspaHop(4, 64502, 64503, AspaHopCheck.NoAttestation, false),
            }));
        });
    }

    [Test]
    public void Example7_AS0_ASPA_makes_an_upstream_path_invalid_but_downstream_can_be_valid()
    {
        // Path 64510 64520; 64520 published the AS0 ASPA {0}. A = (64520, 64510), N = 2.
        // Upstream: hop 1 authorized(64520, 64510): 64520 has an ASPA, 64510 ∉ {0} ⇒ NP+ ⇒ max_up = 1 < 2 ⇒ Invalid.
        var set = Aspas((64520, [0]));
        var up = Verify(set, "64510 64520", AspaDirection.Upstream);
        Assert.That(up.Verdict, Is.EqualTo(AspaVerdict.Invalid));
        Assert.That(up.MaxUpRamp, Is.EqualTo(1));
        // Downstream (from provider 64510): up as above max_up = min_up = 1; down j = 2 authorized(64510, 64520) = NA
        // (64510 has no ASPA) ⇒ max_down = N = 2, min_down = 2 − 2 + 1 = 1. max 1 + 2 = 3 ≥ 2; min 1 + 1 = 2 ≥ 2 ⇒ Valid.
        var down = Verify(set, "64510 64520", AspaDirection.Downstream);
        Assert.That(down.Verdict, Is.EqualTo(AspaVerdict.Valid));
        Assert.That((down.MaxUpRamp, down.MinUpRamp, down.MaxDownRamp, down.MinDownRamp), Is.EqualTo((1, 1, 2, 1)));
    }

    [Test]
    public void Example8_prepending_is_collapsed()
    {
        // 64510 64510 64510 64520 64520 compresses to wire (64510, 64520), A = (64520, 64510): same as Example 1 ⇒ Valid.
        var r = Verify(Aspas((64520, [64510])), "64510 64510 64510 64520 64520", AspaDirection.Upstream, neighbor: 64510);
        Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Valid));
        Assert.That(r.CompressedPath, Is.EqualTo(new uint[] { 64520, 64510 }));
    }

    [TestCase(AspaDirection.Upstream)]
    [TestCase(AspaDirection.Downstream)]
    public void Example8_any_AS_SET_is_invalid_whatever_the_ASPAs(AspaDirection direction)
    {
        // 64510 {64520 64521}: step 3 (RFC 9774) ⇒ Invalid independent of ASPA data; the set is segment 1.
        var r = Verify(Aspas((64520, [64510]), (64521, [64510])), "64510 {64520 64521}", direction);
        Assert.Multiple(() =>
        {
            Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Invalid));
            Assert.That(r.Reason, Is.EqualTo(AspaReason.AsSet));
            Assert.That(r.SegmentIndex, Is.EqualTo(1));
            Assert.That(r.CompressedPath, Is.Empty);
        });
    }

    [Test]
    public void An_AS_SET_in_the_middle_is_invalid_too()
    {
        // 64500 {64502,64503} 64501: the issue's example shape with the set inside the path; still step 3 ⇒ Invalid.
        var r = Verify(Aspas(), "64500 {64502,64503} 64501", AspaDirection.Upstream);
        Assert.That((r.Verdict, r.Reason, r.SegmentIndex), Is.EqualTo((AspaVerdict.Invalid, AspaReason.AsSet, 1)));
    }

    [TestCase(AspaDirection.Upstream)]
    [TestCase(AspaDirection.Downstream)]
    public void Example8_empty_path_is_invalid(AspaDirection direction)
    {
        // Step 1: no AS ⇒ Invalid.
        var r = AspaVerifier.Verify(Aspas(), AsPath.Empty, direction);
        Assert.That((r.Verdict, r.Reason), Is.EqualTo((AspaVerdict.Invalid, AspaReason.EmptyPath)));
    }

    [Test]
    public void Example8_first_AS_not_the_neighbor_is_invalid()
    {
        // From customer 64510 with path 64511 64520: wire[0] = 64511 ≠ 64510 ⇒ step 2 ⇒ Invalid, even though
        // 64520 → {64511} would make the path itself valid.
        var set = Aspas((64520, [64511]));
        var r = Verify(set, "64511 64520", AspaDirection.Upstream, neighbor: 64510);
        Assert.That((r.Verdict, r.Reason, r.SegmentIndex), Is.EqualTo((AspaVerdict.Invalid, AspaReason.NeighborMismatch, 0)));
        // Without a neighbor (e.g. a transparent route server) the check is skipped: hop 1 authorized(64520, 64511) = P+ ⇒ Valid.
        Assert.That(Verify(set, "64511 64520", AspaDirection.Upstream).Verdict, Is.EqualTo(AspaVerdict.Valid));
    }

    [Test]
    public void Neighbor_check_runs_before_the_AS_SET_check()
    {
        // Steps 2 then 3: {64510} 64520 with neighbor 64510 fails at step 2 (the first segment is a set, not the neighbor).
        var r = Verify(Aspas(), "{64510} 64520", AspaDirection.Upstream, neighbor: 64510);
        Assert.That(r.Reason, Is.EqualTo(AspaReason.NeighborMismatch));
    }

    [TestCase(AspaDirection.Upstream)]
    [TestCase(AspaDirection.Downstream)]
    public void A_single_AS_is_valid(AspaDirection direction)
    {
        // N = 1: no hops, every bound is N = 1; 1 < 1 never holds ⇒ Valid (spec: "N = 1 always yields Valid").
        var r = Verify(Aspas((64500, [0])), "64500 64500", direction);
        Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Valid));
        Assert.That(r.N, Is.EqualTo(1));
    }

    [Test]
    public void Downstream_apexes_one_hop_apart_is_valid_not_the_old_BIRD_bug()
    {
        // Two Tier-1s 64601 and 64602 peer; both publish AS0 ASPAs. 64611 is a customer of 64601 (ASPA {64601});
        // we are a customer of 64602 and receive from provider 64602 the path 64602 64601 64611.
        // A = (64611, 64601, 64602), N = 3.
        // Up: hop 1 authorized(64611, 64601) = P+; hop 2 authorized(64601, 64602): ASPA {0} ⇒ NP+ ⇒ max_up = min_up = 2.
        // Down: j = 3 authorized(64602, 64601): ASPA {0} ⇒ NP+ ⇒ max_down = min_down = 3 − 3 + 1 = 1.
        // 2 + 1 = 3 ≥ 3 for both ⇒ Valid (BIRD before 2.17.4 made this Invalid, spec §10).
        var set = Aspas((64601, [0]), (64602, [0]), (64611, [64601]));
        var r = Verify(set, "64602 64601 64611", AspaDirection.Downstream, neighbor: 64602);
        Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Valid));
        Assert.That((r.MaxUpRamp, r.MaxDownRamp), Is.EqualTo((2, 1)));
        // The same path received upstream (from a peer) is a leak of a provider route: max_up = 2 < 3 ⇒ Invalid.
        Assert.That(Verify(set, "64602 64601 64611", AspaDirection.Upstream).Verdict, Is.EqualTo(AspaVerdict.Invalid));
    }

    [Test]
    public void Non_consecutive_repeats_are_not_collapsed()
    {
        // 64500 64501 64500: no consecutive duplicates, so A = (64500, 64501, 64500), N = 3.
        // ASPAs 64500 → {64501}, 64501 → {64500}: hop 1 authorized(64500, 64501) = P+, hop 2 authorized(64501, 64500) = P+
        // ⇒ max_up = min_up = 3 ⇒ Valid upstream, and the compressed path keeps all three.
        var set = Aspas((64500, [64501]), (64501, [64500]));
        var r = Verify(set, "64500 64501 64500", AspaDirection.Upstream);
        Assert.That(r.CompressedPath, Is.EqualTo(new uint[] { 64500, 64501, 64500 }));
        Assert.That(r.Verdict, Is.EqualTo(AspaVerdict.Valid));
    }

    [Test]
    public void AS0_in_the_path_is_never_a_provider()
    {
        // authorized(64520, 0) with 64520's AS0 ASPA {0}: AS 0 is never a real neighbor (RFC 7607), so NP+ rather
        // than P+. Path 0 64520 upstream: A = (64520, 0), hop 1 NP+ ⇒ max_up = 1 < 2 ⇒ Invalid.
        var set = Aspas((64520, [0]));
        Assert.That(AspaVerifier.Authorized(set, 64520, 0), Is.EqualTo(AspaHopCheck.NotProviderPlus));
        Assert.That(Verify(set, "0 64520", AspaDirection.Upstream).Verdict, Is.EqualTo(AspaVerdict.Invalid));
    }

    [Test]
    public void Authorized_reads_the_merged_provider_set_of_a_customer()
    {
        // Two ASPA objects for 64496 merge into one record {64497, 64498} (U-SPAS); both providers are Provider+.
        var set = PayloadSet.Create([], null, [Aspa.Create(64496, [64497]), Aspa.Create(64496, [64498])]);
        Assert.Multiple(() =>
        {
            Assert.That(AspaVerifier.Authorized(set, 64496, 64497), Is.EqualTo(AspaHopCheck.ProviderPlus));
            Assert.That(AspaVerifier.Authorized(set, 64496, 64498), Is.EqualTo(AspaHopCheck.ProviderPlus));
            Assert.That(AspaVerifier.Authorized(set, 64496, 64499), Is.EqualTo(AspaHopCheck.NotProviderPlus));
            Assert.That(AspaVerifier.Authorized(set, 64497, 64496), Is.EqualTo(AspaHopCheck.NoAttestation));
        });
    }

    [Test]
    public void Result_agrees_with_the_reference_pseudocode_on_random_paths()
    {
        // The spec's §8 pseudo-code, transcribed independently below, must agree on every verdict.
        var rng = new Random(6811);
        uint[] asns = [64500, 64501, 64502, 64503, 64504, 64505];
        for (int round = 0; round < 2000; round++)
        {
            var aspas = new List<Aspa>();
            foreach (uint c in asns)
            {
                if (rng.Next(3) == 0) continue;
                var providers = asns.Where(p => p != c && rng.Next(2) == 0).ToList();
                aspas.Add(providers.Count == 0 ? Aspa.Create(c, [0]) : Aspa.Create(c, providers.Order()));
            }
            var set = PayloadSet.Create([], null, aspas);
            var wire = Enumerable.Range(0, rng.Next(1, 7)).Select(_ => asns[rng.Next(asns.Length)]).ToArray();
            foreach (var direction in new[] { AspaDirection.Upstream, AspaDirection.Downstream })
            {
                var expected = Reference(set, wire, direction == AspaDirection.Downstream);
                var actual = AspaVerifier.Verify(set, AsPath.Sequence(wire), direction).Verdict;
                Assert.That(actual, Is.EqualTo(expected), $"{direction} {string.Join(' ', wire)} with {string.Join("; ", aspas)}");
            }
        }
    }

    /// <summary>§8 reference pseudo-code (no AS_SETs, no neighbor check).</summary>
    private static AspaVerdict Reference(PayloadSet set, uint[] wire, bool downstream)
    {
        AspaHopCheck Auth(uint x, uint y)
        {
            var a = set.FindAspa(x);
            return a is null ? AspaHopCheck.NoAttestation : y != 0 && a.Providers.Contains(y) ? AspaHopCheck.ProviderPlus : AspaHopCheck.NotProviderPlus;
        }
        var compressed = new List<uint>();
        foreach (var x in wire) if (compressed.Count == 0 || compressed[^1] != x) compressed.Add(x);
        compressed.Reverse();
        var A = compressed.ToArray();
        int n = A.Length, maxUp = n, minUp = n;
        for (int i = 0; i < n - 1; i++)
        {
            var r = Auth(A[i], A[i + 1]);
            if (r != AspaHopCheck.ProviderPlus && minUp == n) minUp = i + 1;
            if (r == AspaHopCheck.NotProviderPlus) { maxUp = i + 1; break; }
        }
        if (!downstream) return maxUp < n ? AspaVerdict.Invalid : minUp < n ? AspaVerdict.Unknown : AspaVerdict.Valid;
        int maxDown = n, minDown = n;
        for (int j = n - 1; j >= 1; j--)
        {
            var r = Auth(A[j], A[j - 1]);
            if (r != AspaHopCheck.ProviderPlus && minDown == n) minDown = n - (j + 1) + 1;
            if (r == AspaHopCheck.NotProviderPlus) { maxDown = n - (j + 1) + 1; break; }
        }
        if (maxUp + maxDown < n) return AspaVerdict.Invalid;
        if (minUp + minDown < n) return AspaVerdict.Unknown;
        return AspaVerdict.Valid;
    }
}
