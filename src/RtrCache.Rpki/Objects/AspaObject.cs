using System.Collections.Immutable;
using Org.BouncyCastle.Asn1;
using RtrCache.Payload;
using RtrCache.Rpki.Asn1;

namespace RtrCache.Rpki.Objects;

/// <summary>
/// The eContent of an ASPA in the current profile (draft-ietf-sidrops-aspa-profile ≥ -15, module
/// RPKI-ASPA-2023): explicit version 1, customer AS 1..4294967295, providers strictly ascending, the customer not
/// among them, AS 0 only as the sole provider, at most <see cref="Aspa.MaxProviders"/> providers. The older layout
/// (no version field, providers as SEQUENCE {providerASID, afiLimit}) is rejected.
/// </summary>
public sealed class AspaContent
{
    private AspaContent(uint customer, ImmutableArray<uint> providers)
    {
        CustomerAsn = customer;
        Providers = providers;
    }

    public uint CustomerAsn { get; }

    /// <summary>Provider ASNs, strictly ascending.</summary>
    public ImmutableArray<uint> Providers { get; }

    /// <summary>The payload value (the content already satisfies every <see cref="Aspa"/> invariant).</summary>
    public Aspa ToAspa() => Aspa.Create(CustomerAsn, Providers);

    /// <summary>Decodes an ASPA eContent (DER).</summary>
    public static Decoded<AspaContent> Decode(ReadOnlyMemory<byte> eContent)
        => Decoding.Run("ASPA content", eContent, b => DecodeCore(b, "ASPA"));

    internal static AspaContent DecodeCore(ReadOnlyMemory<byte> der, string what)
    {
        if (Asn1Util.Parse(der, requireDer: true, $"{what} eContent") is not Asn1Sequence seq) throw Decoding.Fail($"{what}: eContent is not a SEQUENCE");
        if (seq.Count == 0 || Asn1Util.AsContextTag(seq[0], 0) is not { } versionTag)
        {
            bool oldProviders = seq.Count == 2 && seq[1] is Asn1Sequence list && list.Count > 0 && list[0] is Asn1Sequence;
            throw Decoding.Fail(oldProviders
                ? $"{what}: no version field and providers as SEQUENCE {{providerASID, afiLimit}}: this is the old ASPA profile (draft-ietf-sidrops-aspa-profile before -15, version 0); the current profile requires an explicit version 1"
                : $"{what}: version field missing (version 0); the current ASPA profile requires an explicitly encoded version 1");
        }
        if (!versionTag.IsExplicit() || versionTag.GetExplicitBaseObject().ToAsn1Object() is not DerInteger version)
            throw Decoding.Fail($"{what}: version is not an explicitly tagged INTEGER");
        if (!version.HasValue(1)) throw Decoding.Fail($"{what}: version {version.Value}, expected 1");
        if (seq.Count != 3) throw Decoding.Fail($"{what}: eContent has {seq.Count} elements, expected version, customerASID and providers");
        uint customer = Asn1Util.ReadUInt32(seq[1], $"{what}: customerASID");
        if (customer == 0) throw Decoding.Fail($"{what}: customerASID 0 is not allowed");
        if (seq[2] is not Asn1Sequence providerList) throw Decoding.Fail($"{what}: providers is not a SEQUENCE");
        if (providerList.Count == 0) throw Decoding.Fail($"{what}: providers is empty");
        if (providerList.Count > Aspa.MaxProviders) throw Decoding.Fail($"{what}: {providerList.Count} providers, more than {Aspa.MaxProviders}");
        var providers = ImmutableArray.CreateBuilder<uint>(providerList.Count);
        foreach (var p in providerList)
        {
            if (p is Asn1Sequence) throw Decoding.Fail($"{what}: provider encoded as SEQUENCE {{providerASID, afiLimit}} (old ASPA profile before -15) is not supported");
            uint asn = Asn1Util.ReadUInt32(p, $"{what}: provider");
            if (asn == customer) throw Decoding.Fail($"{what}: customer AS{customer} is listed among its own providers");
            if (providers.Count > 0 && asn <= providers[^1])
                throw Decoding.Fail($"{what}: providers not strictly ascending (AS{asn} after AS{providers[^1]})");
            providers.Add(asn);
        }
        if (providers[0] == 0 && providers.Count > 1) throw Decoding.Fail($"{what}: AS0 listed together with other providers");
        return new AspaContent(customer, providers.MoveToImmutable());
    }
}

/// <summary>A decoded and verified ASPA: the signed object plus its content, with the EE resource checks done.</summary>
public sealed class AspaObject : RpkiObject
{
    private AspaObject(SignedObject signedObject, AspaContent content)
    {
        SignedObject = signedObject;
        Content = content;
    }

    public override RpkiObjectType Type => RpkiObjectType.Aspa;
    public SignedObject SignedObject { get; }
    public AspaContent Content { get; }
    public ResourceCertificate EeCertificate => SignedObject.EeCertificate;
    public uint CustomerAsn => Content.CustomerAsn;
    public ImmutableArray<uint> Providers => Content.Providers;

    /// <summary>The payload value of this one object (merging across objects is the validator's job).</summary>
    public Aspa ToAspa() => Content.ToAspa();

    public override DateTimeOffset? ExpiresAt => SignedObject.ExpiresAt;
    public override string? CheckValidityAt(DateTimeOffset now) => SignedObject.CheckValidityAt(now);

    /// <summary>
    /// Decodes and verifies a .asa file: CMS template, EE certificate profile, content, and that the EE certificate
    /// has explicit AS resources covering the customer and no IP resources (aspa-profile §4).
    /// </summary>
    public static Decoded<AspaObject> Decode(ReadOnlyMemory<byte> bytes)
        => Decoding.Run("ASPA", bytes, b =>
        {
            const string what = "ASPA";
            var envelope = SignedObjectEnvelope.Open(b, RpkiObjectType.Aspa, what);
            var ee = envelope.Ee;
            if (ee.IpResources is not null) throw Decoding.Fail($"{what}: EE certificate must not have IP resources");
            if (ee.AsResources is not { } asn) throw Decoding.Fail($"{what}: EE certificate has no AS resources");
            if (asn.IsInherit) throw Decoding.Fail($"{what}: EE certificate AS resources must be explicit, not 'inherit'");
            var content = AspaContent.DecodeCore(envelope.Content, what);
            if (!asn.ContainsAsn(content.CustomerAsn))
                throw Decoding.Fail($"{what}: customer AS{content.CustomerAsn} is not covered by the EE certificate's AS resources ({asn})");
            envelope.Verify();
            return new AspaObject(envelope.ToSignedObject(), content);
        });

    public override string ToString() => $"ASPA AS{CustomerAsn} => [{string.Join(", ", Providers.Select(p => "AS" + p))}]";
}
