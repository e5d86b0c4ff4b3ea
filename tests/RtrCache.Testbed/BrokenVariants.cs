using System.Security.Cryptography;
using RtrCache.Payload;

namespace RtrCache.Testbed;

/// <summary>
/// A named way to break a good repository in exactly one place. <see cref="Apply"/> takes a good repository,
/// returns a fresh copy with the defect and <see cref="Repository.Rejection"/> set; its
/// <see cref="Repository.Expected"/> is what a correct validator still produces.
/// </summary>
public sealed record BrokenVariant(string Name, string Description, Func<Repository, Repository> Apply)
{
    /// <summary>False when the check needs state from an earlier run (a one-shot <c>rpki-client -n</c> cannot see it).</summary>
    public bool NeedsPreviousState { get; init; }
    public override string ToString() => Name;
}

public static class BrokenVariants
{
    public static IReadOnlyList<BrokenVariant> All { get; } =
    [
        new("bad-signature-roa", "CMS signature of a ROA does not verify", r => Roa(r, "bad-signature-roa", "CMS signature does not verify with the EE key",
            roa => roa.Tweak.CorruptSignature = true)),
        new("bad-signature-ca", "signature of a child CA certificate does not verify", r => Ca(r, "bad-signature-ca", "certificate signature does not verify with the issuer key",
            ca => ca.CertTweak.CorruptSignature = true)),
        new("expired-ee", "ROA EE certificate notAfter in the past", r => Roa(r, "expired-ee", "EE certificate expired",
            roa => { roa.Tweak.NotBefore = r.Options.Now.AddDays(-3); roa.Tweak.NotAfter = r.Options.Now.AddMinutes(-30); })),
        new("expired-ca", "child CA certificate notAfter in the past", r => Ca(r, "expired-ca", "CA certificate expired",
            ca => { ca.CertTweak.NotBefore = r.Options.Now.AddDays(-400); ca.CertTweak.NotAfter = r.Options.Now.AddDays(-1); })),
        new("not-yet-valid-ee", "ROA EE certificate notBefore in the future", r => Roa(r, "not-yet-valid-ee", "EE certificate not yet valid",
            roa => { roa.Tweak.NotBefore = r.Options.Now.AddDays(3); roa.Tweak.NotAfter = r.Options.Now.AddDays(30); })),
        new("not-yet-valid-ca", "child CA certificate notBefore in the future", r => Ca(r, "not-yet-valid-ca", "CA certificate not yet valid",
            ca => { ca.CertTweak.NotBefore = r.Options.Now.AddDays(3); ca.CertTweak.NotAfter = r.Options.Now.AddDays(300); })),
        new("revoked-ee", "ROA EE certificate serial on the issuer's CRL", r => Roa(r, "revoked-ee", "EE certificate revoked by the issuer's CRL",
            roa => roa.Tweak.Revoked = true)),
        new("revoked-ca", "child CA certificate serial on the parent's CRL", r => Ca(r, "revoked-ca", "CA certificate revoked by the parent's CRL",
            ca => ca.CertTweak.Revoked = true)),
        new("overclaiming-child", "child CA certificate claims 203.0.113.0/24 which its parent does not hold (RFC 3779)", r => Ca(r, "overclaiming-child",
            "certificate resources not contained in the issuer's (RFC 6487 §7.2)",
            ca =>
            {
                var res = ca.Resources.Clone();
                res.V4!.Add(IpRange.Parse("203.0.113.0/24"));
                ca.CertTweak.CertResources = res;
            })),
        new("roa-prefix-outside-ee", "ROA lists a prefix its EE certificate does not hold", r => Roa(r, "roa-prefix-outside-ee",
            "ROA prefix not covered by the EE certificate's resources",
            roa =>
            {
                var ee = roa.EeResources();
                roa.Tweak.CertResources = ee;
                var candidates = new[] { roa.Issuer.OwnV4!.Value, roa.Issuer.OwnV6!.Value };
                var extra = candidates.First(c => !(c.IsIPv6 ? ee.V6 : ee.V4)?.Any(x => x.Contains(c)) ?? true);
                roa.Prefixes = [.. roa.Prefixes, new RoaPrefix(new IpPrefix(extra.IsIPv6, extra.Min, (byte)extra.PrefixLength), null)];
            })),
        new("maxlength-below-prefix-length", "ROA entry with maxLength smaller than the prefix length", r => Roa(r, "maxlength-below-prefix-length",
            "maxLength < prefix length (RFC 9582 §4.3.2)",
            roa => roa.Prefixes[0] = roa.Prefixes[0] with { MaxLength = roa.Prefixes[0].Prefix.Length - 1 })),
        new("manifest-hash-mismatch", "manifest lists a wrong SHA-256 for a ROA", r => Pp(r, "manifest-hash-mismatch",
            "manifest hash does not match roa-0.roa: publication point fails (RFC 9286 §6.5)",
            ca => ca.Roas[0].Tweak.ManifestHash = SHA256.HashData("not the ROA"u8))),
        new("file-missing", "a file listed on the manifest is absent from the publication point", r => Pp(r, "file-missing",
            "roa-0.roa listed on the manifest but missing: publication point fails (RFC 9286 §6.4)",
            ca => ca.Roas[0].Tweak.OmitFile = true)),
        new("file-not-on-manifest", "a valid ROA present in the publication point but not on the manifest", FileNotOnManifest),
        new("stale-manifest", "manifest nextUpdate in the past (EE certificate still valid)", r => Pp(r, "stale-manifest",
            "manifest is stale (nextUpdate passed): publication point fails (RFC 9286 §6.3)",
            ca =>
            {
                ca.Manifest.ThisUpdate = r.Options.Now.AddDays(-3);
                ca.Manifest.NextUpdate = r.Options.Now.AddHours(-2);
                ca.Manifest.Tweak.NotAfter = r.Options.Now.AddDays(30);
            })),
        new("manifest-number-regression", "the new manifest has a lower number than the previously accepted one", ManifestRegression) { NeedsPreviousState = true },
        new("aspa-unsorted-providers", "ASPA providers not in ascending order", r => Aspa(r, "aspa-unsorted-providers", "providers not strictly ascending",
            a => a.Providers = [a.Customer + 1001, a.Customer + 1000])),
        new("aspa-customer-in-providers", "ASPA lists its customer among the providers", r => Aspa(r, "aspa-customer-in-providers", "customer among its own providers",
            a => a.Providers = a.Providers.Where(p => p != 0).Append(a.Customer).Order().ToList())),
        new("aspa-as0-with-others", "ASPA with AS0 next to other providers", r => Aspa(r, "aspa-as0-with-others", "AS0 together with other providers",
            a => a.Providers = a.Providers.Where(p => p != 0).Append(a.Customer + 1000).Prepend(0u).Distinct().Order().ToList())),
        new("aspa-wrong-version", "ASPA without the explicit version 1 (version 0)", r => Aspa(r, "aspa-wrong-version", "version must be 1 and explicitly encoded",
            a => a.Version = null)),
        new("der-truncated", "ROA file cut in half", r => Roa(r, "der-truncated", "malformed DER: truncated",
            roa => roa.Tweak.PostProcess = b => b[..(b.Length / 2)])),
        new("der-trailing-garbage", "bytes after the ROA's ContentInfo", r => Roa(r, "der-trailing-garbage", "malformed DER: trailing data",
            roa => roa.Tweak.PostProcess = b => [.. b, 0x00, 0x00, 0xDE, 0xAD])),
        new("der-absurd-length", "outer length of the ROA says 2 GB", r => Roa(r, "der-absurd-length", "malformed DER: length beyond the data",
            roa => roa.Tweak.PostProcess = AbsurdLength)),
        new("der-deep-nesting", "ROA file replaced by 50,000 nested SEQUENCEs", r => Roa(r, "der-deep-nesting", "malformed DER: nesting too deep / not a ContentInfo",
            roa => roa.Tweak.PostProcess = _ => DeepNesting(50_000))),
        new("manifest-name-slash", "manifest lists 'sub/roa-0.roa'", r => BadName(r, "manifest-name-slash", "sub/roa-0.roa")),
        new("manifest-name-dotdot", "manifest lists '../<parent>/<file>' (a path out of the publication point)", r => BadName(r, "manifest-name-dotdot", null)),
        new("manifest-name-control", "manifest lists a name with a control character", r => BadName(r, "manifest-name-control", "roa\u0001x.roa")),
        new("duplicate-ski-self-loop", "a CA issues a certificate for its own key (AKI = SKI) whose SIA points back at its own publication point",
            r => SkiLoop(r, "duplicate-ski-self-loop", ancestor: false)),
        new("duplicate-ski-ancestor-loop", "a CA issues a certificate for its parent's key and name whose SIA points at the parent's publication point",
            r => SkiLoop(r, "duplicate-ski-ancestor-loop", ancestor: true)),
    ];

    public static BrokenVariant Get(string name) => All.First(v => v.Name == name);

    // ------------------------------------------------------------------ targets

    /// <summary>The CA the variants break: the first leaf CA (deepest level) that has a ROA with several prefixes.</summary>
    public static CaNode TargetCa(Repository r)
        => r.AllCas.Where(c => !c.IsTrustAnchor && c.Children.Count == 0 && c.Roas.Count > 0)
               .OrderByDescending(c => c.Roas[0].Prefixes.Count > 1).First();

    private static Repository Roa(Repository good, string name, string reason, Action<RoaNode> breakIt)
    {
        var r = good.CloneGood();
        var roa = TargetCa(r).Roas[0];
        breakIt(roa);
        roa.Tweak.ExpectRejected = true;
        r.Rejection = new ExpectedRejection(name, roa.Uri, reason, RejectionScope.Object);
        return r;
    }

    private static Repository Ca(Repository good, string name, string reason, Action<CaNode> breakIt)
    {
        var r = good.CloneGood();
        var ca = TargetCa(r);
        breakIt(ca);
        ca.CertTweak.ExpectRejected = true;
        r.Rejection = new ExpectedRejection(name, ca.CertUri, reason, RejectionScope.CaSubtree);
        return r;
    }

    private static Repository Pp(Repository good, string name, string reason, Action<CaNode> breakIt)
    {
        var r = good.CloneGood();
        var ca = TargetCa(r);
        breakIt(ca);
        ca.ExpectPublicationPointFails = true;
        r.Rejection = new ExpectedRejection(name, ca.ManifestUri, reason, RejectionScope.PublicationPoint);
        return r;
    }

    private static Repository Aspa(Repository good, string name, string reason, Action<AspaNode> breakIt)
    {
        var r = good.CloneGood();
        var aspa = r.AllCas.SelectMany(c => c.Aspas).FirstOrDefault(a => a.Providers.Count > 0 && a.Providers[0] != 0)
                   ?? throw new InvalidOperationException("the repository has no ASPA to break (Aspas = 0)");
        breakIt(aspa);
        aspa.Tweak.ExpectRejected = true;
        r.Rejection = new ExpectedRejection(name, aspa.Uri, "ASPA: " + reason, RejectionScope.Object);
        return r;
    }

    private static Repository FileNotOnManifest(Repository good)
    {
        var r = good.CloneGood();
        var ca = TargetCa(r);
        var own = ca.OwnV4!.Value;
        var roa = new RoaNode
        {
            Issuer = ca,
            FileName = "unlisted.roa",
            EeKeyIndex = r.AllocateKey(),
            Serial = r.AllocateSerial(),
            Asn = ca.OwnAs!.Value.Min,
            Prefixes = [new RoaPrefix(new IpPrefix(false, own.Min, (byte)own.PrefixLength), 32)],
        };
        roa.Tweak.OmitFromManifest = true;
        roa.Tweak.ExpectRejected = true;
        ca.Roas.Add(roa);
        r.Rejection = new ExpectedRejection("file-not-on-manifest", roa.Uri, "file not listed on the manifest: ignored", RejectionScope.Object);
        return r;
    }

    private static Repository ManifestRegression(Repository good)
    {
        var previous = good.CloneGood();
        TargetCa(previous).Manifest.Number = 5;
        var r = good.CloneGood();
        var ca = TargetCa(r);
        ca.Manifest.Number = 4;
        ca.Manifest.ThisUpdate = r.Options.Now.AddMinutes(-30);
        r.PreviousState = previous;
        r.Rejection = new ExpectedRejection("manifest-number-regression", ca.ManifestUri,
            "manifestNumber 4 lower than the previously accepted 5: keep the previous manifest (RFC 9286 §4.2.1)", RejectionScope.ManifestFallback);
        return r;
    }

    private static Repository BadName(Repository good, string name, string? fileName)
    {
        var r = good.CloneGood();
        var ca = TargetCa(r);
        fileName ??= $"../{ca.Parent!.Name}/{ca.Parent.Roas.Select(x => x.FileName).FirstOrDefault() ?? ca.Parent.CrlName}";
        ca.Manifest.ExtraEntries.Add((fileName, SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("entry " + fileName))));
        ca.ExpectPublicationPointFails = true;
        r.Rejection = new ExpectedRejection(name, ca.ManifestUri,
            $"manifest entry '{Escape(fileName)}' is not a plain file name (RFC 9286 §4.2.2): manifest rejected, publication point fails", RejectionScope.PublicationPoint);
        return r;
    }

    private static string Escape(string s) => string.Concat(s.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));

    /// <summary>
    /// The target CA issues <c>loop.cer</c> for a key already on its path: its own (AKI = SKI), or its parent's
    /// (with the parent's subject name, so the parent's objects chain to it), SIA = that CA's publication point
    /// and manifest. Following it would walk the same publication points forever.
    /// </summary>
    private static Repository SkiLoop(Repository good, string name, bool ancestor)
    {
        var r = good.CloneGood();
        var ca = TargetCa(r);
        var target = ancestor ? ca.Parent! : ca;
        var loop = new CaNode
        {
            Name = ca.Name + "-loop",
            SubjectName = ancestor ? Renderer.SubjectOf(target) : null,
            Parent = ca,
            TrustAnchorIndex = ca.TrustAnchorIndex,
            KeyIndex = target.KeyIndex,
            Resources = ca.Resources.Clone(), // within the issuer's: only the SKI repeats
            PublicationPoint = target.PublicationPoint,
            CertUri = ca.PublicationPoint + "loop.cer",
            Serial = r.AllocateSerial(),
            IsAlias = true,
        };
        loop.Manifest = target.Manifest;
        loop.CertTweak.ExpectRejected = true;
        ca.Children.Add(loop);
        r.Rejection = new ExpectedRejection(name, loop.CertUri, ancestor
            ? $"certificate repeats the SKI of {target.Name} (an ancestor on its path) and points at its publication point: loop"
            : "certificate has the same SKI as its issuer (AKI = SKI on a non-TA) and points back at the issuer's publication point: loop",
            RejectionScope.Object);
        return r;
    }

    // ------------------------------------------------------------------ malformed DER

    /// <summary>Rewrites the outer SEQUENCE length to 0x7FFFFFFF (long form, 4 octets), keeping the content.</summary>
    public static byte[] AbsurdLength(byte[] der)
    {
        int headerLength = der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7F);
        return [der[0], 0x84, 0x7F, 0xFF, 0xFF, 0xFF, .. der.AsSpan(headerLength)];
    }

    /// <summary><paramref name="depth"/> nested SEQUENCEs with definite lengths, the innermost empty.</summary>
    public static byte[] DeepNesting(int depth)
    {
        int length = 2;
        // build from the inside out into a reversed buffer
        var rev = new List<byte>(depth * 5) { 0x00, 0x30 };
        for (int i = 1; i < depth; i++)
        {
            // header for a content of `length` bytes, written reversed
            if (length < 0x80) { rev.Add((byte)length); rev.Add(0x30); length += 2; }
            else
            {
                var lenBytes = new List<byte>();
                int l = length;
                while (l > 0) { lenBytes.Add((byte)(l & 0xFF)); l >>= 8; }
                rev.AddRange(lenBytes); // little-endian here = big-endian once reversed
                rev.Add((byte)(0x80 | lenBytes.Count));
                rev.Add(0x30);
                length += 2 + lenBytes.Count;
            }
        }
        rev.Reverse();
        return [.. rev];
    }
}
