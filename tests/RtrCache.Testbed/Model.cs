using Org.BouncyCastle.Asn1;
using RtrCache.Payload;

namespace RtrCache.Testbed;

/// <summary>
/// Deviations from the profile applied while an object is rendered; all null/false for a good object.
/// Broken variants set exactly one of them (plus the expectation flags).
/// </summary>
public sealed class Tweak
{
    /// <summary>Overrides of the object's own certificate validity (EE cert for signed objects).</summary>
    public DateTimeOffset? NotBefore { get; set; }
    public DateTimeOffset? NotAfter { get; set; }

    /// <summary>Resources put into the certificate instead of the correct ones.</summary>
    public ResourceSet? CertResources { get; set; }

    /// <summary>Transforms the final file bytes (the manifest hashes the transformed bytes).</summary>
    public Func<byte[], byte[]>? PostProcess { get; set; }

    /// <summary>Transforms the eContent (signed object) before signing.</summary>
    public Func<byte[], byte[]>? EContent { get; set; }

    /// <summary>Flip a bit of the signature (certificate signature for .cer, CMS signature otherwise).</summary>
    public bool CorruptSignature { get; set; }

    /// <summary>The issuing CA lists the (EE) certificate's serial on its CRL.</summary>
    public bool Revoked { get; set; }

    /// <summary>Written to the publication point but left off the manifest.</summary>
    public bool OmitFromManifest { get; set; }

    /// <summary>Listed on the manifest but not written.</summary>
    public bool OmitFile { get; set; }

    /// <summary>The manifest lists this hash instead of the real one.</summary>
    public byte[]? ManifestHash { get; set; }

    /// <summary>Use this key index for the certificate's subject key instead of a fresh one.</summary>
    public long? KeyIndex { get; set; }

    /// <summary>The object is expected to be rejected (its payload is not in the expected set).</summary>
    public bool ExpectRejected { get; set; }

    public bool IsDefault => NotBefore is null && NotAfter is null && CertResources is null && PostProcess is null && EContent is null
                             && !CorruptSignature && !Revoked && !OmitFromManifest && !OmitFile && ManifestHash is null && KeyIndex is null;
}

/// <summary>One prefix of a ROA: <c>MaxLength</c> null = absent from the encoding (= prefix length).</summary>
public readonly record struct RoaPrefix(IpPrefix Prefix, int? MaxLength)
{
    public int EffectiveMaxLength => MaxLength ?? Prefix.Length;
}

public abstract class SignedObjectNode
{
    public required CaNode Issuer { get; init; }
    public required string FileName { get; set; }
    public required long EeKeyIndex { get; set; }
    /// <summary>Serial of the EE certificate at its issuer.</summary>
    public required long Serial { get; init; }
    public Tweak Tweak { get; set; } = new();
    public string Uri => Issuer.PublicationPoint + FileName;
    public abstract DerObjectIdentifier ContentType { get; }
    public abstract ResourceSet EeResources();
    public abstract byte[] EncodeContent();
}

public sealed class RoaNode : SignedObjectNode
{
    public required uint Asn { get; set; }
    public required List<RoaPrefix> Prefixes { get; set; }
    public override DerObjectIdentifier ContentType => Oids.RoaContentType;

    public override ResourceSet EeResources()
    {
        var r = new ResourceSet { V4 = [], V6 = [] };
        foreach (var p in Prefixes) (p.Prefix.IsIPv6 ? r.V6 : r.V4).Add(IpRange.FromPrefix(p.Prefix));
        if (r.V4.Count == 0) r.V4 = null;
        if (r.V6.Count == 0) r.V6 = null;
        return r;
    }

    public override byte[] EncodeContent() => Encoders.Roa(Asn, Prefixes);

    public IEnumerable<Vrp> Vrps()
        => Prefixes.Select(p => p.Prefix.IsIPv6
            ? Vrp.V6(p.Prefix.AddressBits, p.Prefix.Length, p.EffectiveMaxLength, Asn)
            : Vrp.V4((uint)p.Prefix.AddressBits, p.Prefix.Length, p.EffectiveMaxLength, Asn));
}

public sealed class AspaNode : SignedObjectNode
{
    public required uint Customer { get; set; }
    /// <summary>Providers in encoding order (a good object has them strictly ascending).</summary>
    public required List<uint> Providers { get; set; }
    /// <summary>The explicit version; null leaves it out (version 0, which the current profile rejects).</summary>
    public int? Version { get; set; } = 1;
    public override DerObjectIdentifier ContentType => Oids.AspaContentType;
    public override ResourceSet EeResources() => new() { As = [new AsRange(Customer, Customer)] };
    public override byte[] EncodeContent() => Encoders.Aspa(Version, Customer, Providers);
}

public sealed class ManifestNode : SignedObjectNode
{
    public required long Number { get; set; }
    public DateTimeOffset? ThisUpdate { get; set; }
    public DateTimeOffset? NextUpdate { get; set; }
    /// <summary>Extra (name, hash) entries appended to the file list, e.g. names a validator must refuse.</summary>
    public List<(string Name, byte[] Hash)> ExtraEntries { get; } = [];
    public override DerObjectIdentifier ContentType => Oids.ManifestContentType;
    public override ResourceSet EeResources() => ResourceSet.Inherit();
    /// <summary>Filled by the renderer just before encoding.</summary>
    internal List<(string Name, byte[] Hash)> Entries { get; set; } = [];
    internal DateTimeOffset EffectiveThisUpdate, EffectiveNextUpdate;
    public override byte[] EncodeContent() => Encoders.Manifest(Number, EffectiveThisUpdate, EffectiveNextUpdate, Entries);
}

/// <summary>A BGPsec router certificate (EE, EC P-256) published by its issuing CA.</summary>
public sealed class RouterNode
{
    public required CaNode Issuer { get; init; }
    public required string FileName { get; set; }
    public required List<uint> Asns { get; set; }
    public required int KeyNumber { get; init; }
    public required long Serial { get; init; }
    public Tweak Tweak { get; set; } = new();
    public string Uri => Issuer.PublicationPoint + FileName;
}

/// <summary>A certification authority: the TA or a child CA, with its own publication point.</summary>
public sealed class CaNode
{
    public required string Name { get; init; }
    public required CaNode? Parent { get; init; }
    public required int TrustAnchorIndex { get; init; }
    public required long KeyIndex { get; set; }
    public required ResourceSet Resources { get; set; }
    public required string PublicationPoint { get; init; }   // rsync://HOST/MODULE/name/
    public required string CertUri { get; set; }             // where this CA's certificate is published
    public required long Serial { get; init; }               // serial of this CA's certificate at its issuer

    public List<CaNode> Children { get; } = [];
    public List<RoaNode> Roas { get; } = [];
    public List<AspaNode> Aspas { get; } = [];
    public List<RouterNode> Routers { get; } = [];
    public ManifestNode Manifest { get; internal set; } = null!;

    /// <summary>This CA's own blocks (a sub-range of <see cref="Resources"/>), from which its ROAs draw.</summary>
    public IpRange? OwnV4 { get; init; }
    public IpRange? OwnV6 { get; init; }
    public AsRange? OwnAs { get; init; }

    /// <summary>Deviations of this CA's certificate (rendered by the parent; for the TA, by itself).</summary>
    public Tweak CertTweak { get; set; } = new();

    /// <summary>Extra files written into the publication point (not on the manifest unless listed there).</summary>
    public Dictionary<string, byte[]> ExtraFiles { get; } = [];

    /// <summary>Expected: the CA's publication point fails (its manifest is rejected), so none of its products count.</summary>
    public bool ExpectPublicationPointFails { get; set; }

    /// <summary>The CommonName of the certificate's subject; defaults to <see cref="Name"/>.</summary>
    public string? SubjectName { get; init; }

    /// <summary>A certificate that points back at an existing publication point (a loop): issued, never rendered itself.</summary>
    public bool IsAlias { get; init; }

    public bool IsTrustAnchor => Parent is null;
    public string CrlName => Name + ".crl";
    public string CrlUri => PublicationPoint + CrlName;
    public string ManifestUri => PublicationPoint + Manifest.FileName;
    public string CertFileName => CertUri[(CertUri.LastIndexOf('/') + 1)..];

    public IEnumerable<CaNode> SelfAndDescendants()
    {
        var stack = new Stack<CaNode>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            yield return n;
            for (int i = n.Children.Count - 1; i >= 0; i--) stack.Push(n.Children[i]);
        }
    }

    public IEnumerable<SignedObjectNode> SignedObjects()
    {
        foreach (var r in Roas) yield return r;
        foreach (var a in Aspas) yield return a;
    }

    public override string ToString() => $"{Name} ({Resources})";
}
