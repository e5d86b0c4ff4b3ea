using System.Collections.Immutable;
using RtrCache.Payload;
using RtrCache.Rpki.Resources;

namespace RtrCache.Rpki.Objects;

/// <summary>
/// A BGPsec router certificate (RFC 8209) that passed the profile checks: EKU id-kp-bgpsec-router, EC P-256 key,
/// explicit AS resources, no IP resources, no SIA. Yields one <see cref="RouterKey"/> per AS number.
/// </summary>
public sealed class RouterCertificate : RpkiObject
{
    /// <summary>Most AS numbers (after expanding ranges) one router certificate may name.</summary>
    public const int MaxAsns = 100_000;

    private RouterCertificate(ResourceCertificate certificate) => Certificate = certificate;

    public override RpkiObjectType Type => RpkiObjectType.RouterCertificate;
    public ResourceCertificate Certificate { get; }
    public KeyIdentifier SubjectKeyIdentifier => Certificate.SubjectKeyIdentifier;
    public ReadOnlySpan<byte> SubjectPublicKeyInfo => Certificate.SubjectPublicKeyInfo;
    public AsResourceSet AsResources => Certificate.AsResources!;

    /// <summary>Number of AS numbers the certificate names (ranges expanded).</summary>
    public long AsnCount => AsResources.AsnCount;

    public override DateTimeOffset? ExpiresAt => Certificate.NotAfter;
    public override string? CheckValidityAt(DateTimeOffset now) => Certificate.CheckValidityAt(now);

    /// <summary>One router key {SKI, ASN, SPKI} per AS number, ASNs ascending.</summary>
    public ImmutableArray<RouterKey> ToRouterKeys()
    {
        Span<byte> ski = stackalloc byte[KeyIdentifier.Length];
        SubjectKeyIdentifier.CopyTo(ski);
        var keys = ImmutableArray.CreateBuilder<RouterKey>((int)AsnCount);
        foreach (uint asn in AsResources.EnumerateAsns())
            keys.Add(RouterKey.Create(ski, asn, SubjectPublicKeyInfo));
        return keys.MoveToImmutable();
    }

    /// <summary>Decodes a .cer file that must be a router certificate.</summary>
    public static Decoded<RouterCertificate> Decode(ReadOnlyMemory<byte> der)
        => Decoding.Run("router certificate", der, b => FromCertificate(ResourceCertificate.DecodeCore(b.ToArray(), "router certificate"), "router certificate"));

    internal static RouterCertificate FromCertificate(ResourceCertificate certificate, string what)
    {
        if (certificate.Kind != CertificateKind.Router)
            throw Decoding.Fail($"{what}: a {certificate.Kind} certificate, not a BGPsec router certificate (no id-kp-bgpsec-router EKU)");
        if (certificate.AsResources!.AsnCount > MaxAsns)
            throw Decoding.Fail($"{what}: names {certificate.AsResources.AsnCount} AS numbers, more than {MaxAsns}");
        return new RouterCertificate(certificate);
    }

    public override string ToString() => $"router certificate {SubjectKeyIdentifier} {AsResources}";
}
