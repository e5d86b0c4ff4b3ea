namespace RtrCache.Rpki.Objects;

/// <summary>A file whose extension is not an RPKI object type: recognised as such, not decoded.</summary>
public sealed class UnsupportedFile : RpkiObject
{
    internal UnsupportedFile(string name) => Name = name;

    public string Name { get; }
    public override RpkiObjectType Type => RpkiObjectType.Unknown;
    public override DateTimeOffset? ExpiresAt => null;
    public override string? CheckValidityAt(DateTimeOffset now) => null;
    public override string ToString() => $"unsupported file {Name}";
}

/// <summary>Decodes a repository file by its extension.</summary>
public static class RpkiFile
{
    /// <summary>The type a file name (or URI) implies, from its extension (case-insensitive).</summary>
    public static RpkiObjectType TypeFromName(string uriOrName)
    {
        int dot = uriOrName.LastIndexOf('.');
        int slash = uriOrName.LastIndexOf('/');
        if (dot < 0 || dot < slash) return RpkiObjectType.Unknown;
        var ext = uriOrName.AsSpan(dot + 1);
        return ext.Length != 3 ? RpkiObjectType.Unknown
            : ext.Equals("cer", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.Certificate
            : ext.Equals("crl", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.Crl
            : ext.Equals("mft", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.Manifest
            : ext.Equals("roa", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.Roa
            : ext.Equals("asa", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.Aspa
            : ext.Equals("gbr", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.Ghostbusters
            : ext.Equals("tak", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.TrustAnchorKey
            : ext.Equals("spl", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.SignedPrefixList
            : ext.Equals("sig", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.SignedChecklist
            : ext.Equals("tal", StringComparison.OrdinalIgnoreCase) ? RpkiObjectType.TrustAnchorLocator
            : RpkiObjectType.Unknown;
    }

    /// <summary>
    /// Decodes a file by the extension of <paramref name="uriOrName"/>: .cer (CA, trust anchor or router
    /// certificate, decided from the content), .crl, .mft, .roa, .asa, .tal, and .gbr/.tak/.spl/.sig as verified
    /// signed objects whose content is not interpreted. Any other extension yields an <see cref="UnsupportedFile"/>
    /// (not a rejection) for the caller to count. Never throws.
    /// </summary>
    public static Decoded<RpkiObject> Decode(ReadOnlyMemory<byte> bytes, string uriOrName)
    {
        var type = TypeFromName(uriOrName);
        return type switch
        {
            RpkiObjectType.Certificate => Decoding.Run<RpkiObject>("certificate", bytes, b =>
            {
                var cert = ResourceCertificate.DecodeCore(b.ToArray(), "certificate");
                return cert.Kind switch
                {
                    CertificateKind.Router => RouterCertificate.FromCertificate(cert, "router certificate"),
                    CertificateKind.Ee => throw Decoding.Fail("certificate: an EE certificate (no basicConstraints, no BGPsec EKU) cannot be published as a .cer file"),
                    _ => cert,
                };
            }),
            RpkiObjectType.Crl => Crl.Decode(bytes).Select<RpkiObject>(x => x),
            RpkiObjectType.Manifest => Manifest.Decode(bytes).Select<RpkiObject>(x => x),
            RpkiObjectType.Roa => RoaObject.Decode(bytes).Select<RpkiObject>(x => x),
            RpkiObjectType.Aspa => AspaObject.Decode(bytes).Select<RpkiObject>(x => x),
            RpkiObjectType.TrustAnchorLocator => Tal.Decode(bytes, NameWithoutExtension(uriOrName)).Select<RpkiObject>(x => x),
            RpkiObjectType.Ghostbusters or RpkiObjectType.TrustAnchorKey or RpkiObjectType.SignedPrefixList or RpkiObjectType.SignedChecklist
                => SignedObject.Decode(bytes, type).Select<RpkiObject>(x => x),
            _ => Decoded<RpkiObject>.Success(new UnsupportedFile(uriOrName)),
        };
    }

    private static string NameWithoutExtension(string uriOrName)
    {
        string name = uriOrName[(uriOrName.LastIndexOfAny(['/', '\\']) + 1)..];
        int dot = name.LastIndexOf('.');
        return dot > 0 ? name[..dot] : name;
    }
}
