using RtrCache.Payload;

namespace RtrCache.Testbed.Publishing;

/// <summary>
/// The changes an end-to-end test makes to a published repository between two fetches (issue 5: "new ROA,
/// revoked ROA, changed ASPA"), as edits of the model. Each one bumps the issuing CA's manifest (and CRL)
/// number, as a real CA does when it republishes, so validators that track manifest numbers see a newer
/// manifest. <see cref="Repository.Expected"/> follows the edits; render them with
/// <see cref="LiveRepository.Republish"/> (or <see cref="Repository.WriteTo"/>).
/// </summary>
public static class ModelEdits
{
    /// <summary>
    /// Adds a ROA for <paramref name="asn"/> to CA <paramref name="caName"/> with the given prefixes (which
    /// must lie in the CA's resources). Returns the new object; its <see cref="RoaNode.Vrps"/> are what a
    /// validator must now add.
    /// </summary>
    public static RoaNode AddRoa(this Repository repo, string caName, uint asn, params RoaPrefix[] prefixes)
    {
        var ca = repo.FindCa(caName);
        if (prefixes.Length == 0) throw new ArgumentException("a ROA needs a prefix", nameof(prefixes));
        foreach (var p in prefixes)
        {
            var r = IpRange.FromPrefix(p.Prefix);
            if (!new ResourceSet { V4 = r.IsIPv6 ? null : [r], V6 = r.IsIPv6 ? [r] : null }.IsCoveredBy(ca.Resources))
                throw new ArgumentException($"{p.Prefix} is not within {ca.Name}'s resources {ca.Resources}", nameof(prefixes));
        }
        int n = ca.Roas.Count;
        while (ca.Roas.Any(x => x.FileName == $"roa-{n}.roa")) n++;
        var roa = new RoaNode
        {
            Issuer = ca,
            FileName = $"roa-{n}.roa",
            EeKeyIndex = repo.AllocateKey(),
            Serial = repo.AllocateSerial(),
            Asn = asn,
            Prefixes = [.. prefixes],
        };
        ca.Roas.Add(roa);
        ca.Manifest.Number++;
        return roa;
    }

    /// <summary>
    /// Adds a ROA for <paramref name="asn"/> on a /24 (with maxLength /24) that no ROA of the CA covers yet:
    /// the last /24 of the CA's own IPv4 block (the generator draws ROA prefixes of /20 to /24 from the
    /// block, so the last /24 may be covered by a shorter one; the VRP is new either way, since VRPs differ by
    /// prefix length).
    /// </summary>
    public static RoaNode AddRoa(this Repository repo, string caName, uint asn)
    {
        var ca = repo.FindCa(caName);
        var block = ca.OwnV4 ?? throw new InvalidOperationException($"{caName} has no own IPv4 block (a TA?)");
        var prefix = new IpPrefix(false, block.Max & ~(UInt128)0xFF, 24);
        return repo.AddRoa(caName, asn, new RoaPrefix(prefix, 24));
    }

    /// <summary>Deletes a ROA from its publication point (and manifest): an RRDP withdraw.</summary>
    public static RoaNode RemoveRoa(this Repository repo, string caName, string fileName)
    {
        var ca = repo.FindCa(caName);
        var roa = ca.Roas.FirstOrDefault(r => r.FileName == fileName) ?? throw new ArgumentException($"{caName} has no {fileName}", nameof(fileName));
        ca.Roas.Remove(roa);
        ca.Manifest.Number++;
        return roa;
    }

    /// <summary>
    /// Revokes a ROA's EE certificate on the CA's CRL; the file stays published and on the manifest. A validator
    /// must drop its VRPs (<see cref="Repository.Expected"/> does).
    /// </summary>
    public static RoaNode RevokeRoa(this Repository repo, string caName, string fileName)
    {
        var ca = repo.FindCa(caName);
        var roa = ca.Roas.FirstOrDefault(r => r.FileName == fileName) ?? throw new ArgumentException($"{caName} has no {fileName}", nameof(fileName));
        roa.Tweak.Revoked = true;
        roa.Tweak.ExpectRejected = true;
        ca.Manifest.Number++;
        return roa;
    }

    /// <summary>Re-issues an ASPA with another provider set (sorted ascending, as the profile requires).</summary>
    public static AspaNode SetAspaProviders(this Repository repo, string caName, string fileName, IEnumerable<uint> providers)
    {
        var ca = repo.FindCa(caName);
        var aspa = ca.Aspas.FirstOrDefault(a => a.FileName == fileName) ?? throw new ArgumentException($"{caName} has no {fileName}", nameof(fileName));
        var sorted = providers.Distinct().Order().ToList();
        if (sorted.Count == 0 || sorted.Contains(aspa.Customer)) throw new ArgumentException("providers must be non-empty and exclude the customer", nameof(providers));
        aspa.Providers = sorted;
        ca.Manifest.Number++;
        return aspa;
    }

    /// <summary>Re-issues a CA's manifest and CRL with the next number and otherwise the same content.</summary>
    public static void BumpManifest(this Repository repo, string caName) => repo.FindCa(caName).Manifest.Number++;
}
