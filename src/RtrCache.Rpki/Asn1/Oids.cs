namespace RtrCache.Rpki.Asn1;

/// <summary>Object identifiers of the RPKI profiles (rpki-objects.md §2).</summary>
internal static class Oids
{
    public const string SignedData = "1.2.840.113549.1.7.2";
    public const string ContentTypeRoa = "1.2.840.113549.1.9.16.1.24";
    public const string ContentTypeManifest = "1.2.840.113549.1.9.16.1.26";
    public const string ContentTypeGhostbusters = "1.2.840.113549.1.9.16.1.35";
    public const string ContentTypeSignedChecklist = "1.2.840.113549.1.9.16.1.48";
    public const string ContentTypeAspa = "1.2.840.113549.1.9.16.1.49";
    public const string ContentTypeSignedTal = "1.2.840.113549.1.9.16.1.50";
    public const string ContentTypeSignedPrefixList = "1.2.840.113549.1.9.16.1.51";

    public const string AttrContentType = "1.2.840.113549.1.9.3";
    public const string AttrMessageDigest = "1.2.840.113549.1.9.4";
    public const string AttrSigningTime = "1.2.840.113549.1.9.5";
    public const string AttrBinarySigningTime = "1.2.840.113549.1.9.16.2.46";

    public const string Sha256 = "2.16.840.1.101.3.4.2.1";
    public const string RsaEncryption = "1.2.840.113549.1.1.1";
    public const string Sha256WithRsa = "1.2.840.113549.1.1.11";
    public const string EcPublicKey = "1.2.840.10045.2.1";
    public const string Secp256r1 = "1.2.840.10045.3.1.7";

    public const string PolicyRpki = "1.3.6.1.5.5.7.14.2";
    public const string PolicyRpkiV2 = "1.3.6.1.5.5.7.14.3";

    public const string ExtIpAddrBlocks = "1.3.6.1.5.5.7.1.7";
    public const string ExtAutonomousSysIds = "1.3.6.1.5.5.7.1.8";
    public const string ExtIpAddrBlocksV2 = "1.3.6.1.5.5.7.1.28";
    public const string ExtAutonomousSysIdsV2 = "1.3.6.1.5.5.7.1.29";
    public const string ExtAuthorityInfoAccess = "1.3.6.1.5.5.7.1.1";
    public const string ExtSubjectInfoAccess = "1.3.6.1.5.5.7.1.11";
    public const string ExtBasicConstraints = "2.5.29.19";
    public const string ExtSubjectKeyIdentifier = "2.5.29.14";
    public const string ExtKeyUsage = "2.5.29.15";
    public const string ExtCrlDistributionPoints = "2.5.29.31";
    public const string ExtCertificatePolicies = "2.5.29.32";
    public const string ExtAuthorityKeyIdentifier = "2.5.29.35";
    public const string ExtExtendedKeyUsage = "2.5.29.37";
    public const string ExtCrlNumber = "2.5.29.20";

    public const string AdCaIssuers = "1.3.6.1.5.5.7.48.2";
    public const string AdCaRepository = "1.3.6.1.5.5.7.48.5";
    public const string AdRpkiManifest = "1.3.6.1.5.5.7.48.10";
    public const string AdSignedObject = "1.3.6.1.5.5.7.48.11";
    public const string AdRpkiNotify = "1.3.6.1.5.5.7.48.13";

    public const string KpBgpsecRouter = "1.3.6.1.5.5.7.3.30";

    public const string AttrCommonName = "2.5.4.3";
    public const string AttrSerialNumber = "2.5.4.5";

    /// <summary>A readable name for an OID that appears in messages.</summary>
    public static string Describe(string oid) => oid switch
    {
        ContentTypeRoa => "id-ct-routeOriginAuthz",
        ContentTypeManifest => "id-ct-rpkiManifest",
        ContentTypeGhostbusters => "id-ct-rpkiGhostbusters",
        ContentTypeSignedChecklist => "id-ct-signedChecklist",
        ContentTypeAspa => "id-ct-ASPA",
        ContentTypeSignedTal => "id-ct-SignedTAL",
        ContentTypeSignedPrefixList => "id-ct-signedPrefixList",
        AttrBinarySigningTime => "binary-signing-time",
        Sha256 => "sha256",
        RsaEncryption => "rsaEncryption",
        Sha256WithRsa => "sha256WithRSAEncryption",
        EcPublicKey => "id-ecPublicKey",
        _ => oid,
    };
}
